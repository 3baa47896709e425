"""The run's big allocations, estimated before training, so a too-large setting fails in one line, not in swap.

Rows are float32 features (4 bytes each) plus float64 probabilities (8 bytes per class). The estimate covers
what a run holds at once: every teacher-labelled transfer set of the surrogates (features, soft labels and the
one-hot labels of ``hard+transfer``), the largest single fit's working copy (the linear surrogate repeats each
row once per class it gives mass to) in every sweep worker, the labelled transfer sets of the student and its candidates, and the
attributions kept for the report.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from .config import ExperimentConfig, TransferRecipe
from .errors import ConfigError
from .student_selection import student_variants, uses_default_candidates

FLOAT32, FLOAT64 = 4, 8
# Leave room for the interpreter, the libraries and the data itself.
USABLE_SHARE = 0.8


@dataclass(frozen=True)
class Allocation:
    """One big array a run will hold, the setting that sizes it and its estimated size in bytes."""

    knob: str
    what: str
    nbytes: int


def available_bytes() -> int:
    """Memory the operating system can give this process now (free plus reclaimable cache).

    Example:
        >>> available_bytes() > 0
        True
    """
    import psutil

    return int(psutil.virtual_memory().available)


def run_allocations(cfg: ExperimentConfig, n_train: int, n_features: int, n_classes: int) -> list[Allocation]:
    """The big allocations of ``cfg`` on data of this size, largest sizes first.

    Args:
        cfg: the experiment config.
        n_train: training rows (the transfer sets add synthetic rows to them).
        n_features: columns after encoding.
        n_classes: classes.

    Returns:
        The :class:`Allocation` list (only the ones the config makes).

    Example:
        >>> cfg = ExperimentConfig(name="x", data={"name": "digits"}, n_jobs=2,
        ...                        transfer={"augmentation": "kde", "n_synthetic": 100_000})
        >>> [a.what for a in run_allocations(cfg, 1_000, 64, 10)][:2]  # linear fits repeat X per class
        ['linear surrogate fits (2 workers, 101,000 rows x 10 classes)', 'transfer set of 101,000 rows']
    """
    row = n_features * FLOAT32
    allocations = []
    recipes = cfg.transfer.recipes()
    transfer_regimes = {"soft+transfer", "hard+transfer"} & set(cfg.fitted_regimes())
    if recipes and transfer_regimes:
        labels_per_row = n_classes * FLOAT64 * len(transfer_regimes)  # soft labels, and one-hot hard labels
        for i, recipe in enumerate(recipes):
            knob = "transfer.n_synthetic" if cfg.transfer.augmentation and i == 0 else \
                f"transfer.candidates[{i - bool(cfg.transfer.augmentation)}].n_synthetic"
            rows = n_train + recipe.n_synthetic
            allocations.append(Allocation(knob, f"transfer set of {rows:,} rows", rows * (row + labels_per_row)))
        linear = [i for i, r in enumerate(recipes) if r.kinds is None or "linear" in r.kinds]
        linear_cfg = next((s for s in cfg.surrogates if s.kind == "linear"), None)
        if linear and linear_cfg is not None:  # X once per class with mass, per worker
            workers = (os.cpu_count() or 1) if cfg.n_jobs == -1 else cfg.n_jobs
            largest = max(linear, key=lambda i: recipes[i].n_synthetic)
            rows = min(n_train + recipes[largest].n_synthetic, linear_cfg.fit_rows or np.inf)
            allocations.append(Allocation(f"{allocations[largest].knob} or the linear surrogate's fit_rows",
                                          f"linear surrogate fits ({workers} workers, {int(rows):,} rows x "
                                          f"{n_classes} classes)", int(workers * rows * n_classes * row)))
    for knob, recipe in _student_transfer_sets(cfg, n_train):  # labelled once each, all held while students train
        rows = n_train + recipe.n_synthetic
        allocations.append(Allocation(knob, f"student transfer set of {rows:,} rows",
                                      rows * (row + n_classes * FLOAT64)))
    explained = 1 + 1 + len(cfg.surrogates)  # teacher, student, distilled surrogates
    allocations.append(Allocation("attribution.examples", f"{cfg.attribution.examples:,} explained examples",
                                  explained * len(cfg.attribution.methods) * cfg.attribution.examples * n_features
                                  * FLOAT64))
    return sorted(allocations, key=lambda a: -a.nbytes)


def _student_transfer_sets(cfg: ExperimentConfig, n_train: int) -> list[tuple[str, TransferRecipe]]:
    """The distinct transfer sets of the student and its candidates, each with the setting that sizes it."""
    student = cfg.student
    if uses_default_candidates(student):
        knob = "student.candidates (its default mixup transfer set): set student.candidates: [] to drop it"
        candidate_knobs = [knob] * (len(student_variants(student, n_train)) - 1)
    else:
        candidate_knobs = [f"student.candidates[{i}].transfer_set.n_synthetic"
                           for i in range(len(student.candidates or []))]
    sets = {}
    for knob, (_, variant) in zip(["student.transfer_set.n_synthetic", *candidate_knobs],
                                  student_variants(student, n_train)):
        if variant.transfer_set is not None:
            sets.setdefault(variant.transfer_set.model_dump_json(), (knob, variant.transfer_set))
    return list(sets.values())


def check_memory(cfg: ExperimentConfig, n_train: int, n_features: int, n_classes: int,
                 available: int | None = None) -> int:
    """Fail before training when the run's big allocations would not fit in memory.

    Args:
        cfg: the experiment config.
        n_train, n_features, n_classes: the data's size.
        available: bytes the run may use (default: :func:`available_bytes`).

    Returns:
        The estimated bytes.

    Raises:
        ConfigError: one line naming the largest allocation's setting, its size and what is free.

    Example:
        >>> cfg = ExperimentConfig(name="x", data={"name": "digits"}, surrogates=[{"kind": "tree"}],
        ...                        transfer={"augmentation": "kde", "n_synthetic": 1_000_000})
        >>> check_memory(cfg, 1_000, 784, 10, available=2**30)
        Traceback (most recent call last):
        ...
        interpret_distill.errors.ConfigError: the run would hold about 3.3 GB but 0.9 GB is usable (80% of 1.1 GB free); the largest part is the transfer set of 1,001,000 rows (3.3 GB, sized by transfer.n_synthetic): lower it
    """
    allocations = run_allocations(cfg, n_train, n_features, n_classes)
    total = sum(a.nbytes for a in allocations)
    available = available_bytes() if available is None else available
    usable = USABLE_SHARE * available
    if total > usable:
        top = allocations[0]
        raise ConfigError(f"the run would hold about {_gb(total)} but {_gb(usable)} is usable ({USABLE_SHARE:.0%} of "
                          f"{_gb(available)} free); the largest part is the {top.what} ({_gb(top.nbytes)}, sized by "
                          f"{top.knob}): lower it")
    return total


def _gb(nbytes: float) -> str:
    return f"{nbytes / 1e9:.1f} GB"
