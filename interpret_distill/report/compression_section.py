"""The report's compression section: distillation beside pruning and quantization, one table and one figure."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..runs import Run
from . import figures
from .tables import table

COLUMNS = [
    ("model", "model", None),
    ("route", "route", None),
    ("accuracy", "accuracy", "{:.3f}"),
    ("fidelity", "fidelity", "{:.3f}"),
    ("kl", "KL (teacher ‖ model)", "{:.4f}"),
    ("complexity_score", "parameters", "{:,.0f}"),
    ("nonzero_params", "non-zero parameters", "{:,.0f}"),
    ("file_bytes", "size on disk (bytes)", "{:,.0f}"),
    ("size_share", "share of the teacher's file", "{:.1%}"),
    ("sparse_bytes", "with CSR weights (bytes, not stored)", "{:,.0f}"),
    ("latency_ms_per_1k_1thread", "latency (ms / 1k rows, 1 thread)", "{:.2f}"),
    ("attribution_spearman", "attribution Spearman", "{:.3f}"),
    ("attribution_topk", "attribution top-k", "{:.3f}"),
    ("stayed_float", "layers left float", None),
]


def comparison_rows(run: Run) -> pd.DataFrame:
    """The rows of the compression comparison (``route`` set), with each file's share of the teacher's.

    Args:
        run: a loaded run.

    Returns:
        The rows of ``run.metrics`` in the comparison plus ``size_share``; empty for a run without one.

    Example:
        >>> comparison_rows(load_run("reports/compression")).route.unique()  # doctest: +SKIP
        array(['none', 'distillation', 'pruning', ...], dtype=object)
    """
    metrics = run.metrics
    if "route" not in metrics.columns:  # a run without compression
        return metrics.iloc[:0].assign(route=[], size_share=[])
    rows = metrics[metrics.route.notna()]
    teacher_bytes = rows.loc[rows.route == "none", "file_bytes"]
    return rows.assign(size_share=rows.file_bytes / (teacher_bytes.iloc[0] if len(teacher_bytes) else np.nan))


def best_per_route(rows: pd.DataFrame) -> pd.DataFrame:
    """Per route, its most faithful model (ties: the smaller file), in the rows' route order.

    Args:
        rows: :func:`comparison_rows`.

    Returns:
        One row per route, the teacher's (``none``) left out.

    Example:
        >>> rows = pd.DataFrame({"route": ["none", "pruning", "pruning"], "model": ["teacher", "a", "b"],
        ...                      "fidelity": [1.0, 0.9, 0.9], "file_bytes": [10, 10, 5]})
        >>> best_per_route(rows).model.tolist()
        ['b']
    """
    if rows.empty:  # a run without compression
        return rows
    ranked = rows[rows.route != "none"].sort_values(["fidelity", "file_bytes"], ascending=[False, True], kind="stable")
    best = ranked.drop_duplicates("route")
    order = {route: i for i, route in enumerate(dict.fromkeys(rows.route))}
    return best.sort_values("route", key=lambda routes: routes.map(order), kind="stable")


def student_against_pruning(rows: pd.DataFrame) -> dict | None:
    """The distilled student beside the teacher pruned to as many non-zero parameters (the better fine-tune).

    Args:
        rows: :func:`comparison_rows` (a run whose pruning matched the student: ``teacher:pruned-as-student``).

    Returns:
        ``{"student", "student_fidelity", "share", "nonzero", "pruned", "pruned_fidelity"}``, or None when the run
        has no such pruned model.

    Example:
        >>> rows = pd.DataFrame({"model": ["student", "teacher:pruned-as-student", "teacher:pruned-as-student+kd"],
        ...                      "fidelity": [0.98, 0.95, 0.97], "size_share": [0.06, 1.0, 1.0],
        ...                      "nonzero_params": [2410, 2410, 2410]})
        >>> student_against_pruning(rows)["pruned"]
        'teacher:pruned-as-student+kd'
    """
    by_model = rows.set_index("model")
    pruned = by_model[by_model.index.str.startswith("teacher:pruned-as-student")]
    if "student" not in by_model.index or pruned.empty:
        return None
    student, best = by_model.loc["student"], pruned.fidelity.idxmax()
    return {"student": "student", "student_fidelity": float(student.fidelity), "share": float(student.size_share),
            "nonzero": int(student.nonzero_params), "pruned": best, "pruned_fidelity": float(pruned.fidelity.max())}


def _sentence(rows: pd.DataFrame) -> str | None:
    """The student against the pruned teacher of its size, in words."""
    match = student_against_pruning(rows)
    if match is None:
        return None
    verdict = "at least as faithful as" if match["student_fidelity"] >= match["pruned_fidelity"] else "less faithful than"
    return (f"The distilled student ({match['nonzero']:,} non-zero parameters, {match['share']:.1%} of the teacher's "
            f"file) agrees with the teacher on {match['student_fidelity']:.3f} of test rows: {verdict} the teacher "
            f"pruned to as many non-zero parameters ({match['pruned']}, {match['pruned_fidelity']:.3f}), whose file "
            "is as large as the teacher's.")


def _float_notes(rows: pd.DataFrame) -> list[str]:
    """One note per quantized model that kept float layers, or that quantized nothing."""
    notes = []
    quantized = rows[rows.stayed_float.notna() & (rows.stayed_float != "none")] if "stayed_float" in rows else rows[:0]
    for row in quantized.itertuples():
        what = ("nothing was quantized: it is the float model" if row.quantized_share == 0
                else f"{1 - row.quantized_share:.1%} of its parameters stayed float")
        notes.append(f"{row.model}: {what} ({row.stayed_float}; torchao's int8 tensors implement no convolution).")
    return notes


def compression_section(run: Run) -> dict:
    """Everything the template needs for the compression section.

    Args:
        run: a loaded run.

    Returns:
        ``{"available": False}`` for a run without a compression comparison; otherwise ``available``, ``table``
        (rendered), ``figure`` (data URI), ``sentence`` (or None), ``notes`` (models that kept float layers) and
        ``method`` (how sizes, latency and attributions were measured, from ``run.json``).

    Example:
        >>> compression_section(load_run("reports/compression"))["available"]  # doctest: +SKIP
        True
    """
    rows = comparison_rows(run)
    if rows.empty:
        return {"available": False}
    info = run.info.get("compression", {})
    return {
        "available": True,
        "table": table(rows, COLUMNS),
        "figure": figures.to_data_uri(figures.compression_plot(rows)),
        "sentence": _sentence(rows),
        "notes": _float_notes(rows),
        "method": info,
    }
