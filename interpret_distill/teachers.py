"""The teacher: trained here with early stopping (and cached on disk), or the user's own network."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .config import TeacherConfig
from .data import Dataset
from .errors import ModelFileError, UserInputError
from .models import build_network, count_parameters, predict_logits
from .training import train_network


def cache_dir() -> Path:
    """Where trained teachers are cached (``$INTERPRET_DISTILL_CACHE`` or ``~/.cache/interpret_distill``)."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "interpret_distill"
    return Path(os.environ.get("INTERPRET_DISTILL_CACHE", default)) / "teachers"


def _architecture_sizes(cfg: TeacherConfig) -> dict:
    return {"hidden": cfg.hidden, "channels": cfg.channels, "dropout": cfg.dropout}


def teacher_cache_key(dataset: Dataset, cfg: TeacherConfig, seed: int) -> str:
    """Hash of everything that determines the trained teacher: data, settings, seed, torch version."""
    payload = json.dumps(
        {"data": dataset.fingerprint(), "teacher": cfg.model_dump(), "seed": seed, "torch": torch.__version__},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def accuracy_score_fn(X: np.ndarray, y: np.ndarray) -> Callable[[nn.Module], float]:
    """A validation score: accuracy of a module on ``(X, y)``."""
    return lambda module: float((predict_logits(module, X).argmax(1) == y).mean())


def train_teacher(dataset: Dataset, cfg: TeacherConfig, seed: int = 0, *, use_cache: bool = True,
                  progress: bool = True) -> tuple[nn.Module, dict]:
    """Train the teacher with early stopping on validation accuracy, reusing a cached one when possible.

    Args:
        dataset: the splits; only train and validation are used.
        cfg: the ``teacher`` config section.
        seed: seeds initialisation, dropout and shuffling.
        use_cache: read and write the on-disk cache keyed by :func:`teacher_cache_key`.
        progress: show a progress bar.

    Returns:
        The trained module (eval mode) and an info dict (``cached``, ``log``, ``cache_key``).

    Example:
        >>> teacher, info = train_teacher(load_dataset(DataConfig(name="iris")), TeacherConfig(epochs=5))
    """
    key = teacher_cache_key(dataset, cfg, seed)
    path = cache_dir() / f"{key}.pt"
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = build_network(cfg.arch, dataset.n_features, dataset.n_classes, dataset.image_shape,
                               **_architecture_sizes(cfg))
    if use_cache and path.is_file():
        try:
            saved = torch.load(path, weights_only=True)
            module.load_state_dict(saved["state_dict"])
            module.eval()
            return module, {"cached": True, "cache_key": key, "log": json.loads(saved["log"])}
        except Exception:
            pass  # a stale or corrupt cache entry is simply retrained and overwritten

    def step_loss(net, xb, yb, _generator):
        return F.cross_entropy(net(xb), yb)

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        log = train_network(
            module, dataset.X_train, dataset.y_train, step_loss, accuracy_score_fn(dataset.X_val, dataset.y_val),
            epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, weight_decay=cfg.weight_decay,
            patience=cfg.patience, seed=seed, progress=progress, desc="teacher",
        )
    if use_cache:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save({"state_dict": module.state_dict(), "log": json.dumps(log.as_dict())}, tmp)
        tmp.replace(path)
    return module, {"cached": False, "cache_key": key, "log": log.as_dict()}


def _load_weights(path: Path) -> dict:
    """``torch.load`` restricted to tensors: a pickle that would run code is refused."""
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError:
        raise ModelFileError(
            f"{path} contains pickled Python objects that could run code, so it was refused; "
            "save only tensors with torch.save(model.state_dict(), path) or export TorchScript"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as exc:
        raise ModelFileError(f"{path} is not a readable PyTorch checkpoint ({type(exc).__name__}); re-save it") from None


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives carry a ``code/`` folder; state_dict archives do not."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any("/code/" in name for name in archive.namelist())


def load_checkpoint(path: str | Path, cfg: TeacherConfig, dataset: Dataset) -> nn.Module:
    """Load a user's teacher from a TorchScript file, or a ``state_dict`` for the built-in ``cfg.arch``.

    Args:
        path: the checkpoint file.
        cfg: the teacher config (its ``arch`` and sizes describe a ``state_dict``).
        dataset: gives the input and output widths.

    Returns:
        The module in eval mode.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"teacher checkpoint not found: {path}; check teacher.checkpoint")
    if _is_torchscript(path):
        try:
            return torch.jit.load(str(path), map_location="cpu").eval()
        except RuntimeError as exc:
            raise ModelFileError(f"{path} is a corrupt TorchScript archive: {str(exc).splitlines()[0]}") from None
    state = _load_weights(path)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{path} does not hold a state_dict (a mapping of names to tensors)")
    module = build_network(cfg.arch, dataset.n_features, dataset.n_classes, dataset.image_shape,
                           **_architecture_sizes(cfg))
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        first = str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else str(exc)
        raise ModelFileError(
            f"{path} does not fit teacher.arch={cfg.arch!r} with the configured sizes ({first}); "
            "set teacher.arch / hidden / channels to the architecture it was saved from"
        ) from None
    return module.eval()


def load_factory(spec: str) -> nn.Module:
    """Call a ``package.module:function`` entry point that returns an ``nn.Module`` (this runs that code)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UserInputError(f"teacher.factory {spec!r} must look like 'package.module:function'")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UserInputError(f"cannot import teacher.factory {spec!r}: {exc}; is the package on PYTHONPATH?") from None
    model = factory()
    if not isinstance(model, nn.Module):
        raise UserInputError(f"teacher.factory {spec!r} returned {type(model).__name__}, not a torch.nn.Module")
    return model.eval()


class CallableTeacher(nn.Module):
    """Wraps any callable ``tensor -> logits`` so the pipeline can treat it as a module."""

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.fn = fn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(self.fn(x), dtype=torch.float32)


def check_output_width(module: nn.Module, dataset: Dataset) -> None:
    """Refuse a teacher whose number of outputs differs from the number of classes, before any training."""
    try:
        out = predict_logits(module, dataset.X_train[:2])
    except Exception as exc:  # a user's network can fail in any way on the wrong input width
        raise UserInputError(
            f"the teacher failed on inputs with {dataset.n_features} features ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}); it must take (n, {dataset.n_features}) float rows"
        ) from None
    if out.ndim != 2 or out.shape[1] != dataset.n_classes:
        raise UserInputError(
            f"the teacher outputs {out.shape[-1]} values per row but the data has {dataset.n_classes} classes "
            f"({', '.join(dataset.class_names[:10])}); give a teacher with {dataset.n_classes} outputs"
        )


def resolve_teacher(dataset: Dataset, cfg: TeacherConfig, seed: int = 0, *, teacher: nn.Module | Callable | None = None,
                    use_cache: bool = True, progress: bool = True) -> tuple[nn.Module, dict]:
    """The teacher for an experiment: the one passed in, a configured file or factory, or a trained one."""
    if teacher is not None:
        module = teacher if isinstance(teacher, nn.Module) else CallableTeacher(teacher)
        info = {"source": "python"}
    elif cfg.checkpoint:
        module, info = load_checkpoint(cfg.checkpoint, cfg, dataset), {"source": f"checkpoint:{cfg.checkpoint}"}
    elif cfg.factory:
        module, info = load_factory(cfg.factory), {"source": f"factory:{cfg.factory}"}
    else:
        check_output_width_arch(cfg, dataset)
        module, info = train_teacher(dataset, cfg, seed, use_cache=use_cache, progress=progress)
        info["source"] = "trained"
    check_output_width(module, dataset)
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)  # the teacher is frozen: students and attributions never update it
    info["n_params"] = count_parameters(module)
    return module, info


def check_output_width_arch(cfg: TeacherConfig, dataset: Dataset) -> None:
    """Fail early with a clear message when the built-in architecture cannot take this data."""
    try:
        build_network(cfg.arch, dataset.n_features, dataset.n_classes, dataset.image_shape, **_architecture_sizes(cfg))
    except ValueError as exc:
        raise UserInputError(f"teacher.arch: {exc}") from None

