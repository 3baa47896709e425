"""The additive surrogate: recovered shape functions, an ignored noise feature, exact centring."""

import numpy as np
import pytest
from sklearn.metrics import r2_score

from interpret_distill.surrogates import AdditiveSurrogateRegressor


def _additive_teacher(seed=0, n=600):
    """y = sin(2 x0) + x1^2 on [-2, 2]^2, plus x2, a feature y does not depend on."""
    rng = np.random.default_rng(seed)
    X, X_test = rng.uniform(-2, 2, size=(n, 3)), rng.uniform(-2, 2, size=(n, 3))
    truth = lambda A: np.sin(2 * A[:, 0]) + A[:, 1] ** 2  # noqa: E731
    return X, truth(X), X_test, truth(X_test)


@pytest.fixture(scope="module")
def fitted():
    X, y, X_test, y_test = _additive_teacher()
    return AdditiveSurrogateRegressor(smoothing=0.01).fit(X, y), X, y, X_test, y_test


def test_the_shape_functions_of_an_additive_teacher_are_recovered(fitted):
    gam, X, y, X_test, y_test = fitted
    grid = np.linspace(-2, 2, 101)
    assert np.corrcoef(gam.shape_function(0, grid), np.sin(2 * grid))[0, 1] >= 0.99
    assert np.corrcoef(gam.shape_function(1, grid), grid ** 2)[0, 1] >= 0.99
    assert r2_score(y_test, gam.predict(X_test)) >= 0.99  # held-out rows


def test_a_pure_noise_feature_gets_a_flat_shape_and_is_dropped_by_max_features(fitted):
    gam, X, y, X_test, _ = fitted
    spread = gam.shape_contributions(X_test).std(axis=0)
    assert spread[2] < 0.02 * min(spread[0], spread[1])
    two = AdditiveSurrogateRegressor(smoothing=0.01, max_features=2).fit(X, y)
    assert two.features_.tolist() == [0, 1] and two.complexity_["features"] == two.complexity_score_ == 2
    assert not two.values_[2].any() and not two.shape_function(2, np.linspace(-2, 2, 5)).any()
    assert two.complexity_["knots"] == 32
    assert gam.complexity_score_ == 3  # without a cap the flat shape still counts


def test_prediction_is_the_intercept_plus_the_centred_shapes(fitted):
    gam, X, y, X_test, _ = fitted
    np.testing.assert_allclose(gam.intercept_ + gam.shape_contributions(X_test).sum(axis=1), gam.predict(X_test))
    np.testing.assert_allclose(gam.shape_contributions(X).mean(axis=0), 0.0, atol=1e-12)
    assert gam.intercept_ == pytest.approx(y.mean()) == gam.target_mean_


def test_smoothing_straightens_the_shapes():
    X, y, _, _ = _additive_teacher()
    stiff = AdditiveSurrogateRegressor(smoothing=1e6).fit(X, y)
    grid = np.linspace(-2, 2, 9)
    np.testing.assert_allclose(np.diff(stiff.shape_function(1, grid), n=2), 0.0, atol=1e-3)  # x1^2 fitted by a line


def test_constant_and_few_valued_features():
    X = np.column_stack([np.full(8, 3.0), np.resize([0.0, 1.0], 8), np.arange(8.0)])
    gam = AdditiveSurrogateRegressor(smoothing=0.0).fit(X, 2.0 * X[:, 1] + X[:, 2])
    assert [len(k) for k in gam.knots_] == [1, 2, 8]
    assert gam.features_.tolist() == [1, 2]
    np.testing.assert_allclose(gam.predict(X), 2.0 * X[:, 1] + X[:, 2], atol=1e-4)  # the 1e-6 ridge


def test_shape_function_refuses_bad_arguments(fitted):
    gam = fitted[0]
    with pytest.raises(ValueError, match=r"feature_index 3 is out of range; pass a column of X in \[0, 3\)\."):
        gam.shape_function(3, [0.0])
    with pytest.raises(ValueError, match=r"grid must be 1-D values of one feature, got shape \(2, 2\)"):
        gam.shape_function(0, np.zeros((2, 2)))


def test_too_many_knots_are_refused_with_the_fix():
    X = np.random.default_rng(0).normal(size=(40, 400))
    with pytest.raises(ValueError, match=r"would fit 6400 knot values \(400 features\), more than 5000; lower "
                                         r"n_knots \(e.g. to 12\) or fit it on fewer features\."):
        AdditiveSurrogateRegressor().fit(X, X[:, 0])
