"""Matplotlib figures of a run. Each returns a ``Figure`` the user can restyle; the report inlines them.

Example:
    >>> from interpret_distill import load_run
    >>> from interpret_distill.report import figures
    >>> fig = figures.agreement_matrices(load_run("reports/digits"))  # doctest: +SKIP
    >>> fig.savefig("agreement.png")  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import io
import textwrap

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, Normalize, to_rgb
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from ..results import complexity_unit
from ..runs import Run
from ..selection import pareto_front
from ..surrogates import tree_thresholds

DIVERGING = "RdBu_r"
# thresholds of the tree figure and of its rules text (``export_text(decimals=...)``) are rounded alike
RULE_DECIMALS = 3
# the units the surrogates were fitted in (see ``data._scaling``), named alike in every figure
TABULAR_UNITS = "standardised features"
IMAGE_UNITS = "pixels scaled to 0–1"


def to_data_uri(fig: Figure, fmt: str = "svg") -> str:
    """Encode a figure as a ``data:`` URI (SVG by default), for inlining in the HTML report.

    Args:
        fig: the figure; saved with a tight bounding box at 110 dpi.
        fmt: a matplotlib ``savefig`` format, e.g. ``"svg"`` or ``"png"``.

    Returns:
        ``"data:image/<fmt>;base64,..."`` (``image/svg+xml`` for SVG).

    Example:
        >>> to_data_uri(Figure()).split(",")[0]
        'data:image/svg+xml;base64'
        >>> to_data_uri(Figure(), "png").split(",")[0]
        'data:image/png;base64'
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight", dpi=110)
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def plot_text(text: str) -> str:
    r"""A user-provided name made safe for a matplotlib label: ``$`` would otherwise start mathtext.

    Matplotlib escapes ``<``, ``>`` and ``&`` itself when it writes SVG; a name such as ``price $\frac$`` would
    instead be parsed as (broken) math and fail the whole report.

    Args:
        text: a feature or class name (anything ``str`` accepts).

    Returns:
        ``str(text)`` with every ``$`` escaped as ``\$``.

    Example:
        >>> plot_text("cost ($)")
        'cost (\\$)'
    """
    return str(text).replace("$", r"\$")


def _grid(n: int, columns: int, size: float = 2.6, layout: str | None = None) -> tuple[Figure, np.ndarray]:
    rows = int(np.ceil(n / columns))
    fig = Figure(figsize=(size * columns, (size + 0.4) * rows), layout=layout)  # + room for titles and labels
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _image(values: np.ndarray, shape) -> np.ndarray:
    """Fold a flat row back into a 2-D picture (channels averaged)."""
    return np.asarray(values).reshape(shape).mean(axis=0)


def agreement_matrices(run: Run, columns: int = 4) -> Figure:
    """Teacher-class × model-class counts on the test split, one panel per model.

    Agreements (the diagonal) are grey; disagreements are red on one colour scale shared by all panels, so a cell of
    one row stays visible beside a diagonal of hundreds. Every non-zero disagreement is numbered, and so is the
    diagonal up to 12 classes.

    Args:
        run: a loaded run (:func:`interpret_distill.load_run`).
        columns: panels per row.

    Returns:
        The figure, with a colour bar for the disagreement counts.

    Example:
        >>> fig = agreement_matrices(load_run("reports/digits"))  # doctest: +SKIP
    """
    metrics = run.metrics  # pruned and quantized models are shown in the compression section instead
    compressed = set(metrics.model[metrics.family == "compressed"]) if "family" in metrics.columns else set()
    names = [n for n in run.test_probs if n != "teacher" and n not in compressed]
    teacher = run.test_probs["teacher"].argmax(1)
    k = run.dataset["n_classes"]
    matrices = {}
    for name in names:
        matrices[name] = np.zeros((k, k), dtype=int)
        np.add.at(matrices[name], (teacher, run.test_probs[name].argmax(1)), 1)
    diagonal = np.eye(k, dtype=bool)
    worst = max([int(m[~diagonal].max()) for m in matrices.values()] + [1])
    # half-integer bounds centre each count on its colour; the lightest shade of the map is kept for count 1
    norm = Normalize(vmin=0.5, vmax=worst + 0.5)
    reds = ListedColormap(colormaps["Reds"](np.linspace(0.25, 1.0, 256)))
    fontsize = 8 if k <= 5 else 6.5 if k <= 10 else 5
    fig, axes = _grid(len(names), columns, size=2.6 if k <= 5 else min(0.25 * k + 0.9, 4.0), layout="constrained")
    image = None
    for ax, name in zip(axes, names):
        matrix = matrices[name]
        ax.imshow(np.ma.masked_where(~diagonal, np.ones((k, k))), cmap=ListedColormap(["#e3e3e3"]))
        image = ax.imshow(np.ma.masked_where(diagonal | (matrix == 0), matrix), cmap=reds, norm=norm)
        for (i, j), count in np.ndenumerate(matrix):
            if i == j and k <= 12:
                ax.text(j, i, count, ha="center", va="center", fontsize=fontsize, color="#555555")
            elif i != j and count:
                ax.text(j, i, count, ha="center", va="center", fontsize=fontsize,
                        color="white" if norm(count) > 0.6 else "black")
        ax.set_title(f"{name}\nfidelity {np.trace(matrix) / matrix.sum():.3f}", fontsize=9)
        ax.set_xlabel("model class", fontsize=8)
        ax.set_ylabel("teacher class", fontsize=8)
        ticks = list(range(k)) if k <= 12 else []
        labels = [plot_text(str(c)[:12]) for c in run.dataset["class_names"]][:len(ticks)]
        slanted = max(map(len, labels), default=0) > 2  # names, not digits: tilt them so they do not overlap
        ax.set_xticks(ticks, labels, rotation=45 if slanted else 0, ha="right" if slanted else "center")
        ax.set_yticks(ticks, labels)
        ax.tick_params(labelsize=7)
    if image is not None:
        bar = fig.colorbar(image, ax=[ax for ax in axes if ax.get_visible()], shrink=0.5,
                           label="disagreements (test rows per cell)")
        bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle("Agreement with the teacher (test split): grey diagonal = agreements, red = disagreements",
                 fontsize=11)
    return fig


def _shade(colour: str, strength: float) -> tuple[float, float, float]:
    """``colour`` mixed with white (``strength`` 0: white, 1: the colour itself); opaque, so it hides the edges."""
    return tuple(1 - strength * (1 - np.asarray(to_rgb(colour))))


def tree_diagram(tree, feature_names: list[str], class_names: list[str], max_depth: int = 3,
                 unscale=None, decimals: int = RULE_DECIMALS, fontsize: float = 8) -> Figure:
    """The top of a fitted ``TreeSurrogate``: split rules and, per node, its fitting rows and majority class.

    Each box reads: the split (feature, then ``<= threshold`` on its own line; the left branch is where it holds),
    the node's weighted row count in the set the tree was fitted on, and the share of the node's majority class in
    those rows (the mean label probability when the labels are soft). Boxes that split further below
    ``max_depth`` are dashed. The figure is as wide as the longest label needs, so boxes never overlap.

    Args:
        tree: a fitted :class:`~interpret_distill.surrogates.TreeSurrogate`.
        feature_names: one name per input column (any text; ``$`` is escaped).
        class_names: one name per class (any text; ``$`` is escaped).
        max_depth: levels below the root to draw.
        unscale: ``(offset, scale)`` to show thresholds in the data's original units (see ``tree_thresholds``).
        decimals: digits after the point of each threshold, as in ``tree.export_text(decimals=...)``.
        fontsize: of the box labels, in points.

    Returns:
        The figure.

    Example:
        >>> from interpret_distill.surrogates import TreeSurrogate
        >>> tree = TreeSurrogate(max_depth=1).fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
        >>> fig = tree_diagram(tree, ["mean area"], ["malignant", "benign"])
        >>> print(fig.axes[0].texts[2].get_text())  # the root's box (leaves come first)
        mean area
        <= 1.500
        4 fitting rows
        50% class malignant
    """
    inner = tree.estimator_.tree_
    left, right = inner.children_left, inner.children_right
    thresholds = tree_thresholds(tree, unscale)
    feature_names = [plot_text(n) for n in feature_names]
    class_names = [plot_text(n) for n in class_names]
    probs = np.clip(tree.node_proba_, 0, None)
    probs = probs / np.where(probs.sum(1, keepdims=True) > 0, probs.sum(1, keepdims=True), 1)
    best = probs.argmax(1)

    # bottom boxes (leaves, or nodes cut at max_depth) take one column each in reading order and a parent sits
    # midway between its children, so two boxes of one level are always at least a column apart
    position, level, bottom = {}, {}, []

    def place(node: int, depth: int) -> None:
        level[node] = depth
        if left[node] < 0 or depth == max_depth:
            position[node] = len(bottom)
            bottom.append(node)
            return
        place(left[node], depth + 1)
        place(right[node], depth + 1)
        position[node] = (position[left[node]] + position[right[node]]) / 2

    place(0, 0)
    labels = {}
    for node in position:
        rule = [] if left[node] < 0 else [
            *textwrap.wrap(feature_names[inner.feature[node]], 22, break_on_hyphens=False),
            f"<= {thresholds[node]:.{decimals}f}"]
        labels[node] = "\n".join([*rule, f"{tree.node_weight_[node]:,.0f} fitting rows",
                                  f"{probs[node, best[node]]:.0%} class {class_names[best[node]]}"])

    fig = Figure()
    renderer = FigureCanvasAgg(fig).get_renderer()  # measures the labels before the figure is sized
    ax = fig.add_axes((0, 0, 1, 1))
    boxes = {}
    for node, text in labels.items():
        cut = left[node] >= 0 and level[node] == max_depth
        boxes[node] = ax.text(position[node], -level[node], text, ha="center", va="center", fontsize=fontsize,
                              zorder=3, bbox={"boxstyle": "round,pad=0.4", "linewidth": 0.8,
                                              "linestyle": "--" if cut else "-",
                                              "facecolor": _shade(f"C{best[node] % 10}", 0.35 * probs[node, best[node]])})
    for node in position:
        if left[node] >= 0 and level[node] < max_depth:
            for child, edge in ((left[node], "true"), (right[node], "false")):
                ax.plot([position[node], position[child]], [-level[node], -level[child]], color="grey",
                        linewidth=0.8, zorder=1)
                if node == 0:
                    ax.text((position[node] + position[child]) / 2, -0.5, edge, ha="center", va="center",
                            fontsize=fontsize, zorder=2, bbox={"facecolor": "white", "edgecolor": "none"})
    extents = [box.get_window_extent(renderer) for box in boxes.values()]
    pad = 2 * 0.4 * fontsize / 72 + 0.25  # the boxes' padding on both sides, and a gap between neighbours
    width = max(e.width for e in extents) / fig.dpi + pad
    height = max(e.height for e in extents) / fig.dpi + pad + 0.3  # and room for the edges
    levels = max(level.values()) + 1
    fig.set_size_inches(width * len(bottom), height * levels + 0.5)
    ax.set_position((0, 0, 1, height * levels / (height * levels + 0.5)))  # the rest is the title's
    ax.set_xlim(-0.5, len(bottom) - 0.5)
    ax.set_ylim(-levels + 0.5, 0.5)
    ax.set_axis_off()
    cut = any(left[node] >= 0 for node in bottom)
    fig.suptitle(f"Tree surrogate{f', first {max_depth} levels' if cut else ''}: rows and shares on the fitting "
                 f"set, not test{' (dashed: splits further, see the rules)' if cut else ''}", fontsize=10)
    return fig


def linear_coefficients(linear, feature_names: list[str], class_names: list[str], image_shape=None,
                        top: int = 15) -> Figure:
    """Per-class coefficient images for image data; ranked bar charts of the largest coefficients otherwise.

    Images share one symmetric colour scale. For a table, a binary surrogate gets one panel (class 1 minus class 0:
    its softmax coefficients are ±w/2, so one panel says everything); otherwise one panel per class, at most 6.

    Args:
        linear: a fitted :class:`~interpret_distill.surrogates.LinearSurrogate` (anything with ``coef_``
            ``(k, d)``).
        feature_names: one name per input column (``$`` is escaped).
        class_names: one name per class (``$`` is escaped).
        image_shape: ``(channels, height, width)`` to fold coefficients into images, or None for a table.
        top: bars per panel (largest ``|coefficient|`` first); unused for images.

    Returns:
        The figure.

    Example:
        >>> from interpret_distill.surrogates import LinearSurrogate
        >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]), np.array([0, 0, 1, 1])
        >>> fig = linear_coefficients(LinearSurrogate().fit(X, y), ["age", "income ($)"], ["no", "yes"])
        >>> [ax.get_title() for ax in fig.axes]
        ['towards class yes']
    """
    coef = np.asarray(linear.coef_)
    feature_names, class_names = [plot_text(n) for n in feature_names], [plot_text(n) for n in class_names]
    if image_shape:
        fig, axes = _grid(len(class_names), 5, size=1.9)
        limit = np.abs(coef).max() or 1.0
        for ax, row, name in zip(axes, coef, class_names):
            im = ax.imshow(_image(row, image_shape), cmap=DIVERGING, vmin=-limit, vmax=limit)
            ax.set_title(f"class {name}", fontsize=9)
            ax.axis("off")
        fig.colorbar(im, ax=list(axes), shrink=0.7, label=f"coefficient ({IMAGE_UNITS})")
        fig.suptitle("Linear surrogate: coefficient per pixel and class (red raises the class score)", fontsize=10)
        return fig
    # binary softmax coefficients are ±w/2: one panel of the positive class says everything
    panels = [(class_names[1], coef[1] - coef[0])] if len(class_names) == 2 else list(zip(class_names, coef))[:6]
    fig, axes = _grid(len(panels), min(len(panels), 3), size=4.2)
    for ax, (name, row) in zip(axes, panels):
        order = np.argsort(np.abs(row))[::-1][:top][::-1]
        ax.barh([feature_names[i] for i in order], row[order], color=np.where(row[order] > 0, "#c0392b", "#2e6da4"))
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_title(f"towards class {name}", fontsize=9)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"Linear surrogate: largest coefficients ({TABULAR_UNITS})", fontsize=10)
    fig.tight_layout()
    return fig


def naive_bayes_means(nb, feature_names: list[str], class_names: list[str], image_shape=None, top: int = 15) -> Figure:
    """Class-conditional means of the naive-Bayes surrogate (images, or a class × feature heatmap).

    For a table, the heatmap shows the ``top`` features whose means differ most between classes (largest
    max − min). The title says when the means were fitted for agreement with the teacher
    (``objective="conditional"``), since those are the model's Gaussian centres, not sample averages.

    Args:
        nb: a fitted :class:`~interpret_distill.surrogates.NaiveBayesSurrogate` (anything with ``theta_``
            ``(k, d)``).
        feature_names: one name per input column (``$`` is escaped).
        class_names: one name per class (``$`` is escaped).
        image_shape: ``(channels, height, width)`` to show each class mean as an image, or None for a table.
        top: features in the heatmap; unused for images.

    Returns:
        The figure.

    Example:
        >>> from interpret_distill.surrogates import NaiveBayesSurrogate
        >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]]), np.array([0, 0, 1, 1])
        >>> fig = naive_bayes_means(NaiveBayesSurrogate().fit(X, y), ["age", "income"], ["no", "yes"], top=1)
        >>> [label.get_text() for label in fig.axes[0].get_xticklabels()]  # the feature that differs most
        ['age']
    """
    theta = np.asarray(nb.theta_)
    # refitted means are the model's Gaussian centres, not the classes' sample averages
    fitted = ", fitted for agreement with the teacher" if getattr(nb, "objective", "") == "conditional" else ""
    feature_names, class_names = [plot_text(n) for n in feature_names], [plot_text(n) for n in class_names]
    if image_shape:
        fig, axes = _grid(len(class_names), 5, size=1.9)
        for ax, row, name in zip(axes, theta, class_names):
            ax.imshow(_image(row, image_shape), cmap="gray_r")
            ax.set_title(f"class {name}", fontsize=9)
            ax.axis("off")
        fig.suptitle(f"Naive-Bayes surrogate: class means ({IMAGE_UNITS}{fitted})", fontsize=10)
        return fig
    spread = theta.max(0) - theta.min(0)
    order = np.argsort(spread)[::-1][:top]
    fig = Figure(figsize=(max(6, 0.45 * len(order) + 2), 0.5 * len(class_names) + 2.2))
    ax = fig.subplots()
    limit = np.abs(theta[:, order]).max() or 1.0
    im = ax.imshow(theta[:, order], cmap=DIVERGING, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(order)), [feature_names[i] for i in order], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=8)
    fig.colorbar(im, ax=ax, label=f"class mean ({TABULAR_UNITS})")
    ax.set_title(f"Naive-Bayes surrogate: class means of the most class-dependent features{fitted}", fontsize=10)
    fig.tight_layout()
    return fig


def patch_grid_panels(values: np.ndarray, grid: tuple[int, int], column_titles: list[str], title: str, label: str,
                      diverging: bool = True, annotate: bool = False) -> Figure:
    """Values of patch features drawn on the patch grid: a column per row of ``values``, a row per feature kind.

    ``values`` rows are e.g. a linear surrogate's coefficients or a naive-Bayes surrogate's means per class, over the
    columns of :func:`~interpret_distill.image_features.patch_features` (the grid's means, then its contrasts if
    any): the first panel row shows the means' values on the grid, the second the contrasts'. All panels share one
    colour scale; ticks number the grid's rows and columns from the top left, as in the features' names.

    Args:
        values: ``(panels, g)`` or ``(panels, 2g)`` for a grid of ``g`` patches.
        grid: ``(grid_rows, grid_columns)``.
        column_titles: one title per row of ``values`` (``$`` is escaped).
        title: the figure's title.
        label: the colour bar's label.
        diverging: a symmetric red-blue scale around 0 (else grey, from 0).
        annotate: write each cell's value (as an integer) in it.

    Returns:
        The figure.

    Example:
        >>> fig = patch_grid_panels(np.arange(8.0).reshape(1, 8), (2, 2), ["splits"], "t", "n", annotate=True)
        >>> [ax.get_ylabel() for ax in fig.axes[:2]]
        ['mean', 'contrast']
    """
    values = np.asarray(values, dtype=np.float64)
    n_patches = grid[0] * grid[1]
    kinds = ["mean", "contrast"][: values.shape[1] // n_patches]
    fig = Figure(figsize=(1.7 * len(values) + 1.2, 1.8 * len(kinds) + 0.8), layout="constrained")
    axes = fig.subplots(len(kinds), len(values), squeeze=False)
    limit = np.abs(values).max() or 1.0
    scale = {"cmap": DIVERGING, "vmin": -limit, "vmax": limit} if diverging else {"cmap": "Greys", "vmin": 0,
                                                                                 "vmax": limit}
    for r, kind in enumerate(kinds):
        for c, (row, name) in enumerate(zip(values, column_titles)):
            cells = row[r * n_patches:(r + 1) * n_patches].reshape(grid)
            ax = axes[r, c]
            image = ax.imshow(cells, **scale)
            if annotate:
                for (i, j), value in np.ndenumerate(cells):
                    if value:
                        ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7,
                                color="white" if value > limit / 2 else "black")
            ax.set_xticks(range(grid[1]), [str(j) if j % 2 == 0 else "" for j in range(grid[1])], fontsize=6)
            ax.set_yticks(range(grid[0]), [str(i) if i % 2 == 0 else "" for i in range(grid[0])], fontsize=6)
            if r == 0:
                ax.set_title(plot_text(name), fontsize=9)
            if c == 0:
                ax.set_ylabel(kind)
    fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label=label)
    fig.suptitle(title, fontsize=10)
    return fig


def tree_patch_splits(tree, grid: tuple[int, int]) -> Figure:
    """How often a tree fitted on patch features splits on each patch's mean (and contrast), on the patch grid.

    Args:
        tree: a fitted :class:`~interpret_distill.surrogates.TreeSurrogate` whose columns are patch features.
        grid: ``(grid_rows, grid_columns)``.

    Returns:
        The figure (:func:`patch_grid_panels` of the split counts).

    Example:
        >>> from interpret_distill.surrogates import TreeSurrogate
        >>> tree = TreeSurrogate(max_depth=2).fit(np.array([[0.0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1]]), [0, 1, 2])
        >>> fig = tree_patch_splits(tree, (2, 2))
    """
    features = tree.estimator_.tree_.feature
    counts = np.bincount(features[features >= 0], minlength=tree.n_features_in_)
    return patch_grid_panels(counts[None, :], grid, ["splits on the patch"],
                             "Tree surrogate on patches: where its rules look (row, column from the top left)",
                             "splits", diverging=False, annotate=True)


def student_comparison(run: Run) -> Figure:
    """Distilled vs scratch student: validation curves with the kept epoch marked, and test accuracy / fidelity.

    Args:
        run: a loaded run (:func:`interpret_distill.load_run`).

    Returns:
        The figure: curves on the left (dashed line: the best epoch, whose weights are kept), a dot plot on the
        right (its axis need not start at 0, unlike bars).

    Example:
        >>> fig = student_comparison(load_run("reports/digits"))  # doctest: +SKIP
    """
    logs = run.info["students"]
    metrics = run.metrics.set_index("model")
    regression = run.task == "regression"  # scores: minus the MSE; test columns: R² to the teacher and the truth
    fig = Figure(figsize=(11, 3.6), layout="constrained")
    curve, dots = fig.subplots(1, 2)
    # the score is the agreement minus a tie-break below one row (training.fidelity_score_fn), hence the names
    scores = (("val −MSE to the teacher", "val −MSE to the truth") if regression else
              ("val fidelity − KL tie-break", "val accuracy − NLL tie-break"))
    for colour, role, score in (("C0", "distilled", scores[0]), ("C1", "scratch", scores[1])):
        log = logs[role]
        size = f" ({log['size']})" if log.get("size") else ""  # runs before the width sweep lack it
        curve.plot(range(1, len(log["val_scores"]) + 1), log["val_scores"], color=colour,
                   label=f"{role}{size}: {score}")
        if log.get("best_epoch"):
            curve.axvline(log["best_epoch"], color=colour, linestyle="--", linewidth=1,
                          label=f"{role}: kept epoch {log['best_epoch']}")
    curve.set_xlabel("epoch")
    curve.set_ylabel("validation score")
    curve.set_title("Early stopping (validation split)", fontsize=10)
    curve.legend(fontsize=8)
    names = ["teacher", "student", "student_scratch"]
    y = np.arange(len(names))
    labels = {"accuracy": "R² to truth", "fidelity": "R² to teacher"} if regression else {}
    for offset, column, marker in ((-0.12, "accuracy", "o"), (0.12, "fidelity", "D")):
        values = [metrics.loc[n, column] for n in names]
        dots.scatter(values, y + offset, marker=marker, s=36, label=labels.get(column, column), zorder=3)
        for yi, v in zip(y + offset, values):
            dots.annotate(f"{v:.3f}", (v, yi), xytext=(6, 0), textcoords="offset points", va="center", fontsize=7)
    dots.set_yticks(y, names)
    dots.set_ylim(len(names) - 0.5, -0.5)  # teacher on top
    low = min(metrics.loc[names, ["accuracy", "fidelity"]].min())
    dots.set_xlim(low - 0.02 if regression else max(0.0, low - 0.02), 1.015)  # room for the value labels
    dots.grid(True, axis="x", alpha=0.3)
    dots.set_xlabel("test score")
    dots.set_title("Test split", fontsize=10)
    dots.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never hides a value
    return fig


def frontier_plot(df: pd.DataFrame, split: str = "test", metric: str = "fidelity (agreement with teacher)") -> Figure:
    """Fidelity against complexity, one panel per kind, points and Pareto front per regime.

    Complexity ticks are plain numbers (5, 10, 20, 50, ...) on a log axis. A kind whose fits all have one
    complexity (naive Bayes: a parameter count fixed by the data) gets a column of points per regime instead,
    equal scores side by side and the regime's best as a bar, so no point hides another. Colours follow the
    regime, alike in every panel.

    Builds a bare :class:`~matplotlib.figure.Figure` (no pyplot state), so it is safe with the Agg
    backend and in worker processes; save it with ``fig.savefig``.

    Args:
        df: a sweep table (``run.sweep``, :func:`~interpret_distill.sweep.sweep_surrogates`).
        split: ``"val"`` or ``"test"``: whose fidelity to plot.
        metric: what the fidelity column measures, for the y axis (a regression's: R² to the teacher).

    Returns:
        The figure.

    Example:
        >>> df = pd.DataFrame({"kind": ["tree"] * 2, "regime": ["soft"] * 2, "complexity_score": [2, 8],
        ...                    "test_fidelity": [0.7, 0.9]})
        >>> len(frontier_plot(df).axes)
        1
    """
    if split not in ("val", "test"):
        raise ValueError(f"split must be 'val' or 'test', got {split!r}")
    column = f"{split}_fidelity"
    kinds = list(dict.fromkeys(df["kind"]))
    regimes = list(dict.fromkeys(df["regime"]))
    colours = {regime: f"C{i}" for i, regime in enumerate(regimes)}  # same colour per regime in every panel
    fig = Figure(figsize=(4.2 * max(len(kinds), 1), 3.6), layout="constrained")
    axes = fig.subplots(1, max(len(kinds), 1), squeeze=False)[0]
    for ax, kind in zip(axes, kinds):
        of_kind = df[df["kind"] == kind]
        units = complexity_unit(kind)
        single = of_kind["complexity_score"].nunique() == 1
        present = [regime for regime in regimes if (of_kind["regime"] == regime).any()]
        for place, regime in enumerate(present):
            rows = of_kind[of_kind["regime"] == regime]
            x, y = rows["complexity_score"].to_numpy(float), rows[column].to_numpy(float)
            if single:
                # equal scores side by side, centred on the regime's column
                x = np.full(len(y), float(place))
                for score in np.unique(y.round(9)):
                    same = np.flatnonzero(y.round(9) == score)
                    x[same] += (np.arange(len(same)) - (len(same) - 1) / 2) * min(0.08, 0.7 / len(same))
                ax.scatter(x, y, s=18, alpha=0.6, color=colours[regime], label=regime)
                ax.plot([place - 0.4, place + 0.4], [y.max()] * 2, color=colours[regime], linewidth=1.5)
                continue
            ax.scatter(x, y, s=18, alpha=0.6, color=colours[regime], label=regime)
            front = pareto_front(x, y)
            order = np.argsort(x[front], kind="stable")
            ax.step(x[front][order], y[front][order], where="post", color=colours[regime], linewidth=1.5)
        if single:
            ax.set_xticks(range(len(present)), present, fontsize="small")
            ax.set_xlim(-0.6, len(present) - 0.4)
            ax.set_xlabel(f"regime (every fit: {of_kind['complexity_score'].iloc[0]:,.0f} {units})")
        else:
            # A linear surrogate can have 0 non-zero coefficients; symlog keeps it on the axis.
            if (of_kind["complexity_score"] > 0).all():
                ax.set_xscale("log")
            else:
                ax.set_xscale("symlog", linthresh=1)
            scores = of_kind["complexity_score"]
            low, high = max(ax.get_xlim()[0], scores[scores > 0].min() / 2), ax.get_xlim()[1]
            # plain-number labels at 1-2-5 steps, thinned to at most 6; a range with fewer than 2 inside labels its ends
            for steps in ((1, 2, 5), (1, 3), (1,)):
                ticks = [step * 10.0 ** power for power in range(int(np.floor(np.log10(low))),
                                                                 int(np.ceil(np.log10(high))) + 1)
                         for step in steps if low <= step * 10.0 ** power <= high]
                if len(ticks) <= 6:
                    break
            if len(ticks) < 2:
                ticks = [scores[scores > 0].min(), scores.max()]
            ax.set_xticks(([0.0] if (scores == 0).any() else []) + ticks)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
            ax.xaxis.set_minor_formatter(NullFormatter())
            ax.set_xlabel(f"complexity ({units}, log scale)")
        ax.set_title(kind)
        ax.set_ylabel(f"{split} {metric}")
        ax.grid(True, alpha=0.3)
        if not single:  # a single-complexity panel names its regimes on the axis
            ax.legend(fontsize="small", title="regime", title_fontsize="small")
    return fig


# the x axes of the compression figure: column of the compression table -> axis label
COMPRESSION_AXES = {"file_bytes": "size on disk (bytes of the saved file, log scale)",
                    "nonzero_params": "non-zero parameters (log scale)"}


def compression_plot(table: pd.DataFrame) -> Figure:
    """Test fidelity against size on disk and against non-zero parameters, one colour and Pareto front per route.

    The teacher (route ``none``) is a black star on both panels. A pruned network saved dense is as large on disk as
    the teacher, so the pruning routes stand in one column of the left panel; the right panel shows what they remove.

    Args:
        table: rows of the compression comparison (``run.metrics`` where ``route`` is set), with ``route``,
            ``fidelity``, ``file_bytes`` and ``nonzero_params``.

    Returns:
        The figure (two panels).

    Example:
        >>> table = pd.DataFrame({"route": ["none", "pruning", "pruning"], "fidelity": [1.0, 0.99, 0.9],
        ...                       "file_bytes": [1000, 1000, 1000], "nonzero_params": [200, 100, 20]})
        >>> [ax.get_xlabel() for ax in compression_plot(table).axes]
        ['size on disk (bytes of the saved file, log scale)', 'non-zero parameters (log scale)']
    """
    routes = [r for r in dict.fromkeys(table["route"]) if r != "none"]
    fig = Figure(figsize=(10.5, 4.0), layout="constrained")
    axes = fig.subplots(1, len(COMPRESSION_AXES), squeeze=False)[0]
    for ax, (column, label) in zip(axes, COMPRESSION_AXES.items()):
        for i, route in enumerate(routes):
            rows = table[table["route"] == route]
            x, y = rows[column].to_numpy(float), rows["fidelity"].to_numpy(float)
            ax.scatter(x, y, s=22, alpha=0.75, color=f"C{i}", label=route)
            front = pareto_front(x, y)
            order = np.argsort(x[front], kind="stable")
            ax.step(x[front][order], y[front][order], where="post", color=f"C{i}", linewidth=1.3)
        teacher = table[table["route"] == "none"]
        ax.scatter(teacher[column], teacher["fidelity"], marker="*", s=120, color="black", label="teacher", zorder=3)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        ax.set_xlabel(label)
        ax.set_ylabel("test fidelity (agreement with teacher)")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize="small", title="route", title_fontsize="small")
    fig.suptitle("Compression routes: fidelity against size (lines: each route's Pareto front)", fontsize=10)
    return fig
