"""Walking a fitted scikit-learn tree (interpret_distill.surrogates._nodes): parents, depths, descent, node means."""

import numpy as np

from interpret_distill.surrogates import TreeSurrogate
from interpret_distill.surrogates._nodes import descend, node_depths, node_means, node_parents


def test_node_means_fill_unreached_nodes_with_the_parent_mean():
    # Depth-2 tree: node 0 -> (1 -> 2, 3), (4 -> 5, 6); no row reaches leaf 6.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    tree = TreeSurrogate(max_depth=2).fit(X, [0, 1, 2, 3]).estimator_.tree_
    assert tree.node_count == 7 and tree.children_left[4] == 5
    leaf = np.array([2, 3, 5, 5])
    P = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]])
    weight, mean = node_means(tree, node_depths(tree), leaf, P, np.array([1.0, 1.0, 2.0, 2.0]))
    np.testing.assert_allclose(weight, [6, 2, 1, 1, 4, 4, 0])
    np.testing.assert_allclose(mean[4], [0.25, 0.0, 0.75])
    np.testing.assert_allclose(mean[6], mean[4])  # unreached: its parent's mean
    np.testing.assert_allclose(mean[0], [(1 + 1) / 6, 1 / 6, (2 + 1) / 6])



def test_parents_depths_and_descent_match_scikit_learn():
    rng = np.random.default_rng(19)
    X = rng.normal(size=(120, 3)).astype(np.float32)
    tree = TreeSurrogate(max_depth=4, random_state=0).fit(X, rng.integers(0, 3, size=120)).estimator_
    inner = tree.tree_
    parent, depth = node_parents(inner), node_depths(inner)
    internal = np.flatnonzero(inner.children_left >= 0)
    assert parent[0] == -1 and depth[0] == 0
    for node in internal:
        for child in (inner.children_left[node], inner.children_right[node]):
            assert parent[child] == node and depth[child] == depth[node] + 1
    assert depth.max() == tree.get_depth()
    rows = np.arange(len(X))
    np.testing.assert_array_equal(descend(inner, X, rows, np.zeros(len(X), dtype=np.intp)), tree.apply(X))
