"""The compact neural student: distilled from the teacher, and the same network trained from scratch."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .config import StudentConfig
from .data import Dataset
from .losses import get_loss
from .models import build_network, predict_logits
from .teachers import accuracy_score_fn
from .training import TrainLog, train_network
from .transfer import mixup_torch


def fidelity_score_fn(X: np.ndarray, teacher_labels: np.ndarray) -> Callable[[nn.Module], float]:
    """A validation score: top-1 agreement of a module with the teacher's labels on ``X``."""
    return lambda module: float((predict_logits(module, X).argmax(1) == teacher_labels).mean())


def build_student(cfg: StudentConfig, dataset: Dataset, seed: int) -> nn.Module:
    """The student network, initialised from ``seed`` (so distilled and scratch start identical)."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return build_network(cfg.arch, dataset.n_features, dataset.n_classes, dataset.image_shape,
                             hidden=cfg.hidden, channels=cfg.channels)


def _train(module: nn.Module, dataset: Dataset, cfg: StudentConfig, step_loss, val_score, seed: int,
           progress: bool, desc: str) -> TrainLog:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return train_network(
            module, dataset.X_train, dataset.y_train, step_loss, val_score,
            epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, weight_decay=cfg.weight_decay,
            patience=cfg.patience, seed=seed, progress=progress, desc=desc,
        )


def distill_student(dataset: Dataset, teacher: nn.Module, cfg: StudentConfig, seed: int = 0,
                    progress: bool = True) -> tuple[nn.Module, TrainLog]:
    """Train the student on the teacher with the configured loss; early stopping on validation fidelity.

    The teacher stays in eval mode and is queried on every batch. With ``function_matching`` the batch is
    first mixed with a permutation of itself (mixup) and the teacher labels the mixed inputs, so the
    student matches the teacher's function between training points too.

    Args:
        dataset: the splits (train to fit, validation to stop early).
        teacher: the frozen teacher.
        cfg: the ``student`` config section.
        seed: seeds initialisation, shuffling and mixup.
        progress: show a progress bar.

    Returns:
        The student (eval mode) and its :class:`TrainLog`.
    """
    loss_fn = get_loss(cfg.loss)
    teacher.eval()

    def step_loss(student, xb, yb, generator):
        if cfg.function_matching:
            xb = mixup_torch(xb, generator)
        with torch.no_grad():
            teacher_logits = teacher(xb)
        # mixed inputs have no ground-truth label: the teacher's argmax stands in for it
        labels = teacher_logits.argmax(1) if cfg.function_matching else yb
        return loss_fn(student(xb), teacher_logits, labels, **cfg.loss_params)

    student = build_student(cfg, dataset, seed)
    teacher_val = predict_logits(teacher, dataset.X_val).argmax(1)
    log = _train(student, dataset, cfg, step_loss, fidelity_score_fn(dataset.X_val, teacher_val), seed, progress,
                 desc=f"student ({cfg.loss}{', FM' if cfg.function_matching else ''})")
    return student, log


def train_scratch_student(dataset: Dataset, cfg: StudentConfig, seed: int = 0,
                          progress: bool = True) -> tuple[nn.Module, TrainLog]:
    """The baseline: the same architecture, budget and seed, trained on labels alone (validation accuracy)."""

    def step_loss(student, xb, yb, _generator):
        return F.cross_entropy(student(xb), yb)

    student = build_student(cfg, dataset, seed)
    log = _train(student, dataset, cfg, step_loss, accuracy_score_fn(dataset.X_val, dataset.y_val), seed, progress,
                 desc="student (scratch)")
    return student, log
