"""Walking a fitted scikit-learn ``Tree``: node depths and parents, routing rows, per-node means.

Shared by the tree surrogate, its TAO refinement and the fringe search, which all rewrite or read the
``feature`` / ``threshold`` arrays of the same ``Tree`` object.
"""

from __future__ import annotations

import numpy as np


def node_parents(tree) -> np.ndarray:
    """Parent of every node of a scikit-learn ``Tree`` (root: -1).

    Example:
        >>> from sklearn.tree import DecisionTreeRegressor
        >>> t = DecisionTreeRegressor(max_depth=1).fit([[0.0], [1.0]], [0.0, 1.0]).tree_
        >>> node_parents(t).tolist()
        [-1, 0, 0]
    """
    left, right = tree.children_left, tree.children_right
    internal = np.flatnonzero(left >= 0)
    parent = np.full(tree.node_count, -1)
    parent[left[internal]] = internal
    parent[right[internal]] = internal
    return parent


def node_depths(tree) -> np.ndarray:
    """Depth of every node of a scikit-learn ``Tree`` (root 0)."""
    left, right = tree.children_left, tree.children_right
    depth = np.zeros(tree.node_count, dtype=np.intp)
    level = np.array([0])
    d = 0
    while level.size:
        depth[level] = d
        level = level[left[level] >= 0]
        level = np.concatenate([left[level], right[level]])
        d += 1
    return depth


def descend(tree, X, rows, start, max_steps=None) -> np.ndarray:
    """Nodes reached by ``rows`` of ``X`` walking down from the nodes ``start``.

    Args:
        tree: scikit-learn ``Tree`` (its current ``feature``/``threshold``).
        X: ``(n, d)`` float32 features (float32 like scikit-learn's own ``apply``,
            so the routing is identical to ``DecisionTreeClassifier.apply``).
        rows: ``(m,)`` indices into ``X``.
        start: ``(m,)`` node of each row to start from.
        max_steps: Stop after this many levels (``None``: at the leaves).

    Returns:
        ``(m,)`` reached node per row.
    """
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold
    node = np.array(start, dtype=np.intp)
    active = np.flatnonzero(left[node] >= 0)
    steps = 0
    while active.size and (max_steps is None or steps < max_steps):
        at = node[active]
        # float32 value <= float64 threshold, exactly scikit-learn's comparison
        go_left = X[rows[active], feature[at]] <= threshold[at]
        nxt = np.where(go_left, left[at], right[at])
        node[active] = nxt
        active = active[left[nxt] >= 0]
        steps += 1
    return node


def node_means(tree, depth, leaf, proba, sw):
    """Total weight and weighted mean probability of the rows reaching each node.

    A node that no row reaches (possible once TAO has moved a split) gets weight 0
    and its parent's mean, filled top-down: it then predicts what its parent would,
    contributes nothing in the Saabas decomposition, and stays finite.

    Args:
        tree: scikit-learn ``Tree``.
        depth: ``(n_nodes,)`` node depths.
        leaf: ``(n,)`` leaf reached by each row.
        proba: ``(n, k)`` row probabilities.
        sw: ``(n,)`` positive row weights.

    Returns:
        ``(weight, mean)`` of shapes ``(n_nodes,)`` and ``(n_nodes, k)``.
    """
    n_nodes, k = tree.node_count, proba.shape[1]
    left, right = tree.children_left, tree.children_right
    weight = np.bincount(leaf, weights=sw, minlength=n_nodes).astype(np.float64)
    mass = np.stack([np.bincount(leaf, weights=proba[:, c] * sw, minlength=n_nodes)
                     for c in range(k)], axis=1)
    internal = left >= 0
    for d in range(int(depth.max()) - 1, -1, -1):  # bottom-up: parent = sum of children
        nodes = np.flatnonzero(internal & (depth == d))
        weight[nodes] = weight[left[nodes]] + weight[right[nodes]]
        mass[nodes] = mass[left[nodes]] + mass[right[nodes]]
    mean = np.zeros((n_nodes, k))
    seen = weight > 0
    mean[seen] = mass[seen] / weight[seen, None]
    if not seen.all():
        parent = node_parents(tree)
        for d in range(1, int(depth.max()) + 1):  # top-down: inherit the parent's mean
            empty = np.flatnonzero(~seen & (depth == d))
            mean[empty] = mean[parent[empty]]
    return weight, mean


def path_contributions(tree, values: np.ndarray, leaf: np.ndarray, n_features: int) -> np.ndarray:
    """Saabas contributions: each split's change of the node value, credited to the split's feature.

    Walking from the root to each row's leaf, the change ``values[child] - values[parent]`` is added to the
    parent's split feature, so ``values[0] + out.sum(axis=1) == values[leaf]`` (up to float rounding).

    Args:
        tree: scikit-learn ``Tree``.
        values: ``(n_nodes, k)`` value of every node (e.g. its mean training target).
        leaf: ``(n,)`` leaf reached by each row.
        n_features: ``d``, the number of input columns.

    Returns:
        ``(n, d, k)`` contributions.

    Example:
        >>> from sklearn.tree import DecisionTreeRegressor
        >>> t = DecisionTreeRegressor(max_depth=1).fit([[0.0], [1.0]], [0.0, 1.0]).tree_
        >>> path_contributions(t, t.value[:, :, 0], np.array([1, 2]), 1)[:, 0, 0].tolist()
        [-0.5, 0.5]
    """
    parent = node_parents(tree)
    node = np.array(leaf, dtype=np.intp)
    out = np.zeros((len(node), n_features, values.shape[1]))
    rows = np.arange(len(node))
    # Climb all paths one level per step; each row appears at most once per step, so fancy-index accumulation
    # is safe.
    active = parent[node] >= 0
    while active.any():
        r, nd = rows[active], node[active]
        up = parent[nd]
        out[r, tree.feature[up]] += values[nd] - values[up]
        node[active] = up
        active = parent[node] >= 0
    return out
