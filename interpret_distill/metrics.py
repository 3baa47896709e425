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
    probs, y = _probs_and_labels(probs, y)
    return float((probs.argmax(1) == y).mean())


# Every metric takes the model's probabilities first and the reference (teacher probabilities or labels) second,
# so a swapped call cannot silently turn KL(teacher ‖ model) into KL(model ‖ teacher).


def _probs_pair(probs: np.ndarray, teacher_probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as float arrays of one ``(n, k)`` shape; columns are compared by position, so shapes must match."""
    probs, teacher_probs = np.asarray(probs, dtype=np.float64), np.asarray(teacher_probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape != teacher_probs.shape:
        raise ValueError(f"model probabilities {probs.shape} and teacher probabilities {teacher_probs.shape} must both "
                         "be (rows, classes) with one column per teacher class; a model fitted on labels that miss a "
                         "class has fewer columns: fit it on np.eye(n_classes)[labels] instead")
    _check_finite(probs, teacher_probs)
    return probs, teacher_probs


def _check_finite(*probabilities: np.ndarray) -> None:
    if not all(np.isfinite(p).all() for p in probabilities):
        raise ValueError("probabilities contain NaN or infinity (a NaN row's argmax would count as class 0); "
                         "check the model's predict_proba on these rows")


def _probs_and_labels(probs: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities ``(n, k)`` and integer labels in ``[0, k)``: a label is compared with a column position."""
    probs, y = np.asarray(probs, dtype=np.float64), np.asarray(y)
    if probs.ndim != 2 or y.shape != (len(probs),):
        raise ValueError(f"expected probabilities (rows, classes) and one label per row, got {probs.shape} and {y.shape}")
    _check_finite(probs)
    if y.size and (not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= probs.shape[1]):
        raise ValueError(f"labels must be integer column positions 0..{probs.shape[1] - 1} of the probabilities, got "
                         f"{np.unique(y)[:5].tolist()}; encode them first (e.g. sklearn.preprocessing.LabelEncoder)")
    return probs, y


def fidelity(probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Top-1 agreement: share of rows where the model's class equals the teacher's class.

    Example:
        >>> fidelity(np.array([[0.9, 0.1], [0.2, 0.8]]), np.array([[0.6, 0.4], [0.7, 0.3]]))
        0.5
    """
    probs, teacher_probs = _probs_pair(probs, teacher_probs)
    return float((probs.argmax(1) == teacher_probs.argmax(1)).mean())


def kl_divergence(probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Mean KL(teacher ‖ model) in nats; model probabilities are floored at 1e-12 so zeros stay finite.

    Example:
        >>> round(kl_divergence(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]])), 4)  # log 2
        0.6931
    """
    q, p = _probs_pair(probs, teacher_probs)
    q = np.clip(q, EPS, None)
    terms = np.where(p > 0, p * (np.log(np.clip(p, EPS, None)) - np.log(q)), 0.0)
    return float(terms.sum(1).mean())


def total_variation(probs: np.ndarray, teacher_probs: np.ndarray) -> float:
    """Mean total-variation distance ½‖p − q‖₁ between model and teacher distributions.

    Example:
        >>> total_variation(np.array([[0.5, 0.5]]), np.array([[1.0, 0.0]]))
        0.5
    """
    probs, teacher_probs = _probs_pair(probs, teacher_probs)
    return float(0.5 * np.abs(teacher_probs - probs).sum(1).mean())


def agreement_matrix(probs: np.ndarray, teacher_probs: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``M[i, j]`` of rows the teacher puts in class i and the model in class j.

    Example:
        >>> agreement_matrix(np.eye(2)[[0, 1, 1]], np.eye(2)[[0, 0, 1]], 2).tolist()
        [[1, 1], [0, 1]]
    """
    probs, teacher_probs = _probs_pair(probs, teacher_probs)
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (teacher_probs.argmax(1), probs.argmax(1)), 1)
    return matrix


def latency_ms_per_1k(predict: Callable[[np.ndarray], np.ndarray], X: np.ndarray, repeats: int = 3,
                      summary: Callable[[list[float]], float] = min) -> float:
    """Wall time of one batched prediction of ``X``, in milliseconds per 1,000 rows: the best of ``repeats``.

    Args:
        predict: the prediction function, e.g. a model's ``predict_proba``.
        X: ``(n, d)`` rows, predicted in one call.
        repeats: timed calls (after one untimed warm-up call on 8 rows).
        summary: how the timings are summarised: ``min`` (the best, the default) or e.g. ``statistics.median``.

    Returns:
        ``summary(timings)`` scaled to milliseconds per 1,000 rows.

    Example:
        >>> import statistics
        >>> latency_ms_per_1k(lambda rows: rows, np.zeros((100, 2)), repeats=5, summary=statistics.median) < 100
        True
    """
    predict(X[:8])  # warm-up: first calls pay for lazy initialisation
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        predict(X)
        timings.append(time.perf_counter() - start)
    return 1000.0 * summary(timings) * 1000.0 / len(X)


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


# Regression: a model's outputs are its ``(n, 1)`` (or ``(n,)``) predictions of the standardised target, compared
# with the teacher's predictions or the ground truth. Errors come back in the units of the values given; pass
# ``scale`` (the target's standard deviation on train) to report them in the target's own units.


def _values_pair(predictions: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both as 1-D float64 arrays of one length (an ``(n, 1)`` column is flattened)."""
    predictions = np.asarray(predictions, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    predictions = predictions[:, 0] if predictions.ndim == 2 and predictions.shape[1] == 1 else predictions
    reference = reference[:, 0] if reference.ndim == 2 and reference.shape[1] == 1 else reference
    if predictions.ndim != 1 or predictions.shape != reference.shape:
        raise ValueError(f"predictions {predictions.shape} and reference values {reference.shape} must be one value "
                         "per row each, (n,) or (n, 1)")
    if not (np.isfinite(predictions).all() and np.isfinite(reference).all()):
        raise ValueError("predictions contain NaN or infinity; check the model's predict on these rows")
    return predictions, reference


def r2(predictions: np.ndarray, reference: np.ndarray) -> float:
    """Coefficient of determination of ``predictions`` against ``reference``: ``1 - SS_res / SS_tot``.

    Against the teacher's predictions this is the regression fidelity: the share of the teacher's variance the model
    reproduces. A constant reference gives 1.0 when matched exactly and ``-inf`` otherwise.

    Example:
        >>> r2(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0]))  # SS_res 1, SS_tot 14/3
        0.7857142857142857
    """
    predictions, reference = _values_pair(predictions, reference)
    residual = float(((reference - predictions) ** 2).sum())
    total = float(((reference - reference.mean()) ** 2).sum())
    if total == 0.0:
        return 1.0 if residual == 0.0 else float("-inf")
    return 1.0 - residual / total


def rmse(predictions: np.ndarray, reference: np.ndarray, scale: float = 1.0) -> float:
    """Root mean squared error, times ``scale``.

    Example:
        >>> rmse(np.array([0.0, 0.0]), np.array([3.0, 4.0]), scale=2.0)  # sqrt(12.5) * 2
        7.0710678118654755
    """
    predictions, reference = _values_pair(predictions, reference)
    return float(np.sqrt(np.mean((predictions - reference) ** 2)) * scale)


def mae(predictions: np.ndarray, reference: np.ndarray, scale: float = 1.0) -> float:
    """Mean absolute error, times ``scale``.

    Example:
        >>> mae(np.array([0.0, 0.0]), np.array([3.0, -4.0]))
        3.5
    """
    predictions, reference = _values_pair(predictions, reference)
    return float(np.abs(predictions - reference).mean() * scale)


def evaluate_regression(predictions: np.ndarray, teacher_predictions: np.ndarray, y: np.ndarray,
                        scale: float = 1.0) -> dict[str, float]:
    """The regression metrics of one model on one split, under the column names the tables and selection read.

    ``fidelity`` is R² to the teacher's predictions (the primary fidelity, where classification has top-1
    agreement) and ``accuracy`` R² to the ground truth; the errors are in the target's units when ``scale`` is its
    standard deviation (the values are standardised).

    Args:
        predictions: the model's ``(n, 1)`` predictions.
        teacher_predictions: the teacher's predictions on the same rows.
        y: the true values (standardised like the predictions).
        scale: multiplies the errors (RMSE, MAE) back into the target's units.

    Returns:
        ``{"accuracy", "fidelity", "rmse_teacher", "mae_teacher", "rmse"}``.

    Example:
        >>> m = evaluate_regression(np.array([[1.0], [2.0]]), np.array([[1.0], [3.0]]), np.array([1.0, 2.0]), 10.0)
        >>> m["fidelity"], m["accuracy"], m["rmse_teacher"], m["mae_teacher"], m["rmse"]
        (0.5, 1.0, 7.0710678118654755, 5.0, 0.0)
    """
    return {
        "accuracy": r2(predictions, y),
        "fidelity": r2(predictions, teacher_predictions),
        "rmse_teacher": rmse(predictions, teacher_predictions, scale),
        "mae_teacher": mae(predictions, teacher_predictions, scale),
        "rmse": rmse(predictions, y, scale),
    }


def is_regression(teacher_outputs: np.ndarray) -> bool:
    """Whether outputs are a regressor's: one column (a classifier has one probability per class, two at least).

    Example:
        >>> is_regression(np.zeros((3, 1))), is_regression(np.full((3, 2), 0.5))
        (True, False)
    """
    return np.ndim(teacher_outputs) == 2 and np.shape(teacher_outputs)[1] == 1


def evaluate_outputs(outputs: np.ndarray, teacher_outputs: np.ndarray, y: np.ndarray,
                     scale: float = 1.0) -> dict[str, float]:
    """:func:`evaluate` of a classifier's probabilities, or :func:`evaluate_regression` of a regressor's values.

    Args:
        outputs: the model's ``(n, k)`` probabilities or ``(n, 1)`` predictions.
        teacher_outputs: the teacher's, of the same shape (one column: a regression).
        y: labels, or standardised true values.
        scale: the regression target's scale (errors in its units); unused for classifiers.

    Returns:
        The metric dict of the task.
    """
    if is_regression(teacher_outputs):
        return evaluate_regression(outputs, teacher_outputs, y, scale)
    return evaluate(outputs, teacher_outputs, y)
