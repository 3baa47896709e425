"""End to end: CLI → run directory → load_run → report, on a tiny config (the run folder itself: test_experiment.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from interpret_distill import load_run
from interpret_distill.cli import main
from interpret_distill.surrogates import build_surrogate
from interpret_distill.sweep import format_params

pytestmark = pytest.mark.slow


def test_cli_run_writes_run_dir_report_and_index(tmp_path, tiny_raw, capsys):
    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(tiny_raw))
    out = tmp_path / "reports"

    assert main(["run", str(config), "--out", str(out), "--no-progress"]) == 0

    run_dir = out / "tiny"
    for name in ("report.html", "run.json", "metrics.csv", "sweep.csv", "predictions.npz", "attributions.npz",
                 "models/manifest.json", "models/teacher.pt", "models/student.pt", "models/tree_soft.skops"):
        assert (run_dir / name).is_file(), name
    assert not [p for p in out.iterdir() if p.name.startswith(".")], "temporary run folders left behind"

    run = load_run(run_dir)
    metrics = run.metrics
    assert isinstance(metrics, pd.DataFrame)
    assert {"accuracy", "fidelity", "kl", "tv", "complexity", "size_bytes", "latency_ms_per_1k"} <= set(metrics.columns)
    assert (metrics["split"] == "test").all()
    expected = {"teacher", "student", "student_scratch"} | {
        f"{kind}:{regime}" for kind in ("tree", "linear", "naive_bayes")
        for regime in ("ground_truth", "hard", "hard+transfer", "soft", "soft+transfer")}
    assert set(metrics["model"]) == expected
    teacher = metrics.set_index("model").loc["teacher"]
    assert teacher.fidelity == 1.0 and teacher.kl == pytest.approx(0.0, abs=1e-9)
    assert metrics[["accuracy", "fidelity"]].apply(lambda c: c.between(0, 1)).all().all()
    # each surrogate kind has exactly one distilled model and its three baselines
    surrogates = metrics[metrics.family == "surrogate"]
    assert (surrogates[surrogates.role == "distilled"].groupby("kind").size() == 1).all()
    assert set(surrogates[surrogates.role == "baseline"].regime) == {"ground_truth", "hard", "hard+transfer"}
    # params_json holds the constructor arguments (the model rebuilds from them), params shows them readably, as
    # sweep.csv does; the fitting rows have their own column
    for row in surrogates.itertuples():
        assert row.params == format_params(json.loads(row.params_json))
        rebuilt = build_surrogate(row.kind, **json.loads(row.params_json))
        assert rebuilt.get_params() == {**rebuilt.get_params(), **json.loads(row.params_json)}
        assert (row.transfer == "train") == (row.regime not in ("soft+transfer", "hard+transfer"))
    # the student width grid: both widths trained as each default candidate and from scratch; the shipped pair is
    # one width, the validation-best distilled one's
    students = run.sweep[run.sweep.kind == "student"]
    candidates = ("kd", "kd(T=1,a=1)", f"kd(T=1,a=1)+mixup(n={run.dataset['n_train']})")
    assert sorted(zip(students.regime, students.params)) == sorted(
        (regime, f"hidden=[{w}]") for regime in (*candidates, "scratch") for w in (2, 4))
    best = students[students.regime != "scratch"].sort_values(
        ["val_fidelity", "val_kl", "complexity_score"], ascending=[False, True, True], kind="stable").iloc[0]
    shipped = metrics.set_index("model").loc[["student", "student_scratch"], "complexity_score"]
    assert shipped.tolist() == [best.complexity_score] * 2

    # models come back and reproduce the stored test probabilities
    for name in ("teacher", "student", "tree:soft", "linear:hard", "naive_bayes:ground_truth"):
        model = run.model(name)
        probs = model.predict_proba(run.X_test) if hasattr(model, "predict_proba") else None
        if probs is None:
            import torch

            with torch.no_grad():
                probs = torch.softmax(model(torch.as_tensor(run.X_test)), 1).numpy()
        np.testing.assert_allclose(probs, run.test_probs[name], atol=1e-5)

    info = json.loads((run_dir / "run.json").read_text())
    assert info["seed"] == 0 and "torch" in info["versions"] and "teacher" in info["timings"]
    assert info["dataset"]["scaling"]["offset"], "feature scaling is recorded with the run"

    html = (run_dir / "report.html").read_text()
    for section in ("Model comparison", "Agreement with the teacher", "Rules as text", "Neural student",
                    "Fidelity vs complexity", "Attributions", "Config and versions"):
        assert section in html
    assert "petal length (cm)" in html and "versicolor" in html, "real feature and class names are shown"
    assert "http://" not in html and "https://" not in html, "the report must not reach the network"
    index = (out / "index.html").read_text()
    assert 'href="tiny/report.html"' in index
    assert "index:" in capsys.readouterr().out


def test_second_run_reuses_cached_teacher(tmp_path, tiny_config):
    from interpret_distill.experiment import run_experiment

    first = load_run(run_experiment(tiny_config, tmp_path / "a", report=False))
    second = load_run(run_experiment(tiny_config, tmp_path / "b", report=False))
    assert second.info["teacher"]["cached"] is True
    assert second.info["teacher"]["cache_key"] == first.info["teacher"]["cache_key"]
    pd.testing.assert_series_equal(first.metrics.accuracy, second.metrics.accuracy)


def test_report_command_rerenders(tiny_run, capsys, monkeypatch):
    (tiny_run / "report.html").unlink()
    assert main(["report", str(tiny_run)]) == 0
    assert (tiny_run / "report.html").is_file()
    (tiny_run.parent / "index.html").unlink()
    monkeypatch.chdir(tiny_run)  # `report .` from inside the run: the index goes beside the run, not into it
    assert main(["report", "."]) == 0
    assert (tiny_run.parent / "index.html").is_file() and not (tiny_run / "index.html").exists()


def test_a_run_without_surrogates_still_gets_its_report(tmp_path, tiny_raw):
    """A student-only study: the report and the index leave the surrogate parts out instead of failing."""
    from interpret_distill.config import parse_config
    from interpret_distill.experiment import run_experiment
    from interpret_distill.report import render_index

    run_dir = run_experiment(parse_config({**tiny_raw, "name": "students_only", "surrogates": []}), tmp_path)
    html = (run_dir / "report.html").read_text()
    assert "The distilled student" in html and "surrogate most faithful" not in html
    assert 'href="students_only/report.html"' in render_index(tmp_path).read_text()
