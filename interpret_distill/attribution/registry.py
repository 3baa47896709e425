"""The attribution methods by name: what each needs and explains. Plain data, so the config can check names
without importing Captum or torch.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodSpec:
    """What one attribution method needs and explains.

    Attributes:
        name: registry key.
        family: ``"gradient"`` (torch models only), ``"perturbation"`` (any model) or ``"native"`` (surrogates).
        output: the explained quantity: ``"logit"``, ``"proba"`` or ``"native"`` (model-specific, see native.py).
        default_n_samples: default ``n_samples`` (None when the method takes none).
        multiplies_inputs: whether attributions are in "effect of moving x towards the baseline" units (like
            gradient × (x − baseline)) rather than plain sensitivities; infidelity perturbs accordingly.
    """

    name: str
    family: str
    output: str
    default_n_samples: int | None = None
    multiplies_inputs: bool = True


METHODS: dict[str, MethodSpec] = {
    spec.name: spec
    for spec in (
        MethodSpec("integrated_gradients", "gradient", "logit"),
        MethodSpec("saliency", "gradient", "logit", multiplies_inputs=False),
        MethodSpec("deeplift", "gradient", "logit"),
        MethodSpec("gradient_shap", "gradient", "logit", default_n_samples=20),
        MethodSpec("feature_ablation", "perturbation", "proba"),
        MethodSpec("shapley_value_sampling", "perturbation", "proba", default_n_samples=25),
        MethodSpec("kernel_shap", "perturbation", "proba", default_n_samples=200),
        MethodSpec("lime", "perturbation", "proba", default_n_samples=200),
        MethodSpec("native", "native", "native"),
    )
}
