"""The teacher: trained here with early stopping (and cached on disk), or the user's own network."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import pickle
import re
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from .config import TeacherConfig
from .data import Dataset
from .errors import ConfigError, ModelFileError, TeacherError, first_line
from .models import ImageInput, build_network, count_parameters, load_torchscript, predict_logits
from .training import TASK_TRAINING, train_network


def cache_dir() -> Path:
    """Where trained teachers are cached (``$INTERPRET_DISTILL_CACHE`` or ``~/.cache/interpret_distill``).

    Read on every call, so a changed environment variable takes effect at once.

    Returns:
        The ``teachers`` folder inside ``$INTERPRET_DISTILL_CACHE``, or else inside
        ``$XDG_CACHE_HOME/interpret_distill`` (default ``~/.cache/interpret_distill``); it may not exist yet.

    Example:
        >>> cache_dir().name
        'teachers'
    """
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "interpret_distill"
    return Path(os.environ.get("INTERPRET_DISTILL_CACHE", default)) / "teachers"


def _architecture_sizes(cfg: TeacherConfig) -> dict:
    return {"hidden": cfg.hidden, "channels": cfg.channels, "blocks": cfg.blocks, "dropout": cfg.dropout}


# Bumped when training itself changes (e.g. how early stopping scores epochs), so stale cached teachers retrain.
TRAINER_VERSION = 3


def teacher_cache_key(dataset: Dataset, cfg: TeacherConfig, seed: int) -> str:
    """Hash of everything that determines the trained teacher: data, settings, seed, torch version.

    The trainer's version (``TRAINER_VERSION``) is part of it too, so a changed training loop retrains.

    Args:
        dataset: its :meth:`~interpret_distill.data.Dataset.fingerprint` (train and validation data) is hashed.
        cfg: the ``teacher`` config section (every field).
        seed: the training seed.

    Returns:
        20 hexadecimal characters.

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> key = teacher_cache_key(ds, TeacherConfig(), seed=0)
        >>> len(key), key == teacher_cache_key(ds, TeacherConfig(), seed=1)
        (20, False)
    """
    payload = json.dumps(
        # an ensemble's fields are left out: a member's key is the key of the same teacher trained alone
        # epoch_rows past the training rows changes nothing, and leaving it out keeps teachers cached before it existed
        {"data": dataset.fingerprint(), "seed": seed,
         "teacher": cfg.model_dump(exclude={"members", "combine"}
                                   | ({"epoch_rows"} if cfg.epoch_rows >= len(dataset.X_train) else set())),
         "torch": torch.__version__,
         "trainer": TRAINER_VERSION},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


def train_teacher(dataset: Dataset, cfg: TeacherConfig, seed: int = 0, *, use_cache: bool = True,
                  progress: bool = True, device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """Train the teacher with early stopping on validation log-likelihood, reusing a cached one when possible.

    A regression teacher has one output, trains on the mean squared error and stops early on validation MSE.

    Args:
        dataset: the splits; only train and validation are used.
        cfg: the ``teacher`` config section.
        seed: seeds initialisation, dropout and shuffling.
        use_cache: read and write the on-disk cache keyed by :func:`teacher_cache_key`.
        progress: show a progress bar.
        device: where it trains (initialised on the CPU first, so every device starts from the same weights).

    Returns:
        The trained module (eval mode) and an info dict (``cached``, ``log``, ``cache_key``).

    Example:
        >>> teacher, info = train_teacher(load_dataset(DataConfig(name="iris")), TeacherConfig(epochs=5))  # doctest: +SKIP
    """
    key = teacher_cache_key(dataset, cfg, seed)
    path = cache_dir() / f"{key}.pt"
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        module = build_network(cfg.arch, dataset.n_features, dataset.n_outputs, dataset.image_shape,
                               **_architecture_sizes(cfg)).to(device)
    if use_cache and path.is_file():
        try:
            saved = torch.load(path, weights_only=True, map_location=device)
            module.load_state_dict(saved["state_dict"])
            module.eval()
            return module, {"cached": True, "cache_key": key, "log": json.loads(saved["log"])}
        except Exception:
            pass  # a stale or corrupt cache entry is simply retrained and overwritten

    task = TASK_TRAINING[dataset.task]

    def step_loss(net, xb, yb, _generator):
        return task.label_loss(net(xb), yb)

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        log = train_network(
            module, dataset.X_train, dataset.y_train, step_loss, task.teacher_score(dataset.X_val, dataset.y_val),
            epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, weight_decay=cfg.weight_decay,
            patience=cfg.patience, seed=seed, epoch_rows=cfg.epoch_rows, progress=progress, desc="teacher",
        )
    if use_cache:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            torch.save({"state_dict": module.state_dict(), "log": json.dumps(log.as_dict())}, tmp)
            tmp.replace(path)
        except OSError as exc:  # the cache only saves time: a run must not fail on it
            warnings.warn(f"the trained teacher was not cached ({exc.strerror or exc}) in {path.parent}; point "
                          "$INTERPRET_DISTILL_CACHE at a folder you can write to", stacklevel=2)
    return module, {"cached": False, "cache_key": key, "log": log.as_dict()}


_REFUSED = ("unsupported global", "unsupported class", "blocked", "unsupported operand")


def _load_weights(path: Path) -> dict:
    """``torch.load(weights_only=True)``: tensors and plain containers only; a pickle that would run code is refused.

    Raises:
        ModelFileError: the file holds other Python objects (refused, never executed), or is not a checkpoint.
    """
    with open(path, "rb") as handle:
        head = handle.read(2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "Detected pickle protocol 4": the outcome is reported below
            return torch.load(path, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as exc:
        text = str(exc).lower()
        # the weights-only unpickler stops at the first object it would have to import or construct
        is_pickle = zipfile.is_zipfile(path) or head[:1] == b"\x80"
        if is_pickle and any(marker in text for marker in _REFUSED):
            raise ModelFileError(
                f"{path} holds pickled Python objects, not just tensors, and loading them could run code, so it was "
                "refused (nothing in it was executed); save the weights with torch.save(model.state_dict(), path) "
                "or export the model with torch.jit.save(torch.jit.script(model), path)"
            ) from None
        raise ModelFileError(f"{path} is corrupt or not a PyTorch checkpoint; re-save it with torch.save") from None
    except Exception as exc:  # RuntimeError (bad zip), EOFError (truncated), KeyError (bad magic), ...
        raise ModelFileError(
            f"{path} is corrupt or not a PyTorch checkpoint ({type(exc).__name__}: {first_line(exc, 80)}); "
            "re-save it with torch.save"
        ) from None


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives carry a ``code/`` folder; state_dict archives do not."""
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            return any("/code/" in name for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _mlp_hidden_sizes(state: dict) -> list[int] | None:
    """The hidden sizes of an ``MLP`` state_dict (``0.weight``, ``2.weight``, ...), or None for another layout."""
    weights = [(int(m.group(1)), v) for k, v in state.items() if (m := re.fullmatch(r"(\d+)\.weight", k))]
    if not weights or any(v.ndim != 2 for _, v in weights):
        return None
    return [int(v.shape[0]) for _, v in sorted(weights, key=lambda item: item[0])][:-1]


def _check_state_widths(state: dict, path: Path, dataset: Dataset) -> None:
    """Name a wrong number of outputs (or inputs) of a state_dict before the generic shape-mismatch error.

    A state_dict lists its layers in order, so its last weight matrix is the output layer and, for an MLP, its
    first one the input layer.
    """
    weights = [v for k, v in state.items() if k.endswith("weight") and v.ndim >= 2]
    if not weights:
        return
    if weights[-1].ndim == 2 and weights[-1].shape[0] != dataset.n_outputs:
        wanted = ("a checkpoint with one output (the predicted value)" if dataset.task == "regression" else
                  f"a checkpoint trained for these {dataset.n_classes} classes")
        raise TeacherError(
            f"the teacher in {path} outputs {weights[-1].shape[0]} values per row but the data has "
            f"{_outputs_named(dataset)}; use {wanted}"
        )
    if dataset.image_shape is None and weights[0].ndim == 2 and weights[0].shape[1] != dataset.n_features:
        raise TeacherError(
            f"the teacher in {path} takes {weights[0].shape[1]} input features but the data has "
            f"{dataset.n_features}; check data.features / data.categorical (each one-hot column is a feature)"
        )


def existing_checkpoint(path: str | Path) -> Path:
    """The teacher checkpoint, after checking it is a file and not empty (the CLI checks it before any run too).

    Raises:
        ModelFileError: naming the problem and the fix.
    """
    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f"teacher.checkpoint {path} is a folder; name the TorchScript or state_dict file inside it")
    if not path.is_file():
        raise ModelFileError(f"teacher checkpoint not found: {path}; check teacher.checkpoint "
                             f"(relative paths start at the current folder, {Path.cwd()})")
    if path.stat().st_size == 0:
        raise ModelFileError(f"teacher checkpoint {path} is empty; re-save it")
    return path


def load_checkpoint(path: str | Path, cfg: TeacherConfig, dataset: Dataset) -> nn.Module:
    """Load a user's teacher from a TorchScript file, or a ``state_dict`` for the built-in ``cfg.arch``.

    Args:
        path: the checkpoint file.
        cfg: the teacher config (its ``arch`` and sizes describe a ``state_dict``).
        dataset: gives the input and output widths.

    Returns:
        The module in eval mode.

    Raises:
        ModelFileError: the file is missing, empty or corrupt, holds pickled Python objects (refused, never run),
            holds no ``state_dict``, or its weights do not fit ``cfg.arch`` and its sizes.
        TeacherError: the ``state_dict``'s output (or input) width does not match the data, or ``cfg.arch`` cannot
            take the data (``cnn`` on a table).

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "teacher.pt"
        >>> torch.save(build_network("mlp", 4, 2, hidden=[8]).state_dict(), path)
        >>> load_checkpoint(path, TeacherConfig(hidden=[8]), ds)  # dropout layers or not, both load
        MLP(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=2, bias=True)
        )
    """
    path = existing_checkpoint(path)
    if _is_torchscript(path):
        try:
            return load_torchscript(path)
        except Exception as exc:  # RuntimeError and friends from the TorchScript deserializer
            raise ModelFileError(f"{path} is a corrupt TorchScript archive ({first_line(exc, 80)}); "
                                 "re-export it with torch.jit.save") from None
    state = _load_weights(path)
    if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelFileError(f"{path} does not hold a state_dict (a mapping of parameter names to tensors); "
                             "save one with torch.save(model.state_dict(), path)")
    _check_state_widths(state, path, dataset)
    sizes = _architecture_sizes(cfg)
    # The teacher only ever runs in eval mode, where dropout does nothing, but an MLP's Dropout layers shift the
    # layer numbers in its state_dict: accept a file saved with or without them.
    layouts = [sizes, {**sizes, "dropout": 0.0 if cfg.dropout else 0.1}] if cfg.arch == "mlp" else [sizes]
    first_error = None
    for layout in layouts:
        try:
            module = build_network(cfg.arch, dataset.n_features, dataset.n_outputs, dataset.image_shape, **layout)
        except ValueError as exc:
            raise TeacherError(f"teacher.arch: {exc}") from None
        try:
            module.load_state_dict(state)
            return module.eval()
        except RuntimeError as exc:
            first_error = first_error or exc
    lines = [line.strip() for line in str(first_error).splitlines() if line.strip()]
    detail = lines[1] if len(lines) > 1 else first_line(first_error)
    hidden = _mlp_hidden_sizes(state)
    hint = f" (the file looks like teacher.arch: mlp with hidden: {hidden})" if hidden is not None else ""
    raise ModelFileError(
        f"{path} does not fit teacher.arch={cfg.arch!r} with the configured sizes ({first_line(detail, 120)}){hint}; "
        "set teacher.arch / hidden / channels / blocks to the architecture it was saved from"
    )


def load_factory(spec: str) -> nn.Module:
    """Import and call a ``package.module:function`` entry point that returns an ``nn.Module``.

    This **runs that code**: use it only for code you trust. The current folder is searched first, so a
    ``my_models.py`` next to the config can be named ``my_models:build``.

    Args:
        spec: ``"package.module:function"``; the function (dotted attributes allowed) is called without arguments.

    Returns:
        The returned module, in eval mode.

    Raises:
        TeacherError: ``spec`` is malformed, or the entry point cannot be imported, is not callable, raises, or does
            not return an ``nn.Module``.

    Example:
        >>> load_factory("torch.nn:Identity")
        Identity()
        >>> load_factory("torch.nn.Identity")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        interpret_distill.errors.TeacherError: teacher.factory 'torch.nn.Identity' must look like 'package.module...'
    """
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise TeacherError(f"teacher.factory {spec!r} must look like 'package.module:function'")
    cwd = os.getcwd()
    added = cwd not in sys.path
    if added:
        sys.path.insert(0, cwd)
    try:
        target = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise TeacherError(f"cannot import teacher.factory {spec!r} ({first_line(exc)}); is the module in the "
                           "current folder, installed, or on PYTHONPATH?") from None
    except Exception as exc:  # a SyntaxError or any error raised while importing the user's module
        raise TeacherError(f"importing teacher.factory {spec!r} failed: {type(exc).__name__}: "
                           f"{first_line(exc)}") from None
    finally:
        if added and cwd in sys.path:
            sys.path.remove(cwd)
    if not callable(target):
        raise TeacherError(f"teacher.factory {spec!r} is a {type(target).__name__}, not a function")
    try:
        model = target()
    except Exception as exc:
        raise TeacherError(f"teacher.factory {spec!r} raised {type(exc).__name__}: {first_line(exc)}; "
                           "fix that function (or call it yourself and pass run_experiment(teacher=...))") from None
    if not isinstance(model, nn.Module):
        raise TeacherError(f"teacher.factory {spec!r} returned {type(model).__name__}, not a torch.nn.Module")
    return model.eval()


class CallableTeacher(nn.Module):
    """Wraps any callable ``tensor -> logits`` so the pipeline can treat it as a module.

    The callable gets a float32 tensor ``(n, d)`` and returns ``(n, k)`` logits (a tensor or a numpy array).
    If gradients do not flow through it (e.g. it computes in numpy), ``differentiable`` is False after
    :meth:`probe`, gradient attribution methods are skipped for it, and it is called on detached inputs.
    Its output is returned as a float32 tensor.

    Args:
        fn: the callable, ``(n, d)`` float32 tensor to ``(n, k)`` logits.

    Example:
        >>> teacher = CallableTeacher(lambda x: x.numpy() @ np.eye(2))  # numpy: no gradients
        >>> teacher.probe(np.eye(2)); teacher.differentiable
        False
        >>> teacher(torch.ones(1, 2))
        tensor([[1., 1.]])
    """

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.fn = fn
        self.differentiable = True

    def probe(self, X: np.ndarray) -> None:
        """Find out whether gradients flow through the callable, on a couple of rows of ``X``.

        Sets ``self.differentiable``: True when the callable returns a tensor that requires grad; False when it
        returns anything else or raises (e.g. ``.numpy()`` on a tensor that requires grad).

        Args:
            X: rows as the callable will see them; only the first two are used.

        Returns:
            None.

        Example:
            >>> teacher = CallableTeacher(lambda x: 2 * x)
            >>> teacher.probe(np.eye(2)); teacher.differentiable
            True
        """
        x = torch.as_tensor(np.asarray(X[:2], dtype=np.float32)).requires_grad_(True)
        try:
            with torch.enable_grad():
                out = self.fn(x)
            self.differentiable = isinstance(out, torch.Tensor) and out.requires_grad
        except Exception:
            self.differentiable = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Call the wrapped callable (on detached inputs when it is not differentiable).

        Args:
            x: ``(n, d)`` float32 inputs.

        Returns:
            ``(n, k)`` float32 logits (a numpy result is converted).

        Example:
            >>> CallableTeacher(lambda x: np.asarray(x) * 3)(torch.ones(1, 2))
            tensor([[3., 3.]])
        """
        if not self.differentiable:
            x = x.detach()
        out = self.fn(x)
        if isinstance(out, torch.Tensor):
            return out.float()
        return torch.as_tensor(np.asarray(out), dtype=torch.float32)


class RawInputTeacher(nn.Module):
    """Feeds a user's teacher the raw feature values it was trained on.

    The pipeline passes standardised rows ``(raw - offset) / scale`` to every model; this wrapper undoes that
    scaling (with the dataset's own ``offset`` and ``scale``) in front of the user's network, so a teacher trained
    on the file's values sees those values. It stays differentiable, so gradient attributions still apply.
    ``differentiable`` is copied from the wrapped teacher (True when it has no such attribute).

    A regression teacher trained on raw values predicts in the target's units too: with ``target`` (the target's
    ``(offset, scale)``) its prediction is standardised like the pipeline's targets, ``(value - offset) / scale``.

    Args:
        teacher: the user's network, trained on raw feature values.
        offset: ``(d,)`` the dataset's scaling offset.
        scale: ``(d,)`` the dataset's scaling factor.
        target: a regression target's ``(offset, scale)``, or None (a classifier's logits are passed on as they are).

    Example:
        >>> raw = RawInputTeacher(nn.Identity(), offset=np.array([10.0]), scale=np.array([2.0]))
        >>> raw(torch.tensor([[1.0]]))  # 1 * 2 + 10
        tensor([[12.]])
        >>> RawInputTeacher(nn.Identity(), np.array([10.0]), np.array([2.0]), target=(2.0, 5.0))(torch.tensor([[1.0]]))
        tensor([[2.]])
    """

    def __init__(self, teacher: nn.Module, offset: np.ndarray, scale: np.ndarray,
                 target: tuple[float, float] | None = None):
        super().__init__()
        self.teacher = teacher
        self.register_buffer("offset", torch.as_tensor(np.asarray(offset), dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale), dtype=torch.float32))
        self.target = None if target is None else (float(target[0]), float(target[1]))
        self.differentiable = bool(getattr(teacher, "differentiable", True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The wrapped teacher's logits on ``x * scale + offset``.

        Args:
            x: ``(n, d)`` standardised rows.

        Returns:
            The teacher's ``(n, k)`` logits.

        Example:
            >>> RawInputTeacher(nn.Identity(), np.zeros(2), np.full(2, 3.0))(torch.ones(1, 2))
            tensor([[3., 3.]])
        """
        out = self.teacher(x * self.scale + self.offset)
        return out if self.target is None else (out - self.target[0]) / self.target[1]


def _class_list(dataset: Dataset) -> str:
    names = ", ".join(dataset.class_names[:10])
    return names + (", ..." if dataset.n_classes > 10 else "")


def _outputs_named(dataset: Dataset) -> str:
    """What the teacher's outputs must be, in words: ``3 classes (a, b, c)`` or a regression's one value."""
    if dataset.task == "regression":
        return "a regression target (data.task), so the teacher must output one value per row"
    return f"{dataset.n_classes} classes ({_class_list(dataset)})"


def check_output_width(module: nn.Module, dataset: Dataset, source: str = "") -> None:
    """Refuse a teacher whose number of outputs differs from the number of classes, before any training.

    The teacher is run (in eval mode) on the first 8 training rows.

    Args:
        module: the teacher.
        dataset: gives the rows and the number of classes.
        source: where the teacher came from, named in the error (e.g. ``"checkpoint:teacher.pt"``).

    Returns:
        None.

    Raises:
        TeacherError: the teacher fails on ``(n, d)`` float32 rows, returns the wrong shape, or non-finite logits.

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> check_output_width(nn.Linear(4, 2), ds)  # fits: nothing happens
        >>> check_output_width(nn.Linear(4, 3), ds)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        interpret_distill.errors.TeacherError: the teacher outputs 3 values per row but the data has 2 classes ...
    """
    rows = dataset.X_train[:8]
    who = f"the teacher ({source})" if source else "the teacher"
    try:
        out = predict_logits(module, rows)
    except Exception as exc:  # a user's network can fail in any way on the wrong input width
        raise TeacherError(
            f"{who} failed on inputs with {dataset.n_features} features ({type(exc).__name__}: "
            f"{first_line(exc, 120)}); it must map float32 rows (n, {dataset.n_features}) to logits "
            f"(n, {dataset.n_outputs})"
        ) from None
    if out.ndim != 2 or out.shape[0] != len(rows) or out.shape[1] != dataset.n_outputs:
        width = out.shape[-1] if out.ndim else 1
        hint = (" (one logit for a binary task: return torch.cat([-z / 2, z / 2], dim=1) instead)"
                if width == 1 and dataset.n_classes == 2 else "")
        shape = f"shape {tuple(out.shape)} for {len(rows)} rows" if out.ndim != 2 else f"{width} values per row"
        raise TeacherError(
            f"{who} outputs {shape} but the data has {_outputs_named(dataset)}; "
            f"give a teacher with {dataset.n_outputs} output{'s' if dataset.n_outputs > 1 else ''}{hint}"
        )
    if not np.isfinite(out).all():
        raise TeacherError(f"{who} returns NaN or infinite logits on the training rows; check the model and "
                           "teacher.inputs (raw: the file's values, scaled: standardised features)")


# how to declare a split, named wherever the workbench has to ask for one
DECLARE_SPLIT_HOW = ("npz arrays X_train, y_train, X_test, y_test; a 'split' column of train / val / test; "
                     "data.path: {train: file, test: file}; or an image folder's train/ and test/ subfolders; see "
                     "docs/bring_your_own.md")


def resolve_teacher(dataset: Dataset, cfg: TeacherConfig, seed: int = 0, *, teacher: nn.Module | Callable | None = None,
                    use_cache: bool = True, progress: bool = True,
                    device: torch.device | str = "cpu") -> tuple[nn.Module, dict]:
    """The teacher for an experiment: the one passed in, a configured file or factory, or a trained one.

    A user's teacher (``teacher=``, ``cfg.checkpoint`` or ``cfg.factory``) gets the raw feature values when
    ``cfg.inputs == "raw"`` (see :class:`RawInputTeacher`) and is checked against the data before anything is
    trained: it must map ``(n, d)`` float32 rows to ``(n, n_classes)`` finite logits, or, with
    ``cfg.input_layout == "image"``, ``(n, channels, height, width)`` images (see :class:`~.models.ImageInput`).
    Every teacher is frozen. ``cfg.trained_on: declared_train`` needs a split declared with the data.

    Args:
        dataset: the splits (input width, classes and the scaling to undo).
        cfg: the ``teacher`` config section.
        seed: seed of a trained teacher.
        teacher: the user's ``nn.Module`` or a callable ``tensor -> logits``; overrides the config.
        use_cache: reuse a cached trained teacher.
        progress: show a progress bar while training.
        device: where the teacher trains and runs (a plain callable stays on the CPU).

    Returns:
        The frozen module in eval mode and an info dict (``source``, ``kind``, ``n_params``, ...).

    Raises:
        TeacherError, ModelFileError: the teacher cannot be loaded or does not fit the data.
        ConfigError: ``cfg.trained_on`` is ``declared_train`` but the data declares no split, or
            ``cfg.input_layout`` is ``image`` for a table.

    Example:
        >>> teacher, info = resolve_teacher(dataset, TeacherConfig(checkpoint="teacher.ts"))  # doctest: +SKIP
        >>> info["kind"]  # doctest: +SKIP
        'torchscript'
    """
    if cfg.input_layout == "image" and dataset.image_shape is None:
        raise ConfigError(f"teacher.input_layout is image but dataset {dataset.name!r} is a table (no image shape); "
                          "set teacher.input_layout: flat")
    if cfg.trained_on == "declared_train" and dataset.split_origin != "declared":
        raise ConfigError(f"teacher.trained_on is declared_train but dataset {dataset.name!r} declares no split, so "
                          f"the workbench would draw its own; declare the split ({DECLARE_SPLIT_HOW}) or set "
                          "teacher.trained_on: unknown")
    if teacher is not None:
        if isinstance(teacher, nn.Module):
            module = teacher
        elif callable(teacher):
            module = CallableTeacher(teacher)
            rows = dataset.X_train[:2]
            module.probe(rows * dataset.scale + dataset.offset if cfg.inputs == "raw" else rows)
        else:
            raise TeacherError(f"teacher= must be a torch.nn.Module or a callable returning logits, "
                               f"got {type(teacher).__name__}")
        info = {"source": "python", "kind": _kind(module, cfg)}
    elif cfg.checkpoint:
        module = load_checkpoint(cfg.checkpoint, cfg, dataset)
        info = {"source": f"checkpoint:{cfg.checkpoint}", "kind": _kind(module, cfg)}
    elif cfg.factory:
        module = load_factory(cfg.factory)
        info = {"source": f"factory:{cfg.factory}", "kind": _kind(module, cfg)}
    else:
        check_output_width_arch(dataset, cfg)
        module, info = train_teacher(dataset, cfg, seed, use_cache=use_cache, progress=progress, device=device)
        info["source"] = "trained"
        info["kind"] = cfg.arch
    if info["source"] != "trained":
        info["inputs"] = cfg.inputs
        if cfg.input_layout == "image":
            module = ImageInput(module, dataset.image_shape)
        if cfg.inputs == "raw":
            target = dataset.target_scaling
            module = RawInputTeacher(module, dataset.offset, dataset.scale,
                                     target=None if target is None else (target.offset, target.scale))
    module.to(device)  # buffers too (RawInputTeacher's scaling); a module without tensors is unaffected
    check_output_width(module, dataset, info["source"])
    module.eval()
    for p in module.parameters():
        p.requires_grad_(False)  # the teacher is frozen: students and attributions never update it
    info["n_params"] = count_parameters(module)
    return module, info


def drawn_split_caveat(dataset: Dataset, teacher_source: str) -> str | None:
    """The one-sentence warning for a brought teacher whose test split was drawn here, or None.

    A teacher trained elsewhere was trained on rows the workbench does not know; a split drawn here puts some of
    them into its test split, and every test number (teacher accuracy, fidelity, the explained examples) then rewards
    memory. A declared split, or a teacher trained here on the train split, needs no warning.

    Args:
        dataset: the splits (their ``split_origin``).
        teacher_source: the teacher info's ``source``: ``"trained"`` for a teacher trained here.

    Returns:
        The sentence, or None.

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> drawn_split_caveat(ds, "checkpoint:teacher.ts")[:46]
        'The test split was drawn here by the workbench'
        >>> drawn_split_caveat(ds, "trained") is None
        True
    """
    if teacher_source == "trained" or dataset.split_origin == "declared":
        return None
    return ("The test split was drawn here by the workbench, not declared with the data, so if the teacher saw any "
            "of its rows in training every test number in this report is optimistic; declare the split the teacher "
            f"was trained on ({DECLARE_SPLIT_HOW}).")


def _kind(module: nn.Module, cfg: TeacherConfig) -> str:
    """What the metrics table calls the teacher: the built-in arch, ``torchscript``, ``callable`` or ``custom``."""
    from .models import MLP, ResNet, SmallCNN

    if isinstance(module, MLP):
        return "mlp"
    if isinstance(module, SmallCNN):
        return "cnn"
    if isinstance(module, ResNet):
        return "resnet"
    if isinstance(module, torch.jit.ScriptModule):
        return "torchscript"
    if isinstance(module, CallableTeacher):
        return "callable"
    return "custom"


def check_output_width_arch(dataset: Dataset, cfg: TeacherConfig) -> None:
    """Fail early with a clear message when the built-in architecture cannot take this data.

    Args:
        dataset: gives the input width, the number of classes and the image shape.
        cfg: the ``teacher`` config section (``arch`` and its sizes).

    Returns:
        None.

    Raises:
        TeacherError: the network cannot be built for this data (``cnn`` or ``resnet`` without an image shape).

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> check_output_width_arch(ds, TeacherConfig(arch="cnn"))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        interpret_distill.errors.TeacherError: teacher.arch: arch 'cnn' needs image data (...); use arch 'mlp' for tables
    """
    try:
        build_network(cfg.arch, dataset.n_features, dataset.n_outputs, dataset.image_shape, **_architecture_sizes(cfg))
    except ValueError as exc:
        raise TeacherError(f"teacher.arch: {exc}") from None

