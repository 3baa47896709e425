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
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from .metrics import accuracy, fidelity, is_regression, kl_divergence, r2
from .parallel import Engine
from .subsample import stratified_rows
from .surrogates import build_surrogate

COLUMNS = [
    "kind", "regime", "transfer", "params", "params_json", "complexity_score",
    "val_fidelity", "val_kl", "val_accuracy", "test_fidelity", "test_accuracy", "fit_seconds", "converged",
]


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


def _full_params(kind: str, params: dict, seed: int, task: str = "classification") -> dict:
    """Grid params plus ``random_state=seed`` where the kind has one, so refits are reproducible."""
    params = {k: _plain(v) for k, v in params.items()}
    if "random_state" in build_surrogate(kind, task=task).get_params() and "random_state" not in params:
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
             evaluation, fit_rows: int | None, seed: int, task: str = "classification") -> tuple[dict, object]:
    """Fit one surrogate and score it on validation and test (runs in a joblib worker).

    With ``fit_rows`` below the fitting set's size it is fitted on a stratified subsample of that many rows
    (the same rows for every grid point; a regression's rows are drawn unstratified), named in the ``transfer``
    column. A regressor (``task``) is scored on its ``(n, 1)`` predictions.
    """
    regression = task == "regression"
    if fit_rows is not None and len(X_fit) > fit_rows:
        labels = np.zeros(len(y_fit)) if regression else y_fit.argmax(axis=1) if np.ndim(y_fit) == 2 else y_fit
        rows = stratified_rows(labels, fit_rows, seed)
        transfer = f"{transfer} [subsample of {fit_rows:,} / {len(X_fit):,} rows]"
        X_fit, y_fit = X_fit[rows], y_fit[rows]
    model = build_surrogate(kind, task=task, **full)
    start = time.perf_counter()
    # These fits are small: multi-threaded BLAS makes them 10-100x slower on 2 cores, not faster. A solver that
    # stops at its iteration cap on one grid point is recorded in the row (`converged`), not printed per fit.
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X_fit, y_fit)
    seconds = time.perf_counter() - start
    converged = True
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning):
            converged = False
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    outputs = ((lambda X, _n: model.predict(X).reshape(-1, 1)) if regression else
               (lambda X, n_classes: _aligned_proba(model, X, n_classes)))
    row = sweep_row(kind, regime, transfer, params, full, model.complexity_score_, outputs, evaluation, seconds,
                    converged)
    return row, model


def sweep_row(kind: str, regime: str, transfer: str, params: dict, full: dict, complexity_score: float,
              predict_proba, evaluation: dict, fit_seconds: float, converged: bool = True) -> dict:
    """One row of a sweep table (:data:`COLUMNS`): what was fitted, and its scores on each evaluation split.

    Args:
        kind: the model's kind (``"tree"``, ``"linear"``, ``"naive_bayes"``, ``"student"``).
        regime: what it was fitted on (see the module docstring; students: the distillation method or
            ``"scratch"``).
        transfer: the label of its fitting set (:attr:`FitSet.label`), the ``transfer`` column.
        params: the swept hyper-parameters (shown readable, :func:`format_params`).
        full: every keyword needed to rebuild it, stored as JSON in ``params_json``.
        complexity_score: the scalar on the frontier's x-axis.
        predict_proba: ``(X, n_classes) -> (n, n_classes)`` probabilities of the fitted model (a regressor:
            its ``(n, 1)`` predictions).
        evaluation: split -> ``(X, teacher_probs, y)``; ``"val"`` also gets ``val_kl``. One column of teacher
            outputs is a regression: fidelity is then R² to the teacher and accuracy R² to ``y``.
        fit_seconds: wall-clock fitting time.
        converged: whether the solver met its tolerance (False: it stopped at its iteration cap).

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
        if is_regression(teacher_probs):  # one column: predicted values, scored by R² (val_kl stays empty)
            row[f"{split}_fidelity"], row[f"{split}_accuracy"] = r2(probs, teacher_probs), r2(probs, y)
            continue
        row[f"{split}_fidelity"] = fidelity(probs, teacher_probs)
        row[f"{split}_accuracy"] = accuracy(probs, y)
        if split == "val":
            row["val_kl"] = kl_divergence(probs, teacher_probs)
    row["fit_seconds"] = fit_seconds
    row["converged"] = converged
    return row


def sweep_surrogates(
    kinds_grids: dict[str, list[dict]],
    regimes: dict[str, tuple[np.ndarray, np.ndarray] | FitSet | list[FitSet]],
    *,
    val: tuple[np.ndarray, np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray, np.ndarray],
    engine: Engine = Engine(),
    progress: bool = True,
    seed: int = 0,
    fit_rows: dict[str, int | None] | None = None,
    task: str = "classification",
) -> tuple[pd.DataFrame, list]:
    """Fit every kind × regime × candidate set × grid point; score fidelity and accuracy on validation and test.

    Fits run in parallel on ``engine`` (loky workers or a Dask cluster; the fitting sets and evaluation splits
    reach each worker once); every fit gets ``random_state=seed`` (for kinds that have one and whose grid does not
    set it), so the numbers do not depend on the engine or its workers. Rows come in the order kind, regime,
    candidate set, grid point.

    Args:
        kinds_grids: surrogate kind -> list of hyper-parameter dicts (e.g. each kind's ``default_grid``).
        regimes: regime name -> ``(X_fit, y_fit)`` (``y_fit`` is 1-D labels or ``(n, k)`` probabilities),
            or a :class:`FitSet` or list of them (candidates, each named in the ``transfer`` column and
            fitted only for its ``kinds``).
        val: ``(X, teacher_probs, y)`` of the validation split (fidelity = top-1 agreement with the teacher).
        test: the same for the test split (reported, never used to choose).
        engine: where the fits run (:class:`~interpret_distill.parallel.Engine`; default: in this process).
        progress: show a progress bar.
        seed: ``random_state`` of the fits, and the seed of the ``fit_rows`` subsamples.
        fit_rows: kind -> the most rows one fit of that kind sees (a stratified subsample of larger fitting sets,
            named in the ``transfer`` column); kinds not listed see every row. Validation and test are never cut.
        task: ``"classification"``, or ``"regression"``: the kinds come from the regression registry, ``y_fit``
            and the teacher's outputs are values (``(n,)`` and ``(n, 1)``), scored by R².

    Returns:
        ``(frame, models)``: one row per fit with columns :data:`COLUMNS` (``params`` is readable,
        ``"max_depth=4"``; ``params_json`` holds the exact keyword arguments of ``build_surrogate``, seed
        included), and the fitted surrogates in the same order.

    Example:
        >>> from sklearn.datasets import make_classification
        >>> X, y = make_classification(120, 4, random_state=0); X = X.astype(np.float32)
        >>> P = np.eye(2)[y] * 0.8 + 0.1
        >>> df, models = sweep_surrogates({"tree": [{"max_depth": 1}, {"max_depth": 3}]}, {"soft": (X, P)},
        ...                               val=(X, P, y), test=(X, P, y), progress=False)
        >>> df[["params", "complexity_score"]].values.tolist()
        [['max_depth=1', 2.0], ['max_depth=3', 8.0]]
    """
    evaluation = {"val": val, "test": test}
    candidates = {regime: _fit_sets(value) for regime, value in regimes.items()}
    tasks = [
        (kind, regime, fs.label, params, _full_params(kind, params, seed, task), fs.X, fs.y, evaluation,
         (fit_rows or {}).get(kind), seed, task)
        for kind, grid in kinds_grids.items()
        for regime, sets in candidates.items()
        for fs in sets
        if fs.kinds is None or kind in fs.kinds
        for params in grid
    ]
    # each array once, however many fits use it (a transfer set serves every grid point of several kinds)
    arrays = {id(a): a for sets in candidates.values() for fs in sets for a in (fs.X, fs.y)}
    fitted = list(engine.map(_fit_one, tasks, shared=[evaluation, *arrays.values()], progress=progress,
                             desc="surrogate sweep"))
    frame = pd.DataFrame([row for row, _ in fitted], columns=COLUMNS)
    return frame, [model for _, model in fitted]
