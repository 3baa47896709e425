"""Figures for attribution comparisons. Every function returns a ``matplotlib.figure.Figure`` and never shows it.

Figures are built with ``matplotlib.figure.Figure`` directly (not ``pyplot``), so they work under any backend
(Agg on servers) and are not kept alive by pyplot's global figure registry.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

DIVERGING_CMAP = "RdBu_r"  # red = pushes towards the target class, blue = against it


def heatmap_grid(X: np.ndarray, attributions: Mapping[str, np.ndarray], image_shape: Sequence[int],
                 examples: Sequence[int] | None = None, input_cmap: str = "gray",
                 labels: Sequence[str] | None = None, map_percentile: float = 100.0) -> Figure:
    """Grid of attribution heatmaps: one row per example, columns input | each model (in dict order).

    Every map (one model on one example) is divided by its own largest ``|attribution|``, as Captum's
    ``visualize_image_attr`` does per image: models explain different output scales (logits, probabilities,
    log-odds) and examples can differ by orders of magnitude, so any shared scale leaves most maps blank. All maps
    then use one symmetric colour scale ``[-1, 1]`` with a diverging colormap, so the sign is visible; patterns are
    comparable between maps, magnitudes are not.

    Args:
        X: ``(n, d)`` flat images.
        attributions: model name → ``(n, d)`` attributions, e.g. ``{"teacher": …, "student": …, "tree": …}``.
        image_shape: ``(channels, height, width)`` or ``(height, width)``; channels are summed for the maps and
            averaged for the input.
        examples: row indices to show (default: the first 4).
        input_cmap: colormap of the input column.
        labels: optional per-example row labels (e.g. ``"target 3"``).
        map_percentile: percentile of a map's ``|attribution|`` used as its scale; 100 (default) divides by the
            max, a lower value keeps one extreme pixel (e.g. a naive-Bayes feature with tiny variance) from
            washing out the rest of the map (values beyond it saturate the colour scale).

    Returns:
        The figure.

    Example:
        >>> fig = heatmap_grid(X, {"teacher": ig_t, "student": ig_s}, (1, 8, 8), examples=[0, 5])  # doctest: +SKIP
        >>> fig.savefig("heatmaps.png")  # doctest: +SKIP
    """
    X = np.asarray(X)
    idx = np.asarray(list(range(min(4, len(X)))) if examples is None else examples, dtype=np.int64)
    names = list(attributions)
    maps = {name: np.asarray(attributions[name], dtype=np.float64)[idx] for name in names}
    ncols = 1 + len(names)
    fig = Figure(figsize=(1.9 * ncols + 0.8, 1.9 * len(idx) + 0.9), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(idx), ncols, squeeze=False))
    image = None
    for r, i in enumerate(idx):
        axes[r, 0].imshow(_to_image(X[i], image_shape, reduce="mean"), cmap=input_cmap)
        for c, name in enumerate(names, start=1):
            heat = _scaled(_to_image(maps[name][r], image_shape, reduce="sum"), map_percentile)
            image = axes[r, c].imshow(heat, cmap=DIVERGING_CMAP, vmin=-1.0, vmax=1.0)
        axes[r, 0].set_ylabel(labels[r] if labels is not None else f"example {i}")
    for c, title in enumerate(["input", *names]):
        axes[0, c].set_title(title.replace(":", "\n"), fontsize="medium")  # "kind:regime" names are long
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if image is not None:
        fig.colorbar(image, ax=axes[:, 1:].ravel().tolist(), shrink=0.8, label="scaled attribution")
    scale = "max" if map_percentile >= 100 else f"{map_percentile:g}th percentile of"
    fig.suptitle(f"Attributions, each map scaled to its own {scale} |attribution| (colour scale ±1):\n"
                 "compare patterns and signs, not magnitudes, between maps", fontsize="medium")
    return fig


def top_features_bars(attributions: Mapping[str, np.ndarray], feature_names: Sequence[str], top: int = 10,
                      max_columns: int = 3) -> Figure:
    """Per-model horizontal bars of the ``top`` features by mean ``|attribution|`` over examples.

    Args:
        attributions: model name → ``(n, d)`` attributions.
        feature_names: ``d`` names (real column names, e.g. ``"age"`` or ``"color=red"``).
        top: features shown per model.
        max_columns: panels per row; more models wrap to further rows (a single wide row is shrunk to the page
            width and its labels become unreadable).

    Returns:
        The figure (one panel per model, in rows of at most ``max_columns``, most important feature on top).

    Example:
        >>> names = ["age", "income", "city=Paris"]
        >>> fig = top_features_bars({"teacher": ig, "linear": native}, names, top=3)  # doctest: +SKIP
    """
    names = list(attributions)
    ncols = max(min(len(names), max_columns), 1)
    nrows = max(-(-len(names) // ncols), 1)
    fig = Figure(figsize=(4.2 * ncols, (0.32 * top + 1.0) * nrows + 0.4), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(names):]:  # empty slots of the last row
        ax.remove()
    for ax, name in zip(axes, names):
        a = np.asarray(attributions[name], dtype=np.float64)
        if a.shape[1] != len(feature_names):
            raise ValueError(f"{name}: {a.shape[1]} attribution columns but {len(feature_names)} feature names")
        importance = np.abs(a).mean(axis=0)
        order = np.argsort(-importance, kind="stable")[:top][::-1]  # barh draws bottom-up
        ax.barh(np.arange(len(order)), importance[order], color="tab:blue")
        ax.set_yticks(np.arange(len(order)), [str(feature_names[j]) for j in order])
        ax.set_title(name)
        ax.set_xlabel("mean |attribution|")
    fig.suptitle(f"Top {top} features per model (scales differ between models)", fontsize="medium")
    return fig


def faithfulness_plot(curves: Mapping[str, Mapping[str, np.ndarray]]) -> Figure:
    """Deletion and insertion curves of several models, each with its random-order reference dashed.

    Args:
        curves: model name → ``{"deletion", "insertion", "random"}`` (optionally ``"random_insertion"`` and
            ``"fractions"``), as returned by ``faithfulness.faithfulness_curves``. Each curve may be an array
            (evenly spaced fractions assumed unless ``"fractions"`` is given) or a ``(fractions, curve)`` pair.

    Returns:
        The figure: deletion panel (lower is more faithful) and insertion panel (higher is more faithful), with
        one legend below both (each model's areas under its curves and under its random-order references).

    Example:
        >>> fig = faithfulness_plot({"teacher": faithfulness_curves(net, X, target, ig)})  # doctest: +SKIP
    """
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_del, ax_ins = fig.subplots(1, 2)
    colours = [f"C{i}" for i in range(10)]
    handles, labels = [], []
    for i, (name, c) in enumerate(curves.items()):
        colour = colours[i % len(colours)]
        areas = []
        for ax, key, ref_key in ((ax_del, "deletion", "random"), (ax_ins, "insertion", "random_insertion")):
            text = key
            if key in c:
                x, y = _xy(c, key)
                ax.plot(x, y, color=colour)
                text += f" AUC {_area(x, y):.3f}"
            if ref_key in c:
                x, y = _xy(c, ref_key)
                ax.plot(x, y, color=colour, linestyle="--", alpha=0.7)
                text += f" (random {_area(x, y):.3f})"
            if key in c or ref_key in c:
                areas.append(text)
        if areas:
            handles.append(Line2D([], [], color=colour))
            labels.append(f"{name}: {', '.join(areas)}")
    ax_del.set(title="Deletion (lower = more faithful)", xlabel="fraction of features removed")
    ax_ins.set(title="Insertion (higher = more faithful)", xlabel="fraction of features inserted")
    for ax in (ax_del, ax_ins):
        ax.set_ylabel("mean target probability")
        ax.set_xlim(0, 1)
        ax.grid(alpha=0.3)
    if not handles:
        return fig
    handles.append(Line2D([], [], color="grey", linestyle="--", alpha=0.7))
    labels.append("dashed: the same model with a random feature order")
    # One legend below both panels (inside an axes its ~10 entries hid the curves); two columns only when the
    # labels are short enough (~60 characters of small text each) to stay within the figure's 10 inches.
    ncols = 2 if max(map(len, labels)) <= 60 else 1
    fig.set_size_inches(10, 4 + 0.22 * -(-len(labels) // ncols))
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, fontsize="small", frameon=False)
    return fig


# --------------------------------------------------------------------------------------------- internals

def _to_image(row: np.ndarray, image_shape: Sequence[int], reduce: str) -> np.ndarray:
    img = np.asarray(row, dtype=np.float64).reshape(tuple(image_shape))
    if img.ndim == 2:
        return img
    if reduce == "sum":  # attributions: total credit of a pixel across channels
        return img.sum(axis=0)
    if img.shape[0] == 3:  # colour input: min-max scaled RGB (scaled data is not in [0, 1])
        rgb = np.moveaxis(img, 0, -1)
        span = rgb.max() - rgb.min()
        return (rgb - rgb.min()) / span if span > 0 else np.zeros_like(rgb)
    return img.mean(axis=0)


def _scaled(heat: np.ndarray, percentile: float) -> np.ndarray:
    """``heat`` divided by the ``percentile`` of its ``|values|``; an all-zero map stays zero."""
    scale = float(np.percentile(np.abs(heat), percentile)) if heat.size else 0.0
    return heat / scale if scale > 0 else heat


def _xy(c: Mapping[str, np.ndarray], key: str) -> tuple[np.ndarray, np.ndarray]:
    value = c[key]
    if isinstance(value, tuple):
        return np.asarray(value[0]), np.asarray(value[1])
    y = np.asarray(value, dtype=np.float64)
    x = np.asarray(c["fractions"]) if "fractions" in c else np.linspace(0, 1, len(y))
    return x, y


def _area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.trapezoid(y, x) / (x[-1] - x[0])) if len(x) > 1 and x[-1] > x[0] else float("nan")
