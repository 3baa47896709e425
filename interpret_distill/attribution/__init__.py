"""Attributions of teacher, students and surrogates, and how well they agree and how faithful they are.

Modules: ``registry`` (the methods by name), ``forward`` (any model → tensor function), ``methods`` (Captum
methods behind one ``attribute``), ``native`` (exact surrogate decompositions), ``agreement`` (vs the teacher),
``faithfulness`` (deletion / insertion / infidelity) and ``plots``. The names below are imported on first use, so
``interpret_distill.attribution.registry`` (read by the config) costs no Captum, torch or matplotlib import.
"""

# Imported now, not lazily: `agreement` names a function and its module, and importing the module would otherwise
# leave the module where the function is expected. It needs numpy, pandas and scipy only.
from .agreement import METRICS, agreement, agreement_table, cosine, sign_agreement, spearman, topk_agreement

_EXPORTS = {
    **dict.fromkeys(["curve_area", "deletion_curve", "faithfulness_curves", "faithfulness_table", "infidelity_score",
                     "insertion_curve", "random_curve"], "faithfulness"),
    **dict.fromkeys(["as_forward", "is_differentiable"], "forward"),
    "patch_feature_mask": ".image_features",  # ..image_features: the patch grid lives with the image features
    **dict.fromkeys(["applicable_methods", "attribute", "attribute_many", "resolve_baseline"],
                    "methods"),
    **dict.fromkeys(["METHODS", "MethodSpec"], "registry"),
    **dict.fromkeys(["native_attribution", "native_kind"], "native"),
    **dict.fromkeys(["faithfulness_plot", "heatmap_grid", "top_features_bars"], "plots"),
}


def __getattr__(name: str):
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [  # the eager names above and every lazy one (tests/test_imports.py checks they resolve)
    "METHODS", "METRICS", "MethodSpec", "agreement", "agreement_table", "applicable_methods", "as_forward",
    "attribute", "attribute_many", "cosine", "curve_area", "deletion_curve", "faithfulness_curves",
    "faithfulness_plot", "faithfulness_table", "heatmap_grid", "infidelity_score", "insertion_curve",
    "is_differentiable", "native_attribution", "native_kind", "patch_feature_mask", "random_curve",
    "resolve_baseline", "sign_agreement", "spearman", "top_features_bars", "topk_agreement",
]
