"""Tables of the report: header, rows and a raw sort key per cell, for the sortable HTML tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

# columns that hold counts (leaves, coefficients, parameters) although stored as floats
COUNT_COLUMNS = {"complexity_score"}


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def table(frame: pd.DataFrame, columns: list[tuple[str, str, str | None]]) -> dict:
    """Header and rows for a sortable table; numbers keep a raw sort key beside their text.

    Each column is numeric (right-aligned, never wrapped) when every non-missing value is a number, text otherwise.
    A column's format is a ``str.format`` spec for numbers, or a callable ``record -> text`` (e.g. "mean ± std").
    """
    present = [c for c in columns if c[0] in frame.columns]
    records = frame.to_dict("records")
    align = ["num" if all(_is_number(r[key]) for r in records if not pd.isna(r[key])) else "text"
             for key, _, _ in present]
    rows = []
    for record in records:
        cells = []
        for (key, _, spec), cls in zip(present, align):
            value = record[key]
            numeric = _is_number(value)
            if callable(spec):
                text = "" if numeric and np.isnan(value) else spec(record)
            else:
                text = "" if numeric and np.isnan(value) else (spec.format(value) if spec and numeric else str(value))
            cells.append({"text": text, "sort": float(value) if numeric and not np.isnan(value) else text,
                          "cls": cls})
        rows.append({"cells": cells, "role": record.get("role", "")})
    return {"header": [label for _, label, _ in present], "align": align, "rows": rows}


def generic_table(frame: pd.DataFrame, digits: int = 3, formats: dict[str, str] | None = None) -> dict:
    """All columns of ``frame``; ``x_mean`` and ``x_std`` pairs become one "x (mean ± std)" column, sorted by mean.

    ``formats`` gives some columns their own ``str.format`` spec (e.g. ``"{:.1%}"`` for shares).
    """
    stds = {c for c in frame.columns if c.endswith("_std") and f"{c[:-4]}_mean" in frame.columns}
    columns = []
    for c in frame.columns:
        if c in stds:
            continue
        # "spearman_mean" → "spearman mean": readable, and the header can wrap instead of widening the table
        spec = f"{{:.{digits}f}}" if pd.api.types.is_float_dtype(frame[c]) else None
        if c in COUNT_COLUMNS:
            spec = "{:,.0f}"
        spec = (formats or {}).get(c, spec)
        label = c.replace("_", " ")
        if c.endswith("_mean") and f"{c[:-5]}_std" in stds:
            std = f"{c[:-5]}_std"
            spec = (lambda r, c=c, std=std:
                    f"{r[c]:.{digits}f}" + ("" if pd.isna(r[std]) else f" ± {r[std]:.{digits}f}"))
            label = f"{c[:-5].replace('_', ' ')} (mean ± std)"
        columns.append((c, label, spec))
    return table(frame, columns)
