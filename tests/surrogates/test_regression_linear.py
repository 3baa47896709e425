"""The linear regression surrogate: exact recovery of a linear teacher, one alpha for all penalties, sparsity."""

import numpy as np
import pytest
from sklearn.metrics import r2_score

from interpret_distill.surrogates import LinearSurrogateRegressor

COEF = np.array([1.5, -2.0, 0.0, 0.5, 0.0])


def _linear_teacher(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X, X_test = rng.normal(size=(n, 5)) * [1, 2, 1, 3, 1], rng.normal(size=(n, 5)) * [1, 2, 1, 3, 1]
    return X, X @ COEF + 0.7, X_test, X_test @ COEF + 0.7


@pytest.mark.parametrize("penalty", ["ridge", "lasso", "elasticnet"])
def test_an_exactly_linear_teacher_is_matched_on_held_out_rows(penalty):
    X, y, X_test, y_test = _linear_teacher()
    lin = LinearSurrogateRegressor(penalty=penalty, alpha=1e-3).fit(X, y)
    assert r2_score(y_test, lin.predict(X_test)) >= 0.999
    np.testing.assert_allclose(lin.coef_, COEF, atol=0.01)
    assert lin.intercept_ == pytest.approx(0.7, abs=0.01)


def test_lasso_drops_the_unused_features_and_ridge_keeps_them():
    X, y, _, _ = _linear_teacher()
    lasso = LinearSurrogateRegressor(penalty="lasso", alpha=0.05).fit(X, y)
    assert np.flatnonzero(lasso.coef_).tolist() == [0, 1, 3]
    assert lasso.complexity_ == {"nonzero_coefficients": 3, "coefficients": 5} and lasso.complexity_score_ == 3
    assert LinearSurrogateRegressor(penalty="ridge", alpha=0.05).fit(X, y).complexity_score_ == 5


def test_ridge_alpha_has_the_elastic_net_scaling():
    # 1/(2W) sum w r^2 + alpha/2 |coef|^2 is minimised by (Xc' S Xc + alpha I) coef = Xc' S yc, S = diag(w / W).
    rng = np.random.default_rng(1)
    X, y, w = rng.normal(size=(50, 3)), rng.normal(size=50), rng.uniform(0.5, 2.0, size=50)
    share = w / w.sum()
    Xc, yc = X - share @ X, y - share @ y
    expected = np.linalg.solve(Xc.T @ (share[:, None] * Xc) + 0.3 * np.eye(3), Xc.T @ (share * yc))
    lin = LinearSurrogateRegressor(penalty="ridge", alpha=0.3).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(lin.coef_, expected, rtol=1e-8)
    np.testing.assert_allclose(lin.x_mean_, share @ X)
    assert lin.predict(lin.x_mean_[None])[0] == pytest.approx(lin.target_mean_)  # the attribution's reference


def test_standardised_coefficients_are_per_standard_deviation():
    X, y, _, _ = _linear_teacher()
    lin = LinearSurrogateRegressor(alpha=1e-6).fit(X, y)
    np.testing.assert_allclose(lin.standardised_coef_, lin.coef_ * X.std(axis=0))
    # feature 3 has the smaller weight but three times the spread, so per standard deviation it matters about
    # as much as feature 0
    assert abs(lin.standardised_coef_[3]) == pytest.approx(0.5 * X[:, 3].std(), rel=1e-3)
