"""Probabilities from logits: the one softmax of the package (numpy only, so surrogates need no torch)."""

from __future__ import annotations

import numpy as np


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Numerically stable softmax over the last axis at a temperature.

    Args:
        logits: array of logits, classes on the last axis.
        temperature: logits are divided by it first (above 1: softer probabilities).

    Returns:
        float64 probabilities of the same shape, summing to 1 over the last axis.

    Example:
        >>> softmax(np.array([0.0, np.log(3)])).round(3).tolist()
        [0.25, 0.75]
        >>> softmax(np.array([0.0, np.log(3)]), temperature=2).round(3).tolist()  # 1 : sqrt(3)
        [0.366, 0.634]
    """
    z = np.asarray(logits, dtype=np.float64) / temperature
    z -= z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)
