"""The report's soft decision tree section: the top levels of the distilled soft tree, its leaves, and its fidelity
beside the scratch soft tree and the axis-aligned tree surrogate of the same depth."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..runs import Run
from ..soft_tree import SoftDecisionTree
from . import figures
from .tables import table

# the regimes whose tree surrogates are distilled (the others are baselines fitted on labels)
LABEL_REGIMES = ("ground_truth", "hard", "hard+transfer")

COLUMNS = [
    ("depth", "depth", "{:.0f}"),
    ("soft_fidelity", "soft tree, distilled: test fidelity", "{:.3f}"),
    ("soft_accuracy", "distilled: test accuracy", "{:.3f}"),
    ("scratch_fidelity", "soft tree, scratch: test fidelity", "{:.3f}"),
    ("scratch_accuracy", "scratch: test accuracy", "{:.3f}"),
    ("soft_params", "soft tree parameters", "{:,.0f}"),
    ("tree_fidelity", "axis-aligned tree: test fidelity", "{:.3f}"),
    ("tree_accuracy", "axis-aligned tree: test accuracy", "{:.3f}"),
    ("tree_leaves", "leaves", "{:,.0f}"),
    ("tree_fit", "tree fitted on", None),
]


def soft_tree_figure(tree: SoftDecisionTree, feature_names: list[str], class_names: list[str], image_shape=None,
                     levels: int = 3, top: int = 6) -> Figure:
    """The top ``levels`` levels of a soft tree: each inner node's weight vector (an image for image data, its
    largest weights as bars for a table), laid out as the tree, and below them every leaf's class distribution.

    Args:
        tree: a :class:`~interpret_distill.soft_tree.SoftDecisionTree`.
        feature_names: one name per input column.
        class_names: one name per class.
        image_shape: ``(channels, height, width)`` to fold the weights into images, or None for a table.
        levels: levels of inner nodes drawn (at most the tree's depth).
        top: bars per node for a table (largest ``|weight|`` first).

    Returns:
        The figure: ``2 ** levels - 1`` node panels (breadth first), then one panel of leaf distributions.

    Example:
        >>> import torch
        >>> fig = soft_tree_figure(SoftDecisionTree(3, 2, depth=2), ["a", "b", "c"], ["no", "yes"])
        >>> [ax.get_title() for ax in fig.axes][:3], fig.axes[3].get_title()
        (['node 0', 'node 1 (left of 0)', 'node 2 (right of 0)'], 'leaf class distributions (4 leaves)')
    """
    levels = min(levels, tree.depth)
    weights = tree.gates.weight.detach().cpu().numpy() * tree.beta
    leaves = tree.leaf_distributions().detach().cpu().numpy()
    names, classes = [figures.plot_text(n) for n in feature_names], [figures.plot_text(c) for c in class_names]
    # images: one cell per node, in order (a node sits above the gap between its subtrees); bars need the width of
    # their subtree for their labels
    columns = 2 ** levels - 1 if image_shape else 2 ** (levels - 1)
    cell = (1.3, 1.8) if image_shape else (2.4, 2.4)  # width of a column, height of a level (inches)
    fig = Figure(figsize=(max(cell[0] * columns, 7), cell[1] * levels + 2.6), layout="constrained")
    grid = fig.add_gridspec(levels + 1, columns, height_ratios=[1] * levels + [1.1])
    limit = np.abs(weights[: 2 ** levels - 1]).max() or 1.0
    node_axes, image = [], None
    for node in range(2 ** levels - 1):
        level = int(np.log2(node + 1))
        span, position = 2 ** (levels - 1 - level), node - (2 ** level - 1)
        if image_shape:
            centre = (2 * position + 1) * span - 1
            ax = fig.add_subplot(grid[level, centre])
        else:
            ax = fig.add_subplot(grid[level, position * span:(position + 1) * span])
        node_axes.append(ax)
        parent = (node - 1) // 2
        side = "" if node == 0 else f" ({'left' if node % 2 else 'right'} of {parent})"
        ax.set_title(f"node {node}{side}", fontsize=7 if image_shape else 8)
        if image_shape:
            image = ax.imshow(figures._image(weights[node], image_shape), cmap=figures.DIVERGING, vmin=-limit,
                              vmax=limit)
            ax.axis("off")
        else:
            order = np.argsort(np.abs(weights[node]))[::-1][:top][::-1]
            ax.barh([names[i] for i in order], weights[node][order],
                    color=np.where(weights[node][order] > 0, "#c0392b", "#2e6da4"))
            ax.axvline(0, color="grey", lw=0.8)
            ax.tick_params(labelsize=6)
    if image is not None:
        fig.colorbar(image, ax=node_axes, shrink=0.5, label="β × weight (red: towards the right child)")
    ax = fig.add_subplot(grid[levels, :])
    shown = ax.imshow(leaves.T, aspect="auto", cmap="Greys", vmin=0, vmax=1, interpolation="nearest")
    ax.set_yticks(range(len(classes)), classes, fontsize=7)
    ax.set_xlabel("leaf, left to right", fontsize=8)
    ax.set_title(f"leaf class distributions ({len(leaves)} leaves)", fontsize=8)
    fig.colorbar(shown, ax=ax, label="probability", shrink=0.8)
    fig.suptitle(f"Soft decision tree (depth {tree.depth}): the top {levels} levels of its inner nodes", fontsize=10)
    return fig


def depth_table(sweep: pd.DataFrame) -> pd.DataFrame:
    """Per soft-tree depth of the sweep: the distilled and the scratch soft tree, and the axis-aligned tree surrogate
    of the same depth (among its distilled fits at that ``max_depth``, the most faithful on validation).

    Args:
        sweep: a run's sweep table (students and surrogates).

    Returns:
        One row per depth with the columns of :data:`COLUMNS` (the tree columns empty where no tree surrogate of that
        depth was fitted); empty when the run has no soft-tree student.

    Example:
        >>> sweep = pd.DataFrame({
        ...     "kind": ["student", "student", "tree", "tree"], "regime": ["kd", "scratch", "soft", "soft"],
        ...     "transfer": ["train"] * 4, "params": ["depth=2", "depth=2", "max_depth=2", "max_depth=3"],
        ...     "params_json": ['{"arch": "soft_tree", "depth": 2}'] * 2 + ['{"max_depth": 2}', '{"max_depth": 3}'],
        ...     "complexity_score": [19.0, 19.0, 4.0, 8.0], "val_fidelity": [0.9, 0.8, 0.7, 0.9],
        ...     "val_kl": [0.1] * 4, "test_fidelity": [0.95, 0.85, 0.75, 0.9], "test_accuracy": [0.9] * 4})
        >>> depth_table(sweep)[["depth", "soft_fidelity", "scratch_fidelity", "tree_fidelity"]].values.tolist()
        [[2.0, 0.95, 0.85, 0.75]]
    """
    recipe = sweep.params_json.map(json.loads)
    soft = sweep[(sweep.kind == "student") & recipe.map(lambda r: r.get("arch") == "soft_tree")]
    depth = recipe.map(lambda r: r.get("depth", r.get("max_depth")))
    trees = sweep[(sweep.kind == "tree") & ~sweep.regime.isin(LABEL_REGIMES)]
    rows = []
    for d in sorted(set(depth[soft.index])):
        here = soft[depth[soft.index] == d]
        distilled, scratch = here[here.regime != "scratch"].iloc[0], here[here.regime == "scratch"].iloc[0]
        row = {"depth": int(d), "soft_fidelity": distilled.test_fidelity, "soft_accuracy": distilled.test_accuracy,
               "scratch_fidelity": scratch.test_fidelity, "scratch_accuracy": scratch.test_accuracy,
               "soft_params": distilled.complexity_score}
        same = trees[depth[trees.index] == d].sort_values(["val_fidelity", "val_kl"], ascending=[False, True],
                                                          kind="stable")
        if len(same):
            best = same.iloc[0]
            row |= {"tree_fidelity": best.test_fidelity, "tree_accuracy": best.test_accuracy,
                    "tree_leaves": best.complexity_score, "tree_fit": f"{best.regime}: {best.params}"}
        rows.append(row)
    return pd.DataFrame(rows)


def soft_tree_section(run: Run) -> dict:
    """The soft tree section of a run whose student is a soft decision tree (``available`` False otherwise).

    Args:
        run: a loaded run.

    Returns:
        ``{"available", "figure", "caption", "table"}``.

    Example:
        >>> soft_tree_section(load_run("reports/digits"))["available"]  # doctest: +SKIP
        False
    """
    if run.manifest["student"].get("spec", {}).get("arch") != "soft_tree":
        return {"available": False}
    tree, data = run.model("student"), run.dataset
    fig = soft_tree_figure(tree, data["feature_names"], data["class_names"], data["image_shape"])
    caption = (f"The distilled soft tree of depth {tree.depth} (β = {tree.beta:g}): each inner node sends a row to "
               "its right child with probability sigmoid(β (w·x + b)); a panel shows β w, "
               + ("as an image: red pixels push towards the right child, blue towards the left. "
                  if data["image_shape"] else "its largest weights on the standardised features. ")
               + "Below, each leaf's learned class distribution; the tree's prediction mixes them, weighted by the "
                 "probability of reaching each leaf.")
    return {"available": True, "figure": figures.to_data_uri(fig), "caption": caption,
            "table": table(depth_table(run.sweep), COLUMNS)}
