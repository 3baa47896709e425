"""Determinism (same config and seed, same metrics on CPU) and atomic runs (an interrupted run changes nothing)."""

from __future__ import annotations

import copy
import json

import pandas as pd
import pytest
import yaml

from interpret_distill import load_run
from interpret_distill.cli import main
from interpret_distill.config import parse_config
from interpret_distill.experiment import run_experiment
from interpret_distill.results import TIMING_COLUMNS

pytestmark = pytest.mark.slow

FAST = {
    "name": "det",
    "seed": 7,
    "data": {"source": "sklearn", "name": "iris", "test_size": 0.25, "val_size": 0.2},
    "teacher": {"hidden": [8], "epochs": 4, "batch_size": 16},
    "transfer": {"temperature": 2.0, "augmentation": "mixup", "n_synthetic": 40},
    "student": {"hidden": [4], "epochs": 3, "batch_size": 16},
    "surrogates": [{"kind": "tree", "grid": [{"max_depth": 1}, {"max_depth": 3}]}, {"kind": "linear"},
                   {"kind": "naive_bayes"}],
    "attribution": {"methods": ["integrated_gradients", "feature_ablation", "native"], "examples": 6},
    "n_jobs": 1,
    "progress": False,
}


def _without_timings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop(columns=[c for c in TIMING_COLUMNS if c in frame.columns])


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """One complete run through the CLI (teacher trained, not cached), with its report."""
    tmp = tmp_path_factory.mktemp("det")
    config = tmp / "det.yaml"
    config.write_text(yaml.safe_dump(FAST))
    out = tmp / "reports"
    assert main(["run", str(config), "--out", str(out), "--no-progress", "--no-cache"]) == 0
    return config, out


def test_same_config_and_seed_give_identical_metrics(first, tmp_path):
    _, out = first
    second = run_experiment(parse_config(copy.deepcopy(FAST)), tmp_path, use_cache=False, report=False)
    a, b = load_run(out / "det"), load_run(second)
    pd.testing.assert_frame_equal(_without_timings(a.metrics), _without_timings(b.metrics), check_exact=True)
    pd.testing.assert_frame_equal(_without_timings(a.sweep), _without_timings(b.sweep), check_exact=True)
    assert a.info["teacher"]["cached"] is False and b.info["teacher"]["cached"] is False
    for (model, method), values in a.attributions.items():
        pd.testing.assert_frame_equal(pd.DataFrame(values), pd.DataFrame(b.attributions[(model, method)]))


def test_seed_and_versions_are_recorded(first):
    _, out = first
    info = json.loads((out / "det" / "run.json").read_text())
    assert info["seed"] == 7 and info["config"]["seed"] == 7
    for package in ("python", "interpret_distill", "torch", "scikit-learn", "numpy", "captum", "skops"):
        assert info["versions"][package], package


@pytest.mark.parametrize("stage, exception, code", [
    ("teacher", KeyboardInterrupt, 130),       # before the run folder exists
    ("attribution", KeyboardInterrupt, 130),   # Ctrl-C while the new run folder is half written
    ("report", RuntimeError, 1),               # a failure in the very last stage
])
def test_interrupted_run_leaves_the_previous_report_intact(first, monkeypatch, capsys, stage, exception, code):
    config, out = first
    before = {p.relative_to(out): p.read_bytes() for p in (out / "det").rglob("*") if p.is_file()}

    def interrupt(*args, **kwargs):
        raise exception("stopped on purpose")

    targets = {"teacher": "interpret_distill.experiment.resolve_teacher",
               "attribution": "interpret_distill.attribution_stage.run_attribution",
               "report": "interpret_distill.report.render_report"}
    monkeypatch.setattr(targets[stage], interrupt)
    assert main(["run", str(config), "--out", str(out), "--no-progress"]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1

    after = {p.relative_to(out): p.read_bytes() for p in (out / "det").rglob("*") if p.is_file()}
    assert after == before, "the previous run directory must be untouched"
    assert sorted(p.name for p in out.iterdir()) == ["det", "index.html"], "no temporary folders left behind"
    run = load_run(out / "det")  # still readable
    assert len(run.metrics) and run.model("tree:soft").predict_proba(run.X_test).shape[1] == 3
