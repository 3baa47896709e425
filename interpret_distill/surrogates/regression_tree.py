"""The regression-tree surrogate: a CART tree on the teacher's outputs, with the variance each depth explains."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import r2_score
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.validation import check_is_fitted, validate_data

from ._export import export_regression_text
from ._nodes import node_depths, node_parents, path_contributions
from ._regression_base import RegressorSurrogateBase, regression_target


class TreeSurrogateRegressor(RegressorSurrogateBase):
    """CART regression tree (squared error) whose leaves hold the mean training target.

    Args:
        max_depth: Maximum depth (``None``: unlimited).
        max_leaf_nodes: Maximum number of leaves, grown best-first (``None``: no cap).
        min_samples_leaf: Minimum number of (non-zero-weight) rows per leaf.
        random_state: Seed for the tie-breaking feature permutation.

    Attributes:
        estimator_: The fitted ``DecisionTreeRegressor``; its structure is the surrogate's.
        node_value_: ``(n_nodes,)`` weighted mean training target per node (root: ``bias_``).
        node_depth_: ``(n_nodes,)`` depth of each node (root 0).
        bias_: The root's mean (the Saabas bias, equal to ``target_mean_``).
        complexity_: ``{"depth", "leaves", "nodes"}``.
        complexity_score_: Number of leaves.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
        >>> tree = TreeSurrogateRegressor(max_depth=1).fit(X, [1.0, 1.0, 5.0, 5.0])
        >>> tree.predict(X).tolist(), tree.complexity_
        ([1.0, 1.0, 5.0, 5.0], {'depth': 1, 'leaves': 2, 'nodes': 3})
        >>> tree.variance_explained_by_depth(X, [1.0, 1.0, 5.0, 5.0]).tolist()
        [0.0, 1.0]
    """

    kind = "tree"
    title = "Regression tree"
    complexity_unit = "leaves"
    # Depth caps and leaf caps both: leaf caps fill the gaps between depths (2^d leaves) on the frontier.
    default_grid = tuple([{"max_depth": d} for d in range(1, 9)] + [{"max_leaf_nodes": m} for m in (4, 8, 16, 32, 64)])
    native_decomposition = "saabas_value"
    _parameter_constraints = {
        name: DecisionTreeRegressor._parameter_constraints[name]
        for name in ("max_depth", "max_leaf_nodes", "min_samples_leaf", "random_state")
    }

    def __init__(self, max_depth=None, max_leaf_nodes=None, min_samples_leaf=1, random_state=None):
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.random_state = random_state

    def _fit_values(self, X, y, sw):
        self.estimator_ = DecisionTreeRegressor(
            max_depth=self.max_depth, max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            random_state=self.random_state).fit(X, y, sample_weight=sw)
        tree = self.estimator_.tree_
        self.node_value_ = np.asarray(tree.value[:, 0, 0], dtype=np.float64).copy()
        self.node_depth_ = node_depths(tree)
        self.bias_ = float(self.node_value_[0])
        self.complexity_ = {"depth": int(self.estimator_.get_depth()), "leaves": int(self.estimator_.get_n_leaves()),
                            "nodes": int(tree.node_count)}
        self.complexity_score_ = self.complexity_["leaves"]

    def _predict(self, X):
        return self.node_value_[self.estimator_.apply(X)]

    def _validated(self, X):
        check_is_fitted(self)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def decision_path_contributions(self, X):
        """Per-feature contributions to each predicted value (Saabas decomposition).

        Walking from the root to the leaf, each split changes the node's mean; that change is credited to the
        split's feature, so exactly (up to float rounding) ``bias_ + contributions.sum(axis=1) == predict(X)``.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            ``(n, d)`` float64 contributions.

        Example:
            >>> import numpy as np
            >>> X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
            >>> tree = TreeSurrogateRegressor(max_depth=1).fit(X, [0.0, 0.0, 2.0, 2.0])
            >>> tree.decision_path_contributions(X[:1]).tolist()
            [[-1.0, 0.0]]
        """
        X = self._validated(X)
        return path_contributions(self.estimator_.tree_, self.node_value_[:, None], self.estimator_.apply(X),
                                  X.shape[1])[:, :, 0]

    def predict_at_depth(self, X, depth: int) -> np.ndarray:
        """Predictions of the tree cut at ``depth``: each row gets the mean of its path's node at that depth.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            depth: 0 (the root's mean) up to the tree's depth (its own predictions); deeper is the full tree.

        Returns:
            ``(n,)`` float64.

        Raises:
            ValueError: a depth that is not a non-negative integer.
        """
        X = self._validated(X)
        if isinstance(depth, (bool, np.bool_)) or not isinstance(depth, (int, np.integer)) or depth < 0:
            raise ValueError(f"depth must be a non-negative integer (0 is the root), got {depth!r}.")
        node = self.estimator_.apply(X)
        parent = node_parents(self.estimator_.tree_)
        too_deep = self.node_depth_[node] > depth
        while too_deep.any():
            node[too_deep] = parent[node[too_deep]]
            too_deep = self.node_depth_[node] > depth
        return self.node_value_[node]

    def variance_explained_by_depth(self, X, y, sample_weight=None) -> np.ndarray:
        """Share of ``y``'s variance explained by the tree cut at each depth (R² of :meth:`predict_at_depth`).

        With ``y`` the teacher's predictions on a split, entry ``k`` is the R² to the teacher of the tree's first
        ``k`` levels on that split: how much of the teacher's variance each further level of splits explains.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: ``(n,)`` values to explain (the teacher's predictions, or the ground truth).
            sample_weight: Optional ``(n,)`` non-negative weights.

        Returns:
            ``(depth + 1,)`` float64, index = depth: ``1 - SSE_k / SST`` with ``SST`` the weighted sum of squares
            of ``y`` around its own mean (entry 0 is ≤ 0: the root predicts the training mean). A constant ``y``
            gives 1 where the cut tree matches it exactly, else 0 (scikit-learn's ``r2_score`` convention).

        Raises:
            ValueError: an invalid ``y`` (see :func:`~._regression_base.regression_target`).
        """
        X = self._validated(X)
        values = regression_target(y, X.shape[0])
        return np.array([r2_score(values, self.predict_at_depth(X, k), sample_weight=sample_weight)
                         for k in range(self.complexity_["depth"] + 1)])

    def export_text(self, feature_names=None, decimals=2, unscale=None, value_unscale=None):
        """Render the tree as indented if/else rules with the predicted value at each leaf.

        Args:
            feature_names: ``d`` names; defaults to ``feature_names_in_`` when fitted on a DataFrame, else
                ``feature_0 ... feature_{d-1}``.
            decimals: Digits after the decimal point for thresholds and values.
            unscale: Optional ``(offset, scale)`` pair of ``(d,)`` arrays: thresholds are shown as
                ``threshold * scale + offset``, in the units of the data before it was standardised for fitting.
            value_unscale: Optional ``(offset, scale)`` floats: leaf values in the target's original units.

        Returns:
            Multi-line string; each leaf reads ``value: <prediction>``.

        Example:
            >>> import numpy as np
            >>> tree = TreeSurrogateRegressor(max_depth=1).fit(np.array([[0.0], [1.0]]), [2.0, 4.0])
            >>> print(tree.export_text(feature_names=["age"]))
            |--- age <= 0.50
            |   |--- value: 2.00
            |--- age >  0.50
            |   |--- value: 4.00
        """
        return export_regression_text(self, feature_names, decimals, unscale, value_unscale)
