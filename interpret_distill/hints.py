"""Hint (feature) distillation, FitNets (Romero et al. 2015): intermediate layers read by name, a regressor, two stages.

The student's layer ``student_layer`` is read with a forward hook; a :class:`HintRegressor` (a 1×1 convolution for
feature maps, a linear map otherwise) maps it onto the shape of the teacher's layer ``teacher_layer``, and
:func:`~interpret_distill.losses.hint_loss` adds ``hint_weight ½ mean (r - h)²`` to the KD loss. With
``hint_epochs`` a first stage trains the student up to its layer and the regressor on the hint alone (the FitNets
recipe); the regressor is dropped after training, so the saved student is the plain network.

TorchScript modules list their ``named_modules()`` but refuse forward hooks (a loaded archive raises, a traced module
accepts them and never calls them). A TorchScript teacher's layer is therefore read by running, for every container on
the path to it, that container's children in order up to the layer (:class:`ScriptedLayer`); this is checked once
against the container's own output, so a container whose ``forward`` is not the chain of its children is refused
with a one-line error instead of giving wrong hints.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .compute import module_device
from .config import StudentConfig
from .errors import ConfigError, TeacherError
from .losses import feature_l2, get_loss
from .models import ImageInput, eval_mode
from .teachers import RawInputTeacher
from .training import StepLoss, TrainLog

LayerReader = Callable[[torch.Tensor], torch.Tensor]
# what the pipeline wraps around a brought teacher, each holding the next as its one child
WRAPPERS = (RawInputTeacher, ImageInput)


def find_layer(model: nn.Module, name: str, role: str) -> str:
    """The full name of the module called ``name`` in ``model``, seen through the pipeline's wrappers.

    A brought teacher runs inside wrappers (:data:`WRAPPERS`: ``RawInputTeacher.teacher``, ``ImageInput.network``),
    so ``features.2`` of the user's network is ``teacher.features.2`` of the wrapped module: the name is matched
    whole, or inside those wrappers.

    Args:
        model: the (possibly wrapped) network.
        name: the module's name as ``named_modules()`` of the user's network lists it.
        role: ``"teacher"`` or ``"student"``, for the error message.

    Returns:
        The module's name in ``model``.

    Raises:
        ConfigError: no module has that name; the message lists the names there are.

    Example:
        >>> find_layer(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), "1", "student")
        '1'
        >>> find_layer(nn.Sequential(nn.Linear(2, 3)), "2", "student")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        interpret_distill.errors.ConfigError: student.student_layer '2' is not a module of the student; its modules: 0
    """
    prefix, module = "", model
    while name not in dict(module.named_modules()) and isinstance(module, WRAPPERS):
        child_name, module = next(iter(module.named_children()))
        prefix += f"{child_name}."
    if name and name in dict(module.named_modules()):
        return prefix + name
    inner = [n for n, _ in module.named_modules() if n]
    listed = ", ".join(inner[:40]) + (", ..." if len(inner) > 40 else "")
    raise ConfigError(f"student.{role}_layer {name!r} is not a module of the {role}; its modules: {listed or 'none'}")


def _module(model: nn.Module, full_name: str) -> nn.Module:
    return dict(model.named_modules())[full_name]


@contextmanager
def hooked(model: nn.Module, full_name: str) -> Iterator[dict]:
    """Record the output of ``model``'s module ``full_name`` on every forward pass inside the block.

    Args:
        model: a Python ``nn.Module`` (TorchScript modules refuse hooks: :class:`ScriptedLayer`).
        full_name: the module's name in ``model``.

    Returns:
        A context manager yielding a dict whose ``"out"`` is the latest output.

    Example:
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        >>> with hooked(net, "0") as seen:
        ...     _ = net(torch.zeros(4, 2))
        >>> seen["out"].shape
        torch.Size([4, 3])
    """
    seen: dict = {}
    handle = _module(model, full_name).register_forward_hook(lambda _m, _i, out: seen.__setitem__("out", out))
    try:
        yield seen
    finally:
        handle.remove()


class ScriptedLayer(nn.Module):
    """Reads a TorchScript network's layer by running the children of each container on its path in order.

    Args:
        network: the TorchScript network (it takes what the pipeline's wrappers hand it).
        path: the layer's name inside ``network``, e.g. ``"features.2"``.

    Example:
        >>> net = torch.jit.script(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)))
        >>> ScriptedLayer(net, "1")(torch.ones(4, 2)).shape
        torch.Size([4, 3])
    """

    def __init__(self, network: nn.Module, path: str):
        super().__init__()
        self.network = network
        self.path = path.split(".") if path else []
        self.checked = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The layer's output on ``x`` (checked against each container's own output the first time).

        Args:
            x: the network's input.

        Returns:
            The output of the named layer.

        Raises:
            TeacherError: a container on the path does not compute the chain of its children.
        """
        module = self.network
        for depth, part in enumerate(self.path):
            children = list(module.named_children())
            if not self.checked:
                try:
                    chained = x
                    for _, child in children:
                        chained = child(chained)
                    same = torch.allclose(chained, module(x), atol=1e-5, rtol=1e-4)
                except RuntimeError:  # a child that cannot take its predecessor's output (e.g. a reshape between)
                    same = False
                if not same:
                    where = ".".join(self.path[:depth]) or "the network itself"
                    raise TeacherError(
                        f"the TorchScript teacher's layer {'.'.join(self.path)!r} cannot be read: TorchScript refuses "
                        f"forward hooks, and {where} is not the chain of its children; bring the teacher as a "
                        "state_dict or a factory (hooks work there), or pick a layer inside a Sequential")
            for child_name, child in children:
                if child_name == part:
                    module = child
                    break
                x = child(x)
        self.checked = True
        return module(x)


@contextmanager
def _scripted_in_place(model: nn.Module, full_name: str) -> Iterator[None]:
    """Swap the TorchScript network holding ``full_name`` for a :class:`ScriptedLayer` returning that layer.

    The pipeline's wrappers return their network's output unchanged, so the wrapped model then returns the layer.
    """
    parts = full_name.split(".")
    for depth in range(len(parts)):
        parent = _module(model, ".".join(parts[:depth])) if depth else model
        child = getattr(parent, parts[depth])
        if isinstance(child, torch.jit.ScriptModule):
            break
    else:
        raise AssertionError("no TorchScript module on the path")  # only called when there is one
    parent._modules[parts[depth]] = ScriptedLayer(child, ".".join(parts[depth + 1:]))
    try:
        yield
    finally:
        parent._modules[parts[depth]] = child


def layer_reader(model: nn.Module, name: str, role: str = "teacher") -> LayerReader:
    """``x -> the output of the module called name`` when ``model`` runs on ``x`` (a hook, or a chained run).

    Args:
        model: the network, possibly wrapped and possibly TorchScript inside.
        name: the module's name in the user's network.
        role: ``"teacher"`` or ``"student"``, for errors.

    Returns:
        The reader (it runs ``model`` up to the layer; gradients flow when they would through ``model``).

    Raises:
        ConfigError: no module has that name.

    Example:
        >>> net = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
        >>> layer_reader(net, "0", "student")(torch.zeros(5, 2)).shape
        torch.Size([5, 3])
    """
    full_name = find_layer(model, name, role)
    if isinstance(model, torch.jit.ScriptModule):
        return ScriptedLayer(model, full_name)
    parts = full_name.split(".")
    scripted = any(isinstance(_module(model, ".".join(parts[:i])), torch.jit.ScriptModule)
                   for i in range(1, len(parts) + 1))

    def read(x: torch.Tensor) -> torch.Tensor:
        if scripted:
            with _scripted_in_place(model, full_name):
                return model(x)
        with hooked(model, full_name) as seen:
            model(x)
        return seen["out"]

    return read


class HintRegressor(nn.Module):
    """Maps the student's features onto the teacher's shape: a 1×1 convolution (feature maps) or a linear map.

    Feature maps of another resolution are average-pooled to the teacher's; any other pair of shapes is flattened
    and mapped linearly.

    Args:
        student_shape: one row's student feature shape, e.g. ``(4, 8, 8)``.
        teacher_shape: one row's teacher feature shape, e.g. ``(8, 8, 8)``.

    Example:
        >>> HintRegressor((4, 8, 8), (16, 4, 4))(torch.zeros(2, 4, 8, 8)).shape
        torch.Size([2, 16, 4, 4])
        >>> HintRegressor((5,), (3, 2, 2))(torch.zeros(2, 5)).shape
        torch.Size([2, 3, 2, 2])
    """

    def __init__(self, student_shape: tuple[int, ...], teacher_shape: tuple[int, ...]):
        super().__init__()
        self.teacher_shape = tuple(int(s) for s in teacher_shape)
        self.maps = len(student_shape) == 3 and len(teacher_shape) == 3
        self.map = (nn.Conv2d(student_shape[0], teacher_shape[0], kernel_size=1) if self.maps
                    else nn.Linear(int(np.prod(student_shape)), int(np.prod(teacher_shape))))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """The regressed features, shaped like the teacher's.

        Args:
            features: ``(n, *student_shape)``.

        Returns:
            ``(n, *teacher_shape)``.
        """
        if self.maps:
            out, size = self.map(features), self.teacher_shape[-2:]
            return out if out.shape[-2:] == size else F.adaptive_avg_pool2d(out, size)
        return self.map(features.flatten(1)).reshape(-1, *self.teacher_shape)


class HintedStudent(nn.Module):
    """The student with its regressor beside it, so one optimiser trains both; ``forward`` is the student's.

    Args:
        student: the student network.
        regressor: its :class:`HintRegressor`.
        student_layer: the full name of the student's hooked module.

    Example:
        >>> pair = HintedStudent(nn.Sequential(nn.Linear(2, 3)), HintRegressor((3,), (1,)), "0")
        >>> pair(torch.zeros(4, 2)).shape
        torch.Size([4, 3])
    """

    def __init__(self, student: nn.Module, regressor: HintRegressor, student_layer: str):
        super().__init__()
        self.student = student
        self.regressor = regressor
        self.student_layer = student_layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The student's logits.

        Args:
            x: ``(n, d)`` rows.

        Returns:
            ``(n, k)`` logits.
        """
        return self.student(x)

    def logits_and_hint(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The student's logits and its regressed features on ``x``, from one forward pass.

        Args:
            x: ``(n, d)`` rows.

        Returns:
            ``(logits, regressed features)``.
        """
        with hooked(self.student, self.student_layer) as seen:
            logits = self.student(x)
        return logits, self.regressor(seen["out"])


def build_hinted(student: nn.Module, teacher: nn.Module, teacher_layer: str, student_layer: str,
                 probe: np.ndarray, seed: int = 0) -> tuple[HintedStudent, LayerReader]:
    """The student paired with a regressor sized on ``probe`` rows, and the teacher's layer reader.

    Args:
        student: the untrained student.
        teacher: the frozen teacher.
        teacher_layer: the teacher's module name.
        student_layer: the student's module name.
        probe: a couple of training rows (only their shapes matter).
        seed: seeds the regressor's initial weights (the global torch random state is left as it was).

    Returns:
        ``(HintedStudent, reader of the teacher's layer)``.

    Raises:
        ConfigError: either name is not a module of its network.
        TeacherError: a TorchScript teacher's layer cannot be read (see :class:`ScriptedLayer`).

    Example:
        >>> student = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 2))
        >>> teacher = nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 2))
        >>> pair, read = build_hinted(student, teacher, "1", "1", np.zeros((2, 2), np.float32))
        >>> pair.regressor.map
        Linear(in_features=3, out_features=5, bias=True)
    """
    read_teacher = layer_reader(teacher, teacher_layer, "teacher")
    student_name = find_layer(student, student_layer, "student")
    x = torch.as_tensor(probe[:2], dtype=torch.float32)
    with torch.no_grad(), eval_mode(teacher), eval_mode(student):
        teacher_shape = tuple(read_teacher(x.to(module_device(teacher))).shape[1:])
        with hooked(student, student_name) as seen:
            student(x.to(module_device(student)))
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        regressor = HintRegressor(tuple(seen["out"].shape[1:]), teacher_shape)
    return HintedStudent(student, regressor, student_name), read_teacher


def hint_steps(read_teacher: LayerReader, teacher: nn.Module, loss: str, loss_params: dict,
               ) -> tuple[StepLoss, StepLoss]:
    """The minibatch losses of the two FitNets stages: the hint alone, then ``hint_loss`` (KD plus the hint).

    Args:
        read_teacher: the teacher's layer reader.
        teacher: the frozen teacher.
        loss: the student's loss name (``"hint"``).
        loss_params: its hyper-parameters.

    Returns:
        ``(first stage, second stage)`` :data:`~interpret_distill.training.StepLoss` es taking a :class:`HintedStudent`.
    """
    loss_fn = get_loss(loss, **loss_params)

    def targets(xb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad(), eval_mode(teacher):
            return read_teacher(xb), teacher(xb)

    def stage_one(pair: HintedStudent, xb, _yb, _generator) -> torch.Tensor:
        hint, _ = targets(xb)
        return feature_l2(pair.logits_and_hint(xb)[1], hint)

    def stage_two(pair: HintedStudent, xb, yb, _generator) -> torch.Tensor:
        hint, teacher_logits = targets(xb)
        logits, regressed = pair.logits_and_hint(xb)
        return loss_fn(logits, teacher_logits, yb, student_features=regressed, teacher_features=hint)

    return stage_one, stage_two


def hint_distance_score_fn(X: np.ndarray, read_teacher: LayerReader,
                           teacher: nn.Module) -> Callable[[nn.Module], float]:
    """A validation score for the first stage: minus the hint loss on ``X`` (higher is better).

    Args:
        X: validation rows.
        read_teacher: the teacher's layer reader.
        teacher: the frozen teacher.

    Returns:
        ``HintedStudent -> -½ mean (r - h)²`` on ``X``.
    """
    def score(pair: HintedStudent) -> float:
        device = next(pair.parameters()).device
        x = torch.as_tensor(X, dtype=torch.float32, device=device)
        with torch.no_grad(), eval_mode(teacher), eval_mode(pair):
            return -float(feature_l2(pair.logits_and_hint(x)[1], read_teacher(x)))

    return score


def train_with_hints(student: nn.Module, teacher: nn.Module, X_val: np.ndarray, probe: np.ndarray, cfg: StudentConfig,
                     val_score: Callable[[nn.Module], float], train: Callable[..., TrainLog],
                     seed: int = 0) -> TrainLog:
    """Train ``student`` in place by hint distillation: ``hint_epochs`` on the hint alone, then ``hint_loss``.

    Args:
        student: the untrained student (on its training device).
        teacher: the frozen teacher.
        X_val: validation rows (the first stage stops early on their hint loss).
        probe: a couple of training rows to size the regressor.
        cfg: the ``student`` config section (``teacher_layer``, ``student_layer``, ``hint_epochs``, ``loss_params``).
        val_score: the second stage's validation score (fidelity to the teacher).
        train: ``(module, step_loss, val_score, epochs) -> TrainLog``, the student's training loop.
        seed: seeds the regressor's initial weights.

    Returns:
        The second stage's :class:`TrainLog` (the student keeps its best epoch's weights; the regressor is dropped).
    """
    pair, read_teacher = build_hinted(student, teacher, cfg.teacher_layer, cfg.student_layer, probe, seed)
    pair.regressor.to(module_device(student))
    stage_one, stage_two = hint_steps(read_teacher, teacher, cfg.loss, cfg.loss_params)
    if cfg.hint_epochs:
        train(pair, stage_one, hint_distance_score_fn(X_val, read_teacher, teacher), cfg.hint_epochs)
    return train(pair, stage_two, val_score, cfg.epochs)


def check_layers(teacher: nn.Module | None, students: list[nn.Module], teacher_layer: str, student_layer: str) -> None:
    """Fail before training unless both named modules exist (the teacher's is skipped while it is not built yet).

    Args:
        teacher: the teacher, or None.
        students: the untrained student of every width.
        teacher_layer: the teacher's module name.
        student_layer: the students' module name.

    Raises:
        ConfigError: a name is not a module of its network (the message lists the names there are).

    Example:
        >>> check_layers(None, [nn.Sequential(nn.Linear(2, 2))], "x", "0")  # the student's name exists: nothing
    """
    if teacher is not None:
        find_layer(teacher, teacher_layer, "teacher")
    for student in students:
        find_layer(student, student_layer, "student")
