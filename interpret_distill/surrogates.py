"""Interpretable scikit-learn surrogates fitted on a teacher's soft labels.

Every surrogate accepts as ``y`` either 1-D class labels or a 2-D ``(n, k)`` matrix
of class probabilities (the teacher's softmax outputs) and, in the second case,
learns from the full probability vectors rather than their argmax:

- :class:`TreeSurrogate`: a decision tree split on the probabilities (squared
  error or soft cross-entropy), whose leaves hold mean teacher probabilities,
  optionally refined for 0/1 agreement (TAO, exact search of the bottom depth-2
  subtrees);
- :class:`LinearSurrogate`: multinomial logistic regression minimising the soft
  cross-entropy;
- :class:`NaiveBayesSurrogate`: Gaussian naive Bayes with soft class memberships,
  optionally refitted to maximise the soft conditional likelihood.

With a probability matrix ``classes_ == np.arange(k)``, as required by
``docs/CONVENTIONS.md``. The module depends only on numpy, scipy and scikit-learn.
"""

from __future__ import annotations

import html

import numpy as np
from scipy.optimize import minimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

__all__ = [
    "SURROGATES",
    "LinearSurrogate",
    "NaiveBayesSurrogate",
    "TreeSurrogate",
    "build_surrogate",
]

# Probability given to a class that received no mass in training, so that every
# predict_proba column is strictly positive (finite log-loss / KL) and k wide.
_FLOOR = 1e-6
# Tolerance on the row sums of a probability matrix passed as y.
_ROW_SUM_ATOL = 1e-3
# Class masses at or below this are left out of the entropy tree's row repetition.
_ENTROPY_MIN_MASS = 1e-3
# Elements per array block of the fringe search (float64: 16 MB).
_FRINGE_BLOCK = 2_000_000


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _floor_absent(p: np.ndarray, absent: np.ndarray) -> np.ndarray:
    """Give classes without training mass the floor, then renormalise rows."""
    p = np.array(p, dtype=np.float64)
    p[:, absent] = _FLOOR
    return p / p.sum(axis=1, keepdims=True)


def _probability_matrix(y: np.ndarray, n_samples: int) -> np.ndarray:
    """Validate a 2-D ``y`` as class probabilities and return it row-normalised."""
    hint = "pass the teacher's softmax outputs or 1-D class labels instead"
    try:
        p = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"a 2-D y is read as an (n, k) matrix of class probabilities, but it is "
            f"not numeric (dtype {np.asarray(y).dtype}); {hint}."
        ) from exc
    bad = ~np.isfinite(p)
    if bad.any():
        row = int(np.argwhere(bad)[0, 0])
        raise ValueError(
            f"y (class probabilities) contains {int(bad.sum())} NaN or infinite "
            f"value(s), first in row {row}; every probability must be finite. "
            f"Check the teacher's outputs for overflow, or drop those rows."
        )
    neg = p < 0
    if neg.any():
        row = int(np.argwhere(neg)[0, 0])
        raise ValueError(
            f"y (class probabilities) contains {int(neg.sum())} negative value(s) "
            f"(min {p.min():.4g}, first in row {row}); probabilities must be >= 0. "
            f"If these are logits, apply a softmax first "
            f"(scipy.special.softmax(logits, axis=1))."
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > _ROW_SUM_ATOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"y (class probabilities) has {int(off.sum())} of {n_samples} rows that "
            f"do not sum to 1 within {_ROW_SUM_ATOL:g} (row {row} sums to "
            f"{sums[row]:.6g}). Normalise the rows, e.g. y / y.sum(axis=1, "
            f"keepdims=True), or, for multi-label indicators, {hint}."
        )
    # Rows within tolerance are renormalised exactly so tree leaves sum to 1.
    return p / sums[:, None]


# ----------------------------------------------------------------------------- #
# Tree Alternating Optimisation (TAO) of a fitted tree's splits
# ----------------------------------------------------------------------------- #
# Greedy CART fixes each split once, judged by an impurity surrogate and never
# revisited. TAO (Carreira-Perpinan & Tavallali, NeurIPS 2018) keeps the tree's
# shape and re-optimises its splits for the quantity the surrogate is judged by,
# the 0/1 disagreement with the target class. Nodes at the same depth own
# disjoint sets of rows, so they can be optimised independently; with every
# other node fixed, changing one node's split only changes which child a row is
# sent to, and that matters only for the rows that exactly one child classifies
# correctly. The node problem is therefore a weighted binary classification of
# those rows ("send right" iff only the right child is correct), solved exactly
# over single-feature thresholds.


def _node_depths(tree) -> np.ndarray:
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


def _descend(tree, X, rows, start, max_steps=None) -> np.ndarray:
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


def _node_means(tree, depth, leaf, proba, sw):
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
        parent = np.full(n_nodes, -1)
        parent[left[internal]] = np.flatnonzero(internal)
        parent[right[internal]] = np.flatnonzero(internal)
        for d in range(1, int(depth.max()) + 1):  # top-down: inherit the parent's mean
            empty = np.flatnonzero(~seen & (depth == d))
            mean[empty] = mean[parent[empty]]
    return weight, mean


def _best_stump(Xn, go_right, w):
    """Best single-feature threshold for a weighted binary routing problem.

    Minimises the weighted 0/1 error of "go right iff ``x[f] > t``" against
    ``go_right`` over every feature and every cut between two distinct values.
    Ties go to the lowest feature index, then the lowest threshold, with a relative
    tolerance of 1e-9, so that integer weights and repeated rows give the same
    answer.

    Args:
        Xn: ``(m, d)`` float32 features of the rows.
        go_right: ``(m,)`` bool, the side each row should be sent to.
        w: ``(m,)`` positive weights.

    Returns:
        ``(feature, threshold, error)``, or ``None`` when no feature takes two
        distinct values on the rows.
    """
    if Xn.shape[0] < 2:
        return None
    cols = np.ascontiguousarray(Xn.T)  # (d, m): sorting contiguous rows is much faster
    # Any sort will do: rows with equal values are never separated, so their order
    # within a run does not change the errors at the valid cuts.
    order = np.argsort(cols, axis=1)
    xs = np.take_along_axis(cols, order, axis=1)
    # Cut after sorted position j (rows 0..j go left): error = weight that belongs
    # right but goes left + weight that belongs left but goes right
    # = (weight belonging left) + cumsum of (+w if it belongs right else -w).
    signed = np.where(go_right, w, -w)
    err = np.cumsum(signed[order[:, :-1]], axis=1)
    err += w[~go_right].sum()
    err[xs[:, 1:] <= xs[:, :-1]] = np.inf  # no cut between equal values
    per_feature = err.min(axis=1)
    best = per_feature.min()
    if not np.isfinite(best):
        return None
    tol = 1e-9 * w.sum()
    f = int(np.flatnonzero(per_feature <= best + tol)[0])
    j = int(np.flatnonzero(err[f] <= best + tol)[0])
    lo, hi = float(xs[f, j]), float(xs[f, j + 1])
    threshold = lo / 2.0 + hi / 2.0  # exact in float64 between two float32 values
    if threshold >= hi:  # defensive, as scikit-learn does
        threshold = lo
    return f, threshold, float(err[f, j])


def _tao_refine(tree, X, proba, sw, max_passes):
    """Re-optimise a fitted tree's splits in place by TAO (0/1 loss, fixed shape).

    One pass visits depths bottom-up. At each depth, every internal node takes
    the training rows reaching it that exactly one of its two subtrees classifies
    correctly (class = argmax of the row's probabilities), fits the best single
    feature threshold to send each to its correct side (weighted 0/1 error), and
    keeps it only if it strictly lowers that node's error. The leaves are then
    relabelled with the weighted mean probability of the rows now reaching them
    (what ``predict`` uses). With one-hot targets that argmax is the weighted
    majority and the training error can only fall; with soft targets the mean's
    argmax may differ from the majority, so a depth step is kept only if the
    whole tree's weighted training error strictly falls, otherwise its splits are
    restored. Passes repeat until one changes nothing or ``max_passes`` is reached.

    Args:
        tree: scikit-learn ``Tree``; ``feature`` and ``threshold`` are overwritten.
        X: ``(n, d)`` float32 training features.
        proba: ``(n, k)`` training probabilities (rows sum to 1).
        sw: ``(n,)`` positive training weights.
        max_passes: Maximum number of passes (0: only measure the error).

    Returns:
        ``(n_passes + 1,)`` weighted training 0/1 error (fraction of the weight),
        before refinement and after each pass run.
    """
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold  # writable views into the tree
    depth = _node_depths(tree)
    internal = left >= 0
    n = X.shape[0]
    all_rows = np.arange(n)
    target = proba.argmax(axis=1)
    total = sw.sum()

    def leaf_classes():
        leaf = _descend(tree, X, all_rows, np.zeros(n, dtype=np.intp))
        mean = _node_means(tree, depth, leaf, proba, sw)[1]
        cls = mean.argmax(axis=1)
        return cls, float(sw[cls[leaf] != target].sum())

    cls, error = leaf_classes()
    history = [error / total]
    if not internal.any():
        return np.array(history)
    for _ in range(max_passes):
        changed = 0
        for d in range(int(depth[internal].max()), -1, -1):
            at = _descend(tree, X, all_rows, np.zeros(n, dtype=np.intp), max_steps=d)
            rows = np.flatnonzero(internal[at])  # rows at an internal node of depth d
            if rows.size == 0:
                continue
            node = at[rows]
            ok_left = cls[_descend(tree, X, rows, left[node])] == target[rows]
            ok_right = cls[_descend(tree, X, rows, right[node])] == target[rows]
            care = ok_left != ok_right
            rows, node, go_right = rows[care], node[care], ok_right[care]
            if rows.size == 0:  # no row's outcome depends on any split at this depth
                continue
            order = np.argsort(node, kind="stable")
            rows, node, go_right = rows[order], node[order], go_right[order]
            starts = np.flatnonzero(np.r_[True, node[1:] != node[:-1]])
            ends = np.r_[starts[1:], node.size]
            saved = []
            for s, e in zip(starts, ends):
                i, r, z = node[s], rows[s:e], go_right[s:e]
                w = sw[r]
                current = float(w[(X[r, feature[i]] > threshold[i]) != z].sum())
                stump = _best_stump(X[r], z, w)
                if stump is not None and stump[2] < current - 1e-9 * w.sum():
                    saved.append((i, feature[i], threshold[i]))
                    feature[i], threshold[i] = stump[0], stump[1]
            if not saved:
                continue
            new_cls, new_error = leaf_classes()
            if new_error < error - 1e-9 * total:
                cls, error = new_cls, new_error
                changed += len(saved)
            else:  # relabelling the leaves undid the gain: restore this depth
                for i, f, t in saved:
                    feature[i], threshold[i] = f, t
        history.append(error / total)
        if changed == 0:
            break
    return np.array(history)


def _fringe_cuts(X, sw, n_cuts):
    """Candidate thresholds for the fringe search: at most ``n_cuts`` per feature.

    A feature with at most ``n_cuts + 1`` distinct values gets every midpoint
    between consecutive values (the search is then exact for it); otherwise the
    midpoints between consecutive distinct weighted quantiles (inverted CDF, so
    integer weights give the cuts of the repeated rows).

    Args:
        X: ``(n, d)`` float32 features.
        sw: ``(n,)`` positive weights.
        n_cuts: Maximum number of thresholds per feature (>= 1).

    Returns:
        ``(features, thresholds)``: two aligned 1-D arrays, one entry per cut.
    """
    levels = np.linspace(0.0, 1.0, n_cuts + 1)
    features, thresholds = [], []
    for f in range(X.shape[1]):
        values, inverse = np.unique(X[:, f], return_inverse=True)
        if values.size > n_cuts + 1:
            cdf = np.cumsum(np.bincount(inverse, weights=sw))
            at = np.searchsorted(cdf, levels * cdf[-1] * (1 - 1e-12), side="left")
            values = np.unique(values[np.minimum(at, values.size - 1)])
        lo, hi = values[:-1].astype(np.float64), values[1:].astype(np.float64)
        features.append(np.full(lo.size, f))
        thresholds.append(lo / 2.0 + hi / 2.0)  # as in _best_stump: exact between two float32 values
    return np.concatenate(features), np.concatenate(thresholds)


def _best_depth2(Xn, features, thresholds, target, w, k):
    """Exact 0/1-best depth-2 tree over a set of candidate splits.

    Every leaf predicts the weighted majority class of its rows. With ``C[c, a, b]``
    the weight of class-``c`` rows that splits ``a`` and ``b`` both send right, all
    four leaves' class weights follow by inclusion-exclusion, so the search costs
    one ``(F, m_c) @ (m_c, F)`` product per class. Rows and root splits are taken
    in blocks, so memory does not grow with the rows (peak about 50 MB on digits:
    549 candidate splits, 10 classes, 1,600 to 101,077 rows).

    Args:
        Xn: ``(m, d)`` float32 features of the rows.
        features: ``(F,)`` feature index of each candidate split.
        thresholds: ``(F,)`` its threshold; a row goes right when ``x[f] > t``.
        target: ``(m,)`` int classes in ``[0, k)``.
        w: ``(m,)`` positive weights.
        k: Number of classes.

    Returns:
        ``(a, b_left, b_right, correct)``: the index of the root split, of each
        child's split, and the weight the tree classifies correctly. Ties go to the
        lowest indices (relative tolerance 1e-9).
    """
    m, F = Xn.shape[0], features.size
    block = max(1, _FRINGE_BLOCK // F)  # rows per (block, F) split matrix

    def blocks():
        for s in range(0, m, block):
            goes_right = (Xn[s:s + block, features] > thresholds).astype(np.float64)
            yield goes_right, [np.flatnonzero(target[s:s + block] == c) for c in range(k)], w[s:s + block]

    total = np.bincount(target, weights=w, minlength=k)
    on = np.zeros((k, F))  # class weight each split sends right
    for goes_right, by_class, wb in blocks():
        for c, r in enumerate(by_class):
            on[c] += wb[r] @ goes_right[r]
    tol = 1e-9 * w.sum()
    chunk = max(1, _FRINGE_BLOCK // (k * F))  # root splits per (k, chunk, F) array
    best = (-np.inf, 0, 0, 0)
    for start in range(0, F, chunk):
        a = np.arange(start, min(start + chunk, F))
        both = np.zeros((k, a.size, F))
        for goes_right, by_class, wb in blocks():
            for c, r in enumerate(by_class):
                both[c] += (goes_right[r][:, a] * wb[r, None]).T @ goes_right[r]
        on_a = on[:, a, None]
        right = both.max(axis=0) + (on_a - both).max(axis=0)  # a sends right, b splits that side
        left = (on[:, None, :] - both).max(axis=0) + (total[:, None, None] - on_a - on[:, None, :] + both).max(axis=0)
        score = right.max(axis=1) + left.max(axis=1)
        i = int(np.flatnonzero(score >= score.max() - tol)[0])
        if score[i] > best[0] + tol:
            b_left = int(np.flatnonzero(left[i] >= left[i].max() - tol)[0])
            b_right = int(np.flatnonzero(right[i] >= right[i].max() - tol)[0])
            best = (float(score[i]), int(a[i]), b_left, b_right)
    return best[1], best[2], best[3], best[0]


def _fringe_search(tree, X, proba, sw, n_cuts):
    """Re-solve every bottom depth-2 subtree of a fitted tree exactly (0/1 loss, fixed shape).

    A fringe is an internal node whose two children both have two leaves. Its three
    splits are replaced by the 0/1-best depth-2 tree over :func:`_fringe_cuts`
    for the training rows reaching it (:func:`_best_depth2`), and kept only if that
    strictly lowers the fringe's weighted training error with the leaves labelled as
    ``predict`` labels them (argmax of the mean probability). Fringes hold disjoint
    rows, so the whole tree's training error falls by the sum. TAO moves one split
    at a time with the others fixed; this moves three at once (on the bench's digits
    trees it still lowered training disagreement by about 0.01 after TAO had converged).

    Args:
        tree: scikit-learn ``Tree``; ``feature`` and ``threshold`` are overwritten.
        X: ``(n, d)`` float32 training features.
        proba: ``(n, k)`` training probabilities.
        sw: ``(n,)`` positive weights.
        n_cuts: Candidate thresholds per feature.

    Returns:
        Number of fringes whose splits changed.
    """
    left, right = tree.children_left, tree.children_right
    internal = left >= 0
    leaf_parent = np.zeros(tree.node_count, dtype=bool)
    leaf_parent[internal] = (left[left[internal]] < 0) & (left[right[internal]] < 0)
    fringe = np.flatnonzero(internal)
    fringe = fringe[leaf_parent[left[fringe]] & leaf_parent[right[fringe]]]
    if fringe.size == 0:
        return 0
    n, k = proba.shape
    target = proba.argmax(axis=1)
    features, thresholds = _fringe_cuts(X, sw, n_cuts)
    parent = np.full(tree.node_count, -1)
    parent[left[internal]] = np.flatnonzero(internal)
    parent[right[internal]] = np.flatnonzero(internal)
    leaf = _descend(tree, X, np.arange(n), np.zeros(n, dtype=np.intp))
    top = parent[np.maximum(parent[leaf], 0)]  # grandparent of each row's leaf

    def error(rows, leaves):
        """Weighted error of leaves labelled with the argmax of their rows' mean probability."""
        ids, slot = np.unique(leaves, return_inverse=True)
        mass = np.zeros((ids.size, k))
        np.add.at(mass, slot, proba[rows] * sw[rows, None])
        return float(sw[rows][mass.argmax(axis=1)[slot] != target[rows]].sum())

    changed = 0
    for node in fringe:
        rows = np.flatnonzero(top == node)
        if rows.size < 2:
            continue
        nodes = [node, left[node], right[node]]
        saved = [(tree.feature[i], tree.threshold[i]) for i in nodes]
        a, b_left, b_right, _ = _best_depth2(X[rows], features, thresholds, target[rows], sw[rows], k)
        before = error(rows, leaf[rows])
        for i, j in zip(nodes, (a, b_left, b_right)):
            tree.feature[i], tree.threshold[i] = features[j], thresholds[j]
        new_leaf = _descend(tree, X, rows, np.full(rows.size, node, dtype=np.intp))
        if error(rows, new_leaf) < before - 1e-9 * sw[rows].sum():
            changed += 1
        else:
            for i, (f, t) in zip(nodes, saved):
                tree.feature[i], tree.threshold[i] = f, t
    return changed


class _SurrogateBase(ClassifierMixin, BaseEstimator):
    """Shared target handling, prediction and display for the surrogates."""

    _kind: str = ""

    def fit(self, X, y, sample_weight=None):
        """Fit the surrogate on class labels or on a class-probability matrix.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: Either 1-D class labels of shape ``(n,)`` or an ``(n, k)`` matrix of
                class probabilities (non-negative, finite, rows summing to 1 within
                1e-3). A single-column 2-D ``y`` is read as a column of labels.
            sample_weight: Optional non-negative weights of shape ``(n,)``.

        Returns:
            The fitted estimator (``self``).

        Note:
            ``GridSearchCV`` and ``cross_val_score`` pass soft ``y`` through unchanged, but
            ``cross_val_predict(..., method="predict_proba")`` label-encodes each column of a
            2-D ``y`` (fitting on hard labels, or failing the row-sum check); for out-of-fold
            probabilities on soft labels, loop over ``KFold(...).split(X)`` and fit each fold.

        Raises:
            ValueError: If ``y`` is not valid labels or probabilities, its length
                differs from ``X``'s, or the weights are invalid.
        """
        # A refit that raises must not leave the previous fit's state half in place
        # (old classes_ beside new n_features_in_ would still count as fitted).
        for name in [a for a in vars(self) if a.endswith("_") and not a.startswith("_")]:
            delattr(self, name)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=True)
        n = X.shape[0]
        y_arr = np.asarray(y)
        if y_arr.ndim >= 1 and y_arr.shape[0] != n:
            raise ValueError(
                f"y has {y_arr.shape[0]} rows but X has {n} samples; pass one label "
                f"or one row of class probabilities per sample of X."
            )
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            proba = _probability_matrix(y_arr, n)
            classes = np.arange(proba.shape[1])
        else:
            labels = column_or_1d(y_arr, warn=True)
            labels = check_array(labels, ensure_2d=False, dtype=None, input_name="y")
            check_classification_targets(labels)
            classes, encoded = np.unique(labels, return_inverse=True)
            # One-hot labels make both regimes share one code path.
            proba = np.eye(len(classes))[encoded]
        sw = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        # A zero weight means "not in the data": drop those rows up front so that
        # no model sees them (also keeps tree thresholds identical to removal).
        keep = sw > 0
        self._fit_soft(X[keep], proba[keep], sw[keep])
        self.classes_ = classes  # set last: a failed fit (or refit) leaves no classes_
        return self

    def __sklearn_is_fitted__(self):
        # classes_ is set last in fit, so a fit that raised is not "fitted" even
        # though validate_data already set n_features_in_.
        return hasattr(self, "classes_")

    def _fit_soft(self, X, proba, sw):
        """Fit on ``proba`` (n, k), rows summing to 1, with positive weights ``sw``."""
        raise NotImplementedError

    def predict_proba(self, X):
        """Predict class probabilities.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n, k)``, float64, rows summing to 1, columns in the
            order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self._predict_proba(X)

    def predict(self, X):
        """Predict the most probable class.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n,)`` with entries from ``classes_``.
        """
        proba = self.predict_proba(X)  # checks fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Top-1 agreement of ``predict(X)`` with ``y`` (the surrogate's fidelity).

        Overridden so that ``score`` (and hence ``GridSearchCV``/``cross_val_score``)
        accepts the same soft targets as ``fit``.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: 1-D labels, or an ``(n, k)`` probability matrix whose argmax is used.
            sample_weight: Optional weights of shape ``(n,)``.

        Returns:
            Weighted fraction of samples whose predicted class equals the target's.
        """
        check_is_fitted(self)
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            y_arr = self.classes_[np.argmax(y_arr, axis=1)]
        return super().score(X, y_arr, sample_weight=sample_weight)

    def _repr_html_(self) -> str:
        """Render kind, hyper-parameters and, once fitted, size as an HTML table."""
        rows = [("kind", self._kind)]
        rows += sorted(self.get_params(deep=False).items())
        if self.__sklearn_is_fitted__():
            rows += list(self.complexity_.items())
            rows += [("n classes", len(self.classes_)),
                     ("n features", self.n_features_in_)]
        else:
            rows.append(("status", "not fitted"))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
            f"<td>{html.escape(str(value))}</td></tr>"
            for key, value in rows
        )
        caption = html.escape(type(self).__name__)
        return f"<table><caption>{caption}</caption>{body}</table>"

    def _repr_mimebundle_(self, **kwargs):
        # Jupyter prefers _repr_mimebundle_ (BaseEstimator's diagram) over
        # _repr_html_, so route it to the table above.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}


class TreeSurrogate(_SurrogateBase):
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
      score but would multiply the rows by ``k``). On digits (40,000 teacher-labelled
      kde rows, T=2, depth 8) it reached test fidelity 0.898 where squared error
      reached 0.883 (``benchmarks/results.md``, mean of 3 seeds).

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
    parent's mean (weight 0), so it predicts as its parent would. On digits
    (depth 8, entropy, 40,000 kde rows plus the 1,077 training rows at T=2, mean
    of seeds 0-2) 3 passes raised validation fidelity from 0.903 to 0.916 and test
    fidelity from 0.907 to 0.916; further passes changed nothing. A pass took
    about 1 s there, 2.6 s on 101,077 rows (one core).

    With ``fringe_cuts > 0`` the bottom of the tree is then searched exactly: every
    internal node whose two children both end in leaves gets the 0/1-best
    depth-2 subtree over ``fringe_cuts`` candidate thresholds per feature (its
    three splits change at once, which TAO, one split at a time, cannot do), kept
    only where it strictly lowers the training error; then TAO runs again. Its cost
    per such node grows with rows x (features x cuts)^2: 4 s for a depth-8 tree on
    101,077 digits rows with 16 cuts (64 features, one core), plus about 9 s for
    the TAO passes after it. On digits (depth 8, 100,000 ``local_kde`` rows at
    T=2, TAO 5 passes, seeds 0-1 and 6-11) it raised transfer-set agreement from
    0.920 to 0.931 and validation fidelity from 0.917 to 0.929 (mean of 8 seeds;
    higher on 7 of them). With 20,000 rows
    it fitted the transfer set better too but gained nothing on validation (0.908
    without, 0.909 with): each fringe needs enough rows for an exact fit not to
    overfit them.

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

    _kind = "tree"

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
        # criterion, refine_passes and fringe_cuts are checked here; the rest by the scikit-learn tree itself.
        for name, off in (("refine_passes", "no TAO refinement"), ("fringe_cuts", "no fringe search")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer (0: {off}); got {value!r}.")
        shared = dict(max_depth=self.max_depth, max_leaf_nodes=self.max_leaf_nodes,
                      min_samples_leaf=self.min_samples_leaf, random_state=self.random_state)
        if self.criterion == "squared_error":
            self.estimator_ = DecisionTreeRegressor(criterion="squared_error", **shared).fit(
                X, proba, sample_weight=sw)
        elif self.criterion == "entropy":
            rows, labels = np.nonzero(proba > _ENTROPY_MIN_MASS)
            self.estimator_ = DecisionTreeClassifier(criterion="entropy", **shared).fit(
                X[rows], labels, sample_weight=proba[rows, labels] * sw[rows])
        else:
            raise ValueError(f"criterion must be 'squared_error' or 'entropy'; got {self.criterion!r}.")
        self.fringes_changed_ = 0
        if self.refine_passes > 0 or self.fringe_cuts > 0:
            # Refinement works on the original rows (not the entropy repetition): the error it lowers is the
            # disagreement of the argmax of the leaves' mean probabilities with each row's argmax class.
            X32 = np.asarray(X, dtype=np.float32)  # scikit-learn routes float32 features
            tree = self.estimator_.tree_
            self.refine_history_ = self._refine(tree, X32, proba, sw)
            depth = _node_depths(tree)
            leaf = _descend(tree, X32, np.arange(X32.shape[0]), np.zeros(X32.shape[0], dtype=np.intp))
            # Same arithmetic as inside TAO, so predict agrees exactly with the error TAO reported.
            self.node_weight_, self.node_proba_ = _node_means(tree, depth, leaf, proba, sw)
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
        history = list(_tao_refine(tree, X, proba, sw, passes))
        if self.fringe_cuts > 0:
            self.fringes_changed_ = _fringe_search(tree, X, proba, sw, int(self.fringe_cuts))
            history += list(_tao_refine(tree, X, proba, sw, passes))  # starts with the error after the search
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
            weight, frac = _node_means(tree, depth, leaf, share, sw * row_mass)
            with np.errstate(divide="ignore", invalid="ignore"):
                impurity = -np.where(frac > 0, frac * np.log2(frac), 0.0).sum(axis=1)
            # the classifier only knows the classes that occur in the repetition
            value = frac[:, self.estimator_.classes_.astype(np.intp)]
        else:
            counts = np.ones(len(sw))
            weight, value = self.node_weight_, self.node_proba_
            second = _node_means(tree, depth, leaf, proba ** 2, sw)[1]  # E[p^2] (rows need not sum to 1 here)
            impurity = np.clip(second - value ** 2, 0.0, None).mean(axis=1)
        n_rows = _node_means(tree, depth, leaf, np.ones((len(sw), 1)), counts)[0]
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
        return _floor_absent(np.clip(raw, 0.0, None), self.absent_classes_)

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
        tree = self.estimator_.tree_
        values = self.node_proba_
        parent = np.full(tree.node_count, -1)
        internal = np.flatnonzero(tree.children_left >= 0)
        parent[tree.children_left[internal]] = internal
        parent[tree.children_right[internal]] = internal

        node = self.estimator_.apply(X)
        out = np.zeros((X.shape[0], X.shape[1], values.shape[1]))
        rows = np.arange(X.shape[0])
        # Climb all paths one level per step; each sample appears at most once per
        # step, so fancy-index accumulation is safe.
        active = parent[node] >= 0
        while active.any():
            r, nd = rows[active], node[active]
            up = parent[nd]
            out[r, tree.feature[up]] += values[nd] - values[up]
            node[active] = up
            active = parent[node] >= 0
        return out

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
        check_is_fitted(self)
        d, k = self.n_features_in_, len(self.classes_)
        if feature_names is None:
            feature_names = getattr(self, "feature_names_in_",
                                    [f"feature_{j}" for j in range(d)])
        if class_names is None:
            class_names = [str(c) for c in self.classes_]
        feature_names, class_names = list(feature_names), list(class_names)
        if len(feature_names) != d:
            raise ValueError(f"feature_names has {len(feature_names)} entries but the "
                             f"surrogate was fitted on {d} features.")
        if len(class_names) != k:
            raise ValueError(f"class_names has {len(class_names)} entries but the "
                             f"surrogate has {k} classes.")

        tree = self.estimator_.tree_
        leaf_proba = self._normalise(self.node_proba_)
        thresholds = tree_thresholds(self, unscale)
        lines = []
        # Explicit stack (unlimited-depth trees can exceed Python's recursion
        # limit) of ("node", id, depth) and ("line", text, _) items, pushed in
        # reverse so the left subtree is printed before the right header.
        stack = [("node", 0, 0)]
        while stack:
            what, item, depth = stack.pop()
            if what == "line":
                lines.append(item)
                continue
            indent = "|   " * depth + "|--- "
            left, right = tree.children_left[item], tree.children_right[item]
            if left < 0:
                c = int(np.argmax(leaf_proba[item]))
                lines.append(f"{indent}class: {class_names[c]} "
                             f"(p={leaf_proba[item, c]:.{decimals}f})")
                continue
            name = feature_names[tree.feature[item]]
            thr = f"{thresholds[item]:.{decimals}f}"
            lines.append(f"{indent}{name} <= {thr}")
            stack += [("node", right, depth + 1), ("line", f"{indent}{name} >  {thr}", 0),
                      ("node", left, depth + 1)]
        return "\n".join(lines)


def tree_thresholds(tree: TreeSurrogate, unscale=None) -> np.ndarray:
    """Each node's split threshold (leaves: sklearn's placeholder), optionally in the data's original units.

    Args:
        tree: a fitted :class:`TreeSurrogate`.
        unscale: ``(offset, scale)`` ``(d,)`` arrays with ``raw = X * scale + offset``, or ``None``.

    Returns:
        ``(n_nodes,)`` float64 thresholds.

    Example:
        >>> import numpy as np
        >>> tree = TreeSurrogate(max_depth=1).fit(np.array([[0.0], [1.0]]), [0, 1])
        >>> tree_thresholds(tree, unscale=(np.array([10.0]), np.array([2.0])))[0]  # 0.5 * 2 + 10
        np.float64(11.0)
    """
    inner = tree.estimator_.tree_
    thresholds = inner.threshold.astype(np.float64)
    if unscale is None:
        return thresholds
    offset, scale = (np.asarray(a, dtype=np.float64) for a in unscale)
    split = inner.children_left >= 0
    thresholds[split] = thresholds[split] * scale[inner.feature[split]] + offset[inner.feature[split]]
    return thresholds


class LinearSurrogate(_SurrogateBase):
    """Multinomial logistic-regression surrogate trained on soft labels.

    Each sample is repeated once per class ``j`` with label ``j`` and weight
    ``p_ij * sample_weight_i``, so ``LogisticRegression`` minimises exactly the soft
    cross-entropy (plus its penalty). ``l1_ratio`` mixes the penalty: 0 is L2
    (solver lbfgs), 1 is L1 for sparse coefficients, in between elastic-net (saga).
    Note the expansion holds ``n * k`` rows of ``X`` in memory during ``fit``.

    A class with no probability mass at all gets a pseudo-mass of 1e-6 per sample,
    so it keeps finite coefficients and a tiny probability (limited by ``tol``)
    while ``predict_proba == softmax(X @ coef_.T + intercept_)`` stays exact.

    Args:
        C: Inverse regularisation strength (``np.inf``: unpenalised).
        l1_ratio: Share of L1 in the penalty, in ``[0, 1]``.
        max_iter: Maximum solver iterations.
        tol: Solver tolerance.
        random_state: Seed for saga's sample shuffling (``l1_ratio > 0``).

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted ``LogisticRegression`` (on class indices ``0..k-1``).
        coef_: ``(k, d)`` weights; for binary problems sklearn's single row ``w``
            becomes ``[-w/2, w/2]`` so the softmax identity holds for every ``k``.
        intercept_: ``(k,)`` biases, same convention.
        n_iter_: Solver iterations.
        absent_classes_: ``(k,)`` bool, classes with no training mass.
        complexity_: ``{"nonzero_coefficients", "coefficients"}``, counted on
            ``estimator_.coef_`` (the free parameters: one row when binary).
        complexity_score_: Number of non-zero coefficients.

    Example:
        >>> import numpy as np
        >>> X = np.array([[-1.0], [0.0], [1.0]], dtype=np.float32)
        >>> P = np.array([[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]])
        >>> lin = LinearSurrogate(C=100.0).fit(X, P)
        >>> lin.coef_.shape, lin.intercept_.shape
        ((2, 1), (2,))
        >>> lin.predict_proba(X).round(1).tolist()
        [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]]
    """

    _kind = "linear"

    def __init__(self, C=1.0, l1_ratio=0.0, max_iter=1000, tol=1e-4,
                 random_state=None):
        self.C = C
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit_soft(self, X, proba, sw):
        # C and l1_ratio choose the solver, so check them here; sklearn checks the rest.
        if not (isinstance(self.C, (int, float, np.number)) and self.C > 0):
            raise ValueError(f"C must be a positive number (np.inf for no penalty); "
                             f"got {self.C!r}.")
        if not (isinstance(self.l1_ratio, (int, float, np.number))
                and 0 <= self.l1_ratio <= 1):
            raise ValueError(f"l1_ratio must be in [0, 1] (0 = L2, 1 = L1); "
                             f"got {self.l1_ratio!r}.")
        k = proba.shape[1]
        if k < 2:
            raise ValueError(
                "LinearSurrogate needs at least 2 classes, but y has only one class; "
                "a constant target has nothing to explain."
            )
        self.absent_classes_ = (proba * sw[:, None]).sum(axis=0) == 0
        if self.absent_classes_.any():
            proba = _floor_absent(proba, self.absent_classes_)

        weights = proba * sw[:, None]
        rows, labels = np.nonzero(weights)  # zero-weight (row, class) pairs dropped
        self.estimator_ = LogisticRegression(
            C=self.C,
            l1_ratio=self.l1_ratio,
            solver="saga" if self.l1_ratio > 0 else "lbfgs",
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
        ).fit(X[rows], labels, sample_weight=weights[rows, labels])

        coef = self.estimator_.coef_
        intercept = self.estimator_.intercept_
        if k == 2:
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        self.n_iter_ = self.estimator_.n_iter_
        self.complexity_ = {
            "nonzero_coefficients": int(np.count_nonzero(self.estimator_.coef_)),
            "coefficients": int(self.estimator_.coef_.size),
        }
        self.complexity_score_ = self.complexity_["nonzero_coefficients"]

    def _predict_proba(self, X):
        return _softmax(X @ self.coef_.T + self.intercept_)


def _nb_conditional_loss(params, X, target, w, theta0, log_var0, anchor):
    """Soft cross-entropy of a Gaussian naive Bayes and its gradient.

    ``params`` packs the class means ``theta`` (k, d), log-variances ``u`` (k, d) and
    prior logits ``b`` (k,). The model's class scores are
    ``z_ic = b_c - 1/2 sum_j [u_cj + (x_ij - theta_cj)^2 / exp(u_cj)]`` (the constant
    ``log 2 pi`` cancels in the softmax), and the loss is
    ``-sum_i w_i sum_c target_ic log softmax(z_i)_c`` plus
    ``anchor / 2 * (|theta - theta0|^2 + |u - log_var0|^2)``.

    Args:
        params: Flat parameter vector of length ``2 * k * d + k``.
        X: Features, ``(n, d)`` float64.
        target: Class probabilities, ``(n, k)``, rows summing to 1.
        w: Row weights, ``(n,)``, summing to 1.
        theta0: Means the penalty pulls towards, ``(k, d)``.
        log_var0: Log-variances the penalty pulls towards, ``(k, d)``.
        anchor: Penalty strength (0: none).

    Returns:
        ``(loss, gradient)``, the gradient flat like ``params``.
    """
    k, d = theta0.shape
    theta = params[:k * d].reshape(k, d)
    u = params[k * d:2 * k * d].reshape(k, d)
    b = params[2 * k * d:]
    inv_var = np.exp(-u)
    z = b - 0.5 * (u.sum(axis=1) + (X ** 2) @ inv_var.T - 2 * X @ (theta * inv_var).T
                   + (theta ** 2 * inv_var).sum(axis=1))
    z -= z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -(w[:, None] * target * log_p).sum()
    G = w[:, None] * (np.exp(log_p) - target)  # d loss / d z
    g = G.sum(axis=0)
    GX, GX2 = G.T @ X, G.T @ (X ** 2)
    d_theta = (GX - g[:, None] * theta) * inv_var
    # d z / d u_cj = -1/2 + 1/2 (x_j - theta_cj)^2 / var_cj
    d_u = -0.5 * g[:, None] + 0.5 * (GX2 - 2 * theta * GX + theta ** 2 * g[:, None]) * inv_var
    if anchor:
        loss += 0.5 * anchor * (((theta - theta0) ** 2).sum() + ((u - log_var0) ** 2).sum())
        d_theta += anchor * (theta - theta0)
        d_u += anchor * (u - log_var0)
    return loss, np.concatenate([d_theta.ravel(), d_u.ravel(), g])


class NaiveBayesSurrogate(_SurrogateBase):
    """Gaussian naive-Bayes surrogate with soft class memberships.

    Each class's Gaussian is fitted on all samples weighted by ``p_ij *
    sample_weight_i`` and its prior is its share of the total mass. This is
    ``GaussianNB`` on the rows repeated once per class, computed with one
    ``partial_fit`` per class so the ``n * k`` expanded rows are never built.

    Those moment estimates maximise the *joint* likelihood of features and
    classes, so soft labels barely move them: the class means and variances are
    nearly the same whatever the teacher's confidence. ``objective="conditional"``
    then refits the same parameters (means, variances, priors) by L-BFGS to
    minimise the soft cross-entropy between the targets and the model's
    posterior, i.e. to agree with the teacher. The model stays a Gaussian naive
    Bayes, read the same way; ``anchor`` pulls the means and log-variances
    towards the moment estimates (keeping them readable as class prototypes)
    and variances never fall below the ``var_smoothing`` floor. ``max_iter``
    bounds the refit like an epoch budget (``converged_`` says whether it
    stopped earlier); on digits, 300 iterations on 5,000 rows take under a second.

    A class whose share of the mass is at most 1e-6 is treated as absent:
    ``GaussianNB`` cannot estimate its Gaussian (it silently keeps mean 0 and a
    near-zero variance, which would dominate near the origin), so the class gets
    the 1e-6 probability floor and ``NaN`` rows in ``theta_``/``var_``.

    Args:
        var_smoothing: Share of the largest feature variance added to all variances.
        objective: ``"generative"`` (the moment estimates) or ``"conditional"``
            (refitted for the soft conditional likelihood, starting from them).
        anchor: L2 pull of the conditional refit towards the moment estimates,
            against the cross-entropy summed over rows (weights scaled to mean 1),
            so its relative pull shrinks as data grow; 0 lets the parameters move freely.
        max_iter: L-BFGS iterations of the conditional refit.

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted ``GaussianNB``; its ``classes_`` are the indices
            (into ``classes_``) of the classes with mass. With the conditional
            objective its ``theta_``, ``var_`` and ``class_prior_`` are the refitted ones.
        theta_: ``(k, d)`` class means.
        var_: ``(k, d)`` class variances (smoothing included).
        class_prior_: ``(k,)`` class priors.
        n_iter_: L-BFGS iterations of the refit; 1 for the generative objective
            (its one closed-form step).
        converged_: Whether the refit met L-BFGS's tolerance within ``max_iter``
            (always true for the generative objective).
        absent_classes_: ``(k,)`` bool, classes treated as absent (see above).
        complexity_: ``{"parameters": 2*k*d + k}``.
        complexity_score_: Number of parameters.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0], [0.2], [2.0], [2.2]])
        >>> P = np.array([[1.0, 0.0], [0.8, 0.2], [0.2, 0.8], [0.0, 1.0]])
        >>> nb = NaiveBayesSurrogate().fit(X, P)
        >>> nb.class_prior_.tolist()
        [0.5, 0.5]
        >>> nb.complexity_
        {'parameters': 6}
    """

    _kind = "naive_bayes"
    _objectives = ("generative", "conditional")

    def __init__(self, var_smoothing=1e-9, objective="generative", anchor=1.0, max_iter=300):
        self.var_smoothing = var_smoothing
        self.objective = objective
        self.anchor = anchor
        self.max_iter = max_iter

    def _fit_soft(self, X, proba, sw):
        if self.objective not in self._objectives:
            raise ValueError(f"objective must be one of {', '.join(map(repr, self._objectives))}; "
                             f"got {self.objective!r}.")
        if not (isinstance(self.anchor, (int, float, np.number)) and self.anchor >= 0):
            raise ValueError(f"anchor must be a number >= 0 (0: no pull towards the moment "
                             f"estimates); got {self.anchor!r}.")
        if not (isinstance(self.max_iter, (int, np.integer)) and self.max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1; got {self.max_iter!r}.")
        if not np.ptp(X, axis=0).any():  # every variance and GaussianNB's floor would be 0: NaN probabilities
            raise ValueError("every feature is constant over the fitting rows (one sample, or identical rows), "
                             "so the Gaussians have no variance; fit naive Bayes on rows where some feature varies.")
        k = proba.shape[1]
        weights = proba * sw[:, None]
        # NB's estimates are invariant to the weights' scale; normalising to unit
        # total makes the mass threshold relative.
        weights /= weights.sum()
        present = np.flatnonzero(weights.sum(axis=0) > _FLOOR)
        self.absent_classes_ = np.ones(k, dtype=bool)
        self.absent_classes_[present] = False

        self.estimator_ = GaussianNB(var_smoothing=self.var_smoothing)
        for j in present:
            self.estimator_.partial_fit(X, np.full(X.shape[0], j), classes=present,
                                        sample_weight=weights[:, j])
        self.n_iter_, self.converged_ = 1, True
        if self.objective == "conditional" and len(present) > 1:
            self._refit_conditional(np.asarray(X, dtype=np.float64), weights[:, present], sw.sum())
        d = X.shape[1]
        self.theta_ = np.full((k, d), np.nan)
        self.var_ = np.full((k, d), np.nan)
        self.class_prior_ = np.zeros(k)
        self.theta_[present] = self.estimator_.theta_
        self.var_[present] = self.estimator_.var_
        self.class_prior_[present] = self.estimator_.class_prior_
        self.complexity_ = {"parameters": int(2 * k * d + k)}
        self.complexity_score_ = self.complexity_["parameters"]

    def _refit_conditional(self, X, weights, total_weight):
        """Refit ``estimator_``'s parameters for the soft cross-entropy (see the class doc)."""
        row_mass = weights.sum(axis=1)
        rows = row_mass > 0
        X, w = X[rows], row_mass[rows]
        target = weights[rows] / w[:, None]
        est = self.estimator_
        theta0, log_var0 = est.theta_, np.log(est.var_)
        k, d = theta0.shape
        # w sums to 1, so the loss is a mean over rows: divide the anchor by the total
        # sample weight (n when unweighted) to make it a prior against the summed loss
        # (like C in LogisticRegression), so an integer weight acts as repeated rows.
        anchor = self.anchor / total_weight
        floor = np.log(est.epsilon_) if est.epsilon_ > 0 else None
        bounds = [(None, None)] * (k * d) + [(floor, None)] * (k * d) + [(None, None)] * k
        start = np.concatenate([theta0.ravel(), log_var0.ravel(), np.log(est.class_prior_)])
        result = minimize(_nb_conditional_loss, start, args=(X, target, w, theta0, log_var0, anchor),
                          jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": self.max_iter})
        est.theta_ = result.x[:k * d].reshape(k, d)
        est.var_ = np.exp(result.x[k * d:2 * k * d].reshape(k, d))
        b = result.x[2 * k * d:]
        prior = np.exp(b - b.max())
        est.class_prior_ = prior / prior.sum()
        self.n_iter_, self.converged_ = int(result.nit), bool(result.success)

    def _predict_proba(self, X):
        p = np.zeros((X.shape[0], len(self.classes_)))
        p[:, ~self.absent_classes_] = self.estimator_.predict_proba(X)
        return _floor_absent(p, self.absent_classes_)


SURROGATES = {
    "tree": TreeSurrogate,
    "linear": LinearSurrogate,
    "naive_bayes": NaiveBayesSurrogate,
}


def build_surrogate(kind: str, **params):
    """Instantiate a surrogate by name.

    Args:
        kind: One of ``SURROGATES``' keys: ``"tree"``, ``"linear"``, ``"naive_bayes"``.
        **params: Hyper-parameters of that surrogate.

    Returns:
        An unfitted surrogate estimator.

    Raises:
        ValueError: If ``kind`` is unknown (the message lists the allowed kinds) or
            a parameter name is not accepted (the message lists the allowed ones).

    Example:
        >>> build_surrogate("tree", max_depth=3)
        TreeSurrogate(max_depth=3)
    """
    if kind not in SURROGATES:
        raise ValueError(f"unknown surrogate kind {kind!r}; allowed kinds: "
                         f"{', '.join(sorted(SURROGATES))}.")
    cls = SURROGATES[kind]
    allowed = sorted(cls().get_params(deep=False))
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for surrogate "
                         f"{kind!r}; allowed parameters: {', '.join(allowed)}.")
    return cls(**params)
