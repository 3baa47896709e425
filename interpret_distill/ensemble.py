"""Ensemble teachers: several teachers (trained here or brought) whose averaged outputs are the one teacher.

``teacher:`` may be a list of teacher configs (or ``{members: [...], combine: logits}``). The ensemble averages its
members' probabilities (``combine: probabilities``, the default) or their logits (``combine: logits``), and that
average is what every student and surrogate is distilled from and measured against. The members stay inside it, so
the run also reports each member's accuracy and every model's fidelity to each member (:func:`member_table`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn

from .metrics import accuracy, fidelity

if TYPE_CHECKING:  # annotations only: the run reader loads this module to rebuild a saved ensemble
    from .config import TeacherConfig
    from .data import Dataset

COMBINE = ("probabilities", "logits")


class EnsembleTeacher(nn.Module):
    """The average of its members: ``log mean_m softmax(z_m)`` (probabilities) or ``mean_m z_m`` (logits).

    With ``probabilities`` the output is the log of the averaged probabilities, so its softmax is exactly that
    average and the rest of the pipeline can treat it as logits. Either way it stays differentiable.

    Args:
        members: the member networks, each mapping ``(n, d)`` rows to ``(n, k)`` logits.
        combine: ``"probabilities"`` or ``"logits"``.

    Example:
        >>> a, b = nn.Linear(1, 2, bias=False), nn.Linear(1, 2, bias=False)
        >>> _ = a.weight.data.copy_(torch.tensor([[0.0], [2.0]]))
        >>> _ = b.weight.data.copy_(torch.tensor([[0.0], [-2.0]]))
        >>> EnsembleTeacher([a, b], "logits")(torch.ones(1, 1))
        tensor([[0., 0.]], grad_fn=<MeanBackward1>)
        >>> EnsembleTeacher([a, b])(torch.ones(1, 1)).softmax(1)  # the mean of (0.12, 0.88) and (0.88, 0.12)
        tensor([[0.5000, 0.5000]], grad_fn=<SoftmaxBackward0>)
    """

    def __init__(self, members: Sequence[nn.Module], combine: str = "probabilities"):
        super().__init__()
        if combine not in COMBINE:
            raise ValueError(f"combine must be one of {', '.join(COMBINE)}, got {combine!r}")
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least two members, got {len(members)}")
        self.members = nn.ModuleList(members)
        self.combine = combine
        self.differentiable = all(getattr(m, "differentiable", True) for m in members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The ensemble's logits on ``x``.

        Args:
            x: ``(n, d)`` rows.

        Returns:
            ``(n, k)``: averaged logits, or the log of the averaged probabilities.
        """
        outputs = torch.stack([member(x) for member in self.members])
        if self.combine == "logits":
            return outputs.mean(0)
        return torch.logsumexp(torch.log_softmax(outputs, dim=2), dim=0) - np.log(len(self.members))


def member_names(n: int) -> list[str]:
    """How tables name the members of an ensemble of ``n``.

    Example:
        >>> member_names(2)
        ['member_0', 'member_1']
    """
    return [f"member_{i}" for i in range(n)]


def member_table(member_probs: list[np.ndarray], model_probs: dict[str, np.ndarray], roles: dict[str, str],
                 teacher_probs: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    """Each member's accuracy, and every model's fidelity to the ensemble and to each member, on one split.

    Args:
        member_probs: each member's ``(n, k)`` probabilities.
        model_probs: every model's probabilities by name (the ensemble's as ``"teacher"``).
        roles: each model's role.
        teacher_probs: the ensemble's probabilities.
        y: the labels.

    Returns:
        One row per member (role ``member``), then per model: ``model``, ``role``, ``accuracy``, ``fidelity`` (to the
        ensemble) and ``fidelity_member_<i>`` per member.

    Example:
        >>> a, b = np.array([[0.9, 0.1], [0.8, 0.2]]), np.array([[0.9, 0.1], [0.1, 0.9]])  # the mean follows b
        >>> table = member_table([a, b], {"teacher": (a + b) / 2}, {"teacher": "reference"}, (a + b) / 2,
        ...                      np.array([0, 0]))
        >>> table[["model", "accuracy", "fidelity_member_0", "fidelity_member_1"]].values.tolist()
        [['member_0', 1.0, 1.0, 0.5], ['member_1', 0.5, 0.5, 1.0], ['teacher', 0.5, 0.5, 1.0]]
    """
    names = member_names(len(member_probs))
    rows = [(name, "member", probs) for name, probs in zip(names, member_probs)]
    rows += [(name, roles[name], probs) for name, probs in model_probs.items()]
    return pd.DataFrame([
        {"model": name, "role": role, "accuracy": accuracy(probs, y), "fidelity": fidelity(probs, teacher_probs),
         **{f"fidelity_{member}": fidelity(probs, m_probs) for member, m_probs in zip(names, member_probs)}}
        for name, role, probs in rows
    ])


def resolve_ensemble(dataset: Dataset, cfg: TeacherConfig, seed: int, resolve: Callable,
                     **options) -> tuple[EnsembleTeacher, dict]:
    """Resolve every member (trained here, loaded or imported) and combine them into an :class:`EnsembleTeacher`.

    Member ``i`` of a trained kind is trained with seed ``seed + i``, so identical configs give different members.

    Args:
        dataset: the splits.
        cfg: the ``teacher`` section with ``members`` and ``combine``.
        seed: the run's seed.
        resolve: :func:`~interpret_distill.teachers.resolve_teacher` (passed in: this module stays free of the
            teacher stage, so the run reader can rebuild a saved ensemble).
        **options: passed to ``resolve`` (``use_cache``, ``progress``, ``device``).

    Returns:
        The frozen ensemble in eval mode and an info dict (``source``: ``trained`` when every member was trained
        here, else ``ensemble``; ``kind``: ``ensemble``; ``combine``; ``members``: each member's info).
    """
    members, infos = [], []
    for i, member_cfg in enumerate(cfg.members):
        module, info = resolve(dataset, member_cfg, seed + i, **options)
        members.append(module)
        infos.append({"name": member_names(len(cfg.members))[i], **info})
    ensemble = EnsembleTeacher(members, cfg.combine).eval()
    trained = all(info["source"] == "trained" for info in infos)
    return ensemble, {"source": "trained" if trained else "ensemble", "kind": "ensemble", "combine": cfg.combine,
                      "members": infos, "n_params": sum(info["n_params"] for info in infos)}
