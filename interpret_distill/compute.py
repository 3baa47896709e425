"""Where tensors live and how much of a big array is handled at once.

The run's ``device`` setting is resolved once (:func:`resolve_device`) and passed down; a model's queries move one
bounded chunk of rows at a time to the model's device and bring the results back as numpy (:func:`row_chunks`), so
memory stays bounded by the chunk, not the data; a fit capped at a number of rows takes a stratified subsample
(:func:`stratified_rows`).
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
import torch

from .config import DEVICE_PATTERN


def resolve_device(spec: str = "auto") -> torch.device:
    """The torch device a run uses: ``"auto"`` is the first CUDA device when one is available, else the CPU.

    Args:
        spec: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"mps"``.

    Returns:
        The device.

    Raises:
        ValueError: an unknown spec, or a device this machine does not have (the message names the fix).

    Example:
        >>> resolve_device("cpu")
        device(type='cpu')
    """
    if not DEVICE_PATTERN.match(spec):
        raise ValueError(f"device {spec!r} is not one of auto, cpu, cuda, cuda:N, mps")
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda" and (not torch.cuda.is_available() or (device.index or 0) >= torch.cuda.device_count()):
        raise ValueError(f"device {spec!r}: this machine has {torch.cuda.device_count()} CUDA device(s); "
                         "use device: auto or cpu")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps': Apple's Metal backend is not available here; use device: auto or cpu")
    return device


def module_device(module: Any) -> torch.device:
    """The device of a module's first parameter or buffer (CPU for a module without any, or a plain callable).

    Example:
        >>> module_device(torch.nn.Linear(2, 2))
        device(type='cpu')
    """
    if isinstance(module, torch.nn.Module):
        for tensor in (*module.parameters(), *module.buffers()):
            return tensor.device
    return torch.device("cpu")


def row_chunks(n_rows: int, chunk_rows: int) -> Iterator[slice]:
    """Consecutive slices of at most ``chunk_rows`` rows covering ``range(n_rows)``.

    Example:
        >>> [(s.start, s.stop) for s in row_chunks(5, 2)]
        [(0, 2), (2, 4), (4, 5)]
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be >= 1, got {chunk_rows}")
    for start in range(0, n_rows, chunk_rows):
        yield slice(start, min(start + chunk_rows, n_rows))


def stratified_rows(labels: np.ndarray, n_rows: int, seed: int) -> np.ndarray:
    """Indices of a seeded subsample of ``n_rows`` rows that keeps every class's share (largest remainders).

    Args:
        labels: ``(n,)`` class of each row (for soft labels: their argmax).
        n_rows: rows to keep (all of them when ``n_rows >= n``).
        seed: seeds the draw within each class.

    Returns:
        Sorted row indices.

    Example:
        >>> labels = np.array([0] * 90 + [1] * 10)
        >>> rows = stratified_rows(labels, 20, seed=0)
        >>> len(rows), int((labels[rows] == 1).sum())
        (20, 2)
    """
    labels = np.asarray(labels)
    if n_rows >= len(labels):
        return np.arange(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n_rows / len(labels)
    take = np.floor(quota).astype(int)
    take[np.argsort(-(quota - take), kind="stable")[: n_rows - take.sum()]] += 1
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == c), size=k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))
