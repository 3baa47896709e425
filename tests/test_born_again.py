"""Born-again students: the teacher's own architecture, and each generation distilled from the one before."""

import json

import pytest
import torch
from torch import nn

import interpret_distill.students as students
from interpret_distill.artifacts import network_spec
from interpret_distill.config import StudentConfig, parse_config
from interpret_distill.data import load_dataset
from interpret_distill.errors import ConfigError
from interpret_distill.metrics import fidelity
from interpret_distill.models import build_network, predict_proba


@pytest.fixture(scope="module")
def iris_teacher():
    cfg = parse_config({"name": "s", "data": {"name": "iris", "val_size": 0.2}})
    dataset = load_dataset(cfg.data, 0)
    torch.manual_seed(0)
    teacher = build_network("mlp", 4, 3, hidden=[6, 5], dropout=0.1).eval()  # an untrained teacher will do
    probs = {s: predict_proba(teacher, dataset.split(s)[0]) for s in ("val", "test")}
    return dataset, teacher, probs


def test_born_again_students_have_the_teachers_architecture_and_generation_2_learns_from_generation_1(
        iris_teacher, monkeypatch):
    dataset, teacher, probs = iris_teacher
    taught_by = []  # the teacher each distilled generation was trained on
    distill = students.distill_student
    monkeypatch.setattr(students, "distill_student",
                        lambda ds, t, *a, **k: taught_by.append(t) or distill(ds, t, *a, **k))
    cfg = StudentConfig(born_again={"generations": 2}, epochs=3, patience=3)
    trained = students.sweep_students(dataset, teacher, cfg, probs, seed=0, progress=False)

    assert [t.row["regime"] for t in trained] == ["kd", "kd", "scratch"]
    for t in trained:  # same layers, widths and dropout as the teacher: its recipe, not the student section's
        assert network_spec(t.module) == network_spec(teacher)
        assert [p.shape for p in t.module.parameters()] == [p.shape for p in teacher.parameters()]
    gen1, gen2, _ = trained
    assert taught_by[0] is teacher and taught_by[1] is gen1.module  # generation 2 trains on generation 1
    assert [json.loads(t.row["params_json"]).get("generation") for t in trained] == [1, 2, None]
    assert gen1.row["transfer"] == "train" and gen2.row["transfer"] == "train, labelled by generation 1"
    assert gen1.row["params"] == gen2.row["params"] == trained[2].row["params"]  # one scratch twin for both
    # both generations are scored against the original teacher
    X_test, _ = dataset.split("test")
    assert gen2.row["test_fidelity"] == fidelity(predict_proba(gen2.module, X_test), probs["test"])


def test_fit_students_keeps_every_generation(iris_teacher, tiny_config):
    dataset, teacher, probs = iris_teacher
    cfg = tiny_config.model_copy(update={"student": StudentConfig(born_again={"generations": 2}, epochs=2,
                                                                  patience=2)})
    models, sweep, logs = students.fit_students(cfg, dataset, teacher, probs)
    names = {m.name: m for m in models}
    assert set(names) in ({"student", "student_scratch", "student:gen1"}, {"student", "student_scratch",
                                                                           "student:gen2"})
    assert all(m.kind == "mlp" and m.family == "student" for m in models)
    assert names["student_scratch"].role == "baseline" and len(sweep) == 3


def test_born_again_needs_a_teacher_of_a_built_in_architecture(iris_teacher):
    dataset, _, _ = iris_teacher
    user_teacher = nn.Sequential(nn.Linear(4, 3))
    with pytest.raises(ConfigError, match="student.born_again needs a teacher of a built-in architecture"):
        students.build_student(dataset, StudentConfig(born_again={"generations": 1}), 0, user_teacher)
