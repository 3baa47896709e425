"""Bring your own teacher: TorchScript, state_dict + built-in architecture, factory, nn.Module and callables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from interpret_distill import load_run
from interpret_distill.attribution.forward import is_differentiable
from interpret_distill.config import DataConfig, TeacherConfig, parse_config
from interpret_distill.data import load_dataset
from interpret_distill.errors import ModelFileError, TeacherError
from interpret_distill.models import MLP, SmallCNN, predict_logits
from interpret_distill.teachers import CallableTeacher, resolve_teacher

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    """A CSV with two numeric columns and one categorical column (3 levels): 5 encoded features, 3 classes."""
    tmp = tmp_path_factory.mktemp("shop")
    rng = np.random.default_rng(0)
    n = 90
    colour = rng.choice(["red", "green", "blue"], n)
    a, b = rng.normal(size=n), rng.normal(size=n)
    label = np.where(colour == "red", "keep", np.where(a > 0, "sell", "bin"))
    path = tmp / "shop.csv"
    pd.DataFrame({"a": a, "b": b, "colour": colour, "label": label}).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def dataset(shop):
    return load_dataset(DataConfig(source="csv", path=str(shop), target="label", categorical=["colour"]))


def _reference(seed: int = 0, dropout: float = 0.0) -> nn.Module:
    torch.manual_seed(seed)
    return MLP(5, 3, hidden=[8], dropout=dropout).eval()


def _resolve(dataset, teacher=None, **cfg):
    module, info = resolve_teacher(dataset, TeacherConfig(**cfg), teacher=teacher, use_cache=False, progress=False)
    return module, info


def _raw(dataset, X: np.ndarray) -> np.ndarray:
    """The file's values of standardised rows."""
    return (X * dataset.scale + dataset.offset).astype(np.float32)


def _same_outputs(module: nn.Module, original: nn.Module, dataset) -> None:
    """The resolved teacher, given the pipeline's standardised rows, answers as the original does on raw rows."""
    np.testing.assert_allclose(predict_logits(module, dataset.X_test),
                               predict_logits(original, _raw(dataset, dataset.X_test)), rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------------------------------------- each path

@pytest.mark.parametrize("export", ["script", "trace"])
def test_torchscript_file(tmp_path, dataset, export):
    net = _reference()
    path = tmp_path / "teacher.ts"
    scripted = torch.jit.script(net) if export == "script" else torch.jit.trace(net, torch.zeros(2, 5))
    torch.jit.save(scripted, str(path))
    module, info = _resolve(dataset, checkpoint=str(path))
    assert info["kind"] == "torchscript" and info["source"] == f"checkpoint:{path}" and info["n_params"] == 75
    assert info["inputs"] == "raw"
    _same_outputs(module, net, dataset)
    assert not any(p.requires_grad for p in module.parameters()), "the teacher is frozen"


@pytest.mark.parametrize("dropout_saved, dropout_config", [(0.0, 0.1), (0.2, 0.1), (0.0, 0.0)])
@pytest.mark.parametrize("nested", [False, True])
def test_state_dict_for_the_mlp_architecture(tmp_path, dataset, dropout_saved, dropout_config, nested):
    """Dropout layers shift an MLP's layer numbers; either layout loads (dropout does nothing in eval mode)."""
    net = _reference(dropout=dropout_saved)
    path = tmp_path / "teacher.pt"
    torch.save({"state_dict": net.state_dict()} if nested else net.state_dict(), path)
    module, info = _resolve(dataset, checkpoint=str(path), arch="mlp", hidden=[8], dropout=dropout_config)
    assert info["kind"] == "mlp"
    _same_outputs(module, net, dataset)


def test_state_dict_with_the_wrong_sizes_says_which_sizes_it_has(tmp_path, dataset):
    path = tmp_path / "teacher.pt"
    torch.save(_reference().state_dict(), path)
    with pytest.raises(ModelFileError, match=r"does not fit teacher.arch='mlp'.*hidden: \[8\]"):
        _resolve(dataset, checkpoint=str(path), arch="mlp", hidden=[16, 4])


def test_state_dict_for_the_cnn_architecture(tmp_path):
    rng = np.random.default_rng(0)
    data = tmp_path / "images.npz"
    np.savez(data, X=rng.random((30, 1, 4, 4)), y=np.repeat([0, 1, 2], 10))
    images = load_dataset(DataConfig(source="npz", path=str(data)))
    torch.manual_seed(0)
    net = SmallCNN((1, 4, 4), 3, channels=[2]).eval()
    torch.save(net.state_dict(), tmp_path / "cnn.pt")
    module, info = _resolve(images, checkpoint=str(tmp_path / "cnn.pt"), arch="cnn", channels=[2])
    assert info["kind"] == "cnn"
    _same_outputs(module, net, images)


def test_factory_in_the_current_folder(tmp_path, dataset, monkeypatch):
    (tmp_path / "byo_teachers.py").write_text(
        "import torch\n"
        "def build():\n"
        "    torch.manual_seed(0)\n"
        "    return torch.nn.Sequential(torch.nn.Linear(5, 3))\n"
        "def not_a_module():\n"
        "    return 'hello'\n"
    )
    monkeypatch.chdir(tmp_path)
    module, info = _resolve(dataset, factory="byo_teachers:build")
    assert info["source"] == "factory:byo_teachers:build" and info["kind"] == "custom"
    assert module(torch.zeros(1, 5)).shape == (1, 3)
    with pytest.raises(TeacherError, match="returned str, not a torch.nn.Module"):
        _resolve(dataset, factory="byo_teachers:not_a_module")
    with pytest.raises(TeacherError, match="cannot import teacher.factory 'no_such_module:build'"):
        _resolve(dataset, factory="no_such_module:build")


def test_teacher_trained_on_standardised_features(tmp_path, dataset):
    """teacher.inputs: scaled — e.g. a teacher.pt from an earlier run of this tool — gets the rows unchanged."""
    net = _reference()
    module, info = _resolve(dataset, teacher=net, inputs="scaled")
    assert module is net and info == {"source": "python", "kind": "mlp", "inputs": "scaled", "n_params": 75}
    np.testing.assert_allclose(predict_logits(module, dataset.X_test), predict_logits(net, dataset.X_test))


def test_python_module_and_callables(dataset):
    net = _reference()
    module, info = _resolve(dataset, teacher=net)
    assert module.teacher is net and info == {"source": "python", "kind": "mlp", "inputs": "raw", "n_params": 75}
    _same_outputs(module, net, dataset)

    torch_fn = lambda x: x @ torch.ones(5, 3)  # noqa: E731 - differentiable: gradient methods apply
    module, info = _resolve(dataset, teacher=torch_fn)
    assert isinstance(module.teacher, CallableTeacher) and module.differentiable and info["kind"] == "callable"
    assert is_differentiable(module)

    weights = np.arange(15.0).reshape(5, 3) / 10
    module, _ = _resolve(dataset, teacher=lambda x: x.numpy() @ weights)  # numpy: no gradients
    assert module.differentiable is False and not is_differentiable(module)
    np.testing.assert_allclose(predict_logits(module, dataset.X_test), _raw(dataset, dataset.X_test) @ weights,
                               rtol=1e-5)

    with pytest.raises(TeacherError, match="must be a torch.nn.Module or a callable"):
        _resolve(dataset, teacher="teacher.pt")


@pytest.mark.parametrize("teacher, message", [
    (nn.Linear(5, 4), "outputs 4 values per row but the data has 3 classes"),
    (lambda x: x[:, :2], "outputs 2 values per row but the data has 3 classes"),
    (nn.Linear(7, 3), "failed on inputs with 5 features"),
    (lambda x: torch.full((len(x), 3), float("nan")), "NaN or infinite logits"),
])
def test_teacher_checked_against_the_data(dataset, teacher, message):
    with pytest.raises(TeacherError, match=message):
        _resolve(dataset, teacher=teacher)


def test_binary_single_logit_hint(tmp_path):
    path = tmp_path / "binary.npz"
    np.savez(path, X=np.random.default_rng(0).normal(size=(20, 3)), y=np.repeat([0, 1], 10))
    binary = load_dataset(DataConfig(source="npz", path=str(path)))
    with pytest.raises(TeacherError, match=r"torch.cat\(\[-z / 2, z / 2\], dim=1\)"):
        _resolve(binary, teacher=nn.Linear(3, 1))


# ---------------------------------------------------------------------------------------------- end to end

def _config(shop, name: str) -> object:
    return parse_config({
        "name": name, "seed": 0, "progress": False, "n_jobs": 1,
        "data": {"source": "csv", "path": str(shop), "target": "label", "categorical": ["colour"]},
        "student": {"hidden": [4], "epochs": 2, "batch_size": 16},
        "surrogates": [{"kind": "tree", "params": {"max_depth": 2}}, {"kind": "linear"}],
        "regimes": ["hard", "soft"],
        "attribution": {"methods": ["integrated_gradients", "feature_ablation", "native"], "examples": 5},
    })


def test_width_is_checked_before_anything_is_trained(shop, tmp_path, monkeypatch):
    from interpret_distill import experiment

    def must_not_train(*args, **kwargs):
        raise AssertionError("a student was trained before the teacher was checked")

    monkeypatch.setattr(experiment, "sweep_students", must_not_train)
    with pytest.raises(TeacherError, match="outputs 2 values per row"):
        experiment.run_experiment(_config(shop, "wide"), tmp_path, teacher=nn.Linear(5, 2))
    assert not any(tmp_path.iterdir())


def test_run_experiment_with_an_nn_module(shop, tmp_path):
    from interpret_distill.experiment import run_experiment

    class Custom(nn.Module):  # not one of the built-in architectures: saved by tracing
        def __init__(self):
            super().__init__()
            self.body = _reference(seed=3)

        def forward(self, x):
            return self.body(x) * 2.0

    net = Custom()
    run = load_run(run_experiment(_config(shop, "module"), tmp_path, teacher=net, report=False))
    assert run.info["teacher"]["source"] == "python" and run.info["teacher"]["inputs"] == "raw"
    assert run.metrics.set_index("model").loc["teacher", "kind"] == "custom"
    scaling = run.dataset["scaling"]
    raw = (run.X_test * np.asarray(scaling["scale"]) + np.asarray(scaling["offset"])).astype(np.float32)
    # the saved teacher (traced, scaling included) takes the run's standardised rows, as every model of the run does
    np.testing.assert_allclose(predict_logits(run.model("teacher"), run.X_test), predict_logits(net, raw),
                               rtol=1e-5, atol=1e-5)
    assert ("teacher", "integrated_gradients") in run.attributions


def test_run_experiment_with_a_numpy_callable(shop, tmp_path):
    """Gradient methods are skipped for a teacher without gradients; the model file is marked unavailable."""
    from interpret_distill.experiment import run_experiment

    weights = np.random.default_rng(1).normal(size=(5, 3))
    run_dir = run_experiment(_config(shop, "callable"), tmp_path, teacher=lambda x: x.numpy() @ weights)
    run = load_run(run_dir)
    assert ("teacher", "feature_ablation") in run.attributions
    assert ("teacher", "integrated_gradients") not in run.attributions
    assert ("student", "integrated_gradients") in run.attributions
    with pytest.raises(ModelFileError, match="not saved with the run"):
        run.model("teacher")
    assert (run_dir / "report.html").is_file()
