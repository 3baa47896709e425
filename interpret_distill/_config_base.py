"""What every config section shares: strict validation, and the "did you mean" hint of its messages.

A leaf of ``config.py``, ``compression_config.py`` and ``distillation_config.py``, so the sections can live in more
than one module.
"""

from __future__ import annotations

import difflib
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo

# the layer widths of a network: hidden units or convolution channels, one positive int per layer
LayerWidths = list[Annotated[int, Field(gt=0)]]

# the most rows one training epoch of the teacher or a student draws: past it, validation and patience come every
# EPOCH_ROWS rows, so training time stops growing with the data (a full pass of 600,000 rows per check would not)
EPOCH_ROWS = 20_000


def epoch_rows_field() -> FieldInfo:
    """The ``epoch_rows`` setting of a network's training section."""
    return Field(EPOCH_ROWS, gt=0, description="the most rows one epoch draws (validation, patience and the "
                                               "learning-rate schedule count these epochs); larger training sets "
                                               "are drawn in slices of a stream of shuffles, every row once before "
                                               "any row twice")


class StrictSection(BaseModel):
    """A config section: unknown keys, infinities, NaNs and loosely typed values (``epochs: true``) are refused."""


    # allow_inf_nan: a temperature of .inf or a learning rate of .nan passes gt=0 but makes the run meaningless;
    # strict: `epochs: true` or `epochs: "40"` is a mistake, not 1 or 40 (an int still passes for a float)
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, strict=True)


def did_you_mean(word: str, choices) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``choices``, or an empty string.

    Example:
        >>> did_you_mean("tre", ["tree", "linear"])
        " (did you mean 'tree'?)"
    """
    guess = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1)
    return f" (did you mean {guess[0]!r}?)" if guess else ""


def _registered_kind(kind: str) -> str:
    from .surrogates import TASKS  # the registries: scikit-learn only, no torch

    kinds = list(dict.fromkeys(k for registry in TASKS.values() for k in registry))  # a task's own: for_task
    if kind not in kinds:
        raise ValueError(f"unknown surrogate kind {kind!r}{did_you_mean(kind, kinds)}; allowed: {', '.join(kinds)}")
    return kind


SurrogateKind = Annotated[str, AfterValidator(_registered_kind)]
