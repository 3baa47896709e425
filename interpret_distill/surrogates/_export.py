"""Rendering a fitted tree surrogate (classification or regression) as text: if/else rules, thresholds in data units.

Kept apart from fitting, as scikit-learn keeps ``sklearn/tree/_export.py``: the report and ``TreeSurrogate.export_text``
both come here.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted


def export_text(tree, feature_names=None, class_names=None, decimals=2, unscale=None) -> str:
    """Render a fitted :class:`~interpret_distill.surrogates.TreeSurrogate` as indented if/else rules.

    Args:
        tree: the fitted tree surrogate.
        feature_names: ``d`` names; defaults to ``feature_names_in_`` when fitted on a DataFrame, else
            ``feature_0 ... feature_{d-1}``.
        class_names: ``k`` names; defaults to ``str(c)`` for ``c`` in ``classes_``.
        decimals: Digits after the decimal point for thresholds and probabilities.
        unscale: Optional ``(offset, scale)`` pair of ``(d,)`` arrays: thresholds are shown as
            ``threshold * scale + offset``, in the units of the data before it was standardised for fitting.

    Returns:
        Multi-line string; each leaf reads ``class: <name> (p=<probability>)``.

    Example:
        >>> from interpret_distill.surrogates import TreeSurrogate
        >>> tree = TreeSurrogate(max_depth=1).fit(np.array([[0.0], [1.0]]), ["cat", "dog"])
        >>> print(export_text(tree, ["whiskers"], decimals=1))
        |--- whiskers <= 0.5
        |   |--- class: cat (p=1.0)
        |--- whiskers >  0.5
        |   |--- class: dog (p=1.0)
    """
    check_is_fitted(tree)
    k = len(tree.classes_)
    if class_names is None:
        class_names = [str(c) for c in tree.classes_]
    class_names = list(class_names)
    if len(class_names) != k:
        raise ValueError(f"class_names has {len(class_names)} entries but the "
                         f"surrogate has {k} classes.")
    leaf_proba = tree._normalise(tree.node_proba_)

    def leaf(node):
        c = int(np.argmax(leaf_proba[node]))
        return f"class: {class_names[c]} (p={leaf_proba[node, c]:.{decimals}f})"

    return _rules(tree, feature_names, leaf, decimals, unscale)


def export_regression_text(tree, feature_names=None, decimals=2, unscale=None, value_unscale=None) -> str:
    """Render a fitted :class:`~interpret_distill.surrogates.TreeSurrogateRegressor` as indented if/else rules.

    Args:
        tree: the fitted regression tree surrogate.
        feature_names: ``d`` names (defaults as in :func:`export_text`).
        decimals: Digits after the decimal point for thresholds and values.
        unscale: Optional ``(offset, scale)`` ``(d,)`` arrays for the thresholds (as in :func:`export_text`).
        value_unscale: Optional ``(offset, scale)`` floats: leaf values are shown as ``value * scale + offset``, in
            the target's units before it was standardised for fitting.

    Returns:
        Multi-line string; each leaf reads ``value: <mean training target>``.

    Example:
        >>> from interpret_distill.surrogates import TreeSurrogateRegressor
        >>> tree = TreeSurrogateRegressor(max_depth=1).fit(np.array([[0.0], [1.0]]), [-1.0, 1.0])
        >>> print(export_regression_text(tree, ["dose"], decimals=1, value_unscale=(100.0, 10.0)))
        |--- dose <= 0.5
        |   |--- value: 90.0
        |--- dose >  0.5
        |   |--- value: 110.0
    """
    check_is_fitted(tree)
    offset, scale = (0.0, 1.0) if value_unscale is None else (float(v) for v in value_unscale)
    values = tree.node_value_ * scale + offset
    return _rules(tree, feature_names, lambda node: f"value: {values[node]:.{decimals}f}", decimals, unscale)


def _rules(tree, feature_names, leaf, decimals, unscale) -> str:
    """The if/else rules of a fitted tree surrogate, each leaf written by ``leaf(node) -> str``."""
    d = tree.n_features_in_
    if feature_names is None:
        feature_names = getattr(tree, "feature_names_in_", [f"feature_{j}" for j in range(d)])
    feature_names = list(feature_names)
    if len(feature_names) != d:
        raise ValueError(f"feature_names has {len(feature_names)} entries but the "
                         f"surrogate was fitted on {d} features.")
    inner = tree.estimator_.tree_
    thresholds = tree_thresholds(tree, unscale)
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
        left, right = inner.children_left[item], inner.children_right[item]
        if left < 0:
            lines.append(f"{indent}{leaf(item)}")
            continue
        name = feature_names[inner.feature[item]]
        thr = f"{thresholds[item]:.{decimals}f}"
        lines.append(f"{indent}{name} <= {thr}")
        stack += [("node", right, depth + 1), ("line", f"{indent}{name} >  {thr}", 0),
                  ("node", left, depth + 1)]
    return "\n".join(lines)


def tree_thresholds(tree, unscale=None) -> np.ndarray:
    """Each node's split threshold (leaves: sklearn's placeholder), optionally in the data's original units.

    Args:
        tree: a fitted :class:`TreeSurrogate` or :class:`TreeSurrogateRegressor`.
        unscale: ``(offset, scale)`` ``(d,)`` arrays with ``raw = X * scale + offset``, or ``None``.

    Returns:
        ``(n_nodes,)`` float64 thresholds.

    Example:
        >>> from interpret_distill.surrogates import TreeSurrogate
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
