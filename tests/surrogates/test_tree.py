"""The decision-tree surrogate (interpret_distill.surrogates.tree): splits on soft labels, leaf means, Saabas
contributions, complexity, and the tree's statistics after refinement."""

import numpy as np
import pytest
from scipy.special import softmax

from interpret_distill.surrogates import TreeSurrogate
from tests.surrogates._data import X4


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_tree_contributions_sum_to_leaf_values(criterion):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 5))
    P = rng.dirichlet(np.ones(4), size=80)
    tree = TreeSurrogate(max_depth=4, criterion=criterion, random_state=0).fit(X, P)
    Xt = rng.normal(size=(25, 5))
    contrib = tree.decision_path_contributions(Xt)
    assert contrib.shape == (25, 5, 4)
    np.testing.assert_allclose(tree.bias_, P.mean(axis=0))
    recon = tree.bias_ + contrib.sum(axis=1)
    leaf_means = [P[tree.estimator_.apply(X) == leaf].mean(axis=0) for leaf in tree.estimator_.apply(Xt)]
    np.testing.assert_allclose(recon, leaf_means, atol=1e-12)
    if criterion == "squared_error":
        np.testing.assert_allclose(recon, tree.estimator_.predict(Xt), atol=1e-12)
    # With every class present, that is predict_proba up to float noise.
    np.testing.assert_allclose(recon, tree.predict_proba(Xt), atol=1e-12)
    # Each sample's contribution vectors sum to 0 over classes (both are probas).
    np.testing.assert_allclose(contrib.sum(axis=2), 0.0, atol=1e-12)


def _soft_cross_entropy_of_split(P, left):
    """Weighted cross-entropy of both children's mean probabilities against their rows' soft labels."""
    total = 0.0
    for side in (left, ~left):
        mean = P[side].mean(axis=0)
        total -= (P[side] * np.log(np.clip(mean, 1e-300, None))).sum()
    return total


def test_entropy_tree_picks_the_split_of_least_soft_cross_entropy():
    # Soft labels on a line where the squared-error and cross-entropy criteria disagree about the root split;
    # the best threshold is found by brute force over every cut.
    rng = np.random.default_rng(7)
    for _ in range(50):
        X = np.arange(8, dtype=np.float64)[:, None]
        P = rng.dirichlet(np.full(3, 0.3), size=8)
        P = np.where(P > 0.01, P, 0.0)  # every mass left is kept in the repetition
        P /= P.sum(axis=1, keepdims=True)
        cuts = np.arange(1, 8)
        scores = [_soft_cross_entropy_of_split(P, X[:, 0] < c) for c in cuts]
        sse = [sum(((P[s] - P[s].mean(axis=0)) ** 2).sum() for s in (X[:, 0] < c, X[:, 0] >= c)) for c in cuts]
        if np.argmin(scores) != np.argmin(sse) and np.sort(scores)[1] - np.min(scores) > 1e-6:
            break
    else:
        pytest.fail("no disagreeing case found")
    entropy = TreeSurrogate(max_depth=1, criterion="entropy").fit(X, P)
    squared = TreeSurrogate(max_depth=1).fit(X, P)
    assert entropy.estimator_.tree_.threshold[0] == cuts[np.argmin(scores)] - 0.5
    assert squared.estimator_.tree_.threshold[0] == cuts[np.argmin(sse)] - 0.5
    # Leaves hold the mean soft labels of their rows with either criterion.
    left = X[:, 0] < cuts[np.argmin(scores)]
    np.testing.assert_allclose(entropy.predict_proba(X[:1]), [P[left].mean(axis=0)], atol=1e-9)


def test_tree_rejects_unknown_criterion():
    # scikit-learn's parameter validation; set order varies, so each allowed value is looked for on its own
    with pytest.raises(ValueError, match=r"'criterion' parameter of TreeSurrogate must be a str among "
                                         r"(?=.*'squared_error')(?=.*'entropy')"):
        TreeSurrogate(criterion="gini").fit(np.eye(2), [0, 1])


def test_tree_contributions_by_hand():
    X = np.array([[0.0, 7.0], [1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
    contrib = tree.decision_path_contributions(X)
    # Root mean (0.5, 0.5); the split on feature 0 moves it to a pure leaf.
    np.testing.assert_allclose(contrib[:, 0], [[0.5, -0.5]] * 2 + [[-0.5, 0.5]] * 2)
    np.testing.assert_allclose(contrib[:, 1], 0.0)


def test_complexity_hand_checked():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
    assert tree.complexity_ == {"depth": 1, "leaves": 2, "nodes": 3}
    assert tree.complexity_score_ == 2


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_refine_passes_zero_is_the_greedy_tree(criterion):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 4))
    P = rng.dirichlet(np.ones(3), size=200)
    default = TreeSurrogate(max_depth=4, criterion=criterion, random_state=0).fit(X, P)
    explicit = TreeSurrogate(max_depth=4, criterion=criterion, random_state=0, refine_passes=0).fit(X, P)
    assert default.get_params()["refine_passes"] == 0
    assert default.refine_history_.size == 0
    np.testing.assert_array_equal(default.estimator_.tree_.feature, explicit.estimator_.tree_.feature)
    np.testing.assert_array_equal(default.estimator_.tree_.threshold, explicit.estimator_.tree_.threshold)
    np.testing.assert_array_equal(default.node_proba_, explicit.node_proba_)
    # ... which is scikit-learn's greedy tree, untouched.
    if criterion == "squared_error":
        from sklearn.tree import DecisionTreeRegressor
        ref = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, P, sample_weight=np.ones(len(X)))
        np.testing.assert_array_equal(ref.tree_.feature, default.estimator_.tree_.feature)
        np.testing.assert_array_equal(ref.tree_.threshold, default.estimator_.tree_.threshold)
        # (values differ by float rounding only: fit renormalises the rows of P)
        np.testing.assert_allclose(ref.tree_.value, default.estimator_.tree_.value, rtol=1e-12)


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_refined_tree_outputs_stay_consistent(criterion):
    rng = np.random.default_rng(21)  # a draw on which TAO leaves some nodes without rows
    X = rng.normal(size=(400, 5))
    P = softmax(np.c_[X[:, 0] + X[:, 1] ** 2, X[:, 2] * X[:, 0], -X[:, 3]] * 2, axis=1)
    sw = rng.uniform(0.5, 2.0, size=400)
    tree = TreeSurrogate(max_depth=5, criterion=criterion, random_state=0, refine_passes=3)
    tree.fit(X, P, sample_weight=sw)
    assert tree.refine_history_[-1] < tree.refine_history_[0]
    inner = tree.estimator_.tree_

    # Node statistics are those of the rows that reach each node now.
    path = tree.estimator_.decision_path(X).toarray().astype(bool)
    np.testing.assert_allclose(tree.node_weight_, sw @ path)
    reached = tree.node_weight_ > 0
    means = (path.T @ (P * sw[:, None]))[reached] / tree.node_weight_[reached, None]
    np.testing.assert_allclose(tree.node_proba_[reached], means, atol=1e-12)
    np.testing.assert_allclose(tree.bias_, sw @ P / sw.sum())
    # A node that no row reaches any more keeps its parent's mean.
    internal = np.flatnonzero(inner.children_left >= 0)
    parent = dict(zip(inner.children_left[internal], internal)) | dict(zip(inner.children_right[internal], internal))
    unreached = np.flatnonzero(~reached)
    assert unreached.size > 0
    for node in unreached:
        np.testing.assert_array_equal(tree.node_proba_[node], tree.node_proba_[parent[node]])

    Xt = rng.normal(size=(50, 5))
    proba = tree.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    leaf_values = tree.node_proba_[tree.estimator_.apply(Xt)]
    np.testing.assert_allclose(proba, leaf_values, atol=1e-12)
    contrib = tree.decision_path_contributions(Xt)
    np.testing.assert_allclose(tree.bias_ + contrib.sum(axis=1), leaf_values, atol=1e-12)
    np.testing.assert_array_equal(tree.predict(Xt), proba.argmax(axis=1))
    # export_text reads the refined splits.
    text = tree.export_text(decimals=6)
    assert f"feature_{inner.feature[0]} <= {inner.threshold[0]:.6f}" in text.splitlines()[0]
    # scikit-learn's copy of the node statistics follows the refinement.
    if criterion == "squared_error":
        np.testing.assert_allclose(tree.estimator_.predict(Xt), leaf_values, atol=1e-12)
        np.testing.assert_allclose(inner.weighted_n_node_samples, tree.node_weight_)
        assert inner.n_node_samples.tolist() == path.sum(axis=0).tolist()
    else:  # class fractions of the (row, class) repetition, masses <= 1e-3 left out
        np.testing.assert_allclose(tree.estimator_.predict_proba(Xt), leaf_values, atol=1e-2)


@pytest.mark.parametrize("name", ["refine_passes", "fringe_cuts"])
@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_refinement_counts_must_be_non_negative_integers(name, bad):
    message = rf"'{name}' parameter of TreeSurrogate must be an int in the range \[0, inf\)\. Got {bad!r} instead\."
    with pytest.raises(ValueError, match=message):
        TreeSurrogate(**{name: bad}).fit(X4, [0, 1, 0, 1])

