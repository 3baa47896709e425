"""Choosing models on validation: the Pareto front of fidelity against complexity, and the validation ranking.

Selection reads validation columns only; test columns exist for reporting, never for choosing a model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

# How validation ranks surrogates: top-1 agreement first; its ties (frequent on small splits, where it moves in
# steps of one row) go to the model closest to the teacher's probabilities (mean KL(teacher || surrogate)), and
# only then to the simpler one. Breaking ties by complexity alone picked depth-1 trees over deeper trees of equal
# validation agreement and 0.05 better test agreement on breast_cancer.
VALIDATION_RANKING = (["val_fidelity", "val_kl", "complexity_score"], [False, True, True])


def pareto_front(complexity, fidelity) -> np.ndarray:
    """Mask of the points no other point dominates (lower-or-equal complexity, higher-or-equal fidelity).

    Among exact duplicates (same complexity and fidelity) only the first occurrence is marked, so
    the front has no repeated points and the result does not depend on anything but input order.

    Args:
        complexity: ``(n,)`` complexity scores (lower is better).
        fidelity: ``(n,)`` fidelities (higher is better).

    Returns:
        ``(n,)`` boolean mask, True on the front.

    Example:
        >>> pareto_front([1, 2, 2, 3], [0.5, 0.7, 0.6, 0.7]).tolist()
        [True, True, False, False]
    """
    c, f = np.asarray(complexity, dtype=float), np.asarray(fidelity, dtype=float)
    if c.shape != f.shape or c.ndim != 1:
        raise ValueError(f"complexity and fidelity must be 1-D of one length, got {c.shape} and {f.shape}")
    if not (np.isfinite(c).all() and np.isfinite(f).all()):
        raise ValueError("complexity and fidelity must be finite")
    # Visit by complexity ascending, fidelity descending, then input order: a point is on the front
    # iff it beats every fidelity seen so far (all of which come at lower-or-equal complexity).
    order = np.lexsort((np.arange(len(c)), -f, c))
    mask = np.zeros(len(c), dtype=bool)
    best = -np.inf
    for i in order:
        if f[i] > best:
            mask[i], best = True, f[i]
    return mask


def rank_by_validation(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` sorted best first by :data:`VALIDATION_RANKING` (a stable sort: full ties keep their order).

    Highest ``val_fidelity`` first, then lowest ``val_kl``, then lowest ``complexity_score``.

    Args:
        df: a table with columns ``val_fidelity``, ``val_kl`` and ``complexity_score`` (e.g. a sweep).

    Returns:
        A sorted copy of ``df``, index kept (so rows can be matched back).

    Example:
        >>> df = pd.DataFrame({"val_fidelity": [0.9, 0.9, 0.8], "val_kl": [0.3, 0.1, 0.0],
        ...                    "complexity_score": [2, 8, 1]})
        >>> rank_by_validation(df).index.tolist()
        [1, 0, 2]
    """
    columns, ascending = VALIDATION_RANKING
    return df.sort_values(columns, ascending=ascending, kind="stable")


def select_by_validation(df: pd.DataFrame, budget: dict[str, float] | None = None) -> pd.DataFrame:
    """Per (kind, regime), the best row on validation (:func:`rank_by_validation`).

    The candidates of a regime (its transfer sets, ``transfer`` column) compete like grid points, so this
    also chooses the transfer set. Only ``kind``, ``regime``, ``complexity_score``, ``val_fidelity`` and
    ``val_kl`` are read, so test results cannot influence the choice.

    Args:
        df: a :func:`sweep_surrogates` table.
        budget: optional kind -> maximum ``complexity_score`` (e.g. ``{"tree": 32}``: at most 32
            leaves); kinds not listed (or mapped to ``None``) are unconstrained. A (kind, regime)
            with no row inside its budget is dropped with a warning.

    Returns:
        The selected full rows (test columns included, for reporting), in order of first
        appearance of each (kind, regime), keeping ``df``'s index (so they can be matched to fitted models).

    Example:
        >>> df = pd.DataFrame({"kind": ["tree"] * 3, "regime": ["soft"] * 3, "complexity_score": [4, 16, 64],
        ...                    "val_fidelity": [0.8, 0.9, 0.9], "val_kl": [0.2, 0.1, 0.1]})
        >>> select_by_validation(df).complexity_score.tolist()
        [16]
        >>> select_by_validation(df, budget={"tree": 8}).complexity_score.tolist()
        [4]
    """
    view = df[["kind", "regime", *VALIDATION_RANKING[0]]].reset_index(drop=True)
    limits = view["kind"].map(lambda kind: (budget or {}).get(kind)).astype(float).fillna(np.inf)
    allowed = view[view["complexity_score"] <= limits]
    for (kind, regime), group in view.groupby(["kind", "regime"], sort=False):
        if not (allowed["kind"].eq(kind) & allowed["regime"].eq(regime)).any():
            warnings.warn(
                f"no {kind} surrogate ({regime}) fits the budget {budget[kind]:g}; the smallest has "
                f"complexity {group['complexity_score'].min():g}. Raise the budget or extend the grid.",
                stacklevel=2,
            )
    best = rank_by_validation(allowed).drop_duplicates(["kind", "regime"]).index
    return df.iloc[np.sort(best)]
