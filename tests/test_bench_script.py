"""The bench script's own bookkeeping: which runs it calls tuned, and the command it prints to reproduce them."""

import importlib.util
from argparse import Namespace
from pathlib import Path

import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks" / "run_bench.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("run_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_held_out_seeds_are_disjoint_from_the_tuning_seeds(bench):
    assert not set(bench.SEEDS) & set(bench.HELDOUT_SEEDS)


def test_tuning_note_says_whether_the_seeds_chose_the_settings(bench):
    assert bench._tuning_note(bench.HELDOUT_SEEDS).startswith("**Held-out seeds.**")
    tuned = bench._tuning_note(bench.SEEDS)
    assert "not blind to their test split" in tuned and "Held-out" not in tuned
    mixed = bench._tuning_note([bench.SEEDS[0], 99])  # one tuned seed is enough to taint the run
    assert f"seed(s) {bench.SEEDS[0]} of this run" in mixed


def test_reproduce_command_matches_the_run(bench):
    everything = list(bench.DATASETS)
    default = Namespace(seeds=list(bench.SEEDS), datasets=everything, out=str(bench.HERE), regimes=None)
    assert bench._command(default).startswith("make bench ")
    heldout = Namespace(seeds=list(bench.HELDOUT_SEEDS), datasets=everything, out=str(bench.HERE / "heldout"),
                        regimes=None)
    assert bench._command(heldout).startswith("make bench-heldout ")
    elsewhere = Namespace(seeds=list(bench.HELDOUT_SEEDS), datasets=everything, out="/tmp/bench", regimes=None)
    assert bench._command(elsewhere).endswith("--seeds 3 4 5 --out /tmp/bench")
    custom = Namespace(seeds=[7], datasets=["wine"], out="/tmp/bench", regimes=["hard", "soft"])
    assert bench._command(custom) == (".venv/bin/python benchmarks/run_bench.py --seeds 7 --datasets wine "
                                      "--regimes hard soft --out /tmp/bench")
    ablation = Namespace(seeds=list(bench.SEEDS), datasets=["digits"], out=str(bench.HERE / "ablation"),
                         regimes=list(bench.REGIMES))
    assert bench._command(ablation).startswith("make bench-ablation ")


def _wine_linear(correct_rows: list[tuple[int, int]]) -> pd.DataFrame:
    """Per seed, (distilled, hard-label) correct test rows out of 45, as bench metrics rows."""
    rows = []
    for seed, pair in enumerate(correct_rows):
        for (role, regime), correct in zip([("distilled", "soft"), ("baseline", "hard")], pair):
            rows.append({"family": "surrogate", "dataset": "wine", "kind": "linear", "role": role,
                         "regime": regime, "seed": seed, "fidelity": correct / 45, "n_test": 45})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("correct_rows, measured, ok", [
    ([(45, 45), (44, 45), (45, 44)], "0.993 vs 0.993 (+0.000; test rows per seed +0, -1, +1)", True),
    ([(45, 45), (44, 45), (45, 45)], "0.993 vs 1.000 (-0.007; test rows per seed +0, -1, +0)", False),
])
def test_hard_label_comparison_reports_test_rows_per_seed(bench, correct_rows, measured, ok):
    targets = bench.check_targets(_wine_linear(correct_rows), pd.DataFrame(), wall_seconds=1.0)
    linear = next(t for t in targets if t["target"] == "wine: linear (validation-selected) ≥ hard-label fit")
    assert linear["measured"] == measured
    assert linear["ok"] is ok


def test_regimes_without_the_hard_label_fit_are_refused(bench):
    with pytest.raises(SystemExit):
        bench.main(["--regimes", "soft", "soft+transfer", "--datasets", "wine", "--out", "/tmp/never"])


def test_the_time_target_is_only_judged_for_the_whole_bench(bench):
    metrics = _wine_linear([(44, 44)] * 3)
    judged = [t["target"] for t in bench.check_targets(metrics, pd.DataFrame(), wall_seconds=1.0)]
    partial = [t["target"] for t in bench.check_targets(metrics, pd.DataFrame(), wall_seconds=None)]
    assert any("minutes" in t for t in judged) and not any("minutes" in t for t in partial)
