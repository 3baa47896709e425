"""How closely a model's attributions follow a reference's (the teacher's), example by example.

All metrics take the model's ``(n, d)`` attributions first and the reference's second, in the same order as the
prediction metrics in :mod:`interpret_distill.metrics`, and return ``(n,)`` arrays; a value is ``nan`` where the
metric is undefined (a constant row for Spearman, a zero row for cosine, a reference row with no non-zero feature
for the top-k metrics) rather than raising or warning.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import pandas as pd
from scipy.stats import rankdata

METRICS = ("spearman", "topk_agreement", "sign_agreement", "cosine")


def spearman(attributions: np.ndarray, reference: np.ndarray, absolute: bool = False) -> np.ndarray:
    """Spearman rank correlation between the two attributions of each example.

    Args:
        attributions: ``(n, d)`` attributions to compare.
        reference: ``(n, d)`` reference attributions.
        absolute: rank ``|attribution|`` (importance only) instead of signed values.

    Returns:
        ``(n,)`` correlations in [-1, 1]; ``nan`` where either row is constant.

    Example:
        >>> spearman(np.array([[1., 2, 3]]), np.array([[3., 2, 1]]))
        array([-1.])
    """
    a, b = _pair(reference, attributions)
    if absolute:
        a, b = np.abs(a), np.abs(b)
    # Ties share their average rank; Pearson on ranks is Spearman's rho.
    return _row_correlation(rankdata(a, axis=1), rankdata(b, axis=1), center=True)


def topk_agreement(attributions: np.ndarray, reference: np.ndarray, k: int = 5) -> np.ndarray:
    """Share of the reference's top-``k`` features (by ``|attribution|``) that are also among the model's top-``k``.

    Only features with a non-zero attribution can be "top": a model that credits fewer than ``k`` features is not
    rewarded for the zero-valued ones an argsort would pick arbitrarily. The denominator is the number of
    reference top features (``min(k, non-zero features)``). Features tied at the k-th place share the remaining
    places (:func:`_top_weights`), so the score is the expected overlap under random tie-breaking.

    Args:
        attributions: ``(n, d)`` attributions to compare.
        reference: ``(n, d)`` reference attributions.
        k: number of top features.

    Returns:
        ``(n,)`` shares in [0, 1]; ``nan`` where the reference row is all zero.

    Example:
        >>> topk_agreement(np.array([[4., 0, 3, 0]]), np.array([[4., 3, 2, 1]]), k=2)
        array([0.5])
    """
    a, b = _pair(reference, attributions)
    top_a, top_b = _top_weights(a, k), _top_weights(b, k)
    return _ratio((top_a * top_b).sum(axis=1), top_a.sum(axis=1))


def sign_agreement(attributions: np.ndarray, reference: np.ndarray, k: int = 5) -> np.ndarray:
    """Share of the reference's top-``k`` features on which the model's attribution has the same sign.

    Args:
        attributions: ``(n, d)`` attributions to compare (a zero counts as a disagreement).
        reference: ``(n, d)`` reference attributions.
        k: number of reference top features checked (non-zero ones only, as in :func:`topk_agreement`).

    Returns:
        ``(n,)`` shares in [0, 1]; ``nan`` where the reference row is all zero.

    Example:
        >>> sign_agreement(np.array([[1., 2, -5]]), np.array([[3., -2, 0.1]]), k=2)
        array([0.5])
    """
    a, b = _pair(reference, attributions)
    top_a = _top_weights(a, k)
    same = (np.sign(a) == np.sign(b)) * top_a
    return _ratio(same.sum(axis=1), top_a.sum(axis=1))


def cosine(attributions: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Cosine similarity of the two attribution vectors of each example (scale-free, sign-aware).

    Args:
        attributions: ``(n, d)`` attributions to compare.
        reference: ``(n, d)`` reference attributions.

    Returns:
        ``(n,)`` similarities in [-1, 1]; ``nan`` where either row is all zero.

    Example:
        >>> cosine(np.array([[1., 0]]), np.array([[0., 2]]))
        array([0.])
    """
    a, b = _pair(reference, attributions)
    return _row_correlation(a, b, center=False)


def agreement(attributions: np.ndarray, reference: np.ndarray, k: int = 5) -> dict[str, np.ndarray]:
    """All agreement metrics of ``attributions`` against ``reference``.

    Args:
        attributions: ``(n, d)`` attributions to compare.
        reference: ``(n, d)`` reference (teacher) attributions.
        k: top-k size for :func:`topk_agreement` and :func:`sign_agreement`.

    Returns:
        ``{"spearman", "topk_agreement", "sign_agreement", "cosine"}`` → ``(n,)`` arrays.

    Example:
        >>> a = np.array([[1., -2, 3]])
        >>> {m: round(float(v[0]), 6) for m, v in agreement(a, a, k=2).items()}
        {'spearman': 1.0, 'topk_agreement': 1.0, 'sign_agreement': 1.0, 'cosine': 1.0}
    """
    funcs: dict[str, Callable[[], np.ndarray]] = {
        "spearman": lambda: spearman(attributions, reference),
        "topk_agreement": lambda: topk_agreement(attributions, reference, k),
        "sign_agreement": lambda: sign_agreement(attributions, reference, k),
        "cosine": lambda: cosine(attributions, reference),
    }
    return {name: funcs[name]() for name in METRICS}


def agreement_table(attributions: Mapping[tuple[str, str], np.ndarray], reference_model: str = "teacher",
                    k: int = 5, reference_method: str | None = None) -> pd.DataFrame:
    """Mean and std of every agreement metric for each (model, method) against the reference model.

    Each result is compared with the reference model's result *for the same method* when there is one, otherwise
    with ``reference_method`` (default: the reference model's first method in ``attributions``); the column
    ``reference_method`` records which. The reference model's own rows are not listed.

    Args:
        attributions: ``{(model_name, method): (n, d) array}``, e.g. from ``attribute_many``.
        reference_model: name of the model to compare against.
        k: top-k size.
        reference_method: fallback reference method (must exist for ``reference_model``).

    Returns:
        DataFrame with columns ``model, method, reference_method, n_examples`` (examples compared) and
        ``<metric>_mean``, ``<metric>_std``, ``<metric>_n`` for each metric. Means/stds skip the examples where a
        metric is undefined (nan, e.g. an all-zero reference row has no top-k features) and are nan when none is
        defined; ``<metric>_n`` counts the examples they average over.

    Example:
        >>> table = agreement_table({("teacher", "integrated_gradients"): ig,
        ...                          ("tree", "native"): tree_attr})  # doctest: +SKIP
        >>> table.loc[0, "reference_method"]  # doctest: +SKIP
        'integrated_gradients'
    """
    ref_methods = [m for (model, m) in attributions if model == reference_model]
    if not ref_methods:
        raise ValueError(f"no attributions of the reference model {reference_model!r} among "
                         f"{sorted({model for model, _ in attributions})}")
    fallback = reference_method or ref_methods[0]
    if fallback not in ref_methods:
        raise ValueError(f"reference_method {fallback!r} not computed for {reference_model!r}: have {ref_methods}")

    rows = []
    for (model, method), attr in attributions.items():
        if model == reference_model:
            continue
        used = method if method in ref_methods else fallback
        scores = agreement(attr, attributions[(reference_model, used)], k=k)
        row: dict[str, object] = {"model": model, "method": method, "reference_method": used,
                                  "n_examples": int(np.shape(attr)[0])}
        for name, values in scores.items():
            row[f"{name}_mean"], row[f"{name}_std"] = _mean_std(values)
            row[f"{name}_n"] = int(np.count_nonzero(~np.isnan(values)))
        rows.append(row)
    columns = ["model", "method", "reference_method", "n_examples"] + [
        f"{m}_{s}" for m in METRICS for s in ("mean", "std", "n")]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------- internals

def _pair(reference: np.ndarray, attributions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(reference, attributions)`` as float ``(n, d)`` arrays of one shape."""
    a = np.atleast_2d(np.asarray(reference, dtype=np.float64))
    b = np.atleast_2d(np.asarray(attributions, dtype=np.float64))
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"attributions must both be (n, d) with the same shape, got {a.shape} and {b.shape}")
    return a, b


def _row_correlation(a: np.ndarray, b: np.ndarray, center: bool) -> np.ndarray:
    if center:
        a = a - a.mean(axis=1, keepdims=True)
        b = b - b.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    dot = np.einsum("nd,nd->n", a, b)
    out = np.full(len(a), np.nan)
    ok = norm > 1e-300
    out[ok] = np.clip(dot[ok] / norm[ok], -1.0, 1.0)
    return out


def _top_weights(a: np.ndarray, k: int) -> np.ndarray:
    """``(n, d)`` membership of each feature in its row's top ``k`` non-zero ``|a|``: 1 inside, 0 outside.

    Features tied at the k-th place share its remaining slots equally (three tied for two slots: 2/3 each), so
    a score is the expected one under random tie-breaking, not an artefact of column order.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    mag = np.abs(a)
    k = min(k, a.shape[1])
    kth = -np.partition(-mag, k - 1, axis=1)[:, k - 1:k]  # 0 when a row has fewer than k non-zero features
    above = mag > kth
    tied = (mag == kth) & (mag > 0)
    n_tied = tied.sum(axis=1, keepdims=True)
    share = (k - above.sum(axis=1, keepdims=True)) / np.maximum(n_tied, 1)
    return above + tied * share


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.full(num.shape, np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return out


def _mean_std(values: np.ndarray) -> tuple[float, float]:
    v = values[~np.isnan(values)]  # explicit filtering: np.nanmean warns on all-nan input
    if v.size == 0:
        return float("nan"), float("nan")
    return float(v.mean()), float(v.std())
