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


# Every metric takes the model's probabilities first and the reference (teacher probabilities or labels) second,
# so a swapped call cannot silently turn KL(teacher ‖ model) into KL(model ‖ teacher).


def fidelity(probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Top-1 agreement: share of rows where the model's class equals the teacher's class.

    Example:
        >>> fidelity(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.6, 0.4], [0.7, 0.3]]))
        0.5
    """
    return float((np.asarray(probs).argmax(1) == np.asarray(teacher_probs).argmax(1)).mean())


def kl_divergence(probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Mean KL(teacher ‖ model) in nats; model probabilities are floored at 1e-12 so zeros stay finite.

    Example:
        >>> round(kl_divergence(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])), 4)  # log 2
        0.6931
    """
    p = np.asarray(teacher_probs, dtype=np.float64)
    q = np.clip(np.asarray(probs, dtype=np.float64), EPS, None)
    terms = np.where(p > 0, p * (np.log(np.clip(p, EPS, None)) - np.log(q)), 0.0)
    return float(terms.sum(1).mean())


def total_variation(probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Mean total-variation distance ½‖p − q‖₁ between model and teacher distributions.

    Example:
        >>> total_variation(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]))
        0.5
    """
    return float(0.5 * np.abs(np.asarray(teacher_probs) - np.asarray(probs)).sum(1).mean())


def agreement_matrix(probs: np.ndarray, teacher_probs: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``M[i, j]`` of rows the teacher puts in class i and the model in class j.

    Example:
        >>> agreement_matrix(np.eye(2)[[0, 1, 1]], np.eye(2)[[0, 0, 1]], 2).tolist()
        [[1, 1], [0, 1]]
    """
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
        "kl": kl_divergence(probs, teacher_probs),
        "tv": total_variation(probs, teacher_probs),
    }
