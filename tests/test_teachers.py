"""Teachers (interpret_distill.teachers): your own as TorchScript, state_dict, factory, nn.Module or callable,
checked against the data; files that would run code refused; trained teachers cached."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill.attribution.forward import is_differentiable
from interpret_distill.config import DataConfig, TeacherConfig
from interpret_distill.data import load_dataset
from interpret_distill.errors import ModelFileError, TeacherError
from interpret_distill.models import MLP, SmallCNN, predict_logits, predict_proba
from interpret_distill.teachers import (
    CallableTeacher,
    existing_checkpoint,
    load_checkpoint,
    resolve_teacher,
    teacher_cache_key,
    train_teacher,
)
from tests._payload import Payload

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


@pytest.fixture(scope="module")
def dataset(shop_csv):
    return load_dataset(DataConfig(source="csv", path=str(shop_csv), target="label", categorical=["colour"]))


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


# ----------------------------------------------------------------------------------------- checkpoint files

def _small_dataset(tmp_path) -> object:
    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    np.savez(path, X=rng.normal(size=(30, 2)), y=np.repeat([0, 1, 2], 10))
    return load_dataset(DataConfig(source="npz", path=str(path)))


@pytest.mark.parametrize("writer", ["torch.save", "pickle protocol 2", "pickle default protocol"])
def test_malicious_teacher_checkpoint_is_refused_and_never_executed(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "teacher.pt"
    payload = {"state_dict": {"0.weight": Payload(marker)}}
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2 if writer.endswith("2") else None))
    with pytest.raises(ModelFileError, match="could run code, so it was refused"):
        load_checkpoint(path, TeacherConfig(hidden=[]), _small_dataset(tmp_path))
    assert not marker.exists(), "loading the checkpoint executed code"


def test_existing_checkpoint_names_a_missing_file_a_folder_and_an_empty_file(tmp_path):
    with pytest.raises(ModelFileError, match="teacher checkpoint not found"):
        existing_checkpoint(tmp_path / "teacher.pt")
    (tmp_path / "weights").mkdir()
    with pytest.raises(ModelFileError, match="is a folder; name the TorchScript or state_dict file"):
        existing_checkpoint(tmp_path / "weights")
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(ModelFileError, match="empty"):
        existing_checkpoint(tmp_path / "empty.pt")
    torch.save({"w": torch.zeros(1)}, tmp_path / "ok.pt")
    assert existing_checkpoint(tmp_path / "ok.pt") == tmp_path / "ok.pt"


# --------------------------------------------------------------------------------------- the teacher cache

def test_teacher_is_cached_by_data_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERPRET_DISTILL_CACHE", str(tmp_path))
    from interpret_distill.config import DataConfig

    ds = load_dataset(DataConfig(source="sklearn", name="iris"), seed=0)
    cfg = TeacherConfig(hidden=[8], epochs=3, batch_size=16)
    first, info1 = train_teacher(ds, cfg, seed=0, progress=False)
    second, info2 = train_teacher(ds, cfg, seed=0, progress=False)
    assert (info1["cached"], info2["cached"]) == (False, True)
    np.testing.assert_array_equal(predict_proba(first, ds.X_test), predict_proba(second, ds.X_test))
    assert teacher_cache_key(ds, cfg, 0) != teacher_cache_key(ds, cfg, 1)
    assert teacher_cache_key(ds, cfg, 0) != teacher_cache_key(ds, TeacherConfig(hidden=[8], epochs=4), 0)


def test_a_cache_that_cannot_be_written_warns_and_the_teacher_is_still_returned(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("INTERPRET_DISTILL_CACHE", str(blocker))  # a file where the cache folder should be
    from interpret_distill.config import DataConfig

    ds = load_dataset(DataConfig(source="sklearn", name="iris"), seed=0)
    with pytest.warns(UserWarning, match="not cached .*INTERPRET_DISTILL_CACHE"):
        module, info = train_teacher(ds, TeacherConfig(hidden=[8], epochs=2, batch_size=16), seed=0, progress=False)
    assert info["cached"] is False and predict_proba(module, ds.X_test).shape == (len(ds.y_test), 3)
