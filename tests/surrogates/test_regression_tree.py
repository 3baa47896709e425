"""The regression-tree surrogate: hidden step functions, Saabas contributions, variance explained per depth."""

import numpy as np
import pytest
from sklearn.metrics import r2_score

from interpret_distill.surrogates import TreeSurrogateRegressor


def _train_and_held_out(seed=0, n=400, d=4):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, size=(n, d)), rng.uniform(-1, 1, size=(n, d))


@pytest.mark.parametrize("feature", [0, 2])
def test_a_step_in_one_feature_is_matched_by_a_depth_one_tree_split_on_it(feature):
    X, X_test = _train_and_held_out(n=3000)
    step = lambda A: np.where(A[:, feature] > 0.3, 2.5, -1.0)  # noqa: E731
    tree = TreeSurrogateRegressor(max_depth=1).fit(X, step(X))
    assert r2_score(step(X_test), tree.predict(X_test)) >= 0.999  # held-out rows
    assert tree.estimator_.tree_.feature[0] == feature
    assert abs(tree.estimator_.tree_.threshold[0] - 0.3) < 0.005
    assert tree.complexity_ == {"depth": 1, "leaves": 2, "nodes": 3}


def test_saabas_contributions_sum_to_prediction_minus_the_root_mean():
    X, X_test = _train_and_held_out(1)
    y = np.sin(3 * X[:, 0]) + X[:, 1] * X[:, 2]
    tree = TreeSurrogateRegressor(max_depth=5, random_state=0).fit(X, y)
    phi = tree.decision_path_contributions(X_test)
    assert tree.bias_ == pytest.approx(y.mean()) == tree.target_mean_
    np.testing.assert_allclose(tree.bias_ + phi.sum(axis=1), tree.predict(X_test), atol=1e-12)
    assert np.all(phi[:, 3] == 0) or 3 in tree.estimator_.tree_.feature  # a feature never split on gets nothing


def test_variance_explained_by_depth_of_two_independent_steps():
    # y = 2*[x0 > 0] + [x1 > 0] on a balanced grid: Var = 1 + 0.25. The first level splits on x0 and explains
    # 1 / 1.25 = 0.8 of it, the second level the rest.
    grid = np.array([[a, b] for a in (-1.0, 1.0) for b in (-1.0, 1.0)] * 5)
    y = 2.0 * (grid[:, 0] > 0) + (grid[:, 1] > 0)
    tree = TreeSurrogateRegressor(max_depth=2).fit(grid, y)
    np.testing.assert_allclose(tree.variance_explained_by_depth(grid, y), [0.0, 0.8, 1.0])
    np.testing.assert_allclose(tree.predict_at_depth(grid, 0), np.full(len(y), 1.5))
    np.testing.assert_allclose(tree.predict_at_depth(grid, 1), 2.0 * (grid[:, 0] > 0) + 0.5)
    np.testing.assert_allclose(tree.predict_at_depth(grid, 7), tree.predict(grid))


def test_variance_explained_validates_its_target():
    tree = TreeSurrogateRegressor(max_depth=1).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="y has 3 rows but X has 2 samples"):
        tree.variance_explained_by_depth([[0.0], [1.0]], [0.0, 1.0, 2.0])


def test_sample_weights_move_the_leaf_means():
    X = np.array([[0.0], [0.0], [1.0]])
    tree = TreeSurrogateRegressor(max_depth=1).fit(X, [0.0, 3.0, 10.0], sample_weight=[2.0, 1.0, 1.0])
    assert tree.predict([[0.0], [1.0]]).tolist() == [1.0, 10.0]
    assert tree.target_mean_ == pytest.approx(13.0 / 4)


@pytest.mark.parametrize("depth", [-1, 1.5, True])
def test_predict_at_depth_refuses_a_bad_depth(depth):
    tree = TreeSurrogateRegressor(max_depth=1).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="depth must be a non-negative integer"):
        tree.predict_at_depth([[0.0]], depth)


def test_rules_show_thresholds_and_values_in_the_original_units():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])  # only age separates the values
    tree = TreeSurrogateRegressor(max_depth=1).fit(X, [-1.0, -1.0, 1.0, 1.0])
    rules = tree.export_text(feature_names=["age", "sex"], decimals=1,
                             unscale=(np.array([50.0, 0.0]), np.array([10.0, 1.0])), value_unscale=(150.0, 75.0))
    assert rules.splitlines() == ["|--- age <= 65.0", "|   |--- value: 75.0", "|--- age >  65.0",
                                  "|   |--- value: 225.0"]
    with pytest.raises(ValueError, match="feature_names has 1 entries but the surrogate was fitted on 2 features"):
        tree.export_text(feature_names=["age"])
