"""Render a run directory into one self-contained HTML report, and the index of all runs."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import yaml

from ..artifacts import safe_filename
from ..errors import UserInputError, first_line
from ..image_features import PatchSurrogate, patch_feature_scaling
from ..runs import Run, load_run
from ..surrogates import SURROGATES, base_kind
from .attribution_section import attribution_section
from .compression_section import best_per_route, comparison_rows, compression_section
from ..student_selection import select_student
from . import figures, regression_section
from .ensemble_section import ensemble_section
from .soft_tree_section import soft_tree_section
from .tables import generic_table, table

TEMPLATES = Path(__file__).parent / "templates"
SIZE_BUDGET_BYTES = 3_000_000

METRIC_COLUMNS = [
    ("model", "model", None),
    ("role", "role", None),
    ("regime", "fitted on", None),
    ("transfer", "transfer", None),
    ("accuracy", "accuracy", "{:.3f}"),
    ("fidelity", "fidelity", "{:.3f}"),
    ("kl", "KL (teacher ‖ model)", "{:.3f}"),
    ("tv", "TV distance", "{:.3f}"),
    ("val_fidelity", "val fidelity", "{:.3f}"),
    ("complexity", "complexity", None),
    ("size_bytes", "size (bytes)", "{:,.0f}"),
    ("latency_ms_per_1k", "latency (ms / 1k rows)", "{:.2f}"),
]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every user-provided name (features, classes, experiments) is shown as text
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _summary(run: Run) -> dict:
    """The sentences at the top of the report (each number names its split: test, or validation where it chose)."""
    m = run.metrics.set_index("model")
    teacher = m.loc["teacher"]
    surrogates = run.metrics[run.metrics.family == "surrogate"]
    distilled = surrogates[surrogates.role == "distilled"]
    # a teacher given as a plain callable has no parameters to count
    size = f"{int(teacher.complexity_score):,} parameters" if teacher.complexity_score else "parameters unknown"
    lines = {"teacher": f"The teacher ({teacher.kind}, {size}) reaches test accuracy {teacher.accuracy:.3f}."}
    if len(distilled):
        # named on validation, like every other choice; complexities of different kinds (leaves, coefficients,
        # parameters) are not comparable, so kinds tied on validation are all named
        top = distilled[np.isclose(distilled.val_fidelity, distilled.val_fidelity.max(), rtol=0, atol=1e-9)]
        if len(top) == 1:
            best = top.iloc[0]
            lines["surrogate"] = (f"The distilled surrogate most faithful on validation is {best.model} "
                                  f"({best.complexity}): it {_agreement(best, m)}.")
        else:
            results = " ".join(f"{row.model} ({row.complexity}) {_agreement(row, m)}." for row in top.itertuples())
            lines["surrogate"] = (f"{len(top)} distilled surrogates tie as most faithful on validation "
                                  f"(val fidelity {top.val_fidelity.max():.3f}). {results}")
    student, scratch = m.loc["student"], m.loc["student_scratch"]
    share = f", {student.complexity_score / teacher.complexity_score:.1%} of the teacher" \
        if teacher.complexity_score else ""
    students = run.sweep[run.sweep.kind == "student"] if "kind" in run.sweep else run.sweep.iloc[:0]
    widths = students["params"].nunique()
    budget = run.config.get("student", {}).get("budget")
    if budget is not None:  # named on validation fidelity among the widths the budget allows
        allowed = students.loc[students.complexity_score <= budget, "params"].nunique()
        share += (f"; the width most faithful on validation among the {allowed} of {widths} within the budget of "
                  f"{budget:,g} parameters")
    elif widths > 1:
        share += f"; the width most faithful on validation among {widths}"
    lines["student"] = (f"The distilled student ({int(student.complexity_score):,} parameters{share}) agrees with "
                        f"the teacher on {student.fidelity:.3f} of test rows with accuracy "
                        f"{student.accuracy:.3f}; the same network trained from scratch: fidelity "
                        f"{scratch.fidelity:.3f}, accuracy {scratch.accuracy:.3f}.")
    if student.regime == "scratch":  # student.keep_scratch: no distilled candidate beat the twin on validation
        distilled_index, twin, _ = select_student(students, budget)
        best = students.loc[distilled_index]
        lines["student"] = (f"Distillation did not beat training from scratch on validation: the scratch network "
                            f"agrees with the teacher on {students.val_fidelity[twin]:.3f} of validation rows, the "
                            f"best distilled candidate ({best.regime}, {best.params}) on {best.val_fidelity:.3f}, "
                            f"so the shipped student is the scratch network ({int(student.complexity_score):,} "
                            f"parameters{share}): it agrees with the teacher on {student.fidelity:.3f} of test rows "
                            f"with accuracy {student.accuracy:.3f}; the distilled candidate: fidelity "
                            f"{best.test_fidelity:.3f}, accuracy {best.test_accuracy:.3f} (test).")
    return lines


def split_line(dataset: dict) -> str:
    """The dataset line's account of the split: where it came from and its sizes.

    Args:
        dataset: a run's dataset summary (``run.json``'s ``dataset``); runs saved before splits could be declared
            have no ``split`` key and were drawn here.

    Returns:
        E.g. ``"declared split: 51 train / 9 validation (carved from train) / 30 test rows"``.

    Example:
        >>> split_line({"split": "declared", "val_split": "carved", "n_train": 51, "n_val": 9, "n_test": 30,
        ...             "test_rows_in_train": 0})
        'declared split: 51 train / 9 validation (carved from train) / 30 test rows'
        >>> split_line({"n_train": 1077, "n_val": 270, "n_test": 450})
        'split drawn here: 1,077 train / 270 validation / 450 test rows'
    """
    origin = "declared split" if dataset.get("split") == "declared" else "split drawn here"
    carved = " (carved from train)" if dataset.get("val_split") == "carved" else ""
    line = (f"{origin}: {dataset['n_train']:,} train / {dataset['n_val']:,} validation{carved} / "
            f"{dataset['n_test']:,} test rows")
    shared = dataset.get("test_rows_in_train")
    return line + (f" ({shared:,} equal to a train row)" if shared else "")


# the baseline regimes of a distilled surrogate, in the order the summary and the index name them
SURROGATE_BASELINES = {"hard": "the teacher's hard labels",
                       "hard+transfer": "its hard labels of the transfer rows",
                       "ground_truth": "the ground truth"}


def _agreement(row, metrics: pd.DataFrame) -> str:
    """A distilled surrogate's test fidelity and, beside it, that of its kind's baselines (``row``: a metrics row)."""
    baselines = [f"{metrics.loc[f'{row.kind}:{regime}', 'fidelity']:.3f} when fitted on {label}"
                 for regime, label in SURROGATE_BASELINES.items() if f"{row.kind}:{regime}" in metrics.index]
    listed = f"{', on '.join(baselines[:-1])} and on {baselines[-1]}" if len(baselines) > 1 else "".join(baselines)
    comparison = f"; the same kind agrees on {listed}" if baselines else ""
    return f"agrees with the teacher on {row.fidelity:.3f} of test rows{comparison}"


def _drawings(kind: str, model, names: list[str], classes: list[str], shape, unscale) -> list:
    """The report's figures of a surrogate: its kind's drawing on pixels (or a table), or on the patch grid."""
    if isinstance(model, PatchSurrogate):
        inner, grid, titles = model.surrogate, model.grid, [f"class {c}" for c in classes]
        draw = {
            "tree": lambda: [figures.tree_diagram(inner, names, classes, unscale=unscale),
                             figures.tree_patch_splits(inner, grid)],
            "linear": lambda: [figures.patch_grid_panels(
                inner.coef_, grid, titles, "Linear surrogate on patches: coefficient per patch feature and class "
                "(red raises the class score)", f"coefficient ({figures.IMAGE_UNITS})")],
            "naive_bayes": lambda: [figures.patch_grid_panels(
                inner.theta_, grid, titles, "Naive-Bayes surrogate on patches: class means of the patch features",
                f"class mean ({figures.IMAGE_UNITS})", diverging=False)],
        }
    else:
        draw = {
            "tree": lambda: [figures.tree_diagram(model, names, classes, unscale=unscale)],
            "linear": lambda: [figures.linear_coefficients(model, names, classes, shape)],
            "naive_bayes": lambda: [figures.naive_bayes_means(model, names, classes, shape)],
        }
    # a kind without a drawing gets its caption (and rules, if it writes them) only
    return draw[kind]() if kind in draw else []


def _surrogate_sections(run: Run) -> list[dict]:
    """Per distilled surrogate: its figures and, for trees, the rules as text (on patch features: on the grid)."""
    data = run.dataset
    classes, shape = data["class_names"], data["image_shape"]
    offset, scale = np.asarray(data["scaling"]["offset"]), np.asarray(data["scaling"]["scale"])
    distilled = run.metrics[(run.metrics.family == "surrogate") & (run.metrics.role == "distilled")]
    sections = []
    for row in distilled.itertuples():
        model, kind = run.model(row.model), base_kind(row.kind)
        on_patches = isinstance(model, PatchSurrogate)
        # the surrogates were fitted on standardised features; rules read better in the data's own units
        if on_patches:
            names, explained = model.feature_names(), model.surrogate
            unscale = patch_feature_scaling(offset, scale, len(names), model.grid[0] * model.grid[1])
        else:
            names, explained, unscale = data["feature_names"], model, (offset, scale)
        title = f"{SURROGATES[kind].title} surrogate{' on patch features' if on_patches else ''} ({row.model})"
        section = {"id": f"surrogate-{safe_filename(row.kind)}", "title": title,
                   "caption": f"Fitted on: {row.regime}; {row.complexity}; test fidelity {row.fidelity:.3f}.",
                   "figures": [figures.to_data_uri(fig) for fig in _drawings(kind, model, names, classes, shape,
                                                                              unscale)],
                   "rules": None}
        if on_patches:
            section["caption"] += " " + _patch_sentence(model)
        if hasattr(explained, "export_text"):
            section["rules"] = explained.export_text(feature_names=names, class_names=classes,
                                                     decimals=figures.RULE_DECIMALS, unscale=unscale)
            synthetic = ", teacher-labelled synthetic rows included" if row.regime == "soft+transfer" else ""
            section["caption"] += (
                " Thresholds are in the data's original units. Unlike the rest of the report, the tree's own numbers "
                f"are on its fitting set{synthetic}: each box gives its weighted row count and the share of its "
                "majority class in those rows (with soft labels: that class's mean probability); p in the rules is "
                "the same share at a leaf.")
        sections.append(section)
    return sections


def _patch_sentence(model: PatchSurrogate) -> str:
    """What a surrogate on patch features reads, in one sentence."""
    rows, columns = model.grid
    contrast = " and contrast (the standard deviation of its pixels)" if model.contrast else ""
    return (f"It reads the mean intensity{contrast} of each {model.patch}x{model.patch}-pixel patch of a "
            f"{rows}x{columns} grid over the image ({len(model.feature_names())} features; mean[r,c] is the patch in "
            "row r, column c from the top left), while the teacher labelled the full images.")


def pixels_vs_patches(metrics: pd.DataFrame) -> pd.DataFrame:
    """The distilled surrogates of every kind fitted both on pixels and on patch features, side by side.

    Args:
        metrics: a run's metrics table.

    Returns:
        The distilled rows of those kinds (``kind`` is the registry kind, ``features`` ``pixels`` or ``patches``),
        pixels first; empty when no kind was fitted on both.

    Example:
        >>> m = pd.DataFrame({"family": ["surrogate"] * 3, "role": ["distilled"] * 3, "fidelity": [0.9, 0.8, 0.7],
        ...                   "kind": ["tree", "tree@patches", "linear"]})
        >>> pixels_vs_patches(m)[["kind", "features", "fidelity"]].values.tolist()
        [['tree', 'pixels', 0.9], ['tree', 'patches', 0.8]]
    """
    rows = metrics[(metrics.family == "surrogate") & (metrics.role == "distilled")]
    rows = rows.assign(features=np.where(rows.kind.str.endswith("@patches"), "patches", "pixels"),
                       kind=rows.kind.map(base_kind))
    both = rows.groupby("kind").features.transform("nunique") == 2
    return rows[both].sort_values(["kind", "features"], ascending=[True, False], kind="stable")


READABILITY_COLUMNS = [
    ("kind", "kind", None),
    ("features", "fitted on", None),
    ("model", "model", None),
    ("complexity", "complexity", None),
    ("fidelity", "test fidelity", "{:.3f}"),
    ("val_fidelity", "val fidelity", "{:.3f}"),
    ("accuracy", "test accuracy", "{:.3f}"),
]


def render_report(run_dir: str | Path) -> Path:
    """Write ``report.html`` into a run directory and return its path.

    Args:
        run_dir: a run directory written by :func:`interpret_distill.run_experiment`.

    Returns:
        The report's path. The file is self-contained: inline CSS and script, figures as data URIs.

    Example:
        >>> render_report("reports/digits")  # doctest: +SKIP
    """
    run = load_run(run_dir)
    metrics = run.metrics[run.metrics.family != "compressed"]  # pruned and quantized models: the compression section
    order = {"reference": 0, "distilled": 1, "alternative": 2, "baseline": 3}
    ordered = metrics.assign(_o=metrics.role.map(order)).sort_values(["family", "kind", "_o"], kind="stable")
    family_order = {"teacher": 0, "student": 1, "surrogate": 2}
    ordered = ordered.assign(_f=ordered.family.map(family_order)).sort_values(["_f"], kind="stable")
    regression = run.task == "regression"
    context = {
        "run": run,
        "regression": regression,
        "title": f"{run.name}: distillation report",
        "caveats": run.info.get("warnings", []),  # absent from runs saved before it was recorded
        "split_line": split_line(run.dataset),
        "readability": table(pixels_vs_patches(metrics), READABILITY_COLUMNS),
        "student_figure": figures.to_data_uri(figures.student_comparison(run)),
        "soft_tree": soft_tree_section(run),
        "frontier_figure": figures.to_data_uri(figures.frontier_plot(
            run.sweep, split="test", metric="R² to teacher" if regression else "fidelity (agreement with teacher)")),
        "frontier_overlap": _same_scores(run.sweep, "ground_truth", "hard"),
        "sweep": generic_table(run.sweep.drop(columns=[c for c in ("params_json",) if c in run.sweep.columns])),
        "attribution": attribution_section(run),
        "compression": compression_section(run),
        "ensemble": ensemble_section(run),
        "config_yaml": yaml.safe_dump(run.config, sort_keys=False),
        "versions": run.info["versions"],
        "timings": run.info["timings"],
        "dataset": run.dataset,
        "created": run.info["created"],
        "css": (TEMPLATES / "report.css").read_text(),
        "script": (TEMPLATES / "sortable.js").read_text(),
    }
    if regression:  # the one place the report reads the task: a regression's own sections
        context.update(regression_section.context(run, ordered))
    else:
        context.update(summary=_summary(run), comparison=table(ordered, METRIC_COLUMNS),
                       agreement_figure=figures.to_data_uri(figures.agreement_matrices(run)),
                       surrogates=_surrogate_sections(run), beside_truth=None)
    html_text = _environment().get_template("report.html").render(**context)
    path = Path(run_dir) / "report.html"
    path.write_text(html_text, encoding="utf-8")
    return path


def _same_scores(sweep: pd.DataFrame, regime: str, other: str) -> bool:
    """Whether every fit of ``regime`` scores exactly as the same grid point of ``other`` (their plot points overlap)."""
    keys, scores = ["kind", "transfer", "params"], ["val_kl", "val_fidelity", "test_fidelity"]
    a, b = (sweep[sweep.regime == r].set_index(keys)[scores].sort_index() for r in (regime, other))
    return len(a) > 0 and a.index.equals(b.index) and bool(np.allclose(a, b, rtol=0, atol=1e-12))


def _headline(run: Run) -> dict:
    m = run.metrics  # checked on reading: the columns used here, the teacher's and the student's rows
    by_model = m.set_index("model")
    surrogates = {}  # kind -> the distilled model and its baselines (a run has one distilled model per kind)
    for row in m[(m.role == "distilled") & (m.family == "surrogate")].itertuples():
        baselines = {regime: by_model.loc[f"{row.kind}:{regime}", "fidelity"]
                     for regime in SURROGATE_BASELINES if f"{row.kind}:{regime}" in by_model.index}
        surrogates[row.kind] = {"model": row.model, "fidelity": row.fidelity, **baselines}
    student = {"fidelity": by_model.loc["student", "fidelity"]}
    if "student_scratch" in by_model.index:
        student["scratch"] = by_model.loc["student_scratch", "fidelity"]
    compression = [{"route": row.route, "model": row.model, "fidelity": row.fidelity, "share": row.size_share}
                   for row in best_per_route(comparison_rows(run)).itertuples()]
    return {"name": run.name, "dataset": run.dataset["name"], "href": f"{run.path.name}/report.html", "task": run.task,
            "teacher_accuracy": by_model.loc["teacher", "accuracy"], "surrogates": surrogates, "student": student,
            "compression": compression, "created": run.info["created"]}


def render_index(root: str | Path) -> Path:
    """Write ``root/index.html`` listing every run below ``root`` with its headline numbers.

    Args:
        root: the folder holding run directories (e.g. ``reports``).

    Returns:
        The index's path.

    Warns:
        UserWarning: for each run that cannot be read; the index lists the others.

    Example:
        >>> path = render_index("reports")  # doctest: +SKIP
        >>> path.name  # doctest: +SKIP
        'index.html'
    """
    root = Path(root)
    runs = sorted((p for p in root.iterdir() if (p / "run.json").is_file() and (p / "report.html").is_file()
                   and not p.name.startswith(".")), key=lambda p: p.name)
    headlines = []
    for run_dir in runs:
        try:  # one damaged run must not hide the others, nor fail the run that just finished
            headlines.append(_headline(load_run(run_dir)))
        except UserInputError as exc:
            warnings.warn(f"the index leaves out {run_dir}: {first_line(exc, limit=300)}", stacklevel=2)
    # a regression's numbers are R² (to the teacher, to the truth): listed in a table of their own
    regressions = [h for h in headlines if h["task"] == "regression"]
    headlines = [h for h in headlines if h["task"] != "regression"]
    kinds = sorted({k for h in headlines for k in h["surrogates"]})
    html_text = _environment().get_template("index.html").render(
        runs=headlines, kinds=kinds, compression=any(h["compression"] for h in headlines),
        regressions=regressions, regression_kinds=sorted({k for h in regressions for k in h["surrogates"]}),
        css=(TEMPLATES / "report.css").read_text(),
        script=(TEMPLATES / "sortable.js").read_text(),
    )
    path = root / "index.html"
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(html_text, encoding="utf-8")
    tmp.replace(path)
    return path


def report_sizes(root: str | Path) -> dict[str, int]:
    """Size in bytes of every report below ``root`` (the budget is 3 MB each).

    Only ``report.html`` files one folder below ``root`` count (one per run directory).

    Args:
        root: the folder holding run directories (e.g. ``reports``).

    Returns:
        Path of each report (as a string, ``root`` included) -> its size in bytes; compare with
        :data:`SIZE_BUDGET_BYTES`.

    Example:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> (root / "run1").mkdir()
        >>> (root / "run1" / "report.html").write_text("<html></html>")
        13
        >>> list(report_sizes(root).values())
        [13]
    """
    return {str(p): p.stat().st_size for p in Path(root).glob("*/report.html")}


__all__ = ["render_report", "render_index", "report_sizes", "SIZE_BUDGET_BYTES"]
