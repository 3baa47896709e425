"""Complexity sweeps of the surrogates, the fidelity–complexity frontier, and validation-based selection.

A sweep fits every (kind, regime, hyper-parameters) combination once and scores it on validation and
test data. Selection (:func:`select_by_validation`) reads validation columns only; test columns exist
for reporting the frontier, never for choosing a model.

Regimes name what a surrogate is fitted on (all on training inputs): ``"ground_truth"`` (true labels),
``"hard"`` (teacher argmax), ``"soft"`` (teacher probabilities at temperature T), ``"soft+transfer"``
(a :class:`~interpret_distill.transfer.TransferSet`) and ``"hard+transfer"`` (the same rows, teacher
argmax). A regime may carry several
candidate fitting sets (:class:`FitSet`, e.g. transfer sets of different augmentations and sizes): each
row of the sweep names its set in the ``transfer`` column, and selection within a regime compares all
candidates × grid points on validation fidelity, so the transfer set is chosen like any hyper-parameter.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from .metrics import accuracy, fidelity, kl_divergence
from .surrogates import build_surrogate

DEFAULT_GRIDS: dict[str, list[dict]] = {
    # Depth caps and leaf caps both: leaf caps fill the gaps between depths (2^d leaves) on the frontier.
    "tree": [{"max_depth": d} for d in range(1, 11)] + [{"max_leaf_nodes": m} for m in (4, 8, 16, 32, 64, 128)],
    "linear": [{"C": C, "l1_ratio": r} for r in (0.0, 1.0) for C in (0.001, 0.01, 0.1, 1.0, 10.0)],
    "naive_bayes": [{"var_smoothing": v} for v in (1e-9, 1e-7, 1e-5, 1e-3, 1e-1)],
}

COLUMNS = [
    "kind", "regime", "transfer", "params", "params_json", "complexity_score",
    "val_fidelity", "val_kl", "val_accuracy", "test_fidelity", "test_accuracy", "fit_seconds",
]

# How validation ranks surrogates: top-1 agreement first; its ties (frequent on small splits, where it moves in
# steps of one row) go to the model closest to the teacher's probabilities (mean KL(teacher || surrogate)), and
# only then to the simpler one. Breaking ties by complexity alone picked depth-1 trees over deeper trees of equal
# validation agreement and 0.05 better test agreement on breast_cancer.
VALIDATION_RANKING = (["val_fidelity", "val_kl", "complexity_score"], [False, True, True])

# What each kind's complexity_score_ counts, for axis labels.
COMPLEXITY_UNITS = {"tree": "leaves", "linear": "non-zero coefficients", "naive_bayes": "parameters",
                    "student": "parameters"}


@dataclass(frozen=True)
class FitSet:
    """One candidate set of fitting data for a regime.

    Attributes:
        X: ``(n, d)`` inputs.
        y: ``(n,)`` labels or ``(n, k)`` probabilities.
        label: names the set in the sweep's ``transfer`` column (e.g. ``"mixup(n=20000, alpha=1)"``).
        kinds: surrogate kinds that are fitted on it (``None``: all), e.g. a 40,000-row set for trees only.

    Example:
        >>> fs = FitSet(np.eye(2), np.array([0, 1]), label="mixup(n=2)", kinds=("tree",))
        >>> fs.label, fs.kinds
        ('mixup(n=2)', ('tree',))
    """

    X: np.ndarray
    y: np.ndarray
    label: str = "train"
    kinds: tuple[str, ...] | None = None


def _fit_sets(value) -> list[FitSet]:
    """A regime's candidates: one ``(X, y)`` pair, one :class:`FitSet`, or a list of them."""
    if isinstance(value, FitSet):
        return [value]
    if isinstance(value, tuple):
        return [FitSet(*value)]
    return [v if isinstance(v, FitSet) else FitSet(*v) for v in value]


def _plain(value):
    """numpy scalars -> Python scalars, so params print and serialise cleanly."""
    return value.item() if isinstance(value, np.generic) else value


def format_params(params: dict) -> str:
    """Readable one-line form of a hyper-parameter dict.

    Args:
        params: hyper-parameters in grid order.

    Returns:
        ``"name=value, ..."`` (``"default"`` when empty).

    Example:
        >>> format_params({"C": 0.01, "l1_ratio": 1.0})
        'C=0.01, l1_ratio=1.0'
    """
    return ", ".join(f"{k}={_plain(v)!r}" for k, v in params.items()) or "default"


def _full_params(kind: str, params: dict, seed: int) -> dict:
    """Grid params plus ``random_state=seed`` where the kind has one, so refits are reproducible."""
    params = {k: _plain(v) for k, v in params.items()}
    if "random_state" in build_surrogate(kind).get_params() and "random_state" not in params:
        params["random_state"] = seed
    return params


def _aligned_proba(model, X: np.ndarray, n_classes: int) -> np.ndarray:
    """``predict_proba`` widened to all ``n_classes`` columns.

    Fitted on 1-D labels, a surrogate only knows the classes it saw (e.g. hard labels of a teacher
    that never predicts a rare class); its column j is class ``classes_[j]``, not class j.
    """
    probs = model.predict_proba(X)
    full = np.zeros((len(probs), n_classes))
    full[:, np.asarray(model.classes_, dtype=np.int64)] = probs
    return full


def _fit_one(kind: str, regime: str, transfer: str, params: dict, full: dict, X_fit, y_fit,
             evaluation) -> tuple[dict, object]:
    """Fit one surrogate and score it on validation and test (runs in a joblib worker)."""
    model = build_surrogate(kind, **full)
    start = time.perf_counter()
    # These fits are small: multi-threaded BLAS makes them 10-100x slower on 2 cores, not faster.
    with threadpool_limits(limits=1, user_api="blas"):
        model.fit(X_fit, y_fit)
    seconds = time.perf_counter() - start
    row = sweep_row(kind, regime, transfer, params, full, model.complexity_score_,
                    lambda X, n_classes: _aligned_proba(model, X, n_classes), evaluation, seconds)
    return row, model


def sweep_row(kind: str, regime: str, transfer: str, params: dict, full: dict, complexity_score: float,
              predict_proba, evaluation: dict, fit_seconds: float) -> dict:
    """One row of a sweep table (:data:`COLUMNS`): what was fitted, and its scores on each evaluation split.

    Args:
        kind: the model's kind (``"tree"``, ``"linear"``, ``"naive_bayes"``, ``"student"``).
        regime: what it was fitted on (see the module docstring; students: the distillation method or
            ``"scratch"``).
        transfer: the label of its fitting set (:attr:`FitSet.label`), the ``transfer`` column.
        params: the swept hyper-parameters (shown readable, :func:`format_params`).
        full: every keyword needed to rebuild it, stored as JSON in ``params_json``.
        complexity_score: the scalar on the frontier's x-axis.
        predict_proba: ``(X, n_classes) -> (n, n_classes)`` probabilities of the fitted model.
        evaluation: split -> ``(X, teacher_probs, y)``; ``"val"`` also gets ``val_kl``.
        fit_seconds: wall-clock fitting time.

    Returns:
        The row as a dict: the columns of :data:`COLUMNS` when ``evaluation`` has ``"val"`` and ``"test"``.

    Example:
        >>> X, P, y = np.eye(2), np.eye(2), np.array([0, 1])
        >>> row = sweep_row("tree", "soft", "train", {"max_depth": 1}, {"max_depth": 1, "random_state": 0}, 2,
        ...                 lambda X, n_classes: P, {"val": (X, P, y)}, 0.01)
        >>> row["params"], row["params_json"], row["val_fidelity"], row["val_kl"]
        ('max_depth=1', '{"max_depth": 1, "random_state": 0}', 1.0, 0.0)
    """
    row = {"kind": kind, "regime": regime, "transfer": transfer, "params": format_params(params),
           "params_json": json.dumps(full), "complexity_score": float(complexity_score)}
    for split, (X, teacher_probs, y) in evaluation.items():
        probs = predict_proba(X, teacher_probs.shape[1])
        row[f"{split}_fidelity"] = fidelity(probs, teacher_probs)
        row[f"{split}_accuracy"] = accuracy(probs, y)
        if split == "val":
            row["val_kl"] = kl_divergence(probs, teacher_probs)
    row["fit_seconds"] = fit_seconds
    return row


def sweep_surrogates(
    kinds_grids: dict[str, list[dict]],
    regimes: dict[str, tuple[np.ndarray, np.ndarray] | FitSet | list[FitSet]],
    X_val: np.ndarray,
    teacher_val_probs: np.ndarray,
    y_val: np.ndarray,
    X_test: np.ndarray,
    teacher_test_probs: np.ndarray,
    y_test: np.ndarray,
    *,
    n_jobs: int = 1,
    progress: bool = True,
    seed: int = 0,
    return_models: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, list]:
    """Fit every kind × regime × candidate set × grid point; score fidelity and accuracy on validation and test.

    Fits run in parallel with joblib; every fit gets ``random_state=seed`` (for kinds that have one
    and whose grid does not set it), so the numbers do not depend on ``n_jobs``. Rows come in the
    order kind, regime, candidate set, grid point.

    Args:
        kinds_grids: surrogate kind -> list of hyper-parameter dicts (e.g. :data:`DEFAULT_GRIDS`).
        regimes: regime name -> ``(X_fit, y_fit)`` (``y_fit`` is 1-D labels or ``(n, k)`` probabilities),
            or a :class:`FitSet` or list of them (candidates, each named in the ``transfer`` column and
            fitted only for its ``kinds``).
        X_val: validation inputs.
        teacher_val_probs: teacher probabilities on ``X_val`` (fidelity = top-1 agreement with them).
        y_val: validation labels.
        X_test: test inputs.
        teacher_test_probs: teacher probabilities on ``X_test``.
        y_test: test labels.
        n_jobs: joblib workers (``-1``: all cores).
        progress: show a progress bar.
        seed: ``random_state`` of the fits.
        return_models: also return the fitted surrogates, one per row.

    Returns:
        DataFrame with one row per fit and columns :data:`COLUMNS`: ``params`` is readable
        (``"max_depth=4"``), ``params_json`` holds the exact keyword arguments of
        ``build_surrogate`` (seed included) for refitting the selected model. With
        ``return_models``, the pair ``(frame, models)``.

    Example:
        >>> from sklearn.datasets import make_classification
        >>> X, y = make_classification(120, 4, random_state=0); X = X.astype(np.float32)
        >>> P = np.eye(2)[y] * 0.8 + 0.1
        >>> df = sweep_surrogates({"tree": [{"max_depth": 1}, {"max_depth": 3}]},
        ...                       {"soft": (X, P)}, X, P, y, X, P, y, progress=False)
        >>> df[["params", "complexity_score"]].values.tolist()
        [['max_depth=1', 2.0], ['max_depth=3', 8.0]]
    """
    evaluation = {"val": (X_val, teacher_val_probs, y_val), "test": (X_test, teacher_test_probs, y_test)}
    candidates = {regime: _fit_sets(value) for regime, value in regimes.items()}
    tasks = [
        delayed(_fit_one)(kind, regime, fs.label, params, _full_params(kind, params, seed), fs.X, fs.y, evaluation)
        for kind, grid in kinds_grids.items()
        for regime, sets in candidates.items()
        for fs in sets
        if fs.kinds is None or kind in fs.kinds
        for params in grid
    ]
    # return_as="generator" yields in submission order, so the progress bar ticks without reordering rows.
    results = Parallel(n_jobs=n_jobs, return_as="generator")(tasks)
    fitted = list(tqdm(results, total=len(tasks), desc="surrogate sweep", disable=not progress))
    frame = pd.DataFrame([row for row, _ in fitted], columns=COLUMNS)
    return (frame, [model for _, model in fitted]) if return_models else frame


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


def frontier_plot(df: pd.DataFrame, split: str = "test") -> Figure:
    """Fidelity against complexity, one panel per kind, points and Pareto front per regime.

    Complexity ticks are plain numbers (5, 10, 20, 50, ...) on a log axis. A kind whose fits all have one
    complexity (naive Bayes: a parameter count fixed by the data) gets a column of points per regime instead,
    equal scores side by side and the regime's best as a bar, so no point hides another. Colours follow the
    regime, alike in every panel.

    Builds a bare :class:`~matplotlib.figure.Figure` (no pyplot state), so it is safe with the Agg
    backend and in worker processes; save it with ``fig.savefig``.

    Args:
        df: a :func:`sweep_surrogates` table.
        split: ``"val"`` or ``"test"``: whose fidelity to plot.

    Returns:
        The figure.

    Example:
        >>> df = pd.DataFrame({"kind": ["tree"] * 2, "regime": ["soft"] * 2, "complexity_score": [2, 8],
        ...                    "test_fidelity": [0.7, 0.9]})
        >>> len(frontier_plot(df).axes)
        1
    """
    if split not in ("val", "test"):
        raise ValueError(f"split must be 'val' or 'test', got {split!r}")
    column = f"{split}_fidelity"
    kinds = list(dict.fromkeys(df["kind"]))
    regimes = list(dict.fromkeys(df["regime"]))
    colours = {regime: f"C{i}" for i, regime in enumerate(regimes)}  # same colour per regime in every panel
    fig = Figure(figsize=(4.2 * max(len(kinds), 1), 3.6), layout="constrained")
    axes = fig.subplots(1, max(len(kinds), 1), squeeze=False)[0]
    for ax, kind in zip(axes, kinds):
        of_kind = df[df["kind"] == kind]
        units = COMPLEXITY_UNITS.get(kind, "score")
        single = of_kind["complexity_score"].nunique() == 1
        present = [regime for regime in regimes if (of_kind["regime"] == regime).any()]
        for place, regime in enumerate(present):
            rows = of_kind[of_kind["regime"] == regime]
            x, y = rows["complexity_score"].to_numpy(float), rows[column].to_numpy(float)
            if single:
                # equal scores side by side, centred on the regime's column
                x = np.full(len(y), float(place))
                for score in np.unique(y.round(9)):
                    same = np.flatnonzero(y.round(9) == score)
                    x[same] += (np.arange(len(same)) - (len(same) - 1) / 2) * min(0.08, 0.7 / len(same))
                ax.scatter(x, y, s=18, alpha=0.6, color=colours[regime], label=regime)
                ax.plot([place - 0.4, place + 0.4], [y.max()] * 2, color=colours[regime], linewidth=1.5)
                continue
            ax.scatter(x, y, s=18, alpha=0.6, color=colours[regime], label=regime)
            front = pareto_front(x, y)
            order = np.argsort(x[front], kind="stable")
            ax.step(x[front][order], y[front][order], where="post", color=colours[regime], linewidth=1.5)
        if single:
            ax.set_xticks(range(len(present)), present, fontsize="small")
            ax.set_xlim(-0.6, len(present) - 0.4)
            ax.set_xlabel(f"regime (every fit: {of_kind['complexity_score'].iloc[0]:,.0f} {units})")
        else:
            # A linear surrogate can have 0 non-zero coefficients; symlog keeps it on the axis.
            if (of_kind["complexity_score"] > 0).all():
                ax.set_xscale("log")
            else:
                ax.set_xscale("symlog", linthresh=1)
            scores = of_kind["complexity_score"]
            low, high = max(ax.get_xlim()[0], scores[scores > 0].min() / 2), ax.get_xlim()[1]
            # plain-number labels at 1-2-5 steps, thinned to at most 6; a range with fewer than 2 inside labels its ends
            for steps in ((1, 2, 5), (1, 3), (1,)):
                ticks = [step * 10.0 ** power for power in range(int(np.floor(np.log10(low))),
                                                                 int(np.ceil(np.log10(high))) + 1)
                         for step in steps if low <= step * 10.0 ** power <= high]
                if len(ticks) <= 6:
                    break
            if len(ticks) < 2:
                ticks = [scores[scores > 0].min(), scores.max()]
            ax.set_xticks(([0.0] if (scores == 0).any() else []) + ticks)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel(f"complexity ({units}, log scale)")
        ax.set_title(kind)
        ax.set_ylabel(f"{split} fidelity (agreement with teacher)")
        ax.grid(True, alpha=0.3)
        if not single:  # a single-complexity panel names its regimes on the axis
            ax.legend(fontsize="small", title="regime", title_fontsize="small")
    return fig
