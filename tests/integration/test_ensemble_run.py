"""An ensemble of two brought teachers that disagree on a known region, end to end: the surrogates follow the
ensemble, and the per-member table shows the disagreement with the numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill import load_run
from interpret_distill.config import parse_config
from interpret_distill.ensemble import EnsembleTeacher
from interpret_distill.models import predict_proba

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")]


class Halves(nn.Module):
    """Class 1 where x1 > 0 (logit 6 tanh(8 x1), at most 6); with ``flip_region`` class 1 with logit 10 where x0 > 1."""

    def __init__(self, flip_region: bool):
        super().__init__()
        self.flip_region = flip_region

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = 6.0 * torch.tanh(8.0 * x[:, 1])
        if self.flip_region:
            z = torch.where(x[:, 0] > 1.0, torch.full_like(z, 10.0), z)
        return torch.stack([torch.zeros_like(z), z], dim=1)


def _grid() -> np.ndarray:
    """8 × 8 test points: x0 in ±{0.25, 0.75, 1.25, 1.75}, x1 in ±{0.125, 0.375, 0.625, 0.875}."""
    x0, x1 = np.linspace(-1.75, 1.75, 8), np.linspace(-0.875, 0.875, 8)
    return np.array([[a, b] for a in x0 for b in x1], dtype=np.float32)


@pytest.fixture
def ensemble_files(tmp_path):
    rng = np.random.default_rng(0)
    X_train = np.column_stack([rng.uniform(-2, 2, 600), rng.uniform(-1, 1, 600)]).astype(np.float32)
    X_test = _grid()
    np.savez(tmp_path / "halves.npz", X_train=X_train, y_train=(X_train[:, 1] > 0).astype(int), X_test=X_test,
             y_test=(X_test[:, 1] > 0).astype(int))  # the labels are member A's classes
    for name, flip in (("a.ts", False), ("b.ts", True)):
        torch.jit.save(torch.jit.script(Halves(flip)), str(tmp_path / name))
    return tmp_path


def _config(folder, combine: str) -> object:
    return parse_config({
        "name": f"ensemble_{combine}", "seed": 0, "progress": False, "n_jobs": 1,
        "data": {"source": "npz", "path": str(folder / "halves.npz")},
        "teacher": {"members": [{"checkpoint": str(folder / "a.ts")}, {"checkpoint": str(folder / "b.ts")}],
                    "combine": combine},
        "student": {"hidden": [8], "epochs": 20, "batch_size": 64},
        "surrogates": [{"kind": "tree", "grid": [{"max_depth": 2}, {"max_depth": 3}]}],
        "regimes": ["ground_truth", "soft"],
        "attribution": {"methods": ["integrated_gradients", "native"], "examples": 8},
    })


@pytest.mark.parametrize("combine", ["probabilities", "logits"])
def test_an_ensemble_of_two_disagreeing_teachers(ensemble_files, tmp_path, combine):
    from interpret_distill.experiment import run_experiment

    run = load_run(run_experiment(_config(ensemble_files, combine), tmp_path / "runs"))
    # On the test grid the members disagree where x0 > 1 and x1 < 0: 2 of 8 x0 values times 4 of 8 x1 values,
    # 8 of 64 rows. There A says class 0 with a logit margin below 6, B class 1 with margin 10; with two classes
    # both averages side with the larger margin, so the ensemble is B everywhere.
    share = 8 / 64
    members = run.members.set_index("model")
    assert members.loc["member_0", "accuracy"] == 1.0  # the labels are A's classes
    assert members.loc["member_1", "accuracy"] == pytest.approx(1 - share)
    assert members.loc["member_0", "fidelity_member_1"] == pytest.approx(1 - share)  # the disagreement
    teacher = members.loc["teacher"]
    assert (teacher.accuracy, teacher.fidelity_member_0, teacher.fidelity_member_1) == pytest.approx(
        (1 - share, 1 - share, 1.0))
    # the distilled tree follows the ensemble, so it agrees with A only outside the region
    tree = members.loc["tree:soft"]
    assert (tree.fidelity, tree.fidelity_member_0, tree.fidelity_member_1) == pytest.approx((1.0, 1 - share, 1.0))
    # while the tree fitted on the labels (A's classes) follows A
    assert members.loc["tree:ground_truth", "fidelity_member_0"] == 1.0
    assert set(members.index) >= {"student", "student_scratch"}
    assert run.info["teacher"]["combine"] == combine and run.info["teacher"]["kind"] == "ensemble"

    # saved as its members' files (TorchScript here) and the way they are combined; loaded back without pickle
    manifest = run.manifest["teacher"]
    assert manifest["format"] == "ensemble" and [m["format"] for m in manifest["members"]] == ["torchscript"] * 2
    loaded = run.model("teacher")
    assert isinstance(loaded, EnsembleTeacher) and loaded.combine == combine
    np.testing.assert_allclose(predict_proba(loaded, run.X_test), run.test_probs["teacher"], atol=1e-6)
    assert ("teacher", "integrated_gradients") in run.attributions
    html = (run.path / "report.html").read_text()
    assert 'id="ensemble"' in html and "test fidelity to member_1" in html
