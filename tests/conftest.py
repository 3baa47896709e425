"""Shared fixtures: an isolated teacher cache and tiny, fast experiment configs."""

from __future__ import annotations

import copy

import pytest

TINY = {
    "name": "tiny",
    "seed": 0,
    "data": {"source": "sklearn", "name": "iris", "test_size": 0.25, "val_size": 0.2},
    "teacher": {"arch": "mlp", "hidden": [16], "epochs": 30, "patience": 10, "batch_size": 16},
    "transfer": {"temperature": 2.0, "augmentation": "mixup", "n_synthetic": 100},
    "student": {"arch": "mlp", "grid": [{"hidden": [2]}, {"hidden": [4]}], "epochs": 20, "patience": 10,
                "batch_size": 16},
    "surrogates": [
        {"kind": "tree", "grid": [{"max_depth": 1}, {"max_depth": 3}]},
        {"kind": "linear", "params": {"C": 1.0}},
        {"kind": "naive_bayes"},
    ],
    "attribution": {"methods": ["integrated_gradients", "feature_ablation", "native"], "examples": 12},
    "n_jobs": 1,
    "progress": False,
}


@pytest.fixture(autouse=True)
def _isolated_teacher_cache(tmp_path_factory, monkeypatch):
    """Every test session caches teachers in its own folder, never in the user's ~/.cache."""
    monkeypatch.setenv("INTERPRET_DISTILL_CACHE", str(tmp_path_factory.getbasetemp() / "teacher-cache"))


@pytest.fixture
def tiny_raw():
    """A raw config mapping (iris, tiny networks, few epochs) that tests may modify."""
    return copy.deepcopy(TINY)


@pytest.fixture
def tiny_config(tiny_raw):
    from interpret_distill.config import parse_config

    return parse_config(tiny_raw)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One tiny experiment run end to end (shared by the tests that only read its outputs)."""
    from interpret_distill.config import parse_config
    from interpret_distill.experiment import run_experiment

    out = tmp_path_factory.mktemp("runs")
    return run_experiment(parse_config(copy.deepcopy(TINY)), out)
