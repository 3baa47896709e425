"""The report's attribution section states numbers as the agreement table shows them."""

from types import SimpleNamespace

import numpy as np
import pandas as pd

from interpret_distill.report.attribution_section import _sentence
from interpret_distill.report.tables import generic_table


def _run(agreement):
    return SimpleNamespace(agreement=agreement, config={"attribution": {"top_k": 5}},
                           attribution_examples=np.arange(143))


def test_sentence_uses_the_tables_three_decimals():
    table = pd.DataFrame({"model": ["linear", "tree"], "method": ["native", "native"],
                          "spearman_mean": [0.8897, 0.1694], "spearman_std": [0.0430, 0.1165],
                          "topk_agreement_mean": [0.6616, 0.2783], "topk_agreement_std": [0.159, 0.166]})
    sentence = _sentence(_run(table))
    assert "linear (native), Spearman rank correlation 0.890 ± 0.043 and top-5 agreement 0.662" in sentence
    assert "least alike: tree (native), Spearman 0.169" in sentence
    cells = [c["text"] for c in generic_table(table)["rows"][0]["cells"]]
    assert "0.890 ± 0.043" in cells  # the same text as in the table
    assert _sentence(_run(table.iloc[:0])) is None
