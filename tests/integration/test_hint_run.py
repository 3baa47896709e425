"""Hint distillation end to end on digits: a CNN student hinted by a CNN teacher trained here, and by a brought
TorchScript teacher, through metrics.csv, the saved models, attributions and the report."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill import load_run
from interpret_distill.config import parse_config
from interpret_distill.models import SmallCNN, predict_proba

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning"),
              pytest.mark.filterwarnings("ignore:.*test split was drawn here:UserWarning")]


def _scripted_teacher(path) -> None:
    torch.manual_seed(0)
    features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 8, 3, padding=1), nn.ReLU())
    head = nn.Sequential(nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 16, 10))
    torch.jit.save(torch.jit.script(nn.Sequential(OrderedDict(features=features, head=head)).eval()), str(path))


@pytest.mark.parametrize("source", ["trained", "torchscript"])
def test_a_hinted_cnn_student_runs_end_to_end(tmp_path, source):
    from interpret_distill.experiment import run_experiment

    teacher = {"arch": "cnn", "channels": [4, 8], "epochs": 3, "batch_size": 128}
    if source == "torchscript":
        _scripted_teacher(tmp_path / "teacher.ts")
        teacher = {"checkpoint": str(tmp_path / "teacher.ts"), "input_layout": "image", "inputs": "scaled"}
    cfg = parse_config({
        "name": f"hints_{source}", "seed": 0, "progress": False, "n_jobs": 1,
        "data": {"name": "digits"}, "teacher": teacher,
        "student": {"arch": "cnn", "channels": [2, 4], "loss": "hint", "loss_params": {"hint_weight": 0.5},
                    "teacher_layer": "features.3", "student_layer": "features.3", "hint_epochs": 2, "epochs": 3,
                    "batch_size": 128},
        "surrogates": [{"kind": "tree", "params": {"max_depth": 2}}],
        "regimes": ["soft"],
        "attribution": {"methods": ["integrated_gradients", "native"], "examples": 5},
    })
    run = load_run(run_experiment(cfg, tmp_path / "runs"))
    metrics = run.metrics.set_index("model")
    assert metrics.loc["student", "regime"] == "hint" and metrics.loc["student_scratch", "regime"] == "scratch"
    assert metrics.loc["student", "kind"] == "cnn"
    assert set(run.sweep[run.sweep.kind == "student"].regime) == {"hint", "scratch"}
    student = run.model("student")  # the plain network: the regressor is not part of it
    assert isinstance(student, SmallCNN) and run.manifest["student"]["format"] == "state_dict"
    np.testing.assert_allclose(predict_proba(student, run.X_test), run.test_probs["student"], atol=1e-6)
    assert ("student", "integrated_gradients") in run.attributions
    assert run.config["student"]["teacher_layer"] == "features.3"
    assert "hint" in (run.path / "report.html").read_text()
