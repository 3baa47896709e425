"""The surrogate stage: the fitting sets of every regime, the sweep over kinds and grids, and selection.

Regimes name what a surrogate is fitted on (all drawn from the training rows): ``ground_truth`` (true labels),
``hard`` (the teacher's argmax), ``soft`` (its probabilities at temperature T), ``soft+transfer`` (teacher-labelled
transfer sets) and ``hard+transfer`` (the same rows, argmax labels). ``soft`` and ``soft+transfer`` are distilled;
the others are baselines.

Kinds with ``features: patches`` are fitted on the patch features of the same rows (the teacher labels the full
images, transfer sets included) and scored on the patch features of validation and test; they are labelled
``<kind>@patches`` and selected on their own, so a pixel-level and a patch-level fit of one kind sit side by side.
"""

from __future__ import annotations

import json
from functools import cache, partial
from typing import Callable

import numpy as np
import pandas as pd
from torch import nn

from .config import DISTILLED_REGIMES, ExperimentConfig
from .data import Dataset
from .errors import ConfigError
from .image_features import PatchSurrogate, patch_features
from .models import predict_logits
from .parallel import Engine
from .probability import softmax
from .results import FittedModel
from .selection import rank_by_validation, select_by_validation
from .surrogates import FEATURE_SETS, kind_label, surrogate_registry
from .sweep import COLUMNS as SWEEP_COLUMNS
from .sweep import FitSet, sweep_surrogates
from .transfer import build_transfer_set, candidate_label


def _soft_sets(X_train: np.ndarray, teacher_train: np.ndarray, temperature: float,
               more_temperatures: list[float]) -> FitSet | list[FitSet]:
    """The soft regime: the training rows at ``temperature``, or one candidate per temperature when more are given.

    A Gaussian naive Bayes fitted at T=4 blurs its class means with other classes' mass, while a softmax
    model matches the teacher's logits best at high T; so the temperature is a validation choice per kind.
    """
    if not more_temperatures:
        return FitSet(X_train, softmax(teacher_train, temperature))
    temperatures = dict.fromkeys([temperature, *more_temperatures])  # ordered, without repeats
    return [FitSet(X_train, softmax(teacher_train, t), candidate_label(None, temperature=t)) for t in temperatures]


def _surrogate_regimes(cfg: ExperimentConfig, dataset: Dataset, teacher: nn.Module, rng: np.random.Generator) -> dict:
    """The training data of each fitting regime: ``name -> FitSet or [FitSet, ...]`` (train split only).

    ``soft+transfer`` holds one teacher-labelled transfer set per recipe of ``cfg.transfer.recipes()``
    (each drawn with its own child of ``rng``, so adding a candidate leaves the others unchanged); the
    sweep fits each on the kinds it names, and selection keeps the validation-best per kind.
    ``hard+transfer`` is the same rows with the teacher's argmax as labels: the baseline that separates
    what the synthetic rows add from what the soft labels add.
    """
    T = cfg.transfer.temperature
    teacher_train = predict_logits(teacher, dataset.X_train)
    # hard labels go in one-hot, so a class missing from the labels still gets its own output column
    one_hot = np.eye(dataset.n_classes)
    available = {
        "ground_truth": lambda: FitSet(dataset.X_train, one_hot[dataset.y_train]),
        "hard": lambda: FitSet(dataset.X_train, one_hot[teacher_train.argmax(1)]),
        "soft": lambda: _soft_sets(dataset.X_train, teacher_train, T, cfg.transfer.soft_temperatures),
    }
    recipes = cfg.transfer.recipes()
    if recipes:
        @cache  # both transfer regimes fit on the same rows, drawn and labelled once
        def transfer_regime():
            sets = []
            for recipe, child in zip(recipes, rng.spawn(len(recipes))):
                ts = build_transfer_set(
                    lambda X: predict_logits(teacher, X), dataset.X_train, dataset.y_train,
                    method=recipe.augmentation, n_synthetic=recipe.n_synthetic, rng=child,
                    temperature=recipe.temperature or T, **recipe.params,
                )
                label = candidate_label(recipe.augmentation, recipe.n_synthetic, recipe.params, recipe.temperature)
                sets.append(FitSet(ts.X, ts.probs, label, tuple(recipe.kinds) if recipe.kinds else None))
            return sets
        available["soft+transfer"] = transfer_regime
        # same label as the soft candidate: it names the rows (the argmax is the same at every temperature)
        available["hard+transfer"] = lambda: [FitSet(fs.X, one_hot[fs.y.argmax(1)], fs.label, fs.kinds)
                                              for fs in transfer_regime()]
    return {name: available[name]() for name in cfg.fitted_regimes()}


def _regression_regimes(cfg: ExperimentConfig, dataset: Dataset, teacher: nn.Module,
                        rng: np.random.Generator) -> dict:
    """The fitting sets of a regression's regimes: ``ground_truth`` (the true values), ``soft`` (the teacher's
    predictions on the training rows) and ``soft+transfer`` (its predictions on each transfer set's rows).

    Every target is one standardised value per row (``(n,)`` float64); a transfer set is drawn like a
    classification's (unstratified: ``neighbours`` pairs any rows) and labelled by the teacher's predicted value.
    """
    available = {
        "ground_truth": lambda: FitSet(dataset.X_train, dataset.y_train.astype(np.float64)),
        "soft": lambda: FitSet(dataset.X_train, predict_logits(teacher, dataset.X_train)[:, 0]),
    }
    recipes = cfg.transfer.recipes()
    if recipes:
        def transfer_regime():
            sets = []
            for recipe, child in zip(recipes, rng.spawn(len(recipes))):
                ts = build_transfer_set(lambda X: predict_logits(teacher, X), dataset.X_train, None,
                                        method=recipe.augmentation, n_synthetic=recipe.n_synthetic, rng=child,
                                        **recipe.params)
                label = candidate_label(recipe.augmentation, recipe.n_synthetic, recipe.params)
                sets.append(FitSet(ts.X, ts.probs[:, 0], label, tuple(recipe.kinds) if recipe.kinds else None))
            return sets
        available["soft+transfer"] = transfer_regime
    return {name: available[name]() for name in cfg.fitted_regimes()}


# the fitting sets of each task's regimes: the one place the surrogate stage reads the task
_REGIMES = {"classification": _surrogate_regimes, "regression": _regression_regimes}


def check_patch_features(cfg: ExperimentConfig, image_shape: tuple[int, ...] | None) -> None:
    """Fail before training when the config asks for patches the data cannot have.

    Args:
        cfg: the experiment config (``surrogates[].features``, ``attribution.patches``, ``patches.size``).
        image_shape: the data's ``(channels, height, width)``, or None for a table.

    Raises:
        ConfigError: a surrogate has ``features: patches`` on a table, or patches would be larger than the images.

    Example:
        >>> cfg = ExperimentConfig(name="x", data={"name": "iris"},
        ...                        surrogates=[{"kind": "tree", "features": "patches"}])
        >>> check_patch_features(cfg, None)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        interpret_distill.errors.ConfigError: surrogates.0.features is patches but the data is a table ...
    """
    on_patches = [i for i, s in enumerate(cfg.surrogates) if s.features == "patches"]
    if on_patches and image_shape is None:
        raise ConfigError(f"surrogates.{on_patches[0]}.features is patches but the data is a table (no image shape); "
                          "set features: pixels (or leave it out)")
    if image_shape is not None and (on_patches or cfg.attribution.patches is True) and \
            cfg.patches.size > max(image_shape[1:]):
        raise ConfigError(f"patches.size {cfg.patches.size} is larger than the {image_shape[1]}x{image_shape[2]} "
                          f"images; set patches.size to at most {max(image_shape[1:])}")


def _feature_set(features: str, image_shape: tuple[int, ...] | None, cfg: ExperimentConfig
                 ) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[object], object]]:
    """How a feature set reads pixel rows, and how a surrogate fitted on it is wrapped to take pixel rows again."""
    if features == "pixels":
        return (lambda X: X), (lambda model: model)
    grid = {"image_shape": image_shape, "patch": cfg.patches.size, "contrast": cfg.patches.contrast}
    return partial(patch_features, **grid), partial(PatchSurrogate, **grid)


def _on_features(regimes: dict, transform) -> dict:
    """The regimes' fitting sets with ``transform`` applied to their inputs (once per array: the transfer regimes
    share their rows) and the same labels."""
    converted: dict[int, np.ndarray] = {}

    def convert(fs: FitSet) -> FitSet:
        if id(fs.X) not in converted:
            converted[id(fs.X)] = transform(fs.X)
        return FitSet(converted[id(fs.X)], fs.y, fs.label, fs.kinds)

    return {name: [convert(fs) for fs in (sets if isinstance(sets, list) else [sets])]
            for name, sets in regimes.items()}


def fit_surrogates(cfg: ExperimentConfig, dataset: Dataset, teacher: nn.Module,
                   teacher_val: np.ndarray, teacher_test: np.ndarray,
                   engine: Engine | None = None) -> tuple[list[FittedModel], pd.DataFrame]:
    """Sweep every surrogate kind over its grid and regimes; keep the validation-selected model of each.

    In ``soft+transfer`` every transfer-set candidate of the config competes like a grid point, so the
    transfer set (augmentation and size) is chosen on validation fidelity too; the winner's label is
    recorded in the model's ``fitting_rows`` and in the sweep's ``transfer`` column. Kinds with
    ``features: patches`` are swept on the patch features of the same sets and returned as
    :class:`~interpret_distill.image_features.PatchSurrogate` s (taking pixel rows, like every model), labelled
    ``<kind>@patches``.

    Args:
        cfg, dataset, teacher: the run's config, splits and teacher.
        teacher_val, teacher_test: the teacher's probabilities on validation and test (a regression: its
            ``(n, 1)`` predictions; the kinds then come from the regression registry, fitted per
            :func:`_regression_regimes`).
        engine: where the fits run (default: ``cfg.n_jobs`` loky workers on this machine).

    Returns:
        The selected surrogates (the distilled one per kind label is the best soft-label regime by validation
        fidelity; ground-truth and hard-label fits are its baselines) and the full sweep table.
    """
    rng = np.random.default_rng(cfg.seed)
    regimes = _REGIMES[dataset.task](cfg, dataset, teacher, rng)
    registry = surrogate_registry(dataset.task)
    engine = engine or Engine("loky", cfg.n_jobs)
    sweeps, fitted = [], []
    for features in FEATURE_SETS:
        specs = [s for s in cfg.surrogates if s.features == features]
        if not specs:
            continue
        transform, wrap = _feature_set(features, dataset.image_shape, cfg)
        grids = {s.kind: [{**s.params, **g} for g in s.grid] if s.grid else
                 [s.params] if s.params else list(registry[s.kind].default_grid) for s in specs}
        sweep, models = sweep_surrogates(
            grids, regimes if features == "pixels" else _on_features(regimes, transform),
            val=(transform(dataset.X_val), teacher_val, dataset.y_val),
            test=(transform(dataset.X_test), teacher_test, dataset.y_test), engine=engine,
            progress=cfg.progress, seed=cfg.seed, fit_rows={s.kind: s.fit_rows for s in specs}, task=dataset.task,
        )
        sweeps.append(sweep.assign(kind=[kind_label(kind, features) for kind in sweep.kind]))
        fitted += [wrap(model) for model in models]
    sweep = pd.concat(sweeps, ignore_index=True) if sweeps else pd.DataFrame(columns=SWEEP_COLUMNS)
    budget = {s.label(): s.budget for s in cfg.surrogates if s.budget}
    selected = select_by_validation(sweep, budget=budget or None)
    distilled = rank_by_validation(selected[selected.regime.isin(DISTILLED_REGIMES)]).drop_duplicates("kind")
    models = []
    for index, row in selected.iterrows():
        if row.regime in DISTILLED_REGIMES:
            role = "distilled" if index in distilled.index else "alternative"
        else:
            role = "baseline"
        models.append(FittedModel(f"{row.kind}:{row.regime}", "surrogate", row.kind, row.regime, role,
                                  fitted[index], json.loads(row.params_json), row.fit_seconds, row.transfer))
    return models, sweep
