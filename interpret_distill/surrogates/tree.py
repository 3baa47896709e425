"""The decision-tree surrogate: a tree split on the teacher's probabilities, optionally refined for agreement."""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ._base import Count, SurrogateBase, floor_absent
from ._export import export_text
from ._fringe import fringe_search
from ._nodes import descend, node_depths, node_means, path_contributions
from ._tao import tao_refine

# Class masses at or below this are left out of the entropy tree's row repetition.
_ENTROPY_MIN_MASS = 1e-3


class TreeSurrogate(SurrogateBase):
    """Decision-tree surrogate whose leaves hold mean teacher probabilities.

    Two split criteria, both on the full ``(n, k)`` probability matrix (1-D labels are
    one-hot encoded first):

    - ``"squared_error"``: a multi-output ``DecisionTreeRegressor`` on the
      probabilities (on one-hot targets this is the Gini criterion);
    - ``"entropy"``: the soft cross-entropy. Each row is repeated once per class
      it gives mass to, weighted by that mass, and a ``DecisionTreeClassifier``
      with the entropy criterion is grown on the repeated rows; its split scores
      are then exactly the cross-entropy of the teacher's probabilities. Masses
      at or below 1e-3 are left out of the repetition (they barely move a split
      score but would multiply the rows by ``k``).

    Either way, every node stores the mean teacher probability vector of the
    training rows that reach it (``node_proba_``); ``predict_proba`` returns the
    leaf's vector, clipped at 0 and renormalised.

    With ``refine_passes > 0`` the grown tree's splits are then re-optimised by
    Tree Alternating Optimisation (TAO, Carreira-Perpinan & Tavallali 2018): the
    shape stays, but each split's feature and threshold are refitted, depth by
    depth from the bottom, to lower the weighted training 0/1 disagreement with
    the target class (argmax of each row's probabilities), which is what
    fidelity measures, rather than the impurity the greedy growth optimised. A
    split is only replaced when that strictly lowers the training error, so the
    refined tree's training error is never above the grown tree's
    (``refine_history_``). After refinement ``node_proba_``/``node_weight_`` and
    the statistics inside ``estimator_.tree_`` are recomputed from the rows that
    now reach each node; a node that no training row reaches any more keeps its
    parent's mean (weight 0), so it predicts as its parent would. A pass costs a few
    seconds on 100,000 rows (one core).

    With ``fringe_cuts > 0`` the bottom of the tree is then searched exactly: every
    internal node whose two children both end in leaves gets the 0/1-best
    depth-2 subtree over ``fringe_cuts`` candidate thresholds per feature (its
    three splits change at once, which TAO, one split at a time, cannot do), kept
    only where it strictly lowers the training error; then TAO runs again. Its cost
    per such node grows with rows x (features x cuts)^2, and it needs many rows per
    fringe for an exact fit not to overfit them (``docs/design_notes.md``).

    Args:
        max_depth: Maximum depth of the tree (``None``: unlimited).
        max_leaf_nodes: Maximum number of leaves, grown best-first (``None``: no cap).
        min_samples_leaf: Minimum number of (non-zero-weight) samples per leaf; with
            ``"entropy"`` it counts (row, class) pairs of the repetition.
        criterion: ``"squared_error"`` or ``"entropy"``.
        random_state: Seed for the tie-breaking feature permutation.
        refine_passes: Maximum number of TAO passes over the grown tree (0: off,
            the tree is exactly scikit-learn's greedy one). Passes stop early once
            one changes no split; each costs a few seconds on 100,000 rows.
        fringe_cuts: Candidate thresholds per feature for the exact search of the
            bottom depth-2 subtrees (0: off). A feature with at most
            ``fringe_cuts + 1`` distinct values is searched at every midpoint,
            others at midpoints between weighted quantiles.

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted scikit-learn tree (``DecisionTreeRegressor`` or, with
            ``"entropy"``, ``DecisionTreeClassifier``); its structure is the surrogate's.
        node_proba_: ``(n_nodes, k)`` mean training probability per node (leaves:
            the prediction before clipping; root: ``bias_``).
        node_weight_: ``(n_nodes,)`` total training sample weight per node (its row count when unweighted).
        bias_: ``(k,)`` mean training probability at the root (Saabas bias).
        absent_classes_: ``(k,)`` bool, classes with no training mass (they get
            probability 1e-6 before renormalisation).
        complexity_: ``{"depth", "leaves", "nodes"}``.
        complexity_score_: Number of leaves.
        refine_history_: Weighted training 0/1 error (share of the weight) before
            refinement and after each step run: the TAO passes, then (with
            ``fringe_cuts``) the fringe search and the TAO passes after it; empty
            when neither is on.
        fringes_changed_: Number of bottom depth-2 subtrees the fringe search
            replaced (0 when ``fringe_cuts == 0``).

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
        >>> P = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
        >>> tree = TreeSurrogate(max_depth=1).fit(X, P)
        >>> tree.predict_proba(X[:1]).round(2).tolist()
        [[0.85, 0.15]]
        >>> tree.complexity_
        {'depth': 1, 'leaves': 2, 'nodes': 3}
        >>> TreeSurrogate(max_depth=1, criterion="entropy").fit(X, P).predict_proba(X[:1]).round(2).tolist()
        [[0.85, 0.15]]
    """

    kind = "tree"
    title = "Decision tree"
    complexity_unit = "leaves"
    # Depth caps and leaf caps both: leaf caps fill the gaps between depths (2^d leaves) on the frontier.
    default_grid = tuple([{"max_depth": d} for d in range(1, 11)] + [{"max_leaf_nodes": m} for m in (4, 8, 16, 32, 64, 128)])
    native_decomposition = "saabas"
    _parameter_constraints = {
        **{name: DecisionTreeRegressor._parameter_constraints[name]
           for name in ("max_depth", "max_leaf_nodes", "min_samples_leaf", "random_state")},
        "criterion": [StrOptions({"squared_error", "entropy"})],
        "refine_passes": [Count(0)],
        "fringe_cuts": [Count(0)],
    }

    def __init__(self, max_depth=None, max_leaf_nodes=None, min_samples_leaf=1,
                 criterion="squared_error", random_state=None, refine_passes=0, fringe_cuts=0):
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.criterion = criterion
        self.random_state = random_state
        self.refine_passes = refine_passes
        self.fringe_cuts = fringe_cuts

    def _fit_soft(self, X, proba, sw):
        shared = dict(max_depth=self.max_depth, max_leaf_nodes=self.max_leaf_nodes,
                      min_samples_leaf=self.min_samples_leaf, random_state=self.random_state)
        if self.criterion == "squared_error":
            self.estimator_ = DecisionTreeRegressor(criterion="squared_error", **shared).fit(
                X, proba, sample_weight=sw)
        else:  # "entropy"
            rows, labels = np.nonzero(proba > _ENTROPY_MIN_MASS)
            self.estimator_ = DecisionTreeClassifier(criterion="entropy", **shared).fit(
                X[rows], labels, sample_weight=proba[rows, labels] * sw[rows])
        self.fringes_changed_ = 0
        if self.refine_passes > 0 or self.fringe_cuts > 0:
            # Refinement works on the original rows (not the entropy repetition): the error it lowers is the
            # disagreement of the argmax of the leaves' mean probabilities with each row's argmax class.
            X32 = np.asarray(X, dtype=np.float32)  # scikit-learn routes float32 features
            tree = self.estimator_.tree_
            self.refine_history_ = self._refine(tree, X32, proba, sw)
            depth = node_depths(tree)
            leaf = descend(tree, X32, np.arange(X32.shape[0]), np.zeros(X32.shape[0], dtype=np.intp))
            # Same arithmetic as inside TAO, so predict agrees exactly with the error TAO reported.
            self.node_weight_, self.node_proba_ = node_means(tree, depth, leaf, proba, sw)
            self._sync_tree_stats(depth, leaf, proba, sw)
        else:
            # Node means over the original rows (not the repetition), identical in meaning for both criteria.
            path = self.estimator_.decision_path(X).T.tocsr()  # (n_nodes, n) indicator
            self.node_weight_ = np.asarray(path @ sw, dtype=np.float64)
            self.node_proba_ = (path @ (proba * sw[:, None])) / self.node_weight_[:, None]
            self.refine_history_ = np.array([])
        self.absent_classes_ = (proba * sw[:, None]).sum(axis=0) == 0
        self.bias_ = self.node_proba_[0].copy()
        self.complexity_ = {
            "depth": int(self.estimator_.get_depth()),
            "leaves": int(self.estimator_.get_n_leaves()),
            "nodes": int(self.estimator_.tree_.node_count),
        }
        self.complexity_score_ = self.complexity_["leaves"]

    def _refine(self, tree, X, proba, sw):
        """TAO passes, then (with ``fringe_cuts``) the fringe search and TAO again; the error history."""
        passes = int(self.refine_passes)
        history = list(tao_refine(tree, X, proba, sw, passes))
        if self.fringe_cuts > 0:
            self.fringes_changed_ = fringe_search(tree, X, proba, sw, int(self.fringe_cuts))
            history += list(tao_refine(tree, X, proba, sw, passes))  # starts with the error after the search
        return np.array(history)

    def _sync_tree_stats(self, depth, leaf, proba, sw):
        """Rewrite ``estimator_.tree_``'s per-node statistics for the refined splits.

        TAO moves rows between nodes, so the ``value``, sample counts and impurity
        scikit-learn stored while growing would describe another tree. They are set
        to what scikit-learn would have stored for this tree on the same data (for
        ``"entropy"``: on the (row, class) repetition), so ``estimator_.predict``
        and ``plot_tree`` stay consistent. Nodes no row reaches get zero counts and
        impurity and, as value, their parent's.
        """
        tree = self.estimator_.tree_
        if self.criterion == "entropy":
            # (row, class) pairs of the repetition, weighted by mass
            kept = proba > _ENTROPY_MIN_MASS
            counts = kept.sum(axis=1).astype(np.float64)
            mass = np.where(kept, proba, 0.0)
            row_mass = mass.sum(axis=1)
            share = np.divide(mass, row_mass[:, None], out=np.zeros_like(mass), where=row_mass[:, None] > 0)
            weight, frac = node_means(tree, depth, leaf, share, sw * row_mass)
            with np.errstate(divide="ignore", invalid="ignore"):
                impurity = -np.where(frac > 0, frac * np.log2(frac), 0.0).sum(axis=1)
            # the classifier only knows the classes that occur in the repetition
            value = frac[:, self.estimator_.classes_.astype(np.intp)]
        else:
            counts = np.ones(len(sw))
            weight, value = self.node_weight_, self.node_proba_
            second = node_means(tree, depth, leaf, proba ** 2, sw)[1]  # E[p^2] (rows need not sum to 1 here)
            impurity = np.clip(second - value ** 2, 0.0, None).mean(axis=1)
        n_rows = node_means(tree, depth, leaf, np.ones((len(sw), 1)), counts)[0]
        empty = self.node_weight_ == 0
        impurity[empty] = 0.0
        tree.n_node_samples[:] = np.rint(n_rows).astype(tree.n_node_samples.dtype)
        tree.weighted_n_node_samples[:] = weight
        tree.impurity[:] = impurity
        if self.criterion == "entropy":  # classifier: (n_nodes, 1, n_classes) class fractions
            tree.value[:, 0, :] = value
        else:  # multi-output regressor: (n_nodes, k, 1) means
            tree.value[:, :, 0] = value

    def _normalise(self, raw):
        return floor_absent(np.clip(raw, 0.0, None), self.absent_classes_)

    def _predict_proba(self, X):
        return self._normalise(self.node_proba_[self.estimator_.apply(X)])

    def decision_path_contributions(self, X):
        """Per-feature contributions to each prediction (Saabas decomposition).

        Walking from the root to the leaf, each split changes the node's mean
        probability vector; that change is credited to the split's feature. Hence,
        exactly (up to float rounding)::

            bias_ + contributions.sum(axis=1) == node_proba_[estimator_.apply(X)]

        i.e. the leaf values *before* ``predict_proba``'s clipping/renormalisation
        (which only alter them by float noise, or by the floor for classes that had
        no training mass).

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n, d, k)``: contribution of feature ``j`` to the
            probability of class ``c`` for sample ``i`` at ``[i, j, c]``.

        Example:
            >>> import numpy as np
            >>> X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
            >>> tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
            >>> tree.decision_path_contributions(X[:1])[0].tolist()
            [[0.5, -0.5], [0.0, 0.0]]
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return path_contributions(self.estimator_.tree_, self.node_proba_, self.estimator_.apply(X), X.shape[1])

    def export_text(self, feature_names=None, class_names=None, decimals=2, unscale=None):
        """Render the tree as indented if/else rules with a class at each leaf.

        Args:
            feature_names: ``d`` names; defaults to ``feature_names_in_`` when fitted
                on a DataFrame, else ``feature_0 ... feature_{d-1}``.
            class_names: ``k`` names; defaults to ``str(c)`` for ``c`` in ``classes_``.
            decimals: Digits after the decimal point for thresholds and
                probabilities.
            unscale: Optional ``(offset, scale)`` pair of ``(d,)`` arrays: thresholds
                are shown as ``threshold * scale + offset``, in the units of the data
                before it was standardised for fitting.

        Returns:
            Multi-line string; each leaf reads ``class: <name> (p=<probability>)``.

        Example:
            >>> import numpy as np
            >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
            >>> tree = TreeSurrogate(max_depth=1).fit(X, ["cat", "cat", "dog", "dog"])
            >>> print(tree.export_text(feature_names=["whiskers"]))
            |--- whiskers <= 1.50
            |   |--- class: cat (p=1.00)
            |--- whiskers >  1.50
            |   |--- class: dog (p=1.00)
        """
        return export_text(self, feature_names, class_names, decimals, unscale)
