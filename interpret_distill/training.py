"""One training loop for every network: minibatch AdamW with early stopping on a validation score."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Callable, Iterator

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .compute import module_device
from .models import predict_logits
from .progress import progress_bar

# (module, x_batch, target_batch, generator) -> scalar loss
StepLoss = Callable[[nn.Module, torch.Tensor, torch.Tensor, torch.Generator], torch.Tensor]


@dataclass
class TrainLog:
    """What happened during training; the best epoch's weights are the ones kept.

    Attributes:
        best_epoch: 1-based epoch of the best validation score (0 before any epoch).
        best_score: that score.
        epochs_run: epochs trained before early stopping or the epoch limit.
        val_scores: validation score after each epoch.
        train_losses: mean training loss of each epoch.

    Example:
        >>> log = TrainLog(best_epoch=2, best_score=0.9, epochs_run=3, val_scores=[0.8, 0.9, 0.85])
        >>> log.best_epoch, log.epochs_run
        (2, 3)
    """

    best_epoch: int = 0
    best_score: float = float("-inf")
    epochs_run: int = 0
    val_scores: list[float] = field(default_factory=list)
    train_losses: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready form of the log, as recorded in ``run.json``.

        Returns:
            ``{"best_epoch", "best_val_score", "epochs_run", "val_scores", "train_losses"}``; the per-epoch lists are
            rounded to 6 decimals.

        Example:
            >>> TrainLog(best_epoch=1, best_score=0.5, epochs_run=1, val_scores=[1 / 2], train_losses=[2 / 3]).as_dict()
            {'best_epoch': 1, 'best_val_score': 0.5, 'epochs_run': 1, 'val_scores': [0.5], 'train_losses': [0.666667]}
        """
        return {
            "best_epoch": self.best_epoch,
            "best_val_score": self.best_score,
            "epochs_run": self.epochs_run,
            "val_scores": [round(s, 6) for s in self.val_scores],
            "train_losses": [round(s, 6) for s in self.train_losses],
        }


def train_network(
    module: nn.Module,
    X: np.ndarray,
    y: np.ndarray,
    step_loss: StepLoss,
    val_score: Callable[[nn.Module], float],
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    patience: int,
    seed: int,
    epoch_rows: int | None = None,
    progress: bool = True,
    desc: str = "train",
) -> TrainLog:
    """Train ``module`` in place and restore the weights of its best validation epoch.

    Args:
        module: the network to train, on the device it is trained on.
        X: training inputs ``(n, d)``.
        y: training targets: integer labels ``(n,)`` (passed on as int64), or real-valued rows such as the
            teacher's logits ``(n, k)`` (passed on as float32), or a tuple of such arrays (the step then gets a
            tuple of their minibatches, e.g. the teacher's logits and the labels).
        step_loss: computes the loss of one minibatch.
        val_score: higher is better (accuracy, fidelity, ...), measured on the validation split only.
        epochs: maximum number of epochs (also the period of the cosine learning-rate schedule).
        batch_size: rows per minibatch.
        lr: AdamW learning rate.
        weight_decay: AdamW weight decay.
        patience: stop after this many epochs without a better validation score.
        seed: seeds shuffling and any randomness in ``step_loss`` (through the generator it is given).
        epoch_rows: the most rows an epoch trains on (``None``: all of ``X``). With fewer rows than ``X`` has, epochs
            are consecutive slices of a stream of shuffles, so every row is drawn once before any row twice: on big
            data the validation check (and patience) comes every ``epoch_rows`` rows instead of every full pass.
        progress: show a tqdm bar.
        desc: the bar's label.

    Returns:
        The :class:`TrainLog`.

    Example:
        >>> X, y = np.array([[-1.0], [1.0]], dtype=np.float32), np.array([0, 1])
        >>> net = nn.Linear(1, 2)
        >>> log = train_network(net, X, y, lambda m, xb, yb, _g: F.cross_entropy(m(xb), yb),
        ...                     log_likelihood_score_fn(X, y), epochs=5, batch_size=2, lr=0.1, weight_decay=0.0,
        ...                     patience=2, seed=0, progress=False)
        >>> log.epochs_run, len(log.val_scores), net.training
        (5, 5, False)
    """
    generator = torch.Generator().manual_seed(seed)  # on the CPU: the same draws whatever the device
    device = module_device(module)  # the data stay on the CPU; each minibatch goes to the module's device
    X_t = torch.as_tensor(X, dtype=torch.float32)
    y_t = tuple(map(_target_tensor, y)) if isinstance(y, tuple) else _target_tensor(y)
    optimiser = torch.optim.AdamW(module.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs)
    log, best_state, stale = TrainLog(), copy.deepcopy(module.state_dict()), 0
    orders = _epoch_orders(len(X_t), epoch_rows or len(X_t), generator)
    epoch_size = min(epoch_rows or len(X_t), len(X_t))
    # rows done out of the epoch limit's rows: the time left is an upper bound, early stopping ends sooner
    bar = progress_bar(total=epochs * epoch_size, enabled=progress, desc=desc, unit="row", unit_scale=True,
                       leave=False)
    for epoch in range(epochs):
        module.train()
        order = next(orders)
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            yb = tuple(t[idx].to(device) for t in y_t) if isinstance(y_t, tuple) else y_t[idx].to(device)
            loss = step_loss(module, X_t[idx].to(device), yb, generator)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(idx)
            bar.update(len(idx))
        scheduler.step()
        module.eval()
        score = float(val_score(module))
        log.val_scores.append(score)
        log.train_losses.append(total / len(order))
        log.epochs_run = epoch + 1
        if score > log.best_score:
            log.best_score, log.best_epoch, stale = score, epoch + 1, 0
            best_state = copy.deepcopy(module.state_dict())
        else:
            stale += 1
        bar.set_postfix(epoch=epoch + 1, val=f"{score:.3f}", best=f"{log.best_score:.3f}")
        if stale >= patience:
            break
    bar.close()
    module.load_state_dict(best_state)
    module.eval()
    return log


def _target_tensor(y: np.ndarray) -> torch.Tensor:
    """Labels as int64, anything real-valued as float32."""
    y = np.asarray(y)
    return torch.as_tensor(y, dtype=torch.int64 if np.issubdtype(y.dtype, np.integer) else torch.float32)


def _epoch_orders(n: int, epoch_rows: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Row orders of successive epochs: ``epoch_rows`` at a time from a stream of shuffles of ``range(n)``.

    With ``epoch_rows >= n`` each epoch is one fresh shuffle of all rows (the draws of a plain loop).

    Example:
        >>> orders = _epoch_orders(5, 3, torch.Generator().manual_seed(0))
        >>> first, second = next(orders), next(orders)
        >>> sorted(torch.cat([first, second[:2]]).tolist())  # the first five rows drawn are each row once
        [0, 1, 2, 3, 4]
    """
    size, pending = min(epoch_rows, n), torch.empty(0, dtype=torch.int64)
    while True:
        while len(pending) < size:
            pending = torch.cat([pending, torch.randperm(n, generator=generator)])
        order, pending = pending[:size], pending[size:]
        yield order


def _tie_break(loss: float, n: int) -> float:
    """A penalty below half of one example's worth of top-1 agreement (``0.5 / n``), growing with ``loss``.

    Top-1 scores on a small validation split move in steps of ``1 / n`` and often saturate (a student
    agreeing on all 36 wine rows after a few epochs); subtracting this breaks ties by a smooth loss
    without ever overturning a difference of one example.
    """
    return 0.5 / max(n, 1) * loss / (1.0 + loss)


def fidelity_score_fn(X: np.ndarray, teacher_labels: np.ndarray,
                      teacher_logits: np.ndarray | None = None) -> Callable[[nn.Module], float]:
    """A validation score: top-1 agreement of a module with the teacher's labels on ``X``.

    With ``teacher_logits``, ties in agreement are broken by the mean KL(teacher ‖ student) on ``X``
    (see :func:`_tie_break`), so early stopping prefers the epoch closest to the teacher's probabilities.

    Args:
        X: validation inputs ``(n, d)``.
        teacher_labels: the teacher's classes on ``X`` ``(n,)``.
        teacher_logits: the teacher's logits on ``X`` ``(n, k)``, or ``None`` for agreement alone.

    Returns:
        ``module -> float``: agreement in [0, 1], less a tie-break penalty below ``0.5 / n`` with ``teacher_logits``.

    Example:
        >>> X = np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=np.float32)  # nn.Identity() returns these as logits
        >>> fidelity_score_fn(X, np.array([0, 0]))(nn.Identity())
        0.5
        >>> fidelity_score_fn(X, np.array([0, 1]), teacher_logits=X)(nn.Identity())  # same probabilities: KL 0
        1.0
        >>> 0.75 < fidelity_score_fn(X, np.array([0, 1]), teacher_logits=4 * X)(nn.Identity()) < 1.0
        True
    """
    if teacher_logits is None:
        return lambda module: float((predict_logits(module, X).argmax(1) == teacher_labels).mean())
    log_p = torch.log_softmax(torch.as_tensor(teacher_logits, dtype=torch.float64), dim=1)

    def score(module: nn.Module) -> float:
        logits = predict_logits(module, X)
        log_q = torch.log_softmax(torch.as_tensor(logits, dtype=torch.float64), dim=1)
        kl = float((log_p.exp() * (log_p - log_q)).sum(dim=1).mean())
        return float((logits.argmax(1) == teacher_labels).mean()) - _tie_break(kl, len(X))

    return score


def accuracy_nll_score_fn(X: np.ndarray, y: np.ndarray) -> Callable[[nn.Module], float]:
    """A validation score: accuracy on ``(X, y)``, ties broken by the mean negative log-likelihood.

    Args:
        X: validation inputs ``(n, d)``.
        y: validation labels ``(n,)``.

    Returns:
        ``module -> float``: accuracy less a penalty below ``0.5 / n`` that grows with the mean NLL.

    Example:
        >>> X = np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=np.float32)  # nn.Identity() returns these as logits
        >>> round(accuracy_nll_score_fn(X, np.array([0, 1]))(nn.Identity()), 3)  # 1 - 0.25 * nll / (1 + nll)
        0.972
    """
    labels = torch.as_tensor(y, dtype=torch.int64)

    def score(module: nn.Module) -> float:
        logits = predict_logits(module, X)
        nll = float(F.cross_entropy(torch.as_tensor(logits, dtype=torch.float64), labels))
        return float((logits.argmax(1) == y).mean()) - _tie_break(nll, len(X))

    return score


def log_likelihood_score_fn(X: np.ndarray, y: np.ndarray) -> Callable[[nn.Module], float]:
    """A validation score: the mean log-likelihood of ``y`` on ``(X, y)`` (minus the mean NLL; higher is better).

    Smoother than accuracy: on a validation split of a few dozen rows accuracy moves in big steps and can
    peak by chance on an underfit early epoch; the likelihood tracks how well the network really fits.

    Args:
        X: validation inputs ``(n, d)``.
        y: validation labels ``(n,)``.

    Returns:
        ``module -> float``: ``-mean(NLL)``, at most 0.

    Example:
        >>> X = np.array([[1.0, -1.0], [-1.0, 1.0]], dtype=np.float32)  # nn.Identity() returns these as logits
        >>> round(log_likelihood_score_fn(X, np.array([0, 1]))(nn.Identity()), 4)  # -log(1 + e^-2)
        -0.1269
    """
    labels = torch.as_tensor(y, dtype=torch.int64)
    return lambda module: -float(F.cross_entropy(torch.as_tensor(predict_logits(module, X), dtype=torch.float64),
                                                 labels))


def mse_score_fn(X: np.ndarray, targets: np.ndarray) -> Callable[[nn.Module], float]:
    """A validation score of a one-output network: minus the mean squared error to ``targets`` (higher is better).

    Early stopping of regression teachers (targets: the labels), scratch students (the labels) and distilled
    students (the teacher's predictions).

    Args:
        X: validation inputs ``(n, d)``.
        targets: ``(n,)`` or ``(n, 1)`` values.

    Returns:
        ``module -> float``: ``-mean((prediction - target)^2)``, at most 0.

    Example:
        >>> X = np.array([[1.0], [3.0]], dtype=np.float32)  # nn.Identity() predicts each row's value
        >>> mse_score_fn(X, np.array([1.0, 1.0]))(nn.Identity())
        -2.0
    """
    targets = np.asarray(targets, dtype=np.float64).reshape(-1)
    return lambda module: -float(np.mean((predict_logits(module, X)[:, 0] - targets) ** 2))


def _regression_label_loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(outputs[:, 0], targets.to(outputs.dtype))


@dataclass(frozen=True)
class TaskTraining:
    """How networks of one task are trained: the stages look this up once, by the dataset's task.

    Attributes:
        label_loss: ``(outputs, labels) -> loss`` of training on labels (the teacher, the scratch student).
        label_score: ``(X_val, y_val) -> score`` early stopping on labels (a scratch student).
        teacher_score: ``(X_val, y_val) -> score`` early stopping of a trained teacher.
        fidelity_score: ``(X_val, teacher_outputs) -> score`` early stopping of a distilled student (the teacher's
            raw outputs: logits, or a regressor's value).
        teacher_labels: the label a teacher's raw outputs stand in for (the argmax class, or the value itself),
            for rows without ground truth (mixed or synthetic inputs).

    Example:
        >>> TASK_TRAINING["regression"].teacher_labels(torch.tensor([[2.5]])).tolist()
        [2.5]
    """

    label_loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    label_score: Callable[[np.ndarray, np.ndarray], Callable[[nn.Module], float]]
    teacher_score: Callable[[np.ndarray, np.ndarray], Callable[[nn.Module], float]]
    fidelity_score: Callable[[np.ndarray, np.ndarray], Callable[[nn.Module], float]]
    teacher_labels: Callable[[torch.Tensor], torch.Tensor]


TASK_TRAINING = {
    "classification": TaskTraining(
        label_loss=F.cross_entropy, label_score=accuracy_nll_score_fn, teacher_score=log_likelihood_score_fn,
        fidelity_score=lambda X, logits: fidelity_score_fn(X, logits.argmax(1), logits),
        teacher_labels=lambda logits: logits.argmax(1)),
    "regression": TaskTraining(
        label_loss=_regression_label_loss, label_score=mse_score_fn, teacher_score=mse_score_fn,
        fidelity_score=mse_score_fn, teacher_labels=lambda outputs: outputs[:, 0]),
}
