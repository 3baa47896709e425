"""Where tensors live and how much of a big array is handled at once.

The run's ``device`` setting is resolved once (:func:`resolve_device`) and passed down; a model's queries move one
bounded chunk of rows at a time to the model's device and bring the results back as numpy (:func:`row_chunks`), so
memory stays bounded by the chunk, not the data. How many rows one call may take follows from the memory a row costs
the model (:func:`activation_bytes_per_row`) and the run's ``chunk_mb`` (:func:`rows_per_call`), so a CNN on 28x28
images is fed a few hundred rows at a time where an MLP on a table takes tens of thousands.
"""

from __future__ import annotations

from typing import Any, Iterator

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


# The memory one model call may take, unless the run's chunk_mb says otherwise.
DEFAULT_CHUNK_MB = 256
# A model whose layers cannot be looked into (scikit-learn, TorchScript) is charged this many float32 copies of a row:
# scikit-learn's predict_proba works on float64 copies and a few arrays the width of the row.
OPAQUE_ROW_COPIES = 8
# A call that keeps the autograd graph holds every activation and its gradient.
GRADIENT_FACTOR = 3


def activation_bytes_per_row(model: Any, n_features: int) -> int:
    """Bytes one input row costs ``model`` in a forward pass: the row plus every layer's output for it.

    Measured with forward hooks on the module's leaf layers during one pass over two zero rows (in eval mode, so
    batch-norm statistics are untouched); modules with a TorchScript part and models that are not torch modules are
    charged :data:`OPAQUE_ROW_COPIES` float32 copies of the row.

    Args:
        model: a ``torch.nn.Module`` taking ``(n, n_features)`` rows, or any other model.
        n_features: columns of a row.

    Returns:
        Bytes per row (at least the float32 row itself).

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Linear(10, 100), torch.nn.ReLU(), torch.nn.Linear(100, 2))
        >>> activation_bytes_per_row(net, 10)  # row 40 + 100 + 100 + 2 float32 outputs
        848
    """
    row = 4 * n_features
    # TorchScript takes no hooks: a module with a scripted part anywhere (a user's teacher, wrapped or not) is opaque
    if not isinstance(model, torch.nn.Module) or any(isinstance(m, torch.jit.ScriptModule) for m in model.modules()):
        return OPAQUE_ROW_COPIES * row
    sizes: list[int] = []

    def record(_module, _inputs, output):
        if torch.is_tensor(output):
            sizes.append(output.numel() * output.element_size())

    leaves = [m for m in model.modules() if next(m.children(), None) is None]
    hooks = [m.register_forward_hook(record) for m in leaves]
    training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(torch.zeros(2, n_features, device=module_device(model)))
    finally:
        model.train(training)
        for hook in hooks:
            hook.remove()
    return row + sum(sizes) // 2


def rows_per_call(model: Any, n_features: int, chunk_mb: float = DEFAULT_CHUNK_MB, *, gradients: bool = False) -> int:
    """How many rows one call of ``model`` may take so that its activations stay within ``chunk_mb``.

    Args:
        model: as in :func:`activation_bytes_per_row`.
        n_features: columns of a row.
        chunk_mb: the memory one call may take, in MiB (the run's ``chunk_mb``).
        gradients: the call keeps the autograd graph (gradient attributions): activations and their gradients.

    Returns:
        Rows per call, at least 1.

    Example:
        >>> net = torch.nn.Sequential(torch.nn.Linear(10, 100), torch.nn.ReLU(), torch.nn.Linear(100, 2))
        >>> rows_per_call(net, 10, chunk_mb=1), rows_per_call(net, 10, chunk_mb=1, gradients=True)
        (1236, 412)
    """
    per_row = activation_bytes_per_row(model, n_features) * (GRADIENT_FACTOR if gradients else 1)
    return max(1, int(chunk_mb * 2**20) // per_row)
