"""Seeded subsamples of rows that keep every class's share: what a fit capped at ``fit_rows`` rows is fitted on.

A leaf of numpy only, so the sweep's workers import no torch (each loky worker would otherwise carry its 300 MB).
"""

from __future__ import annotations

import numpy as np


def stratified_rows(labels: np.ndarray, n_rows: int, seed: int) -> np.ndarray:
    """Indices of a seeded subsample of ``n_rows`` rows that keeps every class's share (largest remainders).

    Args:
        labels: ``(n,)`` class of each row (for soft labels: their argmax).
        n_rows: rows to keep (all of them when ``n_rows >= n``).
        seed: seeds the draw within each class.

    Returns:
        Sorted row indices.

    Example:
        >>> labels = np.array([0] * 90 + [1] * 10)
        >>> rows = stratified_rows(labels, 20, seed=0)
        >>> len(rows), int((labels[rows] == 1).sum())
        (20, 2)
    """
    labels = np.asarray(labels)
    if n_rows >= len(labels):
        return np.arange(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n_rows / len(labels)
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take), kind="stable")[: n_rows - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))
