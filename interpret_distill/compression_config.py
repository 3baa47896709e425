"""The ``compression:`` section of a config: which routes to compare, pruning levels, quantization schemes.

The route names live here, plain, so a config is read without importing torch; ``compression.ROUTES`` registers
one function per name (a test checks they agree).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from ._config_base import StrictSection, did_you_mean

ROUTE_NAMES = ("distillation", "pruning", "pruning+distillation", "quantization", "distillation+quantization")


def _check_routes(routes: list[str]) -> None:
    unknown = [r for r in routes if r not in ROUTE_NAMES]
    if unknown:
        raise ValueError(f"compression.routes: unknown route(s) {unknown}{did_you_mean(unknown[0], ROUTE_NAMES)}; "
                         f"allowed: {', '.join(ROUTE_NAMES)}")


def _check_schemes(schemes: list[str]) -> None:
    from .quantization import SCHEMES  # plain names: torchao is imported only to quantize

    unknown = [s for s in schemes if s not in SCHEMES]
    if unknown:
        raise ValueError(f"compression.quantization.schemes: unknown scheme(s) {unknown}"
                         f"{did_you_mean(unknown[0], SCHEMES)}; allowed: {', '.join(SCHEMES)}")


class PruningConfig(StrictSection):
    """Global magnitude pruning of the teacher, each level fine-tuned for the same number of optimiser steps."""

    sparsities: list[Annotated[float, Field(gt=0, lt=1)]] = Field(
        default_factory=lambda: [0.5, 0.8, 0.9, 0.95], min_length=1,
        description="shares of the teacher's linear and convolution weights set to zero (one global pool)")
    match_student: bool = Field(
        True, description="also prune to as many non-zero parameters as the distilled student has")
    finetune_steps: int = Field(300, ge=0, description="Adam steps on the training rows after pruning, per level")
    batch_size: int = Field(64, gt=0)
    lr: float = Field(1e-3, gt=0)
    temperature: float = Field(1.0, gt=0, description="of the teacher's soft labels in the pruning+distillation "
                                                      "fine-tune (KL at this temperature)")

    @field_validator("sparsities")
    @classmethod
    def _distinct(cls, value: list[float]) -> list[float]:
        if len(set(value)) != len(value):
            raise ValueError(f"compression.pruning.sparsities lists a level twice ({value}); list each once")
        return value


class QuantizationConfig(StrictSection):
    """Post-training int8 quantization (torchao) of the teacher's and the student's linear layers."""

    schemes: list[str] = Field(default_factory=lambda: ["int8_dynamic", "int8_weight_only"], min_length=1,
                               description="int8_dynamic (int8 weights and activations), int8_weight_only")

    @field_validator("schemes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        _check_schemes(value)
        if len(set(value)) != len(value):
            raise ValueError(f"compression.quantization.schemes lists a scheme twice ({value}); list each once")
        return value


class CompressionConfig(StrictSection):
    """Distillation beside pruning and quantization of the same teacher, on the same data and metrics."""

    routes: list[str] = Field(
        default_factory=lambda: list(ROUTE_NAMES), min_length=1,
        description="compression routes to compare (interpret_distill.compression.ROUTES)")
    pruning: PruningConfig = PruningConfig()
    quantization: QuantizationConfig = QuantizationConfig()
    latency_repeats: int = Field(5, ge=1, description="timed predictions per model (the median is reported)")

    @field_validator("routes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        _check_routes(value)
        return value
