"""End to end: CLI → run directory → load_run → report, on a tiny config."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from interpret_distill import load_run
from interpret_distill.cli import main
from interpret_distill.surrogates import build_surrogate

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
    # params are constructor arguments (the model rebuilds from them); the fitting rows have their own column
    for row in surrogates.itertuples():
        rebuilt = build_surrogate(row.kind, **json.loads(row.params))
        assert rebuilt.get_params() == {**rebuilt.get_params(), **json.loads(row.params)}
        assert (row.transfer == "train") == (row.regime not in ("soft+transfer", "hard+transfer"))
    # the student width grid: both widths trained both ways; the shipped pair is one width, the validation-best
    students = run.sweep[run.sweep.kind == "student"]
    assert sorted(zip(students.regime, students.params)) == sorted(
        (regime, f"hidden=[{w}]") for regime in ("kd", "scratch") for w in (2, 4))
    best = students[students.regime == "kd"].sort_values(["val_fidelity", "val_kl"], ascending=[False, True]).iloc[0]
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


def test_list_shows_default_presets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "digits" in out and "breast_cancer" in out and "(default)" in out


@pytest.fixture
def tiny_parts(tiny_raw):
    """The tiny config's dataset, teacher and teacher probabilities, for calling pipeline stages directly."""
    from interpret_distill.config import parse_config
    from interpret_distill.data import load_dataset
    from interpret_distill.models import predict_proba
    from interpret_distill.teachers import resolve_teacher

    cfg = parse_config({**tiny_raw, "surrogates": [{"kind": "tree", "grid": [{"max_depth": d} for d in (1, 2, 3, 4)]},
                                               {"kind": "linear", "grid": [{"C": 0.01}, {"C": 1.0}]},
                                               {"kind": "naive_bayes", "grid": [{"var_smoothing": 1e-9},
                                                                                {"var_smoothing": 0.1}]}]})
    dataset = load_dataset(cfg.data, cfg.seed)
    teacher, _ = resolve_teacher(dataset, cfg.teacher, cfg.seed, use_cache=False, progress=False)
    return cfg, dataset, teacher, predict_proba(teacher, dataset.X_val), predict_proba(teacher, dataset.X_test)


def _choices(models) -> dict:
    return {m.name: (m.role, json.dumps(m.params, sort_keys=True), m.transfer) for m in models}


def test_surrogate_choices_do_not_depend_on_the_test_split(tiny_parts):
    """Scrambling the test split's labels and teacher probabilities changes test scores, never a choice."""
    from interpret_distill.experiment import DISTILLED_REGIMES, fit_surrogates
    from interpret_distill.sweep import rank_by_validation, select_by_validation

    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    models, sweep = fit_surrogates(cfg, dataset, teacher, teacher_val, teacher_test)
    rng = np.random.default_rng(0)
    scrambled_probs = rng.dirichlet(np.ones(dataset.n_classes), size=len(teacher_test))
    scrambled = dataclasses.replace(dataset, y_test=rng.permutation(dataset.y_test))
    models_again, sweep_again = fit_surrogates(cfg, scrambled, teacher, teacher_val, scrambled_probs)
    assert not np.allclose(sweep.test_fidelity, sweep_again.test_fidelity), "the scrambling must change test scores"
    assert _choices(models_again) == _choices(models)
    # and the shipped (distilled) model of each kind is the validation ranking's first among the distilled regimes
    per_regime = select_by_validation(sweep_again)
    best = rank_by_validation(per_regime[per_regime.regime.isin(DISTILLED_REGIMES)]).drop_duplicates("kind")
    assert {m.name for m in models_again if m.role == "distilled"} == {f"{r.kind}:{r.regime}" for r in best.itertuples()}


def test_complexity_budget_reaches_the_shipped_surrogate(tiny_parts):
    from interpret_distill.experiment import fit_surrogates

    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    free = {m.regime: m for m in fit_surrogates(cfg, dataset, teacher, teacher_val, teacher_test)[0] if m.kind == "tree"}
    assert max(m.complexity()[1] for m in free.values()) > 2, "without a budget some regime picks > 2 leaves"
    budgeted_cfg = cfg.model_copy(update={"surrogates": [s.model_copy(update={"budget": 2}) if s.kind == "tree" else s
                                                         for s in cfg.surrogates]})
    budgeted = fit_surrogates(budgeted_cfg, dataset, teacher, teacher_val, teacher_test)[0]
    trees = [m for m in budgeted if m.kind == "tree"]
    assert len(trees) == len(free) and all(m.complexity()[1] <= 2 for m in trees)


def _fake_student_sweep(scores):
    """A stand-in for sweep_students: per width (hidden, val_fidelity, test_fidelity), a distilled and a scratch row."""
    from torch import nn

    from interpret_distill.students import TrainedStudent
    from interpret_distill.sweep import COLUMNS
    from interpret_distill.training import TrainLog

    def fake(dataset, teacher, cfg, teacher_probs, seed, progress):
        trained = []
        for width, val, test in scores:
            for regime in ("kd", "scratch"):
                row = dict.fromkeys(COLUMNS, 0.0) | {
                    "kind": "student", "regime": regime, "transfer": "train", "params": f"hidden=[{width}]",
                    "params_json": json.dumps({"arch": "mlp", "hidden": [width]}),
                    "complexity_score": 10.0 * width + 3, "val_fidelity": val, "test_fidelity": test}
                trained.append(TrainedStudent(nn.Linear(4, width), TrainLog(), row))
        return trained

    return fake


def test_student_width_is_chosen_on_validation_with_its_scratch_twin(tiny_parts, monkeypatch):
    from interpret_distill import experiment

    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    probs = {"val": teacher_val, "test": teacher_test}
    # width 4 leads on validation, width 2 on test; width 8 ties width 4 on validation but is larger
    monkeypatch.setattr(experiment, "sweep_students", _fake_student_sweep([(2, 0.80, 1.0), (4, 0.95, 0.5),
                                                                           (8, 0.95, 0.9)]))
    models, sweep, logs = experiment.fit_students(cfg, dataset, teacher, probs)
    assert [(m.name, m.role, m.params["hidden"], m.model.out_features) for m in models] == [
        ("student", "distilled", [4], 4), ("student_scratch", "baseline", [4], 4)]
    assert logs["distilled"]["size"] == logs["scratch"]["size"] == "hidden=[4]"
    assert len(sweep) == 6 and set(sweep.kind) == {"student"}

    budgeted = cfg.model_copy(update={"student": cfg.student.model_copy(update={"budget": 30.0})})
    models, _, _ = experiment.fit_students(budgeted, dataset, teacher, probs)
    assert [m.params["hidden"] for m in models] == [[2], [2]]


def test_student_budget_below_every_width_fails_before_training(tiny_parts, monkeypatch, tmp_path):
    from interpret_distill import experiment
    from interpret_distill.errors import ConfigError

    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts

    def must_not_train(*args, **kwargs):
        raise AssertionError("students were trained although no width fits the budget")

    monkeypatch.setattr(experiment, "sweep_students", must_not_train)
    # the narrowest tiny student, 4 -> 2 -> 3: (4 x 2 + 2) + (2 x 3 + 3) = 19 parameters
    tight = cfg.model_copy(update={"student": cfg.student.model_copy(update={"budget": 18.0})})
    with pytest.raises(ConfigError, match=r"no student width fits student.budget 18 parameters \(smallest: 19\)"):
        experiment.fit_students(tight, dataset, teacher, {"val": teacher_val, "test": teacher_test})
    # through the pipeline: the data is read, the teacher is never trained
    monkeypatch.setattr(experiment, "resolve_teacher", must_not_train)
    with pytest.raises(ConfigError, match="no student width fits student.budget 18"):
        experiment.run_experiment(tight, tmp_path, report=False)
    assert not (tmp_path / tight.name).exists()


def test_a_run_without_surrogates_still_gets_its_report(tmp_path, tiny_raw):
    """A student-only study: the report and the index leave the surrogate parts out instead of failing."""
    from interpret_distill.config import parse_config
    from interpret_distill.experiment import run_experiment
    from interpret_distill.report import render_index

    run_dir = run_experiment(parse_config({**tiny_raw, "name": "students_only", "surrogates": []}), tmp_path)
    html = (run_dir / "report.html").read_text()
    assert "The distilled student" in html and "surrogate most faithful" not in html
    assert 'href="students_only/report.html"' in render_index(tmp_path).read_text()
