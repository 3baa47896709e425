"""Tiny runs whose student is a soft decision tree, or born again: load_run, metrics.csv, attributions, the report."""

from __future__ import annotations

import copy

import pytest

from interpret_distill import load_run
from interpret_distill.artifacts import network_spec
from interpret_distill.config import parse_config
from interpret_distill.experiment import run_experiment
from interpret_distill.models import predict_proba
from interpret_distill.soft_tree import SoftDecisionTree
from tests.conftest import TINY  # the shared tiny config

pytestmark = pytest.mark.slow

STUDENT = {"epochs": 20, "patience": 10, "batch_size": 16}


def tiny(name: str, student: dict) -> dict:
    return {**copy.deepcopy(TINY), "name": name, "student": {**STUDENT, **student},
            "attribution": {"methods": ["integrated_gradients", "feature_ablation"], "examples": 8}}


@pytest.fixture(scope="module")
def soft_tree_run(tmp_path_factory):
    raw = tiny("tiny_soft_tree", {"arch": "soft_tree", "grid": [{"depth": 1}, {"depth": 3}], "beta": 2.0,
                                   "candidates": []})  # one distilled soft tree per depth: no KD candidates
    return load_run(run_experiment(parse_config(raw), tmp_path_factory.mktemp("runs")))


@pytest.fixture(scope="module")
def born_again_run(tmp_path_factory):
    # keep_scratch off: the tiny run's scratch twin may beat both generations on validation and ship instead
    raw = tiny("tiny_born_again", {"born_again": {"generations": 2}, "keep_scratch": False})
    return load_run(run_experiment(parse_config(raw), tmp_path_factory.mktemp("runs")))


def test_a_soft_tree_run_saves_loads_explains_and_reports_its_trees(soft_tree_run):
    run = soft_tree_run
    metrics = run.metrics.set_index("model")
    assert metrics.loc["student", "kind"] == metrics.loc["student_scratch", "kind"] == "soft_tree"
    assert run.manifest["student"]["format"] == "state_dict"  # weights and recipe, read back weights only
    student = run.model("student")
    assert isinstance(student, SoftDecisionTree) and student.beta == 2.0 and student.depth in (1, 3)
    assert metrics.loc["student", "complexity_score"] == sum(p.numel() for p in student.parameters())
    assert abs(run.test_probs["student"] - predict_proba(student, run.X_test)).max() < 1e-6
    assert ("student", "integrated_gradients") in run.attributions
    students = run.sweep[run.sweep.kind == "student"]
    assert sorted(students.params) == ["depth=1", "depth=1", "depth=3", "depth=3"]
    html = (run.path / "report.html").read_text()
    assert 'id="soft-tree"' in html and "axis-aligned tree: test fidelity" in html


def test_a_born_again_run_keeps_both_generations_with_the_teachers_architecture(born_again_run):
    run = born_again_run
    metrics = run.metrics.set_index("model")
    names = {"student", "student_scratch"} | {n for n in metrics.index if n.startswith("student:gen")}
    assert len(names) == 3 and len(run.sweep[run.sweep.kind == "student"]) == 3
    spec = network_spec(run.model("teacher"))
    for name in names:
        assert network_spec(run.model(name)) == spec
        assert metrics.loc[name, "complexity_score"] == metrics.loc["teacher", "complexity_score"]
    assert ("student", "integrated_gradients") in run.attributions
    assert 'id="soft-tree"' not in (run.path / "report.html").read_text()
