"""The report's sortable tables (interpret_distill.report.tables): text, alignment and a raw sort key per cell."""

import numpy as np
import pandas as pd

from interpret_distill.report.tables import COUNT_COLUMNS, generic_table, table


def test_generic_table_formats_counts_shares_and_tiny_values():
    frame = pd.DataFrame({"complexity_score": [16.0, 1290.0], "infidelity": [1.3e-5, 7e-4],
                          "relative_infidelity": [0.0197, 0.5], "spearman_mean": [0.5, 0.25]})
    table = generic_table(frame, formats={"infidelity": "{:.2e}", "relative_infidelity": "{:.2%}"})
    texts = [[cell["text"] for cell in row["cells"]] for row in table["rows"]]
    assert texts == [["16", "1.30e-05", "1.97%", "0.500"], ["1,290", "7.00e-04", "50.00%", "0.250"]]
    assert table["rows"][0]["cells"][1]["sort"] == 1.3e-5  # sorting keeps the raw value


def test_table_keeps_raw_sort_keys_aligns_numbers_and_leaves_missing_values_blank():
    frame = pd.DataFrame({"model": ["tree:soft", "student"], "role": ["distilled", "baseline"],
                          "fidelity": [0.9512, np.nan], "complexity": ["8 leaves", "1,283 parameters"]})
    columns = [("model", "Model", None), ("fidelity", "Fidelity", "{:.3f}"), ("missing", "Not there", None),
               ("complexity", "Complexity", lambda r: r["complexity"].upper())]
    out = table(frame, columns)
    assert out["header"] == ["Model", "Fidelity", "Complexity"]  # absent columns are left out
    assert out["align"] == ["text", "num", "text"]
    first, second = out["rows"]
    assert [c["text"] for c in first["cells"]] == ["tree:soft", "0.951", "8 LEAVES"]
    assert first["cells"][1]["sort"] == 0.9512 and first["role"] == "distilled"
    assert second["cells"][1]["text"] == "" and second["role"] == "baseline"


def test_generic_table_joins_mean_and_std_columns():
    frame = pd.DataFrame({"model": ["a"], "spearman_mean": [0.8897], "spearman_std": [0.0430]})
    out = generic_table(frame)
    assert out["header"] == ["model", "spearman (mean ± std)"]
    assert [c["text"] for c in out["rows"][0]["cells"]][1] == "0.890 ± 0.043"
    assert out["rows"][0]["cells"][1]["sort"] == 0.8897
    assert "complexity_score" in COUNT_COLUMNS
