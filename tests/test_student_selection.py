"""The student's candidates: which are trained, what they are called, which ships, and what the memory check counts."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

from interpret_distill import students
from interpret_distill.config import ExperimentConfig, StudentConfig, load_config, parse_config
from interpret_distill.data import load_dataset
from interpret_distill.errors import ConfigError
from interpret_distill.memory import run_allocations
from interpret_distill.student_selection import (
    DEFAULT_TRANSFER_CAP,
    method_name,
    select_student,
    student_variants,
    uses_default_candidates,
)

KD_SOFT = {"temperature": 1.0, "alpha": 1.0}
BENCH_CONFIGS = Path(__file__).resolve().parents[1] / "benchmarks" / "configs"


@pytest.fixture(scope="module")
def iris():
    dataset = load_dataset(parse_config({"name": "s", "data": {"name": "iris", "val_size": 0.2}}).data, 0)
    torch.manual_seed(0)
    return dataset, nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).eval()


def _sweep(rows) -> pd.DataFrame:
    """Student rows from (regime, width, val_fidelity, test_fidelity); val KL and complexity follow the width."""
    return pd.DataFrame([{"kind": "student", "regime": regime, "params": f"hidden=[{width}]",
                          "complexity_score": 10.0 * width, "val_fidelity": val, "val_kl": 0.1,
                          "test_fidelity": test} for regime, width, val, test in rows])


# ------------------------------------------------------------------ which variants are trained

def test_a_section_without_distillation_settings_gets_the_default_candidates():
    variants = student_variants(StudentConfig(), 1_000)
    assert [name for name, _ in variants] == ["kd", "kd(T=1,a=1)", "kd(T=1,a=1)+mixup(n=1000)"]
    assert [v.loss_params for _, v in variants] == [{}, KD_SOFT, KD_SOFT]
    assert all(v.candidates == [] for _, v in variants)
    # the default transfer set is as large as the training split, up to the cap
    big = student_variants(StudentConfig(), 10 * DEFAULT_TRANSFER_CAP)[2][1]
    assert big.transfer_set.n_synthetic == DEFAULT_TRANSFER_CAP


@pytest.mark.parametrize("section", [{"candidates": []}, {"loss_params": {"alpha": 0.5}}, {"function_matching": True},
                                     {"transfer_set": {"augmentation": "noise", "n_synthetic": 10}}])
def test_a_section_that_chose_its_settings_trains_only_itself(section):
    cfg = StudentConfig(**section)
    assert not uses_default_candidates(cfg)
    assert student_variants(cfg, 1_000) == [(method_name(cfg), cfg.model_copy(update={"candidates": []}))]


def test_candidates_override_only_what_they_set():
    cfg = StudentConfig(loss_params={"temperature": 4.0, "alpha": 0.7}, epochs=7,
                        candidates=[{"loss_params": {"temperature": 2.0}},
                                    {"transfer_set": {"augmentation": "mixup", "n_synthetic": 50}}])
    (base_name, base), (t2_name, t2), (mix_name, mix) = student_variants(cfg, 100)
    assert (base_name, t2_name, mix_name) == ("kd(T=4,a=0.7)", "kd(T=2)", "kd(T=4,a=0.7)+mixup(n=50)")
    assert base.loss_params == {"temperature": 4.0, "alpha": 0.7} and t2.loss_params == {"temperature": 2.0}
    assert mix.loss_params == base.loss_params and mix.transfer_set.n_synthetic == 50
    assert {base.epochs, t2.epochs, mix.epochs} == {7}


@pytest.mark.parametrize("candidate, message", [
    ({"loss_params": {"temp": 2.0}}, "student.candidates.0: .*no parameter"),
    ({"function_matching": True, "transfer_set": {"augmentation": "mixup", "n_synthetic": 5}},
     "student.candidates.0: student.function_matching and student.transfer_set are both set"),
])
def test_a_bad_candidate_fails_with_its_index(candidate, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({"name": "x", "data": {"name": "iris"}, "student": {"candidates": [candidate]}})


def test_a_candidate_that_repeats_another_fails_before_training():
    cfg = StudentConfig(loss_params=KD_SOFT, candidates=[{"loss_params": {"alpha": 0.5}}, {"loss_params": KD_SOFT}])
    with pytest.raises(ConfigError, match=r"student.candidates.1 trains the same student as an earlier one "
                                          r"\(kd\(T=1,a=1\)\)"):
        student_variants(cfg, 100)


@pytest.mark.parametrize("preset", ["breast_cancer", "compression", "digits", "digits28", "iris", "wine"])
def test_presets_train_their_one_configured_student_and_ship_it(preset):
    cfg = load_config(preset).student
    assert student_variants(cfg, 1_000) == [(method_name(cfg), cfg.model_copy(update={"candidates": []}))]
    assert cfg.keep_scratch is False


@pytest.mark.parametrize("name", ["breast_cancer", "digits", "wine"])
def test_bench_configs_train_their_one_configured_student(name):
    cfg = load_config(BENCH_CONFIGS / f"{name}.yaml").student
    assert len(student_variants(cfg, 1_000)) == 1 and cfg.keep_scratch is False


# ------------------------------------------------------------------ which one ships

def test_the_shipped_candidate_is_chosen_on_validation_not_test():
    # kd leads on test, kd(T=1,a=1) on validation; the scratch twin is less faithful on validation
    sweep = _sweep([("kd", 4, 0.80, 0.99), ("kd(T=1,a=1)", 4, 0.90, 0.70), ("scratch", 4, 0.85, 0.95)])
    assert select_student(sweep) == (1, 2, False)
    # the test columns cannot move the choice
    assert select_student(sweep.assign(test_fidelity=[0.0, 1.0, 0.0][::-1])) == (1, 2, False)


def test_candidates_compete_with_widths_and_the_twin_is_the_chosen_width():
    sweep = _sweep([("kd", 2, 0.70, 0.9), ("kd(T=1,a=1)", 2, 0.75, 0.9), ("scratch", 2, 0.99, 0.9),
                    ("kd", 8, 0.80, 0.5), ("kd(T=1,a=1)", 8, 0.78, 0.5), ("scratch", 8, 0.60, 0.5)])
    assert select_student(sweep) == (3, 5, False)  # width 2's twin is better, but width 8's kd leads
    assert select_student(sweep, budget=50) == (1, 2, True)  # only width 2 fits: its twin beats both candidates
    assert select_student(sweep, budget=50, keep_scratch=False) == (1, 2, False)


def test_the_twin_ships_only_when_strictly_more_faithful_on_validation():
    tie = _sweep([("kd", 4, 0.90, 0.5), ("scratch", 4, 0.90, 0.99)])
    assert select_student(tie) == (0, 1, False)
    better = _sweep([("kd", 4, 0.90, 0.99), ("scratch", 4, 0.91, 0.5)])
    assert select_student(better) == (0, 1, True)


def _fake_sweep(val_scores):
    """A stand-in for sweep_students: one width, (regime, val_fidelity) per network, each a distinct Linear."""
    from interpret_distill.students import TrainedStudent
    from interpret_distill.sweep import COLUMNS
    from interpret_distill.training import TrainLog

    def fake(dataset, teacher, cfg, teacher_probs, seed, progress, **options):
        return [TrainedStudent(nn.Linear(4, i + 1), TrainLog(), dict.fromkeys(COLUMNS, 0.0) | {
            "kind": "student", "regime": regime, "transfer": "train", "params": "hidden=[4]",
            "params_json": json.dumps({"arch": "mlp", "hidden": [4]}), "complexity_score": 23.0,
            "val_fidelity": val}) for i, (regime, val) in enumerate(val_scores)]

    return fake


def test_fit_students_ships_the_scratch_twin_when_it_wins_on_validation(tiny_parts, monkeypatch):
    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    probs = {"val": teacher_val, "test": teacher_test}
    monkeypatch.setattr(students, "sweep_students", _fake_sweep([("kd", 0.8), ("kd(T=1,a=1)", 0.9), ("scratch", 0.95)]))
    models, sweep, _ = students.fit_students(cfg, dataset, teacher, probs)
    assert [(m.name, m.role, m.regime, m.model.out_features) for m in models] == [
        ("student", "distilled", "scratch", 3), ("student_scratch", "baseline", "scratch", 3)]
    assert len(sweep) == 3  # every candidate keeps its row
    models, _, _ = students.fit_students(cfg, dataset, teacher, probs, keep_widths=True)  # the losing candidate too
    assert [(m.name, m.role, m.regime) for m in models][2:] == [("student:hidden=[4]", "alternative", "kd(T=1,a=1)")]
    kept = cfg.model_copy(update={"student": cfg.student.model_copy(update={"keep_scratch": False})})
    models, _, _ = students.fit_students(kept, dataset, teacher, probs)
    assert [(m.name, m.regime, m.model.out_features) for m in models] == [
        ("student", "kd(T=1,a=1)", 2), ("student_scratch", "scratch", 3)]


# ------------------------------------------------------------------ the sweep and the memory check

def test_the_sweep_has_a_row_per_candidate_and_labels_each_transfer_set_once(iris, monkeypatch):
    from interpret_distill.models import predict_proba

    dataset, teacher = iris
    probs = {s: predict_proba(teacher, dataset.split(s)[0]) for s in ("val", "test")}
    mixup = {"augmentation": "mixup", "n_synthetic": 300}
    cfg = StudentConfig(grid=[{"hidden": [2]}, {"hidden": [3]}], epochs=2, patience=2, batch_size=64,
                        candidates=[{"loss_params": KD_SOFT, "transfer_set": mixup},
                                    {"loss_params": {"alpha": 0.5}, "transfer_set": mixup}])
    calls = []
    label = students.teacher_labelled_rows
    monkeypatch.setattr(students, "teacher_labelled_rows", lambda *a, **k: calls.append(1) or label(*a, **k))
    trained = students.sweep_students(dataset, teacher, cfg, probs, seed=0, progress=False)
    assert [(t.row["regime"], t.row["params"], t.row["transfer"]) for t in trained] == [
        ("kd", "hidden=[2]", "train"), ("kd(T=1,a=1)+mixup(n=300)", "hidden=[2]", "mixup(n=300)"),
        ("kd(a=0.5)+mixup(n=300)", "hidden=[2]", "mixup(n=300)"), ("scratch", "hidden=[2]", "train"),
        ("kd", "hidden=[3]", "train"), ("kd(T=1,a=1)+mixup(n=300)", "hidden=[3]", "mixup(n=300)"),
        ("kd(a=0.5)+mixup(n=300)", "hidden=[3]", "mixup(n=300)"), ("scratch", "hidden=[3]", "train")]
    assert len(calls) == 1  # one recipe, two candidates, two widths
    # the twin gets the largest step budget of the candidates (the transfer set's), not the 2 epochs of plain kd
    assert trained[0].log.epochs_run == 2 and trained[3].log.epochs_run > 2


def test_the_memory_check_counts_every_candidate_transfer_set_once():
    def allocations(student):
        cfg = ExperimentConfig(name="x", data={"name": "digits"}, surrogates=[{"kind": "tree"}], student=student)
        return {a.knob: a for a in run_allocations(cfg, 1_000, 64, 10) if a.what.startswith("student")}

    mixup = {"augmentation": "mixup", "n_synthetic": 9_000}
    listed = allocations({"candidates": [{"transfer_set": mixup}, {"loss_params": KD_SOFT, "transfer_set": mixup},
                                         {"transfer_set": {**mixup, "n_synthetic": 19_000}}]})
    assert list(listed) == ["student.candidates[2].transfer_set.n_synthetic",
                            "student.candidates[0].transfer_set.n_synthetic"]
    assert listed["student.candidates[0].transfer_set.n_synthetic"].nbytes == 10_000 * (64 * 4 + 10 * 8)
    default = allocations({})  # the default mixup set: as many rows as the training split
    assert [a.what for a in default.values()] == ["student transfer set of 2,000 rows"]
    assert allocations({"candidates": []}) == {}


@pytest.mark.slow
def test_a_run_that_ships_the_scratch_twin_loads_and_says_so(tiny_config, tmp_path, monkeypatch):
    from interpret_distill.experiment import run_experiment
    from interpret_distill.report import render
    from interpret_distill.runs import load_run

    real = students.sweep_students

    def twin_wins(*args, **kwargs):  # the real networks; every scratch twin scores 1.0 on validation
        trained = real(*args, **kwargs)
        for t in trained:
            t.row["val_fidelity"] = 1.0 if t.row["regime"] == "scratch" else min(t.row["val_fidelity"], 0.9)
        return trained

    monkeypatch.setattr(students, "sweep_students", twin_wins)
    run = load_run(run_experiment(tiny_config, tmp_path))
    metrics = run.metrics.set_index("model")
    assert (metrics.loc["student", "regime"], metrics.loc["student", "role"]) == ("scratch", "distilled")
    assert metrics.loc["student", "fidelity"] == metrics.loc["student_scratch", "fidelity"]
    students_sweep = run.sweep[run.sweep.kind == "student"]
    assert set(students_sweep.regime) == {"kd", "kd(T=1,a=1)", f"kd(T=1,a=1)+mixup(n={run.dataset['n_train']})",
                                          "scratch"}
    sentence = render._summary(run)["student"]
    assert sentence.startswith("Distillation did not beat training from scratch on validation: the scratch network "
                               "agrees with the teacher on 1.000 of validation rows, the best distilled candidate (")
    assert "so the shipped student is the scratch network" in sentence
    assert "Distillation did not beat training from scratch" in (run.path / "report.html").read_text()
