"""The linear regression surrogate: ridge, lasso or elastic net on the teacher's predicted values."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.linear_model import ElasticNet, Lasso, Ridge
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import Count
from ._regression_base import RegressorSurrogateBase

# penalty -> the scikit-learn estimator minimising, with total training weight W,
#   1/(2W) * sum_i w_i (y_i - x_i . coef - b)^2 + alpha * (l1 * |coef|_1 + (1 - l1)/2 * |coef|_2^2)
# (scikit-learn's ElasticNet objective; Ridge states the same problem unnormalised, hence alpha * W).
_PENALTIES = {
    "ridge": lambda s, total: Ridge(alpha=s.alpha * total),
    "lasso": lambda s, total: Lasso(alpha=s.alpha, max_iter=s.max_iter, tol=s.tol),
    "elasticnet": lambda s, total: ElasticNet(alpha=s.alpha, l1_ratio=s.l1_ratio, max_iter=s.max_iter, tol=s.tol),
}


class LinearSurrogateRegressor(RegressorSurrogateBase):
    """Penalised linear regression: ``predict(x) = x . coef_ + intercept_``.

    All three penalties minimise one objective (scikit-learn's elastic-net scaling), so ``alpha`` means the same
    for each: ``1/(2W) sum_i w_i r_i^2 + alpha * (l1 |coef|_1 + (1 - l1)/2 |coef|_2^2)``, with ``W`` the total
    weight and ``l1`` 0 (``"ridge"``), 1 (``"lasso"``, sparse) or ``l1_ratio`` (``"elasticnet"``).

    Args:
        penalty: ``"ridge"``, ``"lasso"`` or ``"elasticnet"``.
        alpha: Penalty strength (> 0).
        l1_ratio: Share of L1 in the elastic net's penalty, in ``[0, 1]`` (unused by ridge and lasso).
        max_iter: Maximum coordinate-descent iterations (lasso, elastic net).
        tol: Coordinate-descent tolerance (lasso, elastic net).

    Attributes:
        estimator_: The fitted ``Ridge``, ``Lasso`` or ``ElasticNet``.
        n_iter_: Coordinate-descent iterations (1 for ridge, solved in closed form).
        coef_: ``(d,)`` weights.
        intercept_: Bias (float).
        x_mean_: ``(d,)`` weighted training mean of each feature: the native attribution's reference, at which
            the surrogate predicts ``target_mean_``.
        standardised_coef_: ``(d,)`` change of the prediction per training standard deviation of each feature
            (``coef_ * std``), comparable across features in different units.
        complexity_: ``{"nonzero_coefficients", "coefficients"}``.
        complexity_score_: Number of non-zero coefficients.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
        >>> lin = LinearSurrogateRegressor(penalty="lasso", alpha=0.01).fit(X, 2.0 * X[:, 0] + 1.0)
        >>> round(float(lin.coef_[0]), 2), round(lin.intercept_, 2), lin.complexity_
        (1.99, 1.01, {'nonzero_coefficients': 1, 'coefficients': 2})
    """

    kind = "linear"
    title = "Linear model"
    complexity_unit = "non-zero coefficients"
    default_grid = tuple(
        [{"penalty": "lasso", "alpha": a} for a in (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)]
        + [{"penalty": "elasticnet", "alpha": a, "l1_ratio": 0.5} for a in (0.01, 0.1)]
        + [{"penalty": "ridge", "alpha": a} for a in (0.0001, 0.01, 1.0)]
    )
    native_decomposition = "linear_value"
    _parameter_constraints = {
        "penalty": [StrOptions(set(_PENALTIES))],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "l1_ratio": [Interval(Real, 0, 1, closed="both")],
        "max_iter": [Count(1)],
        "tol": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, penalty="ridge", alpha=0.01, l1_ratio=0.5, max_iter=1000, tol=1e-4):
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol

    def _fit_values(self, X, y, sw):
        self.estimator_ = _PENALTIES[self.penalty](self, float(sw.sum())).fit(X, y, sample_weight=sw)
        self.coef_ = np.asarray(self.estimator_.coef_, dtype=np.float64).reshape(-1)
        self.intercept_ = float(self.estimator_.intercept_)
        n_iter = getattr(self.estimator_, "n_iter_", None)
        self.n_iter_ = 1 if n_iter is None else int(np.max(n_iter))  # a closed-form ridge solve is one step
        self.x_mean_ = np.average(X, axis=0, weights=sw).astype(np.float64)
        std = np.sqrt(np.average((X - self.x_mean_) ** 2, axis=0, weights=sw))
        self.standardised_coef_ = self.coef_ * std
        self.complexity_ = {"nonzero_coefficients": int(np.count_nonzero(self.coef_)),
                            "coefficients": int(self.coef_.size)}
        self.complexity_score_ = self.complexity_["nonzero_coefficients"]

    def _predict(self, X):
        return X @ self.coef_ + self.intercept_
