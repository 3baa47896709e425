"""The linear surrogate: multinomial logistic regression that minimises the soft cross-entropy."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval

from ..probability import softmax
from ._base import Count, SurrogateBase, floor_absent


class LinearSurrogate(SurrogateBase):
    """Multinomial logistic-regression surrogate trained on soft labels.

    Each sample is repeated once per class ``j`` with label ``j`` and weight
    ``p_ij * sample_weight_i``, so ``LogisticRegression`` minimises exactly the soft
    cross-entropy (plus its penalty). ``l1_ratio`` mixes the penalty: 0 is L2
    (solver lbfgs), 1 is L1 for sparse coefficients, in between elastic-net (saga).
    Note the expansion holds ``n * k`` rows of ``X`` in memory during ``fit``.

    A class with no probability mass at all gets a pseudo-mass of 1e-6 per sample,
    so it keeps finite coefficients and a tiny probability (limited by ``tol``)
    while ``predict_proba == softmax(X @ coef_.T + intercept_)`` stays exact.

    Args:
        C: Inverse regularisation strength (``np.inf``: unpenalised).
        l1_ratio: Share of L1 in the penalty, in ``[0, 1]``.
        max_iter: Maximum solver iterations.
        tol: Solver tolerance.
        random_state: Seed for saga's sample shuffling (``l1_ratio > 0``).

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted ``LogisticRegression`` (on class indices ``0..k-1``).
        coef_: ``(k, d)`` weights; for binary problems sklearn's single row ``w``
            becomes ``[-w/2, w/2]`` so the softmax identity holds for every ``k``.
        intercept_: ``(k,)`` biases, same convention.
        n_iter_: Solver iterations.
        absent_classes_: ``(k,)`` bool, classes with no training mass.
        complexity_: ``{"nonzero_coefficients", "coefficients"}``, counted on
            ``estimator_.coef_`` (the free parameters: one row when binary).
        complexity_score_: Number of non-zero coefficients.

    Example:
        >>> import numpy as np
        >>> X = np.array([[-1.0], [0.0], [1.0]], dtype=np.float32)
        >>> P = np.array([[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]])
        >>> lin = LinearSurrogate(C=100.0).fit(X, P)
        >>> lin.coef_.shape, lin.intercept_.shape
        ((2, 1), (2,))
        >>> lin.predict_proba(X).round(1).tolist()
        [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]]
    """

    kind = "linear"
    title = "Linear model"
    complexity_unit = "non-zero coefficients"
    default_grid = tuple({"C": C, "l1_ratio": r} for r in (0.0, 1.0) for C in (0.001, 0.01, 0.1, 1.0, 10.0))
    native_decomposition = "linear_terms"
    _parameter_constraints = {
        "C": [Interval(Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_iter": [Count(1)],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(self, C=1.0, l1_ratio=0.0, max_iter=1000, tol=1e-4,
                 random_state=None):
        self.C = C
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit_soft(self, X, proba, sw):
        k = proba.shape[1]
        if k < 2:
            raise ValueError(
                "LinearSurrogate needs at least 2 classes, but y has only one class; "
                "a constant target has nothing to explain."
            )
        self.absent_classes_ = (proba * sw[:, None]).sum(axis=0) == 0
        if self.absent_classes_.any():
            proba = floor_absent(proba, self.absent_classes_)

        weights = proba * sw[:, None]
        rows, labels = np.nonzero(weights)  # zero-weight (row, class) pairs dropped
        self.estimator_ = LogisticRegression(
            C=self.C,
            l1_ratio=self.l1_ratio,
            solver="saga" if self.l1_ratio > 0 else "lbfgs",
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
        ).fit(X[rows], labels, sample_weight=weights[rows, labels])

        coef = self.estimator_.coef_
        intercept = self.estimator_.intercept_
        if k == 2:
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        self.n_iter_ = self.estimator_.n_iter_
        self.complexity_ = {
            "nonzero_coefficients": int(np.count_nonzero(self.estimator_.coef_)),
            "coefficients": int(self.estimator_.coef_.size),
        }
        self.complexity_score_ = self.complexity_["nonzero_coefficients"]

    def _predict_proba(self, X):
        return softmax(X @ self.coef_.T + self.intercept_)
