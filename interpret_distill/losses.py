"""Distillation losses with one signature: ``(student_logits, teacher_logits, labels, **params) -> scalar``.

Every loss is looked up by name through :data:`LOSSES` / :func:`get_loss`, so a config can name it.
Logits are ``(n, k)`` float tensors; ``labels`` is an ``int64`` tensor ``(n,)`` or ``None`` when the
loss needs no ground truth (pure distillation on unlabelled transfer inputs).
"""

from __future__ import annotations

import functools
import inspect
from typing import Callable

import torch
import torch.nn.functional as F

Loss = Callable[..., torch.Tensor]


def _check_fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")


def _check_temperature(temperature: float) -> None:
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")


def _check_weights(**weights: float) -> None:
    for name, value in weights.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")


def _label_term(student_logits: torch.Tensor, labels: torch.Tensor | None, weight: float, loss: str) -> torch.Tensor:
    """``weight * CE(student, labels)``; skipped (not just zeroed) when ``weight == 0`` so labels may be None."""
    if weight == 0:
        return student_logits.new_zeros(())
    if labels is None:
        raise ValueError(f"{loss} needs labels unless its ground-truth weight is 0")
    return weight * F.cross_entropy(student_logits, labels)


def soft_cross_entropy(student_logits: torch.Tensor, teacher_probs: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of the student against soft targets, averaged over the batch.

    Args:
        student_logits: ``(n, k)`` student logits.
        teacher_probs: ``(n, k)`` target probabilities (rows sum to 1).

    Returns:
        Scalar tensor ``-mean_i sum_c p_ic log softmax(s)_ic``.

    Example:
        >>> s = torch.zeros(2, 3); p = torch.full((2, 3), 1 / 3)
        >>> round(soft_cross_entropy(s, p).item(), 4)
        1.0986
    """
    return -(teacher_probs * F.log_softmax(student_logits, dim=1)).sum(dim=1).mean()


def kd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float = 4.0,
    alpha: float = 0.9,
) -> torch.Tensor:
    """Hinton knowledge distillation: ``alpha T² KL(p_t^T ‖ p_s^T) + (1 - alpha) CE(s, y)``.

    The T² factor keeps the soft-target gradients on the same scale as the hard-label term when T
    changes (soft gradients shrink as 1/T²).

    Args:
        student_logits: ``(n, k)`` student logits.
        teacher_logits: ``(n, k)`` teacher logits (no gradient needed).
        labels: ``(n,)`` int64 ground truth, or ``None`` when ``alpha == 1``.
        temperature: softening temperature ``T > 0``.
        alpha: weight of the distillation term in ``[0, 1]``.

    Returns:
        Scalar loss tensor.

    Example:
        >>> t = torch.tensor([[2.0, 0.0, -1.0]])
        >>> kd_loss(t, t, None, alpha=1.0).item()
        0.0
    """
    _check_temperature(temperature)
    _check_fraction("alpha", alpha)
    # kl_div wants log-probabilities as input; log_target=True keeps the teacher side in log space too,
    # which avoids log(0) for very confident teachers.
    kl = F.kl_div(
        F.log_softmax(student_logits / temperature, dim=1),
        F.log_softmax(teacher_logits / temperature, dim=1),
        log_target=True,
        reduction="batchmean",
    )
    return alpha * temperature**2 * kl + _label_term(student_logits, labels, 1.0 - alpha, "kd_loss")


def dkd_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float = 4.0,
    alpha: float = 1.0,
    beta: float = 8.0,
    ce_weight: float = 1.0,
) -> torch.Tensor:
    """Decoupled KD (Zhao et al., CVPR 2022): ``T² (alpha TCKD + beta NCKD) + ce_weight CE(s, y)``.

    TCKD is the KL between the binary (target, rest) distributions of teacher and student; NCKD is
    the KL between their distributions over the non-target classes only. The target is the
    ground-truth label, so ``labels`` is required.

    Args:
        student_logits: ``(n, k)`` student logits.
        teacher_logits: ``(n, k)`` teacher logits.
        labels: ``(n,)`` int64 ground-truth classes.
        temperature: softening temperature ``T > 0``.
        alpha: weight of TCKD.
        beta: weight of NCKD (the paper's default 8 up-weights the "dark knowledge").
        ce_weight: weight of the hard-label cross-entropy.

    Returns:
        Scalar loss tensor.

    Example:
        >>> s = torch.tensor([[1.0, 0.0, -1.0]]); y = torch.tensor([0])
        >>> dkd_loss(s, s, y, ce_weight=0.0).item()
        0.0
    """
    _check_temperature(temperature)
    _check_weights(alpha=alpha, beta=beta, ce_weight=ce_weight)
    if labels is None:
        raise ValueError("dkd_loss needs labels: the target class is the ground truth")
    target = F.one_hot(labels, student_logits.shape[1]).bool()

    def binary_log_probs(logits: torch.Tensor) -> torch.Tensor:
        # (n, 2) log [p_target, p_rest], kept in log space for stability.
        log_p = F.log_softmax(logits / temperature, dim=1)
        log_target = log_p.masked_select(target).unsqueeze(1)
        log_rest = torch.logsumexp(log_p.masked_fill(target, float("-inf")), dim=1, keepdim=True)
        return torch.cat([log_target, log_rest], dim=1)

    def non_target_log_probs(logits: torch.Tensor) -> torch.Tensor:
        # A huge negative logit *before* the softmax removes the target class; it must stay finite so
        # kl_div's exp(t) * (t - s) is 0 * finite rather than 0 * nan.
        masked = (logits / temperature).masked_fill(target, torch.finfo(logits.dtype).min)
        return F.log_softmax(masked, dim=1)

    def kl(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        return F.kl_div(student, teacher, log_target=True, reduction="batchmean")

    tckd = kl(binary_log_probs(student_logits), binary_log_probs(teacher_logits))
    nckd = kl(non_target_log_probs(student_logits), non_target_log_probs(teacher_logits))
    return temperature**2 * (alpha * tckd + beta * nckd) + _label_term(student_logits, labels, ce_weight, "dkd_loss")


def mse_logits_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    alpha: float = 1.0,
) -> torch.Tensor:
    """Logit matching: ``alpha MSE(s, t) + (1 - alpha) CE(s, y)`` (Ba & Caruana 2014).

    Args:
        student_logits: ``(n, k)`` student logits.
        teacher_logits: ``(n, k)`` teacher logits.
        labels: ``(n,)`` int64 ground truth, or ``None`` when ``alpha == 1``.
        alpha: weight of the logit-matching term in ``[0, 1]``.

    Returns:
        Scalar loss tensor (MSE averaged over all ``n * k`` entries).

    Example:
        >>> mse_logits_loss(torch.zeros(2, 3), torch.ones(2, 3), None).item()
        1.0
    """
    _check_fraction("alpha", alpha)
    return alpha * F.mse_loss(student_logits, teacher_logits) + _label_term(
        student_logits, labels, 1.0 - alpha, "mse_logits_loss"
    )


def feature_l2(student_features: torch.Tensor, teacher_features: torch.Tensor) -> torch.Tensor:
    """The FitNets hint loss: ``½ mean (r - h)²`` between the regressed student features and the teacher's.

    Args:
        student_features: the student's intermediate features after the regressor, any shape.
        teacher_features: the teacher's features at the hinted layer, the same shape.

    Returns:
        Scalar tensor (averaged over every entry, so it does not grow with the feature map).

    Example:
        >>> feature_l2(torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4)).item()
        0.5
    """
    return 0.5 * F.mse_loss(student_features, teacher_features)


def hint_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float = 4.0,
    alpha: float = 0.9,
    hint_weight: float = 1.0,
    *,
    student_features: torch.Tensor | None = None,
    teacher_features: torch.Tensor | None = None,
) -> torch.Tensor:
    """Hint distillation (FitNets, Romero et al. 2015) as a loss term: ``kd + hint_weight ½ mean (r - h)²``.

    The feature term compares the student's hooked features after the regressor (``student_features``) with the
    teacher's at the hinted layer (``teacher_features``); :mod:`interpret_distill.hints` hooks both and trains the
    regressor. Without features only the KD term is left.

    Args:
        student_logits: ``(n, k)`` student logits.
        teacher_logits: ``(n, k)`` teacher logits.
        labels: ``(n,)`` int64 ground truth, or ``None`` when ``alpha == 1``.
        temperature: softening temperature of the KD term.
        alpha: weight of the KD term's soft part (see :func:`kd_loss`).
        hint_weight: weight of the feature term (0: the hints only act as a first stage, ``hint_epochs``).
        student_features: the regressed student features, or None.
        teacher_features: the teacher's features, the same shape.

    Returns:
        Scalar loss tensor.

    Example:
        >>> t, zeros, ones = torch.tensor([[2.0, 0.0]]), torch.zeros(1, 2), torch.ones(1, 2)
        >>> hint_loss(t, t, None, alpha=1.0, student_features=zeros, teacher_features=ones).item()
        0.5
    """
    _check_weights(hint_weight=hint_weight)
    loss = kd_loss(student_logits, teacher_logits, labels, temperature, alpha)
    if student_features is None or teacher_features is None or hint_weight == 0:
        return loss
    return loss + hint_weight * feature_l2(student_features, teacher_features)


def regression_mse_loss(
    student_outputs: torch.Tensor,
    teacher_outputs: torch.Tensor,
    targets: torch.Tensor | None,
    alpha: float = 1.0,
) -> torch.Tensor:
    """Distillation of a regression: ``alpha MSE(s, t) + (1 - alpha) MSE(s, y)`` on standardised values.

    Args:
        student_outputs: ``(n, 1)`` student predictions.
        teacher_outputs: ``(n, 1)`` teacher predictions.
        targets: ``(n,)`` float ground truth, or ``None`` when ``alpha == 1``.
        alpha: weight of the teacher term in ``[0, 1]``.

    Returns:
        Scalar loss tensor.

    Example:
        >>> regression_mse_loss(torch.zeros(2, 1), torch.ones(2, 1), torch.full((2,), 3.0), alpha=0.5).item()
        5.0
    """
    _check_fraction("alpha", alpha)
    loss = alpha * F.mse_loss(student_outputs, teacher_outputs)
    if alpha == 1.0:
        return loss
    if targets is None:
        raise ValueError("regression_mse_loss needs targets unless alpha is 1")
    return loss + (1.0 - alpha) * F.mse_loss(student_outputs[:, 0], targets.to(student_outputs.dtype))


LOSSES: dict[str, Loss] = {"kd": kd_loss, "dkd": dkd_loss, "mse": mse_logits_loss, "hint": hint_loss}
# the losses of a regression student (one output, float targets); the config names them like LOSSES
REGRESSION_LOSSES: dict[str, Loss] = {"mse": regression_mse_loss}


def get_loss(name: str, task: str = "classification", **params: float) -> Loss:
    """The loss registered as ``name`` for ``task``, with ``params`` bound when given.

    Args:
        name: a key of :data:`LOSSES` (classification) or :data:`REGRESSION_LOSSES` (regression).
        task: ``"classification"`` or ``"regression"``.
        **params: keyword hyper-parameters to bind (e.g. ``temperature``); names and values are checked
            now, so a typo in a config fails before training starts.

    Returns:
        A callable ``(student_logits, teacher_logits, labels) -> scalar tensor``.

    Raises:
        ValueError: unknown loss name or parameter, or a parameter value out of range.

    Example:
        >>> loss = get_loss("kd", temperature=2.0, alpha=1.0)
        >>> loss(torch.zeros(1, 2), torch.zeros(1, 2), None).item()
        0.0
    """
    registry = REGRESSION_LOSSES if task == "regression" else LOSSES
    if name not in registry:
        which = "regression loss" if task == "regression" else "loss"
        raise ValueError(f"unknown {which} {name!r}; allowed: {', '.join(sorted(registry))}")
    loss = registry[name]
    # the hyper-parameters after (student, teacher, labels); keyword-only ones are given per batch (hint features)
    allowed = [name for name, p in list(inspect.signature(loss).parameters.items())[3:]
               if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"loss {name!r} has no parameter(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    bound = functools.partial(loss, **params) if params else loss
    try:  # one tiny batch, so an out-of-range value (temperature 0, alpha 2) fails before training too
        if task == "regression":
            bound(torch.zeros(1, 1), torch.zeros(1, 1), torch.zeros(1))
        else:
            bound(torch.zeros(1, 2), torch.zeros(1, 2), torch.zeros(1, dtype=torch.long))
    except ValueError as exc:
        raise ValueError(f"loss {name!r}: {exc}") from None
    return bound
