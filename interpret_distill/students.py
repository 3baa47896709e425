"""The compact neural student: distilled from the teacher, and the same network trained from scratch."""

from __future__ import annotations

import json
import math
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pandas as pd
import torch
from torch import nn

from .artifacts import network_spec
from .config import STUDENT_SIZES, ExperimentConfig, StudentConfig, TransferRecipe
from .data import Dataset
from .errors import ConfigError
from .hints import check_layers, train_with_hints
from .losses import get_loss
from .compute import module_device
from .models import Centre, build_network, count_parameters, eval_mode, predict_logits, predict_outputs
from .results import FittedModel
from .student_selection import method_name, select_student, student_variants
from .sweep import COLUMNS, format_params, sweep_row
from .training import TASK_TRAINING, StepLoss, TrainLog, train_network
from .transfer import augment, candidate_label, mixup_torch


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with ``n`` torch CPU threads (``0``: unchanged), then restore the previous setting.

    Student minibatches are tiny: on a shared 2-core machine two threads spend most of their time
    waiting for each other, and one thread trains about ten times faster.

    Args:
        n: ``torch.set_num_threads`` value inside the block; ``0`` leaves torch's setting alone.

    Returns:
        A context manager (yields ``None``).

    Example:
        >>> before = torch.get_num_threads()
        >>> with torch_threads(1):
        ...     torch.get_num_threads()
        1
        >>> torch.get_num_threads() == before
        True
    """
    previous = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def architecture(cfg: StudentConfig, teacher: nn.Module | None = None) -> dict:
    """The size the student's architecture sweeps: ``{"hidden": [...]}`` (mlp), ``{"channels": [...]}`` (cnn,
    resnet) or ``{"depth": d}`` (soft_tree); with ``born_again``, the teacher's architecture.

    Args:
        cfg: the ``student`` config section.
        teacher: with ``born_again``, the network whose architecture the student takes.

    Returns:
        A one-key dict (the other architectures' sizes are left out); with ``born_again`` the teacher's
        rebuild recipe without its data shape, e.g. ``{"arch": "mlp", "hidden": [8], ...}``.

    Example:
        >>> architecture(StudentConfig(hidden=[8, 4])), architecture(StudentConfig(arch="soft_tree", depth=3))
        ({'hidden': [8, 4]}, {'depth': 3})
    """
    if cfg.born_again is not None:
        return _born_again_recipe(teacher)
    key = STUDENT_SIZES[cfg.arch]
    value = getattr(cfg, key)
    return {key: list(value) if isinstance(value, list) else value}


def _born_again_recipe(teacher: nn.Module | None) -> dict:
    """The teacher's architecture recipe (:func:`~interpret_distill.artifacts.network_spec`) without its data shape."""
    spec = network_spec(teacher) if teacher is not None else None
    if spec is None:
        raise ConfigError("student.born_again needs a teacher of a built-in architecture (mlp, cnn, resnet: trained "
                          "here or a state_dict checkpoint) to copy; this teacher is the user's own module, so drop "
                          "student.born_again and give the student an arch")
    return {k: v for k, v in spec.items() if k not in ("n_features", "n_classes", "image_shape")}


def build_student(dataset: Dataset, cfg: StudentConfig, seed: int, teacher: nn.Module | None = None) -> nn.Module:
    """The student network, initialised from ``seed`` (so distilled and scratch start identical).

    An ``mlp`` student with ``centre_inputs`` subtracts the training mean before its first layer.
    The global torch random state is left as it was.

    Args:
        dataset: gives the input width, the number of classes, the image shape and the training mean.
        cfg: the ``student`` config section (``arch`` and its sizes, ``centre_inputs``, ``born_again``).
        seed: seeds the initial weights.
        teacher: with ``born_again``, the network whose architecture the student takes (its weights are not read).

    Returns:
        The untrained network (``(n, d)`` rows to ``(n, k)`` logits).

    Raises:
        ConfigError: ``born_again`` with a teacher that is not one of the built-in architectures.

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> net = build_student(ds, StudentConfig(hidden=[3]), seed=0)
        >>> net[0].offset.tolist()  # the Centre layer holds the training mean
        [0.25, 0.25, 0.25, 0.25]
        >>> count_parameters(net)  # (4 * 3 + 3) + (3 * 2 + 2)
        23
    """
    if cfg.born_again is not None:
        recipe = _born_again_recipe(teacher)
    else:
        recipe = {"arch": cfg.arch, "hidden": cfg.hidden, "channels": cfg.channels, "centre": cfg.centre_inputs,
                  "depth": cfg.depth, "beta": cfg.beta, "penalty": cfg.penalty}
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        student = build_network(recipe.pop("arch"), dataset.n_features, dataset.n_outputs, dataset.image_shape,
                                **recipe)
    first = next(student.children(), None)
    if isinstance(first, Centre):
        first.offset.copy_(torch.as_tensor(dataset.X_train.mean(axis=0), dtype=torch.float32))
    return student


def _train(module: nn.Module, X: np.ndarray, targets: np.ndarray, cfg: StudentConfig, step_loss, val_score,
           seed: int, progress: bool, desc: str) -> TrainLog:
    """Train with ``cfg``'s schedule; a module with a ``training_penalty(x)`` (the soft tree) adds it to each step."""
    if hasattr(module, "training_penalty"):
        step_loss = _penalised(step_loss)
    with torch.random.fork_rng(), torch_threads(cfg.num_threads):
        torch.manual_seed(seed)
        return train_network(
            module, X, targets, step_loss, val_score,
            epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, weight_decay=cfg.weight_decay,
            patience=cfg.patience, seed=seed, epoch_rows=epoch_rows(cfg), progress=progress, desc=desc,
        )


def epoch_rows(cfg: StudentConfig) -> int:
    """The most rows one of the student's epochs draws: ``epoch_rows`` training rows, plus a transfer set's rows.

    ``epoch_rows`` bounds what grows with the data; a transfer set's size is chosen, and its rows are what a
    distilled student learns the teacher's function from, so each epoch keeps all of them in proportion (digits'
    100,000 kde rows are still one pass per epoch).

    Example:
        >>> epoch_rows(StudentConfig(transfer_set={"augmentation": "mixup", "n_synthetic": 50_000}))
        70000
    """
    return cfg.epoch_rows + (cfg.transfer_set.n_synthetic if cfg.transfer_set is not None else 0)


def _penalised(step_loss: StepLoss) -> StepLoss:
    """``step_loss`` plus the student's ``training_penalty`` of the batch's inputs."""

    def penalised(student: nn.Module, xb: torch.Tensor, yb: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return step_loss(student, xb, yb, generator) + student.training_penalty(xb)

    return penalised


def distillation_step(teacher: nn.Module, cfg: StudentConfig, task: str = "classification") -> StepLoss:
    """The loss of one minibatch of distillation: ``(student, x, y, generator) -> scalar``.

    The teacher is queried on exactly the inputs the student sees: the batch itself, or with
    ``function_matching`` the batch mixed with a permutation of itself (:func:`mixup_torch`), in which
    case the teacher's argmax on the mixed inputs (a regression teacher's value) replaces ``y`` in the loss's
    label term.

    Args:
        teacher: the frozen teacher (called under ``torch.no_grad`` in eval mode; its own mode is restored).
        cfg: the ``student`` config section (loss, its parameters, function matching, mixup_alpha).
        task: ``"classification"`` or ``"regression"`` (the loss comes from that task's registry).

    Returns:
        A :data:`~interpret_distill.training.StepLoss`.

    Example:
        >>> step = distillation_step(nn.Linear(2, 3), StudentConfig(loss_params={"alpha": 1.0}))
        >>> step(nn.Linear(2, 3), torch.zeros(4, 2), torch.zeros(4, dtype=torch.long), torch.Generator()).ndim
        0
    """
    loss_fn = get_loss(cfg.loss, task, **cfg.loss_params)
    teacher_labels = TASK_TRAINING[task].teacher_labels

    def step_loss(student: nn.Module, xb: torch.Tensor, yb: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if cfg.function_matching:
            xb = mixup_torch(xb, generator, alpha=cfg.mixup_alpha)
        with torch.no_grad(), eval_mode(teacher):  # the teacher's function, without dropout noise
            teacher_logits = teacher(xb)
        # mixed inputs have no ground-truth label: the teacher's argmax stands in for it
        labels = teacher_labels(teacher_logits) if cfg.function_matching else yb
        return loss_fn(student(xb), teacher_logits, labels)

    return step_loss


def labelled_transfer_step(cfg: StudentConfig, task: str = "classification") -> StepLoss:
    """The loss of one minibatch whose targets are teacher logits computed beforehand.

    The targets are the teacher's logits, or a pair ``(teacher logits, labels)`` for rows that have labels. Without
    labels the teacher's argmax (a regression teacher's value) stands in for the label in the loss's label term
    (synthetic rows have none).

    Args:
        cfg: the ``student`` config section (loss and its parameters).
        task: ``"classification"`` or ``"regression"``.

    Returns:
        A :data:`~interpret_distill.training.StepLoss` whose third argument is ``(n, k)`` teacher logits.

    Example:
        >>> step = labelled_transfer_step(StudentConfig(loss_params={"alpha": 1.0}))
        >>> step(nn.Linear(2, 3), torch.zeros(4, 2), torch.zeros(4, 3), torch.Generator()).ndim
        0
    """
    loss_fn = get_loss(cfg.loss, task, **cfg.loss_params)
    teacher_labels = TASK_TRAINING[task].teacher_labels

    def step_loss(student: nn.Module, xb: torch.Tensor, targets: torch.Tensor | tuple[torch.Tensor, torch.Tensor],
                  _generator: torch.Generator) -> torch.Tensor:
        teacher_logits, labels = targets if isinstance(targets, tuple) else (targets, teacher_labels(targets))
        return loss_fn(student(xb), teacher_logits, labels)

    return step_loss


def teacher_labelled_rows(dataset: Dataset, teacher: nn.Module, recipe: TransferRecipe,
                          seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The training rows plus ``recipe.n_synthetic`` synthetic rows near them, and the teacher's logits on all.

    Synthetic rows are drawn from the training split only (:func:`~interpret_distill.transfer.augment`).

    Args:
        dataset: the splits; only ``X_train``/``y_train`` are read.
        teacher: the frozen teacher.
        recipe: augmentation, number of rows and parameters.
        seed: seeds the augmentation.

    Returns:
        ``X`` ``(m + n_synthetic, d)`` float32 and the teacher's logits ``(m + n_synthetic, k)`` float32.

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> recipe = TransferRecipe(augmentation="mixup", n_synthetic=6)
        >>> rows, logits = teacher_labelled_rows(ds, nn.Linear(4, 2), recipe, seed=0)
        >>> rows.shape, logits.shape
        ((10, 4), (10, 2))
    """
    rng = np.random.default_rng(seed)
    classes = dataset.y_train if dataset.task == "classification" else None  # neighbours pairs rows of a class
    X_synthetic = augment(recipe.augmentation, dataset.X_train, classes, recipe.n_synthetic, rng, **recipe.params)
    X = np.concatenate([np.asarray(dataset.X_train, dtype=np.float32), X_synthetic])
    return X, predict_logits(teacher, X).astype(np.float32)


def distill_student(dataset: Dataset, teacher: nn.Module, cfg: StudentConfig, seed: int = 0,
                    progress: bool = True, labelled: tuple[np.ndarray, np.ndarray] | None = None,
                    device: torch.device | str = "cpu") -> tuple[nn.Module, TrainLog]:
    """Train the student on the teacher with the configured loss; early stopping on validation fidelity.

    A regression student (``dataset.task``) matches the teacher's value (``mse``: MSE to the teacher, mixed with
    the labels by ``alpha``) and stops early on the validation MSE to the teacher.

    Ties in validation fidelity (common on small splits) go to the epoch with the lower validation
    KL(teacher ‖ student); the weights of the best epoch are kept.

    The teacher, in eval mode, labels the training rows once before training: its logits on a row do not change,
    and querying it on every batch made a CNN teacher most of a student's training time (20,000 28x28 images: two
    KD candidates took about 170 s each). With
    ``function_matching`` (Beyer et al. 2022) the teacher is queried on every batch instead: the batch is first
    mixed with a permutation of itself (mixup, ``Beta(mixup_alpha, mixup_alpha)`` weights) and the teacher labels
    the mixed inputs, so the student matches the teacher's function between training points too; the loss's label
    term then uses the teacher's argmax on the mixed inputs (they have no ground truth). Hinted students (``loss:
    hint``) read the teacher's layer on every batch too. With ``transfer_set`` the teacher instead
    labels the training rows plus a fixed set of synthetic rows once (:func:`teacher_labelled_rows`) and
    the student trains on those: with no teacher forward pass per step it makes many more row updates
    per second than function matching (digits, ``make bench``: 40 passes over 101,077 rows in 14 s against 300
    passes over 1,077 rows in 10 s), which is what lets a narrow student match the teacher there.

    Args:
        dataset: the splits (train to fit, validation to stop early).
        teacher: the frozen teacher.
        cfg: the ``student`` config section.
        seed: seeds initialisation, shuffling and mixup.
        progress: show a progress bar.
        labelled: with ``transfer_set``, its rows and teacher logits if already computed
            (:func:`teacher_labelled_rows` with the same recipe and seed; a width sweep labels them once).

        device: where the student trains (initialised on the CPU first, so every device starts alike).
    Returns:
        The student (eval mode) and its :class:`TrainLog`.

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> cfg = StudentConfig(hidden=[3], epochs=3, batch_size=4)
        >>> student, log = distill_student(ds, nn.Linear(4, 2), cfg, progress=False)
        >>> log.epochs_run, student.training
        (3, False)
    """
    if cfg.transfer_set is not None:
        X, targets = labelled or teacher_labelled_rows(dataset, teacher, cfg.transfer_set, seed)
        step_loss = labelled_transfer_step(cfg, dataset.task)
    elif cfg.function_matching or cfg.loss == "hint":  # the teacher sees new inputs (or is hooked) every step
        X, targets, step_loss = dataset.X_train, dataset.y_train, distillation_step(teacher, cfg, dataset.task)
    else:  # the teacher's logits on the training rows, computed once (all cores)
        X, step_loss = dataset.X_train, labelled_transfer_step(cfg, dataset.task)
        targets = (predict_logits(teacher, X).astype(np.float32), dataset.y_train)
    student = build_student(dataset, cfg, seed, teacher).to(device)
    val_score = TASK_TRAINING[dataset.task].fidelity_score(dataset.X_val, predict_logits(teacher, dataset.X_val))
    desc = f"student ({method_name(cfg)}, {format_params(architecture(cfg, teacher))})"
    if cfg.loss == "hint":  # FitNets: the teacher's and the student's layers hooked, a regressor between them

        def train(module, step, score, epochs):
            return _train(module, X, targets, cfg.model_copy(update={"epochs": epochs}), step, score, seed, progress,
                          desc)

        return student, train_with_hints(student, teacher, dataset.X_val, X, cfg, val_score, train, seed)
    log = _train(student, X, targets, cfg, step_loss, val_score, seed, progress, desc=desc)
    return student, log


def matched_scratch_config(cfg: StudentConfig, n_train: int) -> StudentConfig:
    """The student config with the scratch baseline's schedule: as many optimiser steps as the distilled student.

    With a transfer set the distilled student's epochs run over ``n_train + n_synthetic`` rows; the scratch
    student only has the ``n_train`` labelled ones, so its epochs and patience are scaled by the ratio of
    batches per epoch (otherwise 40 epochs at batch size 512 would be 120 steps on digits, a strawman). Each
    epoch counts at most its :func:`epoch_rows` rows.

    Args:
        cfg: the distilled student's ``student`` config section.
        n_train: number of labelled training rows.

    Returns:
        ``cfg`` itself without a transfer set; otherwise a copy with scaled ``epochs`` and ``patience`` and
        no ``transfer_set``.

    Example:
        >>> cfg = StudentConfig(epochs=40, patience=10, batch_size=500,
        ...                     transfer_set={"augmentation": "mixup", "n_synthetic": 9000})
        >>> scratch = matched_scratch_config(cfg, 1000)
        >>> scratch.epochs, scratch.patience, scratch.transfer_set
        (400, 100, None)
        >>> matched_scratch_config(cfg.model_copy(update={"epoch_rows": 500}), 1000).epochs  # 19 steps against 1
        760
    """
    if cfg.transfer_set is None:
        return cfg

    def batches(n_rows: int, cap: int) -> int:  # optimiser steps per epoch
        return math.ceil(min(n_rows, cap) / cfg.batch_size)

    ratio = (batches(n_train + cfg.transfer_set.n_synthetic, epoch_rows(cfg))
             / batches(n_train, cfg.epoch_rows))
    return cfg.model_copy(update={"epochs": round(cfg.epochs * ratio), "patience": round(cfg.patience * ratio),
                                  "transfer_set": None})


def train_scratch_student(dataset: Dataset, cfg: StudentConfig, seed: int = 0, progress: bool = True,
                          device: torch.device | str = "cpu",
                          teacher: nn.Module | None = None) -> tuple[nn.Module, TrainLog]:
    """The baseline: the same architecture, budget and seed, trained on labels alone.

    The budget is the distilled student's number of optimiser steps (:func:`matched_scratch_config`).
    Early stopping on validation accuracy, ties broken by validation negative log-likelihood (a regression: the
    mean squared error on the labels, and early stopping on validation MSE).

    Args:
        dataset: the splits (train to fit, validation to stop early).
        cfg: the ``student`` config section (the distilled student's; its schedule is matched here).
        seed: seeds initialisation and shuffling (the same seed gives the distilled student's initial weights).
        progress: show a progress bar.
        device: where the student trains (initialised on the CPU first, so every device starts alike).
        teacher: with ``born_again``, the network whose architecture the student takes (never queried).

    Returns:
        The student (eval mode) and its :class:`TrainLog`.

    Example:
        >>> X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
        >>> ds = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
        >>> student, log = train_scratch_student(ds, StudentConfig(hidden=[3], epochs=3, batch_size=4),
        ...                                      progress=False)
        >>> len(log.val_scores)
        3
    """
    cfg = matched_scratch_config(cfg, len(dataset.y_train))
    task = TASK_TRAINING[dataset.task]

    def step_loss(student, xb, yb, _generator):
        return task.label_loss(student(xb), yb)

    student = build_student(dataset, cfg, seed, teacher).to(device)
    log = _train(student, dataset.X_train, dataset.y_train, cfg, step_loss,
                 task.label_score(dataset.X_val, dataset.y_val), seed, progress,
                 desc=f"student (scratch, {format_params(architecture(cfg, teacher))})")
    return student, log


@dataclass
class TrainedStudent:
    """One student of a width sweep: the network, its training log and its sweep row.

    Attributes:
        module: the trained network (eval mode).
        log: its :class:`TrainLog`.
        row: its :func:`~interpret_distill.sweep.sweep_row` (kind ``"student"``).

    Example:
        >>> trained = TrainedStudent(nn.Linear(4, 2), TrainLog(), {"kind": "student", "regime": "scratch"})
        >>> trained.row["regime"], trained.log.epochs_run
        ('scratch', 0)
    """

    module: nn.Module
    log: TrainLog
    row: dict


def sweep_students(dataset: Dataset, teacher: nn.Module, cfg: StudentConfig, teacher_probs: dict[str, np.ndarray],
                   seed: int = 0, progress: bool = True, device: torch.device | str = "cpu") -> list[TrainedStudent]:
    """Per width of ``cfg.grid`` (or the single configured width), distil every candidate and train the scratch twin.

    The candidates are ``cfg`` itself and its ``candidates`` (:func:`~interpret_distill.student_selection.
    student_variants`). Every network of a width starts from the same seed, so its distilled and scratch students
    start identical; the scratch twin gets the largest optimiser-step budget of the width's candidates
    (:func:`matched_scratch_config`). Rows follow the surrogate sweep's columns
    (:data:`~interpret_distill.sweep.COLUMNS`): kind ``"student"``, regime the candidate (e.g. ``"kd+fm"``, or with
    several candidates ``"kd(T=1,a=1)+mixup(n=5000)"``) or ``"scratch"``, complexity the number of parameters. Each
    transfer set is labelled by the teacher once and shared by every width and candidate that trains on it.

    With ``born_again`` the student has the teacher's architecture, and there is one distilled student per
    generation (generation ``g + 1`` distilled from generation ``g``, validation fidelity to it for early
    stopping), then one scratch student. The
    trainings run one after another: each is already single-threaded and fast, and joblib workers spent
    about as long importing torch as they saved (digits, 8 trainings on 2 cores: 16.6 s against 17.4 s).

    Args:
        dataset: the splits (train to fit, validation to stop early, test for reporting only).
        teacher: the frozen teacher.
        cfg: the ``student`` config section.
        teacher_probs: the teacher's probabilities on ``"val"`` and ``"test"``.
        seed: seeds initialisation, shuffling and augmentation.
        progress: show a progress bar per training.
        device: where the students train (the teacher's device).

    Returns:
        Per width, each candidate's distilled student, then the scratch one (born-again: the generations, then the
        scratch one).

    Example:
        >>> cfg = StudentConfig(grid=[{"hidden": [4]}, {"hidden": [8]}], candidates=[])
        >>> trained = sweep_students(dataset, teacher, cfg, teacher_probs)  # doctest: +SKIP
        >>> [(t.row["regime"], t.row["params"]) for t in trained]  # doctest: +SKIP
        [('kd', 'hidden=[4]'), ('scratch', 'hidden=[4]'), ('kd', 'hidden=[8]'), ('scratch', 'hidden=[8]')]
    """
    evaluation = {s: (dataset.split(s)[0], teacher_probs[s], dataset.split(s)[1]) for s in ("val", "test")}
    n_train = len(dataset.y_train)
    # every width trains on the same transfer sets: label each once (100,000 digits rows: 3.4 s each time)
    labelled = {}
    for _, variant in student_variants(cfg, n_train):
        recipe = variant.transfer_set
        if recipe is not None and recipe.model_dump_json() not in labelled:
            labelled[recipe.model_dump_json()] = teacher_labelled_rows(dataset, teacher, recipe, seed)
    if cfg.born_again is not None:
        rows = labelled.get(cfg.transfer_set.model_dump_json()) if cfg.transfer_set else None
        return _generations(dataset, teacher, cfg, evaluation, seed, progress, rows, device)
    trained = []
    for size in cfg.sizes():
        variants = student_variants(size, n_train)
        for regime, variant in variants:
            rows = labelled.get(variant.transfer_set.model_dump_json()) if variant.transfer_set else None
            trained.append(_train_one(dataset, teacher, variant, regime, evaluation, seed, progress, rows, device))
        longest = max((v for _, v in variants), key=lambda v: matched_scratch_config(v, n_train).epochs)
        trained.append(_train_one(dataset, teacher, longest, "scratch", evaluation, seed, progress, None, device))
    return trained


def _generations(dataset: Dataset, teacher: nn.Module, cfg: StudentConfig, evaluation: dict, seed: int,
                 progress: bool, labelled: tuple[np.ndarray, np.ndarray] | None,
                 device: torch.device | str) -> list[TrainedStudent]:
    """Born-again students: each generation distilled from the one before (the first from the teacher), then the
    scratch twin. Every generation starts from the seed's initial weights, as the scratch twin does."""
    trained, previous = [], teacher
    for generation in range(1, cfg.born_again.generations + 1):
        trained.append(_train_one(dataset, previous, cfg, method_name(cfg), evaluation, seed, progress, labelled,
                                  device, generation))
        previous, labelled = trained[-1].module, None  # the next generation's rows are labelled by this one
    return [*trained, _train_one(dataset, teacher, cfg, "scratch", evaluation, seed, progress, None, device)]


def _train_one(dataset: Dataset, teacher: nn.Module, cfg: StudentConfig, regime: str, evaluation: dict,
               seed: int, progress: bool, labelled: tuple[np.ndarray, np.ndarray] | None,
               device: torch.device | str, generation: int | None = None) -> TrainedStudent:
    """Train one student of the sweep (``regime`` ``"scratch"``: from labels) and score it (``generation``: a
    born-again student's, from 1)."""
    start = time.perf_counter()
    scratch = regime == "scratch"
    if scratch:
        module, log = train_scratch_student(dataset, cfg, seed, progress, device, teacher)
    else:
        module, log = distill_student(dataset, teacher, cfg, seed, progress, labelled, device)
    seconds = time.perf_counter() - start
    width = architecture(cfg, teacher)
    fitting = "train" if scratch else _fitting_set(cfg)
    if generation is not None and generation > 1:
        fitting += f", labelled by generation {generation - 1}"
    recipe = {"arch": cfg.arch, **width, **({"generation": generation} if generation is not None else {})}
    row = sweep_row("student", regime, fitting, width, recipe, count_parameters(module),
                    lambda X, _n_classes: predict_outputs(module, X), evaluation, seconds)
    return TrainedStudent(module, log, row)


def _fitting_set(cfg: StudentConfig) -> str:
    """What the distilled student's inputs are, for the sweep's ``transfer`` column."""
    if cfg.function_matching:
        return f"mixup each step (alpha={cfg.mixup_alpha:g})"
    if cfg.transfer_set is not None:
        recipe = cfg.transfer_set
        return candidate_label(recipe.augmentation, recipe.n_synthetic, recipe.params)
    return "train"


def check_students(cfg: StudentConfig, dataset: Dataset, seed: int, teacher: nn.Module | None = None) -> None:
    """Fail unless every width of ``cfg`` can be built for this data and one fits ``cfg.budget`` parameters.

    Called before the teacher trains: the networks are built untrained, which takes milliseconds. A born-again
    student is the teacher's size and is checked when the teacher is there (:func:`build_student`). With
    ``loss: hint`` the named layers must exist too (the teacher's once it is given).

    Args:
        cfg: the ``student`` config section.
        dataset: gives the input and output widths and the image shape.
        seed: the students' initialisation seed.
        teacher: the teacher, once there is one (its ``teacher_layer`` is then checked).

    Raises:
        ConfigError: the architecture does not fit the data (``cnn`` on a table), every width has more
            parameters than the budget (the message names the smallest), or a hinted layer does not exist.
    """
    if cfg.born_again is not None:
        return
    student_variants(cfg, len(dataset.y_train))  # candidates that repeat one another fail here, not after training
    try:
        students = [build_student(dataset, size, seed) for size in cfg.sizes()]
    except ValueError as exc:
        raise ConfigError(f"student.arch: {exc}") from None
    if cfg.loss == "hint":
        check_layers(teacher, students, cfg.teacher_layer, cfg.student_layer)
    sizes = [count_parameters(student) for student in students]
    smallest = min(sizes)
    if cfg.budget is not None and smallest > cfg.budget:
        raise ConfigError(f"no student width fits student.budget {cfg.budget:g} parameters (smallest: "
                          f"{smallest:,}); raise the budget or add a narrower width to student.grid")


def fit_students(cfg: ExperimentConfig, dataset: Dataset, teacher: nn.Module, teacher_probs: dict[str, np.ndarray],
                 keep_widths: bool = False) -> tuple[list[FittedModel], pd.DataFrame, dict]:
    """Distil every candidate and train from scratch a student per width of the grid; keep the validation-selected pair.

    The distilled student is the candidate and width with the best validation fidelity
    (:func:`~interpret_distill.student_selection.select_student`) within ``student.budget`` parameters; its
    baseline is the scratch student of the same width. With ``student.keep_scratch``, when that scratch student is
    more faithful on validation than every distilled candidate, it is also the shipped ``student`` (regime
    ``"scratch"``). Born-again students are chosen among their generations the same way; the other generations are
    kept (role ``alternative``, named ``student:gen<g>``).

    Args:
        cfg: the experiment config (its ``student`` section, seed and progress).
        dataset: the splits.
        teacher: the frozen teacher.
        teacher_probs: the teacher's probabilities on ``"val"`` and ``"test"``.
        keep_widths: also return the distilled student of every other width (role ``alternative``, named
            ``student:<width>``), e.g. for the compression table (born-again generations are always kept).

    Returns:
        The shipped and scratch students (then, with ``keep_widths``, the other distilled students of the chosen
        candidate), the sweep table (one row per trained network) and the training logs of the chosen distilled
        candidate and of its twin (``{"distilled": ..., "scratch": ...}``, with their widths).

    Raises:
        ConfigError: no width of the grid fits ``student.budget`` (checked before any student is trained), or
            ``born_again`` with a user teacher whose architecture is not a built-in one.
    """
    student_cfg = cfg.student
    check_students(student_cfg, dataset, cfg.seed, teacher)
    trained = sweep_students(dataset, teacher, student_cfg, teacher_probs, cfg.seed, cfg.progress,
                             device=module_device(teacher))
    sweep = pd.DataFrame([t.row for t in trained], columns=COLUMNS)
    distilled, scratch, twin_ships = select_student(sweep, student_cfg.budget, student_cfg.keep_scratch)
    shipped = scratch if twin_ships else distilled
    models = []
    for name, role, index in (("student", "distilled", shipped), ("student_scratch", "baseline", scratch)):
        row = sweep.loc[index]
        params = json.loads(row.params_json)
        models.append(FittedModel(name, "student", params["arch"], row.regime, role, trained[index].module,
                                  params, row.fit_seconds, row.transfer))
    # the training curves of the chosen distilled candidate and of its twin (also when the twin ships)
    logs = {key: {**trained[index].log.as_dict(), "size": sweep.params[index]}
            for key, index in (("distilled", distilled), ("scratch", scratch))}
    regime = sweep.regime[distilled]  # with keep_widths, its other widths (and itself, when the twin ships)
    keep = keep_widths or student_cfg.born_again is not None
    others = sweep.index[(sweep.regime == regime) & (sweep.index != shipped)] if keep else []
    for index in others:
        row = sweep.loc[index]
        params = json.loads(row.params_json)
        name = f"student:gen{params['generation']}" if "generation" in params else f"student:{row.params}"
        models.append(FittedModel(name, "student", params["arch"], row.regime, "alternative",
                                  trained[index].module, params, row.fit_seconds, row.transfer))
    return models, sweep, logs
