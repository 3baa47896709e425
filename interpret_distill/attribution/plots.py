"""Figures for attribution comparisons. Every function returns a ``matplotlib.figure.Figure`` and never shows it.

Figures are built with ``matplotlib.figure.Figure`` directly (not ``pyplot``), so they work under any backend
(Agg on servers) and are not kept alive by pyplot's global figure registry.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

DIVERGING_CMAP = "RdBu_r"  # red = pushes towards the target class, blue = against it


def heatmap_grid(X: np.ndarray, attributions: Mapping[str, np.ndarray], image_shape: Sequence[int],
                 examples: Sequence[int] | None = None, input_cmap: str = "gray", percentile: float = 99.0,
                 labels: Sequence[str] | None = None, model_percentile: float = 100.0) -> Figure:
    """Grid of attribution heatmaps: one row per example, columns input | each model (in dict order).

    Each model's maps are first divided by that model's largest ``|attribution|`` over the shown examples (models
    explain different output scales: logits, probabilities, log-odds), then all maps share one symmetric colour
    scale ``[-v, v]`` with ``v`` the ``percentile`` of the normalised ``|attribution|``, and a diverging colormap
    so the sign is visible.

    Args:
        X: ``(n, d)`` flat images.
        attributions: model name → ``(n, d)`` attributions, e.g. ``{"teacher": …, "student": …, "tree": …}``.
        image_shape: ``(channels, height, width)`` or ``(height, width)``; channels are summed for the maps and
            averaged for the input.
        examples: row indices to show (default: the first 4).
        input_cmap: colormap of the input column.
        percentile: percentile of the normalised ``|attribution|`` used as colour limit (robust to outliers).
        labels: optional per-example row labels (e.g. ``"target 3"``).
        model_percentile: percentile of a model's ``|attribution|`` used as its scale; 100 (default) divides by the
            max, a lower value keeps one extreme pixel (e.g. a naive-Bayes feature with tiny variance) from
            washing out the rest of that model's maps.

    Returns:
        The figure.

    Example:
        >>> fig = heatmap_grid(X, {"teacher": ig_t, "student": ig_s}, (1, 8, 8), examples=[0, 5])  # doctest: +SKIP
        >>> fig.savefig("heatmaps.png")  # doctest: +SKIP
    """
    X = np.asarray(X)
    idx = np.asarray(list(range(min(4, len(X)))) if examples is None else examples, dtype=np.int64)
    names = list(attributions)
    shown = {}
    for name in names:
        a = np.asarray(attributions[name], dtype=np.float64)[idx]
        scale = float(np.percentile(np.abs(a), model_percentile)) if a.size else 0.0
        shown[name] = a / scale if scale > 0 else a
    stacked = np.concatenate([np.abs(v).ravel() for v in shown.values()]) if shown else np.zeros(1)
    vmax = float(np.percentile(stacked, percentile)) if stacked.size else 1.0
    vmax = vmax if vmax > 0 else 1.0

    ncols = 1 + len(names)
    fig = Figure(figsize=(1.9 * ncols + 0.8, 1.9 * len(idx) + 0.7), layout="constrained")
    axes = np.atleast_2d(fig.subplots(len(idx), ncols, squeeze=False))
    image = None
    for r, i in enumerate(idx):
        axes[r, 0].imshow(_to_image(X[i], image_shape, reduce="mean"), cmap=input_cmap)
        for c, name in enumerate(names, start=1):
            image = axes[r, c].imshow(_to_image(shown[name][r], image_shape, reduce="sum"), cmap=DIVERGING_CMAP,
                                      vmin=-vmax, vmax=vmax)
        axes[r, 0].set_ylabel(labels[r] if labels is not None else f"example {i}")
    for c, title in enumerate(["input", *names]):
        axes[0, c].set_title(title)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if image is not None:
        fig.colorbar(image, ax=axes[:, 1:].ravel().tolist(), shrink=0.8, label="normalised attribution")
    per_model = "max" if model_percentile >= 100 else f"{model_percentile:g}th percentile of"
    fig.suptitle(f"Attributions, each model divided by its {per_model} |attribution| over the shown examples; "
                 f"shared colour scale (±{percentile:g}th percentile)", fontsize="medium")
    return fig


def top_features_bars(attributions: Mapping[str, np.ndarray], feature_names: Sequence[str], top: int = 10) -> Figure:
    """Per-model horizontal bars of the ``top`` features by mean ``|attribution|`` over examples.

    Args:
        attributions: model name → ``(n, d)`` attributions.
        feature_names: ``d`` names (real column names, e.g. ``"age"`` or ``"color=red"``).
        top: features shown per model.

    Returns:
        The figure (one panel per model, most important feature on top).

    Example:
        >>> names = ["age", "income", "city=Paris"]
        >>> fig = top_features_bars({"teacher": ig, "linear": native}, names, top=3)  # doctest: +SKIP
    """
    names = list(attributions)
    fig = Figure(figsize=(4.2 * max(len(names), 1), 0.32 * top + 1.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, max(len(names), 1), squeeze=False)[0])
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
        The figure: deletion panel (lower is more faithful) and insertion panel (higher is more faithful).

    Example:
        >>> fig = faithfulness_plot({"teacher": faithfulness_curves(net, X, target, ig)})  # doctest: +SKIP
    """
    fig = Figure(figsize=(10, 4), layout="constrained")
    ax_del, ax_ins = fig.subplots(1, 2)
    colours = [f"C{i}" for i in range(10)]
    for i, (name, c) in enumerate(curves.items()):
        colour = colours[i % len(colours)]
        for ax, key, ref_key in ((ax_del, "deletion", "random"), (ax_ins, "insertion", "random_insertion")):
            if key in c:
                x, y = _xy(c, key)
                ax.plot(x, y, color=colour, label=f"{name} (AUC {_area(x, y):.3f})")
            if ref_key in c:
                x, y = _xy(c, ref_key)
                ax.plot(x, y, color=colour, linestyle="--", alpha=0.7, label=f"{name} random (AUC {_area(x, y):.3f})")
    ax_del.set(title="Deletion (lower = more faithful)", xlabel="fraction of features removed")
    ax_ins.set(title="Insertion (higher = more faithful)", xlabel="fraction of features inserted")
    for ax in (ax_del, ax_ins):
        ax.set_ylabel("mean target probability")
        ax.set_xlim(0, 1)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
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


def _xy(c: Mapping[str, np.ndarray], key: str) -> tuple[np.ndarray, np.ndarray]:
    value = c[key]
    if isinstance(value, tuple):
        return np.asarray(value[0]), np.asarray(value[1])
    y = np.asarray(value, dtype=np.float64)
    x = np.asarray(c["fractions"]) if "fractions" in c else np.linspace(0, 1, len(y))
    return x, y


def _area(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.trapezoid(y, x) / (x[-1] - x[0])) if len(x) > 1 and x[-1] > x[0] else float("nan")
