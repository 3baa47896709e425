"""The report of a regression run: what differs from a classification's, read from the run directory alone.

A regression's metrics keep the classification's column names for the numbers selection reads (``fidelity`` is
R² to the teacher's predictions, ``accuracy`` R² to the truth); this module labels them so, writes the summary
sentences, the teacher-vs-model scatter (in place of the agreement matrices), the table of each distilled surrogate
beside the same kind fitted on the ground truth, and the surrogates' own figures: the linear model's coefficients,
the additive model's shape functions and the tree's share of the teacher's variance explained per depth.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..artifacts import safe_filename
from ..runs import Run
from ..surrogates import base_kind, surrogate_registry
from .figures import RULE_DECIMALS, _grid, plot_text, to_data_uri
from .tables import table

METRIC_COLUMNS = [
    ("model", "model", None),
    ("role", "role", None),
    ("regime", "fitted on", None),
    ("transfer", "transfer", None),
    ("fidelity", "R² to teacher", "{:.3f}"),
    ("rmse_teacher", "RMSE to teacher", "{:.3g}"),
    ("mae_teacher", "MAE to teacher", "{:.3g}"),
    ("accuracy", "R² to truth", "{:.3f}"),
    ("rmse", "RMSE to truth", "{:.3g}"),
    ("val_fidelity", "val R² to teacher", "{:.3f}"),
    ("complexity", "complexity", None),
    ("size_bytes", "size (bytes)", "{:,.0f}"),
    ("latency_ms_per_1k", "latency (ms / 1k rows)", "{:.2f}"),
]

GROUND_TRUTH_COLUMNS = [
    ("kind", "kind", None),
    ("model", "distilled model", None),
    ("regime", "fitted on", None),
    ("fidelity", "R² to teacher", "{:.3f}"),
    ("ground_truth_fidelity", "same kind fitted on the truth: R² to teacher", "{:.3f}"),
    ("accuracy", "R² to truth", "{:.3f}"),
    ("ground_truth_accuracy", "same kind fitted on the truth: R² to truth", "{:.3f}"),
    ("complexity", "complexity", None),
    ("ground_truth_complexity", "its complexity", None),
]

# how the report names a regression's regimes (the run's files keep the regime names the classification has)
REGIME_NAMES = {"ground_truth": "the ground truth", "soft": "the teacher's predictions on the training rows",
                "soft+transfer": "the teacher's predictions on transfer rows"}


def target_scale(run: Run) -> tuple[float, float]:
    """``(offset, scale)`` that turn the run's standardised target values back into the target's units."""
    scaling = run.dataset.get("target_scaling") or {"offset": 0.0, "scale": 1.0}
    return float(scaling["offset"]), float(scaling["scale"])


def beside_ground_truth(metrics: pd.DataFrame) -> pd.DataFrame:
    """Each distilled surrogate's test numbers beside those of the same kind fitted on the ground truth.

    Args:
        metrics: a regression run's metrics table.

    Returns:
        One row per distilled surrogate, with ``ground_truth_fidelity`` (its R² to the teacher),
        ``ground_truth_accuracy`` and ``ground_truth_complexity`` of ``<kind>:ground_truth`` (NaN when the run did
        not fit that regime).

    Example:
        >>> m = pd.DataFrame({"model": ["tree:soft", "tree:ground_truth"], "kind": ["tree"] * 2,
        ...                   "family": ["surrogate"] * 2, "role": ["distilled", "baseline"],
        ...                   "regime": ["soft", "ground_truth"], "fidelity": [0.9, 0.7], "accuracy": [0.4, 0.5],
        ...                   "complexity": ["a", "b"]})
        >>> beside_ground_truth(m)[["model", "fidelity", "ground_truth_fidelity"]].values.tolist()
        [['tree:soft', 0.9, 0.7]]
    """
    surrogates = metrics[metrics.family == "surrogate"]
    baseline = surrogates[surrogates.regime == "ground_truth"].set_index("kind")
    distilled = surrogates[surrogates.role == "distilled"]
    columns = {"fidelity": "ground_truth_fidelity", "accuracy": "ground_truth_accuracy",
               "complexity": "ground_truth_complexity"}
    return distilled.join(baseline[list(columns)].rename(columns=columns), on="kind")


def summary(run: Run) -> dict[str, str]:
    """The sentences at the top of a regression report (all numbers on the test split)."""
    m = run.metrics.set_index("model")
    teacher = m.loc["teacher"]
    size = f"{int(teacher.complexity_score):,} parameters" if teacher.complexity_score else "parameters unknown"
    lines = {"teacher": f"The teacher ({teacher.kind}, {size}) reaches test R² {teacher.accuracy:.3f} against the "
                        f"truth (RMSE {teacher.rmse:.3g} in the target's units)."}
    distilled = beside_ground_truth(run.metrics)
    if len(distilled):
        best = distilled.loc[distilled.val_fidelity.idxmax()]  # named on validation, like every other choice
        truth = ("" if pd.isna(best.ground_truth_fidelity) else
                 f"; the same kind fitted on the ground truth: {best.ground_truth_fidelity:.3f}")
        lines["surrogate"] = (f"The distilled surrogate most faithful on validation is {best.model} "
                              f"({best.complexity}): it reproduces the teacher's test predictions with R² "
                              f"{best.fidelity:.3f}{truth}.")
    student, scratch = m.loc["student"], m.loc["student_scratch"]
    lines["student"] = (f"The distilled student ({int(student.complexity_score):,} parameters) reproduces the "
                        f"teacher's test predictions with R² {student.fidelity:.3f} (R² to the truth "
                        f"{student.accuracy:.3f}); the same network trained from scratch: R² to the teacher "
                        f"{scratch.fidelity:.3f}, to the truth {scratch.accuracy:.3f}.")
    return lines


def teacher_scatter(run: Run, columns: int = 4) -> Figure:
    """Each model's test predictions against the teacher's, in the target's units, with the identity line.

    Args:
        run: a loaded regression run.
        columns: panels per row.

    Returns:
        The figure: one panel per model (compressed models aside), titled with its R² to the teacher.
    """
    metrics = run.metrics
    shown = set(metrics.model[metrics.family != "compressed"])
    names = [n for n in run.test_probs if n != "teacher" and n in shown]
    offset, scale = target_scale(run)
    teacher = run.test_probs["teacher"][:, 0] * scale + offset
    fidelity = metrics.set_index("model")["fidelity"]
    fig, axes = _grid(max(len(names), 1), columns, size=2.6, layout="constrained")
    low, high = float(teacher.min()), float(teacher.max())
    for ax, name in zip(axes, names):
        predicted = run.test_probs[name][:, 0] * scale + offset
        lo, hi = min(low, float(predicted.min())), max(high, float(predicted.max()))
        ax.plot([lo, hi], [lo, hi], color="#888888", linewidth=1, linestyle="--", zorder=1)
        ax.scatter(teacher, predicted, s=8, alpha=0.6, color="C0", zorder=2)
        ax.set_title(f"{plot_text(name)}\nR² to teacher {fidelity[name]:.3f}", fontsize=9)
        ax.set_xlabel("teacher's prediction", fontsize=8)
        ax.set_ylabel("model's prediction", fontsize=8)
        ax.tick_params(labelsize=7)
    return fig


def coefficient_bars(model, names: list[str], top: int = 15) -> Figure:
    """The linear model's coefficients on standardised features (the largest ``top`` by size)."""
    coef = np.asarray(model.coef_, dtype=float)
    order = np.argsort(-np.abs(coef), kind="stable")[:top][::-1]
    fig = Figure(figsize=(6, 0.3 * len(order) + 1.2), layout="constrained")
    ax = fig.subplots()
    ax.barh(range(len(order)), coef[order], color=np.where(coef[order] >= 0, "#b2182b", "#2166ac"))
    ax.set_yticks(range(len(order)), [plot_text(names[i]) for i in order], fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("coefficient: change of the standardised prediction per standard deviation of the feature",
                  fontsize=8)
    ax.set_title("Linear surrogate: coefficients (red raises the prediction)", fontsize=10)
    return fig


def shape_plots(model, names: list[str], feature_offset: np.ndarray, feature_scale: np.ndarray,
                value_scale: float, columns: int = 4, points: int = 60) -> Figure:
    """Partial-dependence-style plots of the additive surrogate: each used feature's shape function.

    Args:
        model: a fitted additive surrogate (``shape_function(feature_index, grid)``, ``knots_``).
        names: the feature names.
        feature_offset, feature_scale: undo the feature scaling (x axes in the data's own units).
        value_scale: the target's scale (y axes: the contribution in the target's units).
        columns: panels per row.
        points: grid points per feature, over the range of its knots (the training rows' range).

    Returns:
        One panel per feature whose shape function is not flat, largest range first.
    """
    grids = [np.linspace(float(np.min(k)), float(np.max(k)), points) for k in model.knots_]
    shapes = [model.shape_function(j, grid) * value_scale for j, grid in enumerate(grids)]
    spread = np.array([np.ptp(s) for s in shapes])
    used = [j for j in np.argsort(-spread, kind="stable") if spread[j] > 0] or [0]
    fig, axes = _grid(len(used), min(columns, len(used)), size=2.6, layout="constrained")
    for ax, j in zip(axes, used):
        ax.plot(grids[j] * feature_scale[j] + feature_offset[j], shapes[j], color="C0")
        ax.axhline(0, color="#888888", linewidth=0.8)
        ax.set_title(plot_text(names[j]), fontsize=9)
        ax.set_xlabel("feature value", fontsize=8)
        ax.set_ylabel("contribution", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle("Additive surrogate: each feature's contribution to the prediction (target units)", fontsize=10)
    return fig


def variance_by_depth(model, X: np.ndarray, teacher: np.ndarray) -> pd.DataFrame:
    """Share of the teacher's test variance the tree explains when cut at each depth.

    Args:
        model: a fitted regression tree surrogate (``variance_explained_by_depth``).
        X: test rows.
        teacher: the teacher's predictions on them.

    Returns:
        ``depth`` and ``r2_to_teacher`` (the R² to the teacher of the tree's first ``depth`` levels).
    """
    shares = model.variance_explained_by_depth(X, np.asarray(teacher, dtype=float).reshape(-1))
    return pd.DataFrame({"depth": np.arange(len(shares)), "r2_to_teacher": shares})


def surrogate_sections(run: Run) -> list[dict]:
    """Per distilled surrogate of a regression: a caption, its figures, rules as text and tables."""
    data = run.dataset
    names = data["feature_names"]
    feature_offset, feature_scale = np.asarray(data["scaling"]["offset"]), np.asarray(data["scaling"]["scale"])
    target = target_scale(run)
    registry = surrogate_registry("regression")
    sections = []
    for row in run.metrics[(run.metrics.family == "surrogate") & (run.metrics.role == "distilled")].itertuples():
        model, kind = run.model(row.model), base_kind(row.kind)
        section = {"id": f"surrogate-{safe_filename(row.kind)}", "title": f"{registry[kind].title} ({row.model})",
                   "caption": f"Fitted on {REGIME_NAMES.get(row.regime, row.regime)}; {row.complexity}; test R² to "
                              f"the teacher {row.fidelity:.3f}.",
                   "figures": [], "rules": None, "table": None}
        if hasattr(model, "coef_"):
            section["figures"].append(to_data_uri(coefficient_bars(model, names)))
        if hasattr(model, "shape_function"):
            section["figures"].append(to_data_uri(shape_plots(model, names, feature_offset, feature_scale,
                                                              target[1])))
        if hasattr(model, "variance_explained_by_depth"):
            depth = variance_by_depth(model, run.X_test, run.test_probs["teacher"])
            section["table"] = table(depth, [("depth", "depth", "{:.0f}"),
                                             ("r2_to_teacher", "share of the teacher's test variance explained",
                                              "{:.3f}")])
            section["caption"] += (" The table gives the R² to the teacher's test predictions of the tree cut at each "
                                   "depth: how much of the teacher's variance each level of splits explains.")
        if hasattr(model, "export_text"):
            section["rules"] = model.export_text(feature_names=names, decimals=RULE_DECIMALS,
                                                 unscale=(feature_offset, feature_scale), value_unscale=target)
            synthetic = ", synthetic transfer rows included" if row.regime == "soft+transfer" else ""
            section["caption"] += (" Thresholds and leaf values are in the data's original units; each leaf's value is "
                                   f"the mean of its fitting rows{synthetic}.")
        sections.append(section)
    return sections


def context(run: Run, ordered: pd.DataFrame) -> dict:
    """The parts of the report's template context that a regression fills its own way.

    Args:
        run: a loaded regression run.
        ordered: its metrics rows in the order of the comparison table.
    """
    return {
        "summary": summary(run),
        "comparison": table(ordered, METRIC_COLUMNS),
        "agreement_figure": to_data_uri(teacher_scatter(run)),
        "surrogates": surrogate_sections(run),
        "beside_truth": table(beside_ground_truth(run.metrics), GROUND_TRUTH_COLUMNS),
    }
