"""The additive surrogate: one smooth shape function per feature, ``f(x) = b + sum_j s_j(x_j)`` (a spline GAM)."""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy import linalg, sparse
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import Count
from ._regression_base import RegressorSurrogateBase

# The most knot values fitted at once: the solve holds a dense (knots x knots) matrix (5,000: 200 MB, seconds).
MAX_KNOTS = 5000
# A ridge on the knot values, relative to the mean of the system's diagonal: it decides the directions the data and
# the smoothing leave open (more features than rows, a knot with no training row near it and no smoothing) in
# favour of small values, and keeps the solve well conditioned; elsewhere it shrinks the fit by about 1e-6.
_RIDGE = 1e-6


def _hat_basis(x: np.ndarray, knots: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Piecewise-linear interpolation weights of ``x`` on equally spaced ``knots``: (rows, knot, weight) triplets.

    Two knots per row carry weights ``1 - t`` and ``t``, so ``weights @ values == np.interp(x, knots, values)``
    (constant beyond the end knots, like ``np.interp``).
    """
    position = np.clip((x - knots[0]) / (knots[-1] - knots[0]) * (len(knots) - 1), 0.0, len(knots) - 1)
    left = np.minimum(np.floor(position).astype(np.intp), len(knots) - 2)
    frac = position - left
    rows = np.arange(len(x))
    return np.concatenate([rows, rows]), np.concatenate([left, left + 1]), np.concatenate([1.0 - frac, frac])


class AdditiveSurrogateRegressor(RegressorSurrogateBase):
    """Penalised piecewise-linear spline GAM: ``predict(x) = intercept_ + sum_j shape_j(x_j)``.

    Each feature's shape function is linear between ``n_knots`` equally spaced knots spanning its training range
    (constant beyond it). All knot values are fitted at once by weighted least squares with a penalty on their
    second differences (a P-spline, Eilers & Marx 1996), which pulls each shape towards a straight line:

        1/W sum_i w_i (y_i - f(x_i))^2 + smoothing * sum_j sum_k (v_j,k-1 - 2 v_j,k + v_j,k+1)^2.

    Each shape is then centred to weighted mean 0 over the training rows, so ``intercept_`` is the training mean
    of ``y`` and ``shape_j(x_j)`` is feature ``j``'s contribution relative to it. With ``max_features`` the
    features whose shapes vary most on the training rows (weighted variance of ``shape_j(x_j)``) are kept and
    the model is refitted on them alone; the others get the zero shape.

    Cost: ``O(n d + (d n_knots)^3)`` time and ``(d n_knots)^2`` memory, for tabular inputs (tens of features);
    more than ``MAX_KNOTS`` (5,000) knot values in all is refused.

    Args:
        n_knots: Knots per feature (at least 2; a feature with fewer distinct training values gets one knot per
            value's count, spread evenly over its range).
        smoothing: Weight of the second-difference penalty (0: unpenalised interpolation between knots).
        max_features: Keep at most this many features (``None``: all).

    Attributes:
        knots_: ``d`` arrays of knot positions (one position for a feature constant in training).
        values_: ``d`` arrays, each shape's values at its knots (all 0 for an unused feature).
        features_: Sorted indices of the features used (a shape that is not identically 0).
        intercept_: Weighted training mean of ``y``.
        complexity_: ``{"features", "knots"}``: features used and their knots in total.
        complexity_score_: Number of features used.

    Example:
        >>> import numpy as np
        >>> X = np.array([[a, b] for a in range(4) for b in (0.0, 1.0)])
        >>> gam = AdditiveSurrogateRegressor(n_knots=4, smoothing=0.0).fit(X, X[:, 0] ** 2 + X[:, 1])
        >>> gam.intercept_, gam.shape_function(1, [0.0, 1.0]).round(3).tolist()
        (4.0, [-0.5, 0.5])
        >>> gam.shape_function(0, [0.0, 1.5, 3.0]).round(3).tolist()  # x0**2 - 3.5, linear between knots
        [-3.5, -1.0, 5.5]
    """

    kind = "additive"
    title = "Additive model"
    complexity_unit = "features"
    default_grid = tuple({"max_features": m, "smoothing": s} for m in (1, 2, 3, 5, 8, None) for s in (0.01, 1.0))
    native_decomposition = "additive_shapes"
    _parameter_constraints = {
        "n_knots": [Count(2)],
        "smoothing": [Interval(Real, 0, None, closed="left")],
        "max_features": [Count(1), None],
    }

    def __init__(self, n_knots=16, smoothing=0.1, max_features=None):
        self.n_knots = n_knots
        self.smoothing = smoothing
        self.max_features = max_features

    def _fit_values(self, X, y, sw):
        X = np.asarray(X, dtype=np.float64)
        self.knots_ = [self._knots(X[:, j]) for j in range(X.shape[1])]
        candidates = [j for j in range(X.shape[1]) if len(self.knots_[j]) > 1]
        total = sum(len(self.knots_[j]) for j in candidates)
        if total > MAX_KNOTS:
            raise ValueError(f"the additive surrogate would fit {total} knot values ({len(candidates)} features), "
                             f"more than {MAX_KNOTS}; lower n_knots (e.g. to {max(2, MAX_KNOTS // len(candidates))})"
                             f" or fit it on fewer features.")
        self.intercept_ = float(np.average(y, weights=sw))
        self.values_ = self._solve(X, y, sw, candidates)
        if self.max_features is not None and len(candidates) > self.max_features:
            spread = [np.average(self._shape(j, X[:, j]) ** 2, weights=sw) for j in candidates]
            keep = sorted(candidates[i] for i in np.argsort(-np.asarray(spread), kind="stable")[: self.max_features])
            self.values_ = self._solve(X, y, sw, keep)
        self.features_ = np.array([j for j, v in enumerate(self.values_) if np.any(v != 0)], dtype=np.intp)
        self.complexity_ = {"features": int(len(self.features_)),
                            "knots": int(sum(len(self.knots_[j]) for j in self.features_))}
        self.complexity_score_ = self.complexity_["features"]

    def _knots(self, column: np.ndarray) -> np.ndarray:
        lo, hi = float(column.min()), float(column.max())
        if hi <= lo:
            return np.array([lo])
        return np.linspace(lo, hi, min(int(self.n_knots), len(np.unique(column))))

    def _solve(self, X, y, sw, features) -> list[np.ndarray]:
        """Knot values of ``features`` (zero shapes elsewhere), each centred to weighted training mean 0."""
        values = [np.zeros(len(k)) for k in self.knots_]
        if not features:
            return values
        sizes = [len(self.knots_[j]) for j in features]
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        triplets = [_hat_basis(X[:, j], self.knots_[j]) for j in features]
        rows = np.concatenate([t[0] for t in triplets])
        cols = np.concatenate([t[1] + offsets[i] for i, t in enumerate(triplets)])
        basis = sparse.csr_matrix((np.concatenate([t[2] for t in triplets]), (rows, cols)),
                                  shape=(X.shape[0], offsets[-1]))
        share = sw / sw.sum()
        mean = np.asarray(basis.T @ share).reshape(-1)
        # Centred normal equations: B_c' S B_c = B' S B - m m' with S = diag(share), m = B' share.
        gram = np.asarray((basis.T @ sparse.diags(share) @ basis).todense()) - np.outer(mean, mean)
        rhs = np.asarray(basis.T @ (share * (y - self.intercept_))).reshape(-1)
        penalty = sparse.block_diag([np.diff(np.eye(s), n=2, axis=0) for s in sizes]).tocsr()
        gram += self.smoothing * np.asarray((penalty.T @ penalty).todense())
        # Each feature's values are determined only up to a constant (its hat functions sum to 1, and both the
        # centred data term and the difference penalty ignore a shift): fix its first knot's value to 0.
        free = np.setdiff1d(np.arange(offsets[-1]), offsets[:-1])
        gram = gram[np.ix_(free, free)]
        gram[np.diag_indices_from(gram)] += _RIDGE * max(float(np.mean(np.diag(gram))), 1e-300)
        solution = np.zeros(offsets[-1])
        solution[free] = linalg.solve(gram, rhs[free], assume_a="pos")
        for i, j in enumerate(features):
            v = solution[offsets[i]:offsets[i + 1]]
            values[j] = v - v @ mean[offsets[i]:offsets[i + 1]]  # weighted training mean of shape_j -> 0
        return values

    def shape_function(self, feature_index: int, grid) -> np.ndarray:
        """Feature ``feature_index``'s shape function on ``grid``: its contribution to the prediction.

        Args:
            feature_index: Column of ``X``, in ``[0, n_features_in_)``.
            grid: 1-D values of that feature (e.g. ``np.linspace`` over its range, for a shape plot).

        Returns:
            ``(len(grid),)`` float64, relative to ``intercept_`` (weighted training mean 0).

        Raises:
            ValueError: an index out of range or a grid that is not 1-D numbers.
        """
        check_is_fitted(self)
        if not 0 <= int(feature_index) < self.n_features_in_:
            raise ValueError(f"feature_index {feature_index} is out of range; pass a column of X in "
                             f"[0, {self.n_features_in_}).")
        points = np.asarray(grid, dtype=np.float64)
        if points.ndim != 1:
            raise ValueError(f"grid must be 1-D values of one feature, got shape {points.shape}; pass e.g. "
                             f"np.linspace(lo, hi, 50).")
        return self._shape(int(feature_index), points)

    def _shape(self, j: int, points: np.ndarray) -> np.ndarray:
        knots, values = self.knots_[j], self.values_[j]
        return np.interp(points, knots, values) if len(knots) > 1 else np.full(len(points), float(values[0]))

    def shape_contributions(self, X) -> np.ndarray:
        """Every feature's shape value for every row: ``predict(X) == intercept_ + shape_contributions(X).sum(1)``.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            ``(n, d)`` float64.
        """
        check_is_fitted(self)
        return self._contributions(validate_data(self, X, dtype=[np.float64, np.float32], reset=False))

    def _contributions(self, X):
        return np.column_stack([self._shape(j, np.asarray(X[:, j], dtype=np.float64)) for j in range(X.shape[1])])

    def _predict(self, X):
        return self.intercept_ + self._contributions(X).sum(axis=1)
