"""What the regression surrogates share: scikit-learn's estimator checks, target validation, the registry, saving."""

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from interpret_distill.surrogates import (
    REGRESSION_SURROGATES,
    SURROGATES,
    AdditiveSurrogateRegressor,
    LinearSurrogateRegressor,
    RegressorSurrogateBase,
    TreeSurrogateRegressor,
    build_surrogate,
    check_surrogate_params,
    surrogate_registry,
)
from tests.surrogates._data import X4

# Every registered regressor at its defaults, then the settings that take other code paths. The L1 fits use a
# tight `tol`: weighted vs. repeated rows (check_sample_weight_equivalence) only agree to rtol=1e-7 once coordinate
# descent has converged that far.
CHECKED = [
    *(cls() for cls in REGRESSION_SURROGATES.values()),
    TreeSurrogateRegressor(max_depth=3, random_state=0),
    TreeSurrogateRegressor(max_leaf_nodes=5, random_state=0),
    LinearSurrogateRegressor(penalty="lasso", alpha=0.01, tol=1e-10, max_iter=100_000),
    LinearSurrogateRegressor(penalty="elasticnet", alpha=0.01, l1_ratio=0.3, tol=1e-10, max_iter=100_000),
    AdditiveSurrogateRegressor(n_knots=5, smoothing=0.0),
    AdditiveSurrogateRegressor(max_features=2, smoothing=1.0),
]


@parametrize_with_checks(CHECKED)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_every_registered_regressor_is_checked_at_its_defaults():
    defaults = [type(e) for e in CHECKED if e.get_params(deep=False) == type(e)().get_params(deep=False)]
    assert set(defaults) == set(REGRESSION_SURROGATES.values())
    assert all(issubclass(cls, RegressorSurrogateBase) for cls in REGRESSION_SURROGATES.values())


def test_registry_by_task():
    assert REGRESSION_SURROGATES == {"tree": TreeSurrogateRegressor, "linear": LinearSurrogateRegressor,
                                     "additive": AdditiveSurrogateRegressor}
    assert surrogate_registry("regression") is REGRESSION_SURROGATES
    assert surrogate_registry("classification") is SURROGATES and surrogate_registry() is SURROGATES
    assert {kind: cls.complexity_unit for kind, cls in REGRESSION_SURROGATES.items()} == {
        "tree": "leaves", "linear": "non-zero coefficients", "additive": "features"}
    assert {p["penalty"] for p in LinearSurrogateRegressor.default_grid} == {"ridge", "lasso", "elasticnet"}
    for kind, cls in REGRESSION_SURROGATES.items():
        assert cls.kind == kind and cls.title and cls.default_grid
        for params in cls.default_grid:
            check_surrogate_params(kind, task="regression", **params)
    with pytest.raises(ValueError, match=r"unknown task 'ranking'; allowed tasks: classification, regression\."):
        surrogate_registry("ranking")


def test_native_decompositions_of_the_regressors_are_known_to_the_attributions():
    from interpret_distill.attribution.native import DECOMPOSITIONS, VALUE_DECOMPOSITIONS

    assert {kind: cls.native_decomposition for kind, cls in REGRESSION_SURROGATES.items()} == {
        "tree": "saabas_value", "linear": "linear_value", "additive": "additive_shapes"}
    assert {cls.native_decomposition for cls in REGRESSION_SURROGATES.values()} <= set(VALUE_DECOMPOSITIONS)
    assert set(VALUE_DECOMPOSITIONS) <= set(DECOMPOSITIONS)


def test_build_and_check_by_task():
    assert build_surrogate("tree", task="regression", max_depth=2).get_params()["max_depth"] == 2
    assert type(build_surrogate("tree")).__name__ == "TreeSurrogate"  # classification stays the default
    with pytest.raises(ValueError, match=r"unknown surrogate kind 'naive_bayes' for regression; allowed kinds: "
                                         r"additive, linear, tree\."):
        build_surrogate("naive_bayes", task="regression")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) C for surrogate 'linear'; allowed parameters: "
                                         r"alpha, l1_ratio, max_iter, penalty, tol\."):
        build_surrogate("linear", task="regression", C=1.0)
    with pytest.raises(ValueError, match=r"'penalty' parameter of LinearSurrogateRegressor must be a str among"):
        check_surrogate_params("linear", task="regression", penalty="l0")
    with pytest.raises(ValueError, match=r"'max_features' parameter of AdditiveSurrogateRegressor"):
        check_surrogate_params("additive", task="regression", max_features=0)


@pytest.mark.parametrize(("y", "message"), [
    (np.array(["a", "b", "c", "d"]), r"y must be numeric .* got dtype <U1; encode it as numbers, or fit a "
                                     r"classification surrogate"),
    (np.ones((4, 2)), r"y has 2 columns, but a regression surrogate explains one output; pass one predicted value"),
    (np.array([0.0, np.nan, 1.0, np.inf]), r"y contains 2 NaN or infinite value\(s\), first in row 1; drop those"),
    (np.ones(3), r"y has 3 rows but X has 4 samples; pass one target value per sample of X\."),
    (None, r"requires y to be passed, but the target y is None"),
])
@pytest.mark.parametrize("kind", sorted(REGRESSION_SURROGATES))
def test_invalid_targets_raise_one_line_errors_and_leave_the_model_unfitted(kind, y, message):
    model = build_surrogate(kind, task="regression").fit(X4, [0.0, 1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=message) as error:
        model.fit(X4, y)
    assert "\n" not in str(error.value)
    assert not model.__sklearn_is_fitted__() and not hasattr(model, "complexity_")


def test_zero_weights_and_integer_targets():
    with pytest.raises(ValueError, match=r"at least one non-zero"):
        TreeSurrogateRegressor().fit(X4, [0.0, 1.0, 2.0, 3.0], sample_weight=np.zeros(4))
    model = LinearSurrogateRegressor(alpha=1e-8).fit(X4, [0, 1, 2, 3])  # ints are numbers too
    np.testing.assert_allclose(model.predict(X4), [0.0, 1.0, 2.0, 3.0], atol=1e-6)
    assert model.target_mean_ == 1.5


def test_repr_html():
    assert "not fitted" in AdditiveSurrogateRegressor()._repr_html_()
    page = TreeSurrogateRegressor(max_depth=1).fit(X4, [0.0, 0.0, 1.0, 1.0])._repr_html_()
    for text in ("tree", "max_depth", "leaves", "n features"):
        assert text in page
    assert "n classes" not in page and "not fitted" not in page


@pytest.mark.parametrize("kind", sorted(REGRESSION_SURROGATES))
def test_saved_regressors_load_with_the_trusted_types_only(tmp_path, kind):
    import skops.io as sio

    from interpret_distill.artifacts import TRUSTED_TYPES, load_surrogate, save_surrogate

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    model = build_surrogate(kind, task="regression").fit(X, X[:, 0] - X[:, 1] ** 2)
    save_surrogate(model, tmp_path / "m.skops")
    assert set(sio.get_untrusted_types(file=tmp_path / "m.skops")) <= TRUSTED_TYPES
    np.testing.assert_array_equal(load_surrogate(tmp_path / "m.skops").predict(X), model.predict(X))
