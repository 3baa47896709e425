"""Bring your own teacher end to end: a run with an nn.Module or a numpy callable as the teacher (each way of
loading one: test_teachers.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill import load_run
from interpret_distill.config import parse_config
from interpret_distill.errors import ModelFileError, TeacherError
from interpret_distill.models import MLP, predict_logits

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


def _reference(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return MLP(5, 3, hidden=[8]).eval()


def _config(shop_csv, name: str) -> object:
    return parse_config({
        "name": name, "seed": 0, "progress": False, "n_jobs": 1,
        "data": {"source": "csv", "path": str(shop_csv), "target": "label", "categorical": ["colour"]},
        "student": {"hidden": [4], "epochs": 2, "batch_size": 16},
        "surrogates": [{"kind": "tree", "params": {"max_depth": 2}}, {"kind": "linear"}],
        "regimes": ["hard", "soft"],
        "attribution": {"methods": ["integrated_gradients", "feature_ablation", "native"], "examples": 5},
    })


def test_width_is_checked_before_anything_is_trained(shop_csv, tmp_path, monkeypatch):
    from interpret_distill import experiment, students

    def must_not_train(*args, **kwargs):
        raise AssertionError("a student was trained before the teacher was checked")

    monkeypatch.setattr(students, "sweep_students", must_not_train)
    with pytest.raises(TeacherError, match="outputs 2 values per row"):
        experiment.run_experiment(_config(shop_csv, "wide"), tmp_path, teacher=nn.Linear(5, 2))
    assert not any(tmp_path.iterdir())


@pytest.mark.slow
def test_run_experiment_with_an_nn_module(shop_csv, tmp_path):
    from interpret_distill.experiment import run_experiment

    class Custom(nn.Module):  # not one of the built-in architectures: saved by tracing
        def __init__(self):
            super().__init__()
            self.body = _reference(seed=3)

        def forward(self, x):
            return self.body(x) * 2.0

    net = Custom()
    run = load_run(run_experiment(_config(shop_csv, "module"), tmp_path, teacher=net, report=False))
    assert run.info["teacher"]["source"] == "python" and run.info["teacher"]["inputs"] == "raw"
    assert run.metrics.set_index("model").loc["teacher", "kind"] == "custom"
    scaling = run.dataset["scaling"]
    raw = (run.X_test * np.asarray(scaling["scale"]) + np.asarray(scaling["offset"])).astype(np.float32)
    # the saved teacher (traced, scaling included) takes the run's standardised rows, as every model of the run does
    np.testing.assert_allclose(predict_logits(run.model("teacher"), run.X_test), predict_logits(net, raw),
                               rtol=1e-5, atol=1e-5)
    assert ("teacher", "integrated_gradients") in run.attributions


@pytest.mark.slow
def test_run_experiment_with_a_numpy_callable(shop_csv, tmp_path):
    """Gradient methods are skipped for a teacher without gradients; the model file is marked unavailable."""
    from interpret_distill.experiment import run_experiment

    weights = np.random.default_rng(1).normal(size=(5, 3))
    run_dir = run_experiment(_config(shop_csv, "callable"), tmp_path, teacher=lambda x: x.numpy() @ weights)
    run = load_run(run_dir)
    assert ("teacher", "feature_ablation") in run.attributions
    assert ("teacher", "integrated_gradients") not in run.attributions
    assert ("student", "integrated_gradients") in run.attributions
    with pytest.raises(ModelFileError, match="not saved with the run"):
        run.model("teacher")
    assert (run_dir / "report.html").is_file()
