"""Metrics comparing a model with the teacher and the ground truth (all computed on a given split)."""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

EPS = 1e-12


def accuracy(probs: np.ndarray, y: np.ndarray) -> float:
    """Share of rows whose most probable class is the true label.

    Example:
        >>> accuracy(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([0, 0]))
        0.5
    """
    return float((np.asarray(probs).argmax(1) == np.asarray(y)).mean())


def fidelity(probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Top-1 agreement: share of rows where the model's class equals the teacher's class."""
    return float((np.asarray(probs).argmax(1) == np.asarray(teacher_probs).argmax(1)).mean())


def kl_divergence(teacher_probs: np.ndarray, probs: np.ndarray) -> float:
    """Mean KL(teacher ‖ model) in nats; model probabilities are floored at 1e-12 so zeros stay finite."""
    p = np.asarray(teacher_probs, dtype=np.float64)
    q = np.clip(np.asarray(probs, dtype=np.float64), EPS, None)
    terms = np.where(p > 0, p * (np.log(np.clip(p, EPS, None)) - np.log(q)), 0.0)
    return float(terms.sum(1).mean())


def total_variation(teacher_probs: np.ndarray, probs: np.ndarray) -> float:
    """Mean total-variation distance ½‖p − q‖₁ between teacher and model distributions."""
    return float(0.5 * np.abs(np.asarray(teacher_probs) - np.asarray(probs)).sum(1).mean())


def agreement_matrix(probs: np.ndarray, teacher_probs: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``M[i, j]`` of rows the teacher puts in class i and the model in class j."""
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(teacher_probs).argmax(1), np.asarray(probs).argmax(1)), 1)
    return matrix


def latency_ms_per_1k(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, repeats: int = 3) -> float:
    """Best-of-``repeats`` wall time of one batched prediction, in milliseconds per 1,000 rows."""
    predict(X[:8])  # warm-up: first calls pay for lazy initialisation
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        predict(X)
        best = min(best, time.perf_counter() - start)
    return 1000.0 * best * 1000.0 / len(X)


def evaluate(probs: np.ndarray, teacher_probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy, fidelity, KL(teacher ‖ model) and total variation of one model on one split.

    Args:
        probs: the model's class probabilities ``(n, k)``.
        teacher_probs: the teacher's probabilities on the same rows.
        y: true labels.

    Returns:
        ``{"accuracy", "fidelity", "kl", "tv"}``.
    """
    return {
        "accuracy": accuracy(probs, y),
        "fidelity": fidelity(probs, teacher_probs),
        "kl": kl_divergence(teacher_probs, probs),
        "tv": total_variation(teacher_probs, probs),
    }
