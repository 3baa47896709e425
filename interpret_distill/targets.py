"""The task of a dataset (classification or regression) and the regression target's scaling.

``data.task: auto`` reads the target: a float target with at least :data:`MANY_VALUES` distinct values is a
number to predict (regression); integer, boolean and text targets, and float targets holding a few whole numbers
(labels saved as floats), are classes. A float target with a few distinct values that are not all whole numbers
fits neither rule, so it is refused with the rule stated and ``data.task`` named as the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import DataError

TASKS = ("classification", "regression")
MANY_VALUES = 20  # data.task auto: a float target with at least this many distinct values is regression
AUTO_RULE = (f"data.task auto reads a float target with at least {MANY_VALUES} distinct values as regression and "
             "integer, text or whole-number float targets with fewer as classes")


def _numeric(labels: np.ndarray) -> np.ndarray | None:
    """The labels as float64 when they are numbers (booleans and text are not), else None."""
    labels = np.asarray(labels)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.number):
        return None
    return labels.astype(np.float64)


def resolve_task(labels: np.ndarray, task: str) -> str:
    """The task of a target: ``task`` itself, or for ``"auto"`` the rule of this module.

    Args:
        labels: the target column, one value per row.
        task: ``"auto"``, ``"classification"`` or ``"regression"`` (``data.task``).

    Returns:
        ``"classification"`` or ``"regression"``.

    Raises:
        DataError: ``auto`` with a float target of few distinct values that are not whole numbers.

    Example:
        >>> resolve_task(np.linspace(0, 1, 50), "auto"), resolve_task(np.array([0.0, 1.0] * 9), "auto")
        ('regression', 'classification')
    """
    if task != "auto":
        return task
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.floating):
        return "classification"
    distinct = np.unique(labels[np.isfinite(labels)])
    if len(distinct) >= MANY_VALUES:
        return "regression"
    if np.array_equal(distinct, np.round(distinct)):
        return "classification"
    raise DataError(f"the target is a float with only {len(distinct)} distinct values, not all whole "
                    f"numbers, so its task is ambiguous ({AUTO_RULE}); set data.task: regression or "
                    "data.task: classification")


def regression_values(labels: np.ndarray) -> np.ndarray:
    """The target of a regression as float64, after checking it is numeric, finite and not constant.

    Raises:
        DataError: a text target, missing or infinite values, or a constant target (one line naming the fix).

    Example:
        >>> regression_values(np.array([1, 2, 4])).tolist()
        [1.0, 2.0, 4.0]
    """
    values = _numeric(labels)
    if values is None:
        example = np.asarray(labels).tolist()[0]
        raise DataError(f"data.task is regression but the target holds text or booleans (e.g. {example!r}); "
                        "point data.target at a numeric column, or set data.task: classification")
    if not np.isfinite(values).all():
        raise DataError(f"the regression target has {int((~np.isfinite(values)).sum())} NaN or infinite "
                        "values; drop those rows")
    if values.size and np.ptp(values) == 0:
        raise DataError(f"the regression target is constant ({values[0]:g} in all {len(values)} rows), "
                        "so there is nothing to predict; check data.target")
    return values


@dataclass(frozen=True)
class TargetScaling:
    """How a regression target was standardised on the training split: ``y = (value - offset) / scale``.

    Models are trained and compared on standardised targets; :meth:`original` gives values in the target's own
    units for what users read (RMSE, MAE, scatter plots).

    Example:
        >>> scaling = TargetScaling.fit(np.array([1.0, 3.0]))
        >>> scaling.offset, scaling.scale, scaling.original(np.array([1.0])).tolist()
        (2.0, 1.0, [3.0])
    """

    offset: float = 0.0
    scale: float = 1.0

    @classmethod
    def fit(cls, train_values: np.ndarray) -> TargetScaling:
        """Mean and standard deviation of the training values (scale 1 when they are all equal)."""
        scale = float(np.std(train_values))
        return cls(float(np.mean(train_values)), scale if scale > 1e-12 else 1.0)

    def standardise(self, values: np.ndarray) -> np.ndarray:
        """Values in target units → standardised float32."""
        return ((np.asarray(values, dtype=np.float64) - self.offset) / self.scale).astype(np.float32)

    def original(self, standardised: np.ndarray) -> np.ndarray:
        """Standardised values → target units (float64)."""
        return np.asarray(standardised, dtype=np.float64) * self.scale + self.offset
