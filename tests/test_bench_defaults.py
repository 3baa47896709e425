"""`make bench-defaults`'s bookkeeping on hand-made per-seed numbers: the pairs it compares and their verdicts."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_defaults.py"


@pytest.fixture(scope="module")
def bench():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(SCRIPT.parent))  # it imports bench_scale.py and verdict.py beside it
        spec = importlib.util.spec_from_file_location("bench_defaults", SCRIPT)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return module


def _results(bench) -> pd.DataFrame:
    """3 seeds of a 100-row test split: the shipped student 2 rows more faithful than its twin at every seed, the
    best distilled candidate 5 rows less accurate, the tree's distilled fit 1, 2 and 3 rows less faithful than its
    hard-label fit."""
    rows = []
    for seed in (0, 1, 2):
        base = {"data": "table", "rows": 400, "seed": seed, "n_test": 100, "val_fidelity": 0.9, "students_seconds": 1}
        rows += [{**base, "model": "student", "regime": "kd", "role": "distilled", "test_fidelity": 0.92,
                  "test_accuracy": 0.80},
                 {**base, "model": "student_scratch", "regime": "scratch", "role": "baseline", "test_fidelity": 0.90,
                  "test_accuracy": 0.80},
                 {**base, "model": "student:best_distilled", "regime": "kd", "role": "candidate",
                  "test_fidelity": 0.92, "test_accuracy": 0.75},
                 {**base, "model": "student:candidate", "regime": "scratch", "role": "candidate",
                  "test_fidelity": 0.90, "test_accuracy": 0.80},
                 {**base, "model": "tree:distilled", "regime": "soft", "role": "distilled",
                  "test_fidelity": 0.80 - 0.01 * (seed + 1), "test_accuracy": 0.7},
                 {**base, "model": "tree:hard", "regime": "hard", "role": "baseline", "test_fidelity": 0.80,
                  "test_accuracy": 0.7}]
    return pd.DataFrame(rows, columns=bench.COLUMNS)


def test_each_pair_is_judged_on_its_per_seed_difference_in_test_rows(bench):
    table = _results(bench)
    verdicts = bench.comparisons(table).set_index(["comparison", "metric"])
    shipped = verdicts.loc[("shipped student vs scratch twin", "test_fidelity")]
    assert (shipped.x_mean, shipped.y_mean, shipped.verdict) == (pytest.approx(0.92), pytest.approx(0.90), "PASS")
    assert shipped.diff_mean == pytest.approx(0.02) and shipped.diff_low == pytest.approx(0.02)  # no spread
    assert verdicts.loc[("best distilled candidate vs scratch twin", "test_accuracy"), "verdict"] == "MISS"
    tree = verdicts.loc[("tree surrogate: distilled vs hard labels", "test_fidelity")]
    # -1, -2, -3 rows: mean -2 (more than one row below 0), interval -2 ± 4.30 * 1 / sqrt(3) reaches 0
    assert tree.diff_mean == pytest.approx(-0.02) and tree.diff_high > 0 and tree.verdict == "UNCLEAR"


def test_the_results_page_lists_every_comparison_and_what_validation_chose(bench, tmp_path):
    bench.write(_results(bench), tmp_path, wall=1.0, command="make bench-defaults")
    text = (tmp_path / "results.md").read_text()
    assert "| table | 400 | shipped student vs scratch twin | test fidelity | 0.920 ± 0.000 | 0.900 ± 0.000 | " \
           "+0.0200 [+0.0200, +0.0200] | PASS |" in text
    assert "| table | 400 | 0 | kd | kd (0.9000) | 0.9000 | 1 |" in text
    assert len(pd.read_csv(tmp_path / "results.csv")) == 18
