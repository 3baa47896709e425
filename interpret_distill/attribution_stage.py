"""The pipeline's attribution stage: explain the teacher, the student and the distilled surrogates on test examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .attribution import agreement_table, attribute_many, faithfulness_curves, faithfulness_table, resolve_baseline
from .attribution.methods import applicable_methods
from .config import ExperimentConfig
from .data import Dataset
from .image_features import patch_feature_mask
from .results import FittedModel

# A model's "own" explanation, used for its faithfulness curves: the first of these it supports.
PRIMARY_METHODS = ("native", "integrated_gradients", "deeplift", "saliency", "feature_ablation",
                   "shapley_value_sampling", "kernel_shap", "lime", "gradient_shap")
# attribution.patches: auto explains images with a side longer than this patch by patch
PATCHES_ABOVE = 16


@dataclass
class AttributionResult:
    """Attributions of each (model, method) on the explained test examples, and the tables derived from them."""

    examples: np.ndarray
    targets: np.ndarray
    baseline: np.ndarray
    inputs: np.ndarray  # the explained test rows, so a report needs no copy of the whole test split
    arrays: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def save(self, path: Path) -> None:
        keys = [f"{model}|{method}" for model, method in self.arrays]
        values = np.stack(list(self.arrays.values())) if self.arrays else np.empty((0, len(self.examples), 0))
        np.savez_compressed(path, examples=self.examples, targets=self.targets, baseline=self.baseline,
                            inputs=self.inputs, keys=np.array(keys, dtype=str), values=values)


def primary_method(model, computed: list[str]) -> str | None:
    """The method a model's faithfulness curves use: its most specific explanation among those computed."""
    applicable = set(applicable_methods(model))
    return next((m for m in PRIMARY_METHODS if m in computed and m in applicable), None)


def explained_examples(cfg: ExperimentConfig, n_test: int) -> np.ndarray:
    """The test rows every attribution of a run explains: ``attribution.examples`` of them, drawn with the seed.

    Args:
        cfg: the experiment config (its ``seed`` and ``attribution.examples``).
        n_test: rows in the test split.

    Returns:
        Sorted row indices into the test split (all of them when the split is smaller).

    Example:
        >>> from interpret_distill.config import ExperimentConfig
        >>> cfg = ExperimentConfig(name="x", data={"name": "iris"}, attribution={"examples": 3})
        >>> explained_examples(cfg, 10).tolist() == explained_examples(cfg, 10).tolist(), len(explained_examples(cfg, 2))
        (True, 2)
    """
    rng = np.random.default_rng(cfg.seed)
    return np.sort(rng.choice(n_test, size=min(cfg.attribution.examples, n_test), replace=False))


def perturbation_patch(cfg: ExperimentConfig, image_shape: tuple[int, ...] | None) -> int | None:
    """The side of the patches perturbation methods perturb at once, or None for single columns.

    Args:
        cfg: the experiment config (``attribution.patches`` and the grid ``patches.size``).
        image_shape: the data's ``(channels, height, width)``, or None for a table.

    Returns:
        ``cfg.patches.size`` for image data when ``attribution.patches`` is true, or ``auto`` and a side of the image
        is longer than :data:`PATCHES_ABOVE` pixels; else None.

    Example:
        >>> cfg = ExperimentConfig(name="x", data={"name": "digits"})
        >>> perturbation_patch(cfg, (1, 28, 28)), perturbation_patch(cfg, (1, 8, 8)), perturbation_patch(cfg, None)
        (4, None, None)
    """
    patches = cfg.attribution.patches
    if image_shape is None or patches is False or (patches == "auto" and max(image_shape[1:]) <= PATCHES_ABOVE):
        return None
    return cfg.patches.size


def run_attribution(cfg: ExperimentConfig, dataset: Dataset, models: list[FittedModel],
                    teacher_test_probs: np.ndarray) -> AttributionResult:
    """Explain the teacher's predicted class on a seeded subset of test rows for the teacher, student and surrogates.

    A regression's models are explained on their predicted value (the single output, target 0).

    Perturbation methods perturb whole patches of image data (:func:`perturbation_patch`); every pixel of a patch
    then carries the patch's attribution, so heatmaps show it upsampled onto the image.

    Args:
        cfg: the experiment config (its ``attribution`` section chooses methods, examples, baseline and patches).
        dataset: the splits (the baseline's mean comes from train).
        models: every fitted model; the teacher, the distilled student and the distilled surrogates are explained.
        teacher_test_probs: the teacher's test probabilities (their argmax is the explained class), or a regression
            teacher's ``(n, 1)`` predictions.

    Returns:
        The :class:`AttributionResult`, with ``agreement``, ``faithfulness`` and ``faithfulness_curves`` tables.
    """
    spec = cfg.attribution
    examples = explained_examples(cfg, len(dataset.X_test))
    n = len(examples)
    X = dataset.X_test[examples]
    targets = teacher_test_probs[examples].argmax(1)  # a regression's one output: 0, its predicted value
    baseline = resolve_baseline(spec.baseline, X, dataset.train_mean)
    result = AttributionResult(examples, targets, baseline, X)
    patch = perturbation_patch(cfg, dataset.image_shape)
    explained = "predicted value" if dataset.task == "regression" else "teacher's predicted class"
    result.info = {"methods": spec.methods, "examples": int(n), "baseline": spec.baseline,
                   "explained_class": explained, "split": "test", "perturbation_patch": patch}
    if not spec.methods:
        return result
    explained = {m.name: m.model for m in models if m.role in ("reference", "distilled")}
    common = {"feature_mask": dataset.feature_groups, "seed": cfg.seed, "chunk_mb": spec.chunk_mb,
              "perturbation_mask": None if patch is None else patch_feature_mask(dataset.image_shape, patch)}
    result.arrays = attribute_many(explained, X, targets, spec.methods, baseline, progress=cfg.progress, **common)
    result.tables["agreement"] = agreement_table(result.arrays, reference_model="teacher", k=spec.top_k)
    result.tables["faithfulness"] = faithfulness_table(explained, X, targets, result.arrays, baseline, seed=cfg.seed)
    curves = []
    for name, model in explained.items():
        method = primary_method(model, spec.methods)
        if method is None:
            continue
        c = faithfulness_curves(model, X, targets, result.arrays[(name, method)], baseline, seed=cfg.seed)
        curves.append(pd.DataFrame({"model": name, "method": method, "fraction": c["fractions"],
                                    "deletion": c["deletion"], "insertion": c["insertion"], "random": c["random"],
                                    "random_insertion": c["random_insertion"]}))
    result.tables["faithfulness_curves"] = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    return result
