"""What every regression surrogate shares: one number per row in (ground truth or a teacher's outputs), one out.

A regression surrogate explains a model that predicts a number. It is fitted on a 1-D float ``y``: the
target itself, or the teacher's predicted values. Its learned state mirrors the classifiers' (``complexity_``,
``complexity_score_``), its ``score`` is scikit-learn's R² (to the teacher, when ``y`` is the teacher's output:
the regression fidelity), and its class attributes feed the registry
``interpret_distill.surrogates.REGRESSION_SURROGATES``, as the classifiers' feed ``SURROGATES``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, column_or_1d, validate_data

from ._base import TableDisplay, drop_learned_state


def regression_target(y, n_samples: int) -> np.ndarray:
    """Validate ``y`` as one finite number per row and return it as float64 ``(n,)``.

    A single-column 2-D ``y`` is flattened (with scikit-learn's ``DataConversionWarning``).

    Args:
        y: The target: ground truth, or the teacher's predicted values.
        n_samples: Number of rows of ``X``.

    Returns:
        ``(n,)`` float64.

    Raises:
        ValueError: a missing, non-numeric, multi-column, wrong-length or non-finite ``y``, in one line that
            names the fix.

    Example:
        >>> regression_target([1, 2.5], 2).tolist()
        [1.0, 2.5]
        >>> regression_target(["a", "b"], 2)
        Traceback (most recent call last):
        ...
        ValueError: y must be numeric (a regression target or the teacher's predicted values), got dtype <U1;
        encode it as numbers, or fit a classification surrogate on labels.
    """
    if y is None:
        raise ValueError("requires y to be passed, but the target y is None; pass the target or the teacher's "
                         "predicted values.")
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"y must be numeric (a regression target or the teacher's predicted values), got dtype "
                             f"{arr.dtype}; encode it as numbers, or fit a classification surrogate on labels."
                             ) from None
    if arr.ndim == 2 and arr.shape[1] > 1:
        raise ValueError(f"y has {arr.shape[1]} columns, but a regression surrogate explains one output; pass one "
                         f"predicted value per row (fit one surrogate per output of a multi-output teacher).")
    if arr.ndim == 0 or arr.shape[0] != n_samples:
        got = "a scalar" if arr.ndim == 0 else f"{arr.shape[0]} rows"
        raise ValueError(f"y has {got} but X has {n_samples} samples; pass one target value per sample of X.")
    values = column_or_1d(arr, warn=True).astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueError(f"y contains {int(bad.sum())} NaN or infinite value(s), first in row "
                         f"{int(np.flatnonzero(bad)[0])}; drop those rows or check the teacher's outputs for overflow.")
    return values


class RegressorSurrogateBase(TableDisplay, RegressorMixin, BaseEstimator):
    """Shared target handling, prediction and display for the regression surrogates.

    A subclass is one regression surrogate kind. It declares the class attributes the package derives from the
    registry (as :class:`~._base.SurrogateBase` does), implements ``_fit_values`` (fit on ``(n,)`` float64
    targets with positive row weights; zero-weight rows are dropped before) and ``_predict``, and sets
    ``complexity_`` (a dict of counts) and ``complexity_score_`` in ``_fit_values``.

    Class attributes:
        kind: the name configs and tables use (``"tree"``).
        title: how the report names the kind (``"Regression tree"``).
        complexity_unit: what ``complexity_score_`` counts (``"leaves"``), for axis labels.
        default_grid: the hyper-parameter grid swept when a config gives none.
        native_decomposition: the key of the exact attribution in
            :data:`interpret_distill.attribution.native.DECOMPOSITIONS`, or ``None``.
        _parameter_constraints: scikit-learn's parameter constraints, checked at the start of ``fit``.

    Attributes:
        n_features_in_: Number of features seen in ``fit``.
        target_mean_: Weighted mean of the training ``y``: the reference the native attributions are relative to.
    """

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    complexity_unit: ClassVar[str] = ""
    default_grid: ClassVar[tuple[dict, ...]] = ({},)
    native_decomposition: ClassVar[str | None] = None
    _parameter_constraints: ClassVar[dict] = {}

    def fit(self, X, y, sample_weight=None):
        """Fit the surrogate on one number per row.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: ``(n,)`` finite numbers: the ground truth, or the teacher's predicted values.
            sample_weight: Optional non-negative weights of shape ``(n,)``; a zero weight removes the row.

        Returns:
            The fitted estimator (``self``).

        Raises:
            ValueError: an invalid ``X``, ``y`` (see :func:`regression_target`) or weights.
        """
        drop_learned_state(self)  # a refit that raises must not leave the previous fit half in place
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=True)
        values = regression_target(y, X.shape[0])
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        keep = sw > 0
        if not keep.any():  # newer scikit-learn refuses this in _check_sample_weight, 1.8 does not
            raise ValueError("sample_weight is zero for every row; at least one non-zero weight is needed to fit.")
        self._fit_values(X[keep], values[keep], sw[keep])
        self.target_mean_ = float(np.average(values[keep], weights=sw[keep]))  # set last: marks the fit done
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "target_mean_")

    def _fit_values(self, X, y, sw):
        """Fit on ``y`` ``(n,)`` with positive weights ``sw``; set ``complexity_`` and ``complexity_score_``."""
        raise NotImplementedError

    def _predict(self, X):
        """``(n,)`` predictions for validated ``X``."""
        raise NotImplementedError

    def predict(self, X):
        """Predict the value.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            ``(n,)`` float64.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return np.asarray(self._predict(X), dtype=np.float64).reshape(-1)

    def _display_rows(self) -> list[tuple[str, object]]:
        return [*self.complexity_.items(), ("n features", self.n_features_in_)]
