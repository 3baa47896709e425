"""What the comparison holds: one fitted model with its role (:class:`FittedModel`) and the metrics table of all.

A leaf of the pipeline: the stages (students, surrogates, attributions) build :class:`FittedModel` objects and
the experiment turns them into ``metrics.csv``; nothing here imports the pipeline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from torch import nn

from .artifacts import surrogate_size
from .data import Dataset
from .metrics import evaluate_outputs, latency_ms_per_1k
from .models import count_parameters, predict_outputs, state_dict_bytes
from .surrogates import TASKS, base_kind
from .sweep import format_params

# metrics.csv columns that hold wall-clock times: the only ones that differ between two runs of one config
TIMING_COLUMNS = ("latency_ms_per_1k", "fit_seconds", "latency_ms_per_1k_1thread")


@dataclass
class FittedModel:
    """One model of the comparison and what describes it in the metrics table."""

    name: str
    family: str  # teacher | student | surrogate
    kind: str  # mlp | cnn | resnet | tree | linear | naive_bayes, or a kind label such as tree@patches
    regime: str  # how it was fitted: reference, kd, scratch, ground_truth, hard, hard+transfer, soft, soft+transfer
    role: str  # reference | distilled | baseline
    model: Any
    params: dict = field(default_factory=dict)  # constructor arguments only: build_surrogate(kind, **params)
    fit_seconds: float = float("nan")
    # what it was fitted on: "train" (or "train only T=4": the training rows at a chosen soft-label temperature),
    # the winning transfer set's label, or a student's on-the-fly recipe ("mixup each step (alpha=1)"); the
    # `transfer` column of metrics.csv
    fitting_rows: str = "train"
    # how to rebuild a saved network beyond its architecture: {"quantization": scheme} for a quantized one
    recipe: dict = field(default_factory=dict)

    @property
    def is_torch(self) -> bool:
        return isinstance(self.model, nn.Module)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """The model's outputs on ``X``: ``(n, k)`` class probabilities, or a regressor's ``(n, 1)`` predictions."""
        if self.is_torch:
            return predict_outputs(self.model, X)
        if hasattr(self.model, "predict_proba"):
            return self.model.predict_proba(X)
        return np.asarray(self.model.predict(X), dtype=np.float64).reshape(-1, 1)

    def complexity(self) -> tuple[str, float]:
        """A readable complexity and the scalar used for plots (parameters for networks)."""
        if self.is_torch:
            n = count_parameters(self.model)
            return f"{n:,} parameters", float(n)
        return complexity_text(self.model.complexity_), float(self.model.complexity_score_)

    def size_bytes(self) -> int:
        return state_dict_bytes(self.model) if self.is_torch else surrogate_size(self.model)


def complexity_text(complexity: dict[str, int]) -> str:
    """A surrogate's ``complexity_`` in words.

    Example:
        >>> complexity_text({"depth": 8, "leaves": 256, "nodes": 511})
        'depth 8, 256 leaves, 511 nodes'
        >>> complexity_text({"nonzero_coefficients": 600, "coefficients": 640})
        '600 non-zero of 640 coefficients'
        >>> complexity_text({"nonzero_coefficients": 30, "coefficients": 30})
        '30 coefficients'
    """
    parts = []
    for key, value in complexity.items():
        if key == "depth":
            parts.append(f"depth {value}")
        elif key == "coefficients":  # with the non-zero count folded in; all non-zero: one number says it
            nonzero = complexity.get("nonzero_coefficients", value)
            parts.append(f"{value:,} coefficients" if nonzero == value
                         else f"{nonzero:,} non-zero of {value:,} coefficients")
        elif key != "nonzero_coefficients":
            parts.append(f"{value:,} {key.replace('_', ' ')}")
    return ", ".join(parts)


def complexity_unit(kind: str) -> str:
    """What a kind's ``complexity_score`` counts: a surrogate's declared unit, parameters for networks.

    Args:
        kind: a model kind or kind label (``tree@patches`` counts like ``tree``).

    Example:
        >>> complexity_unit("tree"), complexity_unit("linear@patches"), complexity_unit("student")
        ('leaves', 'non-zero coefficients', 'parameters')
        >>> complexity_unit("additive")  # a regression kind
        'features'
    """
    units = {kind: cls.complexity_unit for registry in reversed(TASKS.values()) for kind, cls in registry.items()}
    return units.get(base_kind(kind), "parameters")


def metrics_table(models: list[FittedModel], dataset: Dataset, teacher_probs: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict]:
    """One row per model: test metrics (and validation ones, labelled), complexity, size, latency.

    A regression's rows hold R² to the teacher as ``fidelity`` and R² to the truth as ``accuracy``
    (:func:`~interpret_distill.metrics.evaluate_regression`), with RMSE and MAE in the target's units.
    """
    rows, test_probs = [], {}
    scale = dataset.target_scaling.scale if dataset.target_scaling else 1.0
    for m in models:
        probs = {split: m.predict_proba(dataset.split(split)[0]) for split in ("val", "test")}
        test_probs[m.name] = probs["test"]
        test = evaluate_outputs(probs["test"], teacher_probs["test"], dataset.y_test, scale)
        val = evaluate_outputs(probs["val"], teacher_probs["val"], dataset.y_val, scale)
        complexity, score = m.complexity()
        rows.append({
            "model": m.name, "family": m.family, "kind": m.kind, "regime": m.regime, "transfer": m.fitting_rows,
            "role": m.role, "split": "test", **test,
            "val_accuracy": val["accuracy"], "val_fidelity": val["fidelity"],
            "complexity": complexity, "complexity_score": score,
            "params": format_params(m.params), "params_json": json.dumps(m.params),
            "size_bytes": m.size_bytes(),
            "latency_ms_per_1k": latency_ms_per_1k(m.predict_proba, dataset.X_test),
            "fit_seconds": m.fit_seconds,
        })
    return pd.DataFrame(rows), test_probs
