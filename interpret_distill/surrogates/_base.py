"""What every surrogate shares: soft or hard targets in, class probabilities out, and its registry entry.

A surrogate accepts as ``y`` either 1-D class labels or a 2-D ``(n, k)`` matrix of class probabilities (the
teacher's softmax outputs) and, in the second case, learns from the full probability vectors rather than their
argmax. Hard labels are one-hot encoded first, so both go through one code path. With a probability matrix
``classes_ == np.arange(k)``. This package depends only on numpy, scipy and scikit-learn.
"""

from __future__ import annotations

import html
from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_array, check_is_fitted, column_or_1d, validate_data

# Probability given to a class that received no mass in training, so that every
# predict_proba column is strictly positive (finite log-loss / KL) and k wide.
FLOOR = 1e-6
# Tolerance on the row sums of a probability matrix passed as y.
ROW_SUM_ATOL = 1e-3


def floor_absent(p: np.ndarray, absent: np.ndarray) -> np.ndarray:
    """Give classes without training mass the floor, then renormalise rows."""
    p = np.array(p, dtype=np.float64)
    p[:, absent] = FLOOR
    return p / p.sum(axis=1, keepdims=True)


def probability_matrix(y: np.ndarray, n_samples: int) -> np.ndarray:
    """Validate a 2-D ``y`` as class probabilities and return it row-normalised."""
    hint = "pass the teacher's softmax outputs or 1-D class labels instead"
    try:
        p = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"a 2-D y is read as an (n, k) matrix of class probabilities, but it is "
            f"not numeric (dtype {np.asarray(y).dtype}); {hint}."
        ) from exc
    bad = ~np.isfinite(p)
    if bad.any():
        row = int(np.argwhere(bad)[0, 0])
        raise ValueError(
            f"y (class probabilities) contains {int(bad.sum())} NaN or infinite "
            f"value(s), first in row {row}; every probability must be finite. "
            f"Check the teacher's outputs for overflow, or drop those rows."
        )
    neg = p < 0
    if neg.any():
        row = int(np.argwhere(neg)[0, 0])
        raise ValueError(
            f"y (class probabilities) contains {int(neg.sum())} negative value(s) "
            f"(min {p.min():.4g}, first in row {row}); probabilities must be >= 0. "
            f"If these are logits, apply a softmax first "
            f"(scipy.special.softmax(logits, axis=1))."
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > ROW_SUM_ATOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"y (class probabilities) has {int(off.sum())} of {n_samples} rows that "
            f"do not sum to 1 within {ROW_SUM_ATOL:g} (row {row} sums to "
            f"{sums[row]:.6g}). Normalise the rows, e.g. y / y.sum(axis=1, "
            f"keepdims=True), or, for multi-label indicators, {hint}."
        )
    # Rows within tolerance are renormalised exactly so tree leaves sum to 1.
    return p / sums[:, None]


class Count(Interval):
    """An integer hyper-parameter's range that refuses ``True``/``False`` (scikit-learn before 1.9 took them as 1/0).

    Example:
        >>> Count(0).is_satisfied_by(3), Count(0).is_satisfied_by(True), str(Count(1))
        (True, False, 'an int in the range [1, inf)')
    """

    def __init__(self, left: int, right: int | None = None, closed: str = "left"):
        super().__init__(Integral, left, right, closed=closed)

    def is_satisfied_by(self, val) -> bool:
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


class TableDisplay:
    """The notebook display of a surrogate: kind, hyper-parameters and, once fitted, ``_display_rows()``."""

    def _repr_html_(self) -> str:
        """Render kind, hyper-parameters and, once fitted, size as an HTML table."""
        rows = [("kind", self.kind)]
        rows += sorted(self.get_params(deep=False).items())
        if self.__sklearn_is_fitted__():
            rows += self._display_rows()
        else:
            rows.append(("status", "not fitted"))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
            f"<td>{html.escape(str(value))}</td></tr>"
            for key, value in rows
        )
        caption = html.escape(type(self).__name__)
        return f"<table><caption>{caption}</caption>{body}</table>"

    def _repr_mimebundle_(self, **kwargs):
        # Jupyter prefers _repr_mimebundle_ (BaseEstimator's diagram) over
        # _repr_html_, so route it to the table above.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _display_rows(self) -> list[tuple[str, object]]:
        """What the table shows of a fitted model, after its hyper-parameters."""
        raise NotImplementedError


def drop_learned_state(estimator) -> None:
    """Delete every learned attribute (``name_``), so a refit that raises leaves no half-updated state."""
    for name in [a for a in vars(estimator) if a.endswith("_") and not a.startswith("_")]:
        delattr(estimator, name)


class SurrogateBase(TableDisplay, ClassifierMixin, BaseEstimator):
    """Shared target handling, prediction and display for the surrogates.

    A subclass is one surrogate kind. It declares what the rest of the package derives from the registry
    (``interpret_distill.surrogates.SURROGATES``): the config's allowed kinds and default grids, the complexity
    axis, the native attribution, the report's titles and the types trusted when a saved run is loaded. It
    implements ``_fit_soft`` (fit on an ``(n, k)`` probability matrix with positive row weights) and
    ``_predict_proba``, and sets ``complexity_`` (a dict of counts) and ``complexity_score_`` in ``_fit_soft``.

    Class attributes:
        kind: the name configs and tables use (``"tree"``).
        title: how the report names the kind (``"Decision tree"``).
        complexity_unit: what ``complexity_score_`` counts (``"leaves"``), for axis labels.
        default_grid: the hyper-parameter grid swept when a config gives none.
        native_decomposition: the key of the exact attribution in
            :data:`interpret_distill.attribution.native.DECOMPOSITIONS`, or ``None``.
        _parameter_constraints: scikit-learn's parameter constraints, checked at the start of ``fit`` (and by
            the config before any training, with ``_validate_params``).
    """

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    complexity_unit: ClassVar[str] = ""
    default_grid: ClassVar[tuple[dict, ...]] = ({},)
    native_decomposition: ClassVar[str | None] = None
    _parameter_constraints: ClassVar[dict] = {}

    def fit(self, X, y, sample_weight=None):
        """Fit the surrogate on class labels or on a class-probability matrix.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: Either 1-D class labels of shape ``(n,)`` or an ``(n, k)`` matrix of
                class probabilities (non-negative, finite, rows summing to 1 within
                1e-3). A single-column 2-D ``y`` is read as a column of labels.
            sample_weight: Optional non-negative weights of shape ``(n,)``.

        Returns:
            The fitted estimator (``self``).

        Note:
            ``GridSearchCV`` and ``cross_val_score`` pass soft ``y`` through unchanged, but
            ``cross_val_predict(..., method="predict_proba")`` label-encodes each column of a
            2-D ``y`` (fitting on hard labels, or failing the row-sum check); for out-of-fold
            probabilities on soft labels, loop over ``KFold(...).split(X)`` and fit each fold.

        Raises:
            ValueError: If ``y`` is not valid labels or probabilities, its length
                differs from ``X``'s, or the weights are invalid.
        """
        # A refit that raises must not leave the previous fit's state half in place
        # (old classes_ beside new n_features_in_ would still count as fitted).
        drop_learned_state(self)
        self._validate_params()
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=True)
        n = X.shape[0]
        y_arr = np.asarray(y)
        if y_arr.ndim >= 1 and y_arr.shape[0] != n:
            raise ValueError(
                f"y has {y_arr.shape[0]} rows but X has {n} samples; pass one label "
                f"or one row of class probabilities per sample of X."
            )
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            proba = probability_matrix(y_arr, n)
            classes = np.arange(proba.shape[1])
        else:
            labels = column_or_1d(y_arr, warn=True)
            labels = check_array(labels, ensure_2d=False, dtype=None, input_name="y")
            check_classification_targets(labels)
            classes, encoded = np.unique(labels, return_inverse=True)
            # One-hot labels make both regimes share one code path.
            proba = np.eye(len(classes))[encoded]
        sw = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        # A zero weight means "not in the data": drop those rows up front so that
        # no model sees them (also keeps tree thresholds identical to removal).
        keep = sw > 0
        self._fit_soft(X[keep], proba[keep], sw[keep])
        self.classes_ = classes  # set last: a failed fit (or refit) leaves no classes_
        return self

    def __sklearn_is_fitted__(self):
        # classes_ is set last in fit, so a fit that raised is not "fitted" even
        # though validate_data already set n_features_in_.
        return hasattr(self, "classes_")

    def _fit_soft(self, X, proba, sw):
        """Fit on ``proba`` (n, k), rows summing to 1, with positive weights ``sw``."""
        raise NotImplementedError

    def predict_proba(self, X):
        """Predict class probabilities.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n, k)``, float64, rows summing to 1, columns in the
            order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self._predict_proba(X)

    def predict(self, X):
        """Predict the most probable class.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n,)`` with entries from ``classes_``.
        """
        proba = self.predict_proba(X)  # checks fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Top-1 agreement of ``predict(X)`` with ``y`` (the surrogate's fidelity).

        Overridden so that ``score`` (and hence ``GridSearchCV``/``cross_val_score``)
        accepts the same soft targets as ``fit``.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: 1-D labels, or an ``(n, k)`` probability matrix whose argmax is used.
            sample_weight: Optional weights of shape ``(n,)``.

        Returns:
            Weighted fraction of samples whose predicted class equals the target's.
        """
        check_is_fitted(self)
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            y_arr = self.classes_[np.argmax(y_arr, axis=1)]
        return super().score(X, y_arr, sample_weight=sample_weight)

    def _display_rows(self) -> list[tuple[str, object]]:
        return [*self.complexity_.items(), ("n classes", len(self.classes_)), ("n features", self.n_features_in_)]
