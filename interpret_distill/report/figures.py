"""Matplotlib figures of a run. Each returns a ``Figure`` the user can restyle; the report inlines them.

Example:
    >>> from interpret_distill import load_run
    >>> from interpret_distill.report import figures
    >>> fig = figures.agreement_matrices(load_run("reports/digits"))
    >>> fig.savefig("agreement.png")
"""

from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..runs import Run
from ..surrogates import tree_thresholds

DIVERGING = "RdBu_r"


def to_data_uri(fig: Figure, fmt: str = "svg") -> str:
    """Encode a figure as a ``data:`` URI (SVG by default)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, bbox_inches="tight", dpi=110)
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def plot_text(text: str) -> str:
    r"""A user-provided name made safe for a matplotlib label: ``$`` would otherwise start mathtext.

    Matplotlib escapes ``<``, ``>`` and ``&`` itself when it writes SVG; a name such as ``price $\frac$`` would
    instead be parsed as (broken) math and fail the whole report.

    Example:
        >>> plot_text("cost ($)")
        'cost (\\$)'
    """
    return str(text).replace("$", r"\$")


def _grid(n: int, columns: int, size: float = 2.6) -> tuple[Figure, np.ndarray]:
    rows = int(np.ceil(n / columns))
    fig = Figure(figsize=(size * columns, size * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)


def _image(values: np.ndarray, shape) -> np.ndarray:
    """Fold a flat row back into a 2-D picture (channels averaged)."""
    return np.asarray(values).reshape(shape).mean(axis=0)


def agreement_matrices(run: Run, columns: int = 4) -> Figure:
    """Teacher-class × model-class counts on the test split, one panel per model."""
    names = [n for n in run.test_probs if n != "teacher"]
    teacher = run.test_probs["teacher"].argmax(1)
    k = run.dataset["n_classes"]
    fig, axes = _grid(len(names), columns)
    for ax, name in zip(axes, names):
        matrix = np.zeros((k, k), dtype=int)
        np.add.at(matrix, (teacher, run.test_probs[name].argmax(1)), 1)
        ax.imshow(matrix, cmap="Blues")
        agree = np.trace(matrix) / matrix.sum()
        ax.set_title(f"{name}\nfidelity {agree:.3f}", fontsize=9)
        ax.set_xlabel("model class", fontsize=8)
        ax.set_ylabel("teacher class", fontsize=8)
        ticks = list(range(k)) if k <= 12 else []
        labels = [plot_text(str(c)[:12]) for c in run.dataset["class_names"]][:len(ticks)]
        slanted = max(map(len, labels), default=0) > 2  # names, not digits: tilt them so they do not overlap
        ax.set_xticks(ticks, labels, rotation=45 if slanted else 0, ha="right" if slanted else "center")
        ax.set_yticks(ticks, labels)
        ax.tick_params(labelsize=7)
        if k <= 5:
            for (i, j), count in np.ndenumerate(matrix):
                ax.text(j, i, count, ha="center", va="center", fontsize=8,
                        color="white" if count > matrix.max() / 2 else "black")
    fig.suptitle("Agreement with the teacher (test split)", fontsize=11)
    fig.tight_layout()
    return fig


def tree_diagram(tree, feature_names: list[str], class_names: list[str], max_depth: int = 3,
                 unscale=None) -> Figure:
    """The top of a fitted ``TreeSurrogate``: split rules and, per node, the teacher's majority class.

    ``unscale``: ``(offset, scale)`` to show thresholds in the data's original units (see ``tree_thresholds``).
    """
    inner = tree.estimator_.tree_
    thresholds = tree_thresholds(tree, unscale)
    feature_names = [plot_text(n) for n in feature_names]
    class_names = [plot_text(n) for n in class_names]
    from sklearn.tree import plot_tree

    shown_leaves = 2 ** min(max_depth, inner.max_depth)
    # about 1.6 inches per bottom node keeps the labels legible once the page scales the figure down
    fig = Figure(figsize=(min(2 + 1.6 * shown_leaves, 16), 1.5 + 1.4 * max_depth))
    FigureCanvasAgg(fig)  # plot_tree measures text, which needs a real renderer behind the figure
    ax = fig.subplots()
    annotations = plot_tree(tree.estimator_, max_depth=max_depth, ax=ax, fontsize=8, filled=False, impurity=False,
                            node_ids=True, feature_names=feature_names)
    for annotation in annotations:
        text = annotation.get_text()
        if not text.startswith("node #"):
            continue  # the "(...)" markers of truncated subtrees
        node = int(text.split("\n")[0].removeprefix("node #"))
        probs = np.clip(tree.node_proba_[node], 0, None)
        probs = probs / probs.sum() if probs.sum() > 0 else probs
        best = int(probs.argmax())
        rule = "" if inner.children_left[node] == -1 else (
            f"{feature_names[inner.feature[node]]} ≤ {thresholds[node]:.4g}\n")
        annotation.set_text(f"{rule}{tree.node_weight_[node]:.0f} rows\n{class_names[best]} ({probs[best]:.2f})")
    ax.set_title(f"Tree surrogate, first {max_depth} levels (full rules below)", fontsize=10)
    return fig


def linear_coefficients(linear, feature_names: list[str], class_names: list[str], image_shape=None,
                        top: int = 15) -> Figure:
    """Per-class coefficient images for image data; ranked bar charts of the largest coefficients otherwise."""
    coef = np.asarray(linear.coef_)
    feature_names, class_names = [plot_text(n) for n in feature_names], [plot_text(n) for n in class_names]
    if image_shape:
        fig, axes = _grid(len(class_names), 5, size=1.9)
        limit = np.abs(coef).max() or 1.0
        for ax, row, name in zip(axes, coef, class_names):
            im = ax.imshow(_image(row, image_shape), cmap=DIVERGING, vmin=-limit, vmax=limit)
            ax.set_title(f"class {name}", fontsize=9)
            ax.axis("off")
        fig.colorbar(im, ax=list(axes), shrink=0.7, label="coefficient (scaled features)")
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
    fig.suptitle("Linear surrogate: largest coefficients (scaled features)", fontsize=10)
    fig.tight_layout()
    return fig


def naive_bayes_means(nb, feature_names: list[str], class_names: list[str], image_shape=None, top: int = 15) -> Figure:
    """Class-conditional means of the naive-Bayes surrogate (images, or a class × feature heatmap)."""
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
        fig.suptitle(f"Naive-Bayes surrogate: class means (scaled pixels{fitted})", fontsize=10)
        return fig
    spread = theta.max(0) - theta.min(0)
    order = np.argsort(spread)[::-1][:top]
    fig = Figure(figsize=(max(6, 0.45 * len(order) + 2), 0.5 * len(class_names) + 2.2))
    ax = fig.subplots()
    limit = np.abs(theta[:, order]).max() or 1.0
    im = ax.imshow(theta[:, order], cmap=DIVERGING, vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(len(order)), [feature_names[i] for i in order], rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(class_names)), class_names, fontsize=8)
    fig.colorbar(im, ax=ax, label="class mean (standardised)")
    ax.set_title(f"Naive-Bayes surrogate: class means of the most class-dependent features{fitted}", fontsize=10)
    fig.tight_layout()
    return fig


def student_comparison(run: Run) -> Figure:
    """Distilled vs scratch student: validation curves during training and test accuracy / fidelity."""
    logs = run.info["students"]
    metrics = run.metrics.set_index("model")
    fig = Figure(figsize=(11, 3.6))
    curve, bars = fig.subplots(1, 2)
    curve.plot(range(1, len(logs["distilled"]["val_scores"]) + 1), logs["distilled"]["val_scores"],
               label="distilled: val fidelity")
    curve.plot(range(1, len(logs["scratch"]["val_scores"]) + 1), logs["scratch"]["val_scores"],
               label="scratch: val accuracy")
    curve.set_xlabel("epoch")
    curve.set_ylabel("validation score")
    curve.set_title("Early stopping (validation split)", fontsize=10)
    curve.legend(fontsize=8)
    names = ["teacher", "student", "student_scratch"]
    x = np.arange(len(names))
    for offset, column in ((-0.2, "accuracy"), (0.2, "fidelity")):
        values = [metrics.loc[n, column] for n in names]
        bars.bar(x + offset, values, width=0.4, label=column)
        for xi, v in zip(x + offset, values):
            bars.text(xi, v, f"{v:.3f}", ha="center", va="bottom", fontsize=7)
    bars.set_xticks(x, names)
    bars.set_ylim(max(0.0, min(metrics.loc[names, ["accuracy", "fidelity"]].min()) - 0.1), 1.02)
    bars.set_title("Test split", fontsize=10)
    bars.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))  # outside: never hides a value
    fig.tight_layout()
    return fig
