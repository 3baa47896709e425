"""Turn any model of the project into one tensor → tensor forward function for Captum.

Torch models (teacher, students) stay differentiable; scikit-learn surrogates are wrapped through
``predict_proba`` and are marked non-differentiable, so only perturbation methods can explain them.

A regressor's output is its predicted value, one column: a torch network with a single output is returned as it is
(a softmax would turn it into the constant 1), and a scikit-learn regressor (``predict``, no ``predict_proba``) is
wrapped through ``predict`` as an ``(n, 1)`` output; the explained target is then column 0.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from ..models import eval_mode

OUTPUTS = ("proba", "logit")


_POSITIONS_HINT = "for a model with labels as classes_, pass np.searchsorted(model.classes_, labels)"


def check_inputs(X: Any, target: Any, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Validate the ``(X, target)`` pair every attribution function takes.

    Args:
        X: ``(n, d)`` inputs.
        target: ``(n,)`` explained class per row.
        dtype: the dtype ``X`` is converted to.

    Returns:
        ``X`` as a 2-D array of ``dtype`` and ``target`` as ``int64`` of shape ``(n,)``.
    """
    X = np.asarray(X, dtype=dtype)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
    target = np.asarray(target).reshape(-1)
    integral = np.issubdtype(target.dtype, np.integer) or (
        np.issubdtype(target.dtype, np.floating) and np.array_equal(target, np.round(target)))
    if not integral:
        raise ValueError(f"target must be class positions (columns of the model's output), got {target[:3].tolist()}; "
                         f"{_POSITIONS_HINT}")
    target = target.astype(np.int64)
    if target.shape != (len(X),):
        raise ValueError(f"target must have shape ({len(X)},), got {target.shape}")
    return X, target


def check_targets(target: np.ndarray, k: int) -> None:
    """Fail unless every target is a column of a ``k``-class output.

    Example:
        >>> check_targets(np.array([1, 3]), 3)
        Traceback (most recent call last):
        ...
        ValueError: target classes must lie in [0, 3) (columns of the model's output), got range [1, 3]; for a model with labels as classes_, pass np.searchsorted(model.classes_, labels)
    """
    if target.size and (target.min() < 0 or target.max() >= k):
        raise ValueError(f"target classes must lie in [0, {k}) (columns of the model's output), got range "
                         f"[{target.min()}, {target.max()}]; {_POSITIONS_HINT}")


def has_outputs(model: Any) -> bool:
    """Whether ``model`` is a scikit-learn style model :func:`as_forward` can wrap: ``predict_proba`` or, for a
    regressor, ``predict``.

    Example:
        >>> from sklearn.linear_model import LinearRegression
        >>> has_outputs(LinearRegression()), has_outputs(object())
        (True, False)
    """
    return hasattr(model, "predict_proba") or hasattr(model, "predict")


def is_differentiable(model: Any) -> bool:
    """Whether gradients can flow through ``model`` (or through a forward made by :func:`as_forward`).

    Args:
        model: a ``torch.nn.Module``, a scikit-learn estimator, or a callable returned by ``as_forward``.

    Returns:
        True for torch modules (and their forwards), False for anything explained through ``predict_proba``.

    Example:
        >>> is_differentiable(torch.nn.Linear(3, 2))
        True
    """
    if hasattr(model, "differentiable"):  # a forward built by as_forward carries the flag
        return bool(model.differentiable)
    return isinstance(model, torch.nn.Module)


def as_forward(model: Any, output: str = "proba", max_rows: int | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    """Wrap ``model`` as a callable mapping a float tensor ``(n, d)`` to ``(n, k)`` outputs.

    Torch modules are run in ``eval()`` mode (their previous mode is restored after each call); the result keeps
    its autograd graph so gradient methods work, and the caller decides about ``torch.no_grad()``.
    scikit-learn models are called through ``predict_proba`` on a float64 numpy copy of the input; the result
    has no gradient, and the callable is marked ``differentiable = False``.

    Args:
        model: a ``torch.nn.Module`` returning logits, or any object with ``predict_proba``.
        output: ``"proba"`` (softmax of the logits / ``predict_proba``) or ``"logit"`` (torch models only).
        max_rows: most rows handed to the model at once; a larger batch is run in consecutive chunks and
            concatenated (memory bounded by the chunk when no gradient is kept; see ``compute.rows_per_call``).

    Returns:
        A callable ``f(x) -> tensor (n, k)`` with attributes ``differentiable``, ``output`` and ``model``.
        Outputs of scikit-learn models come back in the input's floating dtype.

    Example:
        >>> f = as_forward(torch.nn.Linear(3, 2), output="proba")
        >>> f(torch.zeros(4, 3)).shape
        torch.Size([4, 2])
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")

    if isinstance(model, torch.nn.Module):
        def forward(x: torch.Tensor) -> torch.Tensor:
            # Dropout / batch-norm must not randomise explanations, but the caller's module mode is theirs.
            with eval_mode(model):
                logits = model(x)
            # one output is a regressor's value: its softmax would be the constant 1
            return logits if output == "logit" or logits.shape[-1] == 1 else torch.softmax(logits, dim=-1)

        differentiable = True
    elif has_outputs(model):
        if output != "proba":
            raise ValueError(
                f"output={output!r} needs a torch model; {type(model).__name__} only offers predict_proba, "
                "so use output='proba'"
            )
        regressor = not hasattr(model, "predict_proba")

        def forward(x: torch.Tensor) -> torch.Tensor:
            # Captum hands over (possibly expanded) torch batches; sklearn wants float64 numpy.
            dtype = x.dtype if x.is_floating_point() else torch.float32
            rows = x.detach().cpu().numpy().astype(np.float64, copy=False)
            out = np.asarray(model.predict(rows)).reshape(-1, 1) if regressor else model.predict_proba(rows)
            return torch.as_tensor(np.asarray(out), dtype=dtype, device=x.device)

        differentiable = False
    else:
        raise TypeError(
            f"cannot explain a {type(model).__name__}: expected a torch.nn.Module (returning logits) "
            "or an estimator with predict_proba (a regressor: predict)"
        )

    if max_rows is not None:
        forward = _in_chunks(forward, max_rows)
    forward.differentiable = differentiable  # type: ignore[attr-defined]
    forward.output = output  # type: ignore[attr-defined]
    forward.model = model  # type: ignore[attr-defined]
    return forward


def _in_chunks(forward: Callable[[torch.Tensor], torch.Tensor], max_rows: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """``forward`` run on at most ``max_rows`` rows at a time, the outputs concatenated."""
    def chunked(x: torch.Tensor) -> torch.Tensor:
        if len(x) <= max_rows:
            return forward(x)
        return torch.cat([forward(x[start:start + max_rows]) for start in range(0, len(x), max_rows)])

    return chunked
