"""Post-training int8 quantization of a network's linear layers through torchao, and what stayed float.

torchao is PyTorch's maintained quantization library (``torch.ao.quantization.quantize_dynamic`` is deprecated in
favour of it) and runs on the CPU for linear layers. Its int8 tensors implement no convolution, so the
convolutions of a CNN stay float: :func:`float_layers` names every weight layer left so, and the compression table
reports them beside each quantized model instead of hiding them.

torchao is imported on first use only (a few seconds), with the notices it prints while loading (its CUDA-only
kernels failing to load on a CPU machine, a torch registration notice) kept off the user's terminal.
"""

from __future__ import annotations

import copy
import logging
import warnings
from contextlib import contextmanager
from functools import lru_cache
from typing import Iterator

from torch import nn

from .errors import UserInputError

# scheme name -> the torchao config class that quantizes that way (looked up by name: no torchao import here, so the
# config can check a scheme name without paying for it)
SCHEMES: dict[str, str] = {
    "int8_dynamic": "Int8DynamicActivationInt8WeightConfig",  # int8 weights, activations quantized per call
    "int8_weight_only": "Int8WeightOnlyConfig",  # int8 weights, float activations: storage, not arithmetic
}
WEIGHT_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
# the loggers that report torchao's CUDA-only extensions failing to load, and torch's notice about its enums
_NOISY_LOGGERS = ("torchao", "torch.utils._pytree")


@contextmanager
def _quiet() -> Iterator[None]:
    """Run the block with warnings ignored and the noisy loggers at ERROR, then restore both."""
    loggers = [logging.getLogger(name) for name in _NOISY_LOGGERS]
    levels = [logger.level for logger in loggers]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for logger in loggers:
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for logger, level in zip(loggers, levels):
                logger.setLevel(level)


TORCHAO_PIN = "torchao==0.18.0"  # as in pyproject.toml


@lru_cache(maxsize=1)
def _torchao():
    """The ``torchao.quantization`` module, imported once and quietly.

    Importing torchao also registers its tensor types as safe for ``torch.load(weights_only=True)``, which is how a
    run's quantized models are read back.

    Raises:
        UserInputError: torchao is not installed; the message says how to install it.
    """
    try:
        with _quiet():
            import torchao.quantization
    except ImportError:
        raise UserInputError(f"quantization needs torchao, which is not installed; install it with `pip install "
                             f"'{TORCHAO_PIN}' --no-deps` (or leave the quantization routes out of "
                             "compression.routes)") from None
    return torchao.quantization


def check_available() -> None:
    """Fail now, not mid-run, when torchao cannot be imported (see :func:`_torchao`).

    Example:
        >>> check_available()  # torchao is installed with the package
    """
    _torchao()


def check_scheme(scheme: str) -> str:
    """``scheme`` if it is a key of :data:`SCHEMES`.

    Raises:
        ValueError: an unknown scheme; the message lists the known ones.

    Example:
        >>> check_scheme("int8_dynamic")
        'int8_dynamic'
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown quantization scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    return scheme


def quantize(module: nn.Module, scheme: str) -> nn.Module:
    """A copy of ``module`` with the weights of its linear layers quantized to int8 by torchao.

    Args:
        module: a float network (left unchanged).
        scheme: a key of :data:`SCHEMES`.

    Returns:
        The quantized copy, in eval mode and frozen. Layers torchao does not quantize keep their float weights
        (:func:`float_layers` names them).

    Example:
        >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
        >>> float_layers(quantize(net, "int8_weight_only")), float_layers(net)
        ([], ['0 (Linear)', '2 (Linear)'])
    """
    config_class = getattr(_torchao(), SCHEMES[check_scheme(scheme)])
    quantized = copy.deepcopy(module).eval()
    with _quiet():
        _torchao().quantize_(quantized, config_class())
    for parameter in quantized.parameters():
        parameter.requires_grad_(False)
    return quantized


def is_float(tensor) -> bool:
    """Whether a weight is a plain float tensor (not one of torchao's quantized tensor types).

    Example:
        >>> is_float(nn.Linear(2, 2).weight)
        True
    """
    return type(tensor).__module__.split(".")[0] == "torch" and tensor.is_floating_point()


def float_layers(module: nn.Module) -> list[str]:
    """The weight layers (linear and convolution) of ``module`` whose weights are float, as ``"name (Type)"``.

    Args:
        module: any network, quantized or not.

    Returns:
        One entry per such layer, in module order; empty when every weight layer is quantized.

    Example:
        >>> float_layers(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2, 2)))
        ['0 (Conv2d)', '2 (Linear)']
    """
    return [f"{name} ({type(layer).__name__})" for name, layer in module.named_modules()
            if isinstance(layer, WEIGHT_LAYERS) and is_float(layer.weight)]


def quantized_share(module: nn.Module) -> float:
    """Share of the parameters of ``module`` held in quantized tensors (0 when nothing was quantized).

    Example:
        >>> quantized_share(nn.Linear(3, 2))
        0.0
    """
    sizes = [(p.numel(), not is_float(p)) for p in module.parameters()]
    total = sum(n for n, _ in sizes)
    return sum(n for n, quantized in sizes if quantized) / total if total else 0.0
