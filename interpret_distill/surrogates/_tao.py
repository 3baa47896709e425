"""Tree Alternating Optimisation (TAO) of a fitted tree's splits.

Greedy CART fixes each split once, judged by an impurity surrogate and never
revisited. TAO (Carreira-Perpinan & Tavallali, NeurIPS 2018) keeps the tree's
shape and re-optimises its splits for the quantity the surrogate is judged by,
the 0/1 disagreement with the target class. Nodes at the same depth own
disjoint sets of rows, so they can be optimised independently; with every
other node fixed, changing one node's split only changes which child a row is
sent to, and that matters only for the rows that exactly one child classifies
correctly. The node problem is therefore a weighted binary classification of
those rows ("send right" iff only the right child is correct), solved exactly
over single-feature thresholds.
"""

from __future__ import annotations

import numpy as np

from ._nodes import descend, node_depths, node_means


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


def tao_refine(tree, X, proba, sw, max_passes):
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
    depth = node_depths(tree)
    internal = left >= 0
    n = X.shape[0]
    all_rows = np.arange(n)
    target = proba.argmax(axis=1)
    total = sw.sum()

    def leaf_classes():
        leaf = descend(tree, X, all_rows, np.zeros(n, dtype=np.intp))
        mean = node_means(tree, depth, leaf, proba, sw)[1]
        cls = mean.argmax(axis=1)
        return cls, float(sw[cls[leaf] != target].sum())

    cls, error = leaf_classes()
    history = [error / total]
    if not internal.any():
        return np.array(history)
    for _ in range(max_passes):
        changed = 0
        for d in range(int(depth[internal].max()), -1, -1):
            at = descend(tree, X, all_rows, np.zeros(n, dtype=np.intp), max_steps=d)
            rows = np.flatnonzero(internal[at])  # rows at an internal node of depth d
            if rows.size == 0:
                continue
            node = at[rows]
            ok_left = cls[descend(tree, X, rows, left[node])] == target[rows]
            ok_right = cls[descend(tree, X, rows, right[node])] == target[rows]
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
