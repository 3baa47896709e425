"""Global magnitude pruning of a network's weights, a fixed-budget fine-tune, and what the zeros would save.

Pruning goes through ``torch.nn.utils.prune``: the weights of every linear and convolution layer compete in one
pool (global L1), so layers with many small weights lose more of them; biases are kept. While pruned, a layer
multiplies its weight by a mask on every call, so a fine-tune cannot revive a pruned weight; :func:`prune_globally`
makes the zeros permanent (``prune.remove``) once the fine-tune has run, and what comes back is a plain network with
zeros in it. Saved as a ``state_dict`` it is exactly as large as the unpruned one: :func:`csr_bytes` says how large
it would be with its weight matrices stored sparse.
"""

from __future__ import annotations

import copy
import io
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune

# (module, x_batch, target_batch) -> scalar loss of one fine-tuning step
FinetuneLoss = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
PRUNABLE = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def prunable_weights(module: nn.Module) -> list[tuple[nn.Module, str]]:
    """The ``(layer, "weight")`` pairs global pruning competes over: every linear and convolution weight.

    Example:
        >>> len(prunable_weights(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))))
        2
    """
    return [(layer, "weight") for layer in module.modules() if isinstance(layer, PRUNABLE)]


def count_prunable(module: nn.Module) -> int:
    """Number of weight entries global pruning competes over (biases excluded).

    Example:
        >>> count_prunable(nn.Linear(4, 3))  # 12 weights; the 3 biases are not pruned
        12
    """
    return sum(getattr(layer, name).numel() for layer, name in prunable_weights(module))


def count_nonzero_parameters(module: nn.Module) -> int:
    """Number of non-zero parameter entries, biases included (quantized weights counted after dequantizing).

    Example:
        >>> layer = nn.Linear(2, 2)
        >>> with torch.no_grad():
        ...     _ = layer.weight.zero_()
        >>> count_nonzero_parameters(layer)  # the two biases
        2
    """
    return int(sum(torch.count_nonzero(p.detach().dequantize()).item() for p in module.parameters()))


def weight_sparsity(module: nn.Module) -> float:
    """Share of the prunable weights that are exactly zero.

    Example:
        >>> weight_sparsity(nn.Linear(4, 3))
        0.0
    """
    weights = [getattr(layer, name).detach() for layer, name in prunable_weights(module)]
    total = sum(w.numel() for w in weights)
    return sum(int((w == 0).sum()) for w in weights) / total if total else 0.0


def sparsity_for_nonzero(module: nn.Module, nonzero: int) -> float:
    """The global sparsity that leaves ``module`` with ``nonzero`` non-zero parameters, biases included.

    Args:
        module: the unpruned network.
        nonzero: the wanted number of non-zero parameters (e.g. a student's parameter count).

    Returns:
        The share of prunable weights to remove, in ``[0, 1]`` (clipped: a ``nonzero`` above the network's size
        gives 0, one below its bias count gives 1).

    Example:
        >>> sparsity_for_nonzero(nn.Linear(10, 10), 60)  # 110 parameters, 10 of them biases: prune 50 of 100
        0.5
    """
    total = sum(p.numel() for p in module.parameters())
    return float(np.clip((total - nonzero) / count_prunable(module), 0.0, 1.0))


def finetune(module: nn.Module, X: np.ndarray, targets: np.ndarray, loss: FinetuneLoss, *, steps: int,
             batch_size: int, lr: float, seed: int) -> nn.Module:
    """Train ``module`` in place for exactly ``steps`` Adam steps on shuffled minibatches of ``(X, targets)``.

    A fixed number of optimiser steps, not epochs or early stopping, so every pruning level gets the same budget.

    Args:
        module: the network (its parameters must require gradients).
        X: ``(n, d)`` training rows.
        targets: ``(n,)`` integer labels or ``(n, k)`` teacher logits, handed to ``loss`` batch by batch.
        loss: ``(module, x_batch, target_batch) -> scalar``.
        steps: optimiser steps (``0``: unchanged).
        batch_size: rows per step.
        lr: Adam learning rate.
        seed: seeds the shuffling and dropout; the global torch random state is left as it was.

    Returns:
        ``module``, in eval mode.

    Example:
        >>> net = nn.Linear(2, 2)
        >>> X, y = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32), np.array([0, 1])
        >>> ce = lambda m, xb, yb: nn.functional.cross_entropy(m(xb), yb)
        >>> finetune(net, X, y, ce, steps=3, batch_size=2, lr=0.1, seed=0).training
        False
    """
    X_t = torch.as_tensor(np.asarray(X, dtype=np.float32))
    targets = np.asarray(targets)
    y_t = torch.as_tensor(targets, dtype=torch.int64 if np.issubdtype(targets.dtype, np.integer) else torch.float32)
    optimiser = torch.optim.Adam([p for p in module.parameters() if p.requires_grad], lr=lr)
    generator = torch.Generator().manual_seed(seed)
    module.train()
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # dropout
        batches = _batches(len(X_t), batch_size, steps, generator)
        for idx in batches:
            optimiser.zero_grad(set_to_none=True)
            loss(module, X_t[idx], y_t[idx]).backward()
            optimiser.step()
    return module.eval()


def _batches(n: int, batch_size: int, steps: int, generator: torch.Generator) -> list[torch.Tensor]:
    """``steps`` minibatch index tensors: passes over a fresh permutation of ``range(n)``, as many as needed."""
    out: list[torch.Tensor] = []
    while len(out) < steps:
        order = torch.randperm(n, generator=generator)
        out += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return out[:steps]


def prune_globally(module: nn.Module, sparsity: float, fine_tune: Callable[[nn.Module], nn.Module] | None = None
                   ) -> nn.Module:
    """A copy of ``module`` with the ``sparsity`` share of its smallest weights (one global pool) set to zero.

    Args:
        module: the float network (left unchanged; a frozen teacher is unfrozen in the copy).
        sparsity: share of the prunable weights (:func:`prunable_weights`) to remove, in ``[0, 1)``.
        fine_tune: optionally ``module -> module``, run while the masks hold (pruned weights stay zero), e.g. a
            :func:`finetune` partial.

    Returns:
        The pruned copy in eval mode, masks made permanent (``prune.remove``): a plain network whose pruned weights
        are exact zeros, frozen.

    Example:
        >>> net = nn.Linear(2, 2, bias=False)
        >>> with torch.no_grad():
        ...     _ = net.weight.copy_(torch.tensor([[1.0, -4.0], [3.0, 2.0]]))
        >>> prune_globally(net, 0.5).weight.tolist()
        [[0.0, -4.0], [3.0, 0.0]]
    """
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must lie in [0, 1), got {sparsity}")
    pruned = copy.deepcopy(module)
    for parameter in pruned.parameters():
        parameter.requires_grad_(True)
    targets = prunable_weights(pruned)
    prune.global_unstructured(targets, pruning_method=prune.L1Unstructured, amount=float(sparsity))
    if fine_tune is not None:
        pruned = fine_tune(pruned)
    for layer, name in targets:
        prune.remove(layer, name)
    for parameter in pruned.parameters():
        parameter.requires_grad_(False)
    return pruned.eval()


def csr_bytes(module: nn.Module) -> int:
    """Serialized size of the module's ``state_dict`` with every prunable weight stored as a CSR matrix.

    Each weight is flattened to ``(out, rest)`` and stored as values plus int32 column indices and row pointers,
    or dense where that is smaller. Computed, not stored: a run saves pruned networks dense.

    Args:
        module: a (pruned) network.

    Returns:
        Bytes of ``torch.save`` of that ``state_dict``.

    Example:
        >>> net = prune_globally(nn.Linear(100, 100), 0.9)
        >>> csr_bytes(net) < csr_bytes(nn.Linear(100, 100))
        True
    """
    sparse_names = {f"{name}.weight" if name else "weight" for name, layer in module.named_modules()
                    if isinstance(layer, PRUNABLE)}
    state = {}
    for key, tensor in module.state_dict().items():
        state[key] = _csr_or_dense(tensor) if key in sparse_names else tensor
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


def _csr_or_dense(weight: torch.Tensor) -> dict[str, torch.Tensor] | torch.Tensor:
    """CSR parts of a weight flattened to 2-D (int32 indices), or the dense weight when that is smaller."""
    matrix = weight.detach().reshape(weight.shape[0], -1)
    kept = matrix != 0
    parts = {"values": matrix[kept], "col": kept.nonzero()[:, 1].to(torch.int32),
             "crow": torch.cat([torch.zeros(1, dtype=torch.int32), kept.sum(1).cumsum(0).to(torch.int32)])}
    sparse_size = sum(p.numel() * p.element_size() for p in parts.values())
    return parts if sparse_size < weight.numel() * weight.element_size() else weight
