"""Run one experiment end to end and write its run directory atomically."""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from . import artifacts
from .config import DISTILLED_REGIMES, ExperimentConfig, StudentConfig
from .data import Dataset, load_dataset
from .errors import ConfigError, UserInputError
from .metrics import evaluate, latency_ms_per_1k
from .models import count_parameters, predict_logits, predict_proba, softmax, state_dict_bytes
from .students import build_student, method_name, sweep_students
from .sweep import COLUMNS, FitSet, rank_by_validation, select_by_validation, sweep_surrogates
from .teachers import resolve_teacher
from .transfer import build_transfer_set, candidate_label

VERSIONED_PACKAGES = ("interpret_distill", "torch", "scikit-learn", "captum", "numpy", "pandas", "skops", "matplotlib")
TIMING_COLUMNS = ("latency_ms_per_1k", "fit_seconds")


@dataclass
class FittedModel:
    """One model of the comparison and what describes it in the metrics table."""

    name: str
    family: str  # teacher | student | surrogate
    kind: str  # mlp | cnn | tree | linear | naive_bayes
    regime: str  # how it was fitted: reference, kd, scratch, ground_truth, hard, hard+transfer, soft, soft+transfer
    role: str  # reference | distilled | baseline
    model: Any
    params: dict = field(default_factory=dict)  # constructor arguments only: build_surrogate(kind, **params)
    fit_seconds: float = float("nan")
    # the fitting rows: "train" (or "train only T=4": the training rows at a chosen soft-label temperature), the
    # winning transfer set's label, or a student's on-the-fly recipe ("mixup each step (alpha=1)")
    transfer: str = "train"

    @property
    def is_torch(self) -> bool:
        return isinstance(self.model, nn.Module)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return predict_proba(self.model, X) if self.is_torch else self.model.predict_proba(X)

    def complexity(self) -> tuple[str, float]:
        """A readable complexity and the scalar used for plots (parameters for networks)."""
        if self.is_torch:
            n = count_parameters(self.model)
            return f"{n:,} parameters", float(n)
        return complexity_text(self.model.complexity_), float(self.model.complexity_score_)

    def size_bytes(self) -> int:
        return state_dict_bytes(self.model) if self.is_torch else artifacts.surrogate_size(self.model)


def complexity_text(complexity: dict[str, int]) -> str:
    """A surrogate's ``complexity_`` in words.

    Example:
        >>> complexity_text({"depth": 8, "leaves": 256, "nodes": 511})
        'depth 8, 256 leaves, 511 nodes'
        >>> complexity_text({"nonzero_coefficients": 600, "coefficients": 640})
        '600 non-zero of 640 coefficients'
        >>> complexity_text({"nonzero_coefficients": 30, "coefficients": 30})
        '30 coefficients'
    """
    parts = []
    for key, value in complexity.items():
        if key == "depth":
            parts.append(f"depth {value}")
        elif key == "coefficients":  # with the non-zero count folded in; all non-zero: one number says it
            nonzero = complexity.get("nonzero_coefficients", value)
            parts.append(f"{value:,} coefficients" if nonzero == value
                         else f"{nonzero:,} non-zero of {value:,} coefficients")
        elif key != "nonzero_coefficients":
            parts.append(f"{value:,} {key.replace('_', ' ')}")
    return ", ".join(parts)


class Timer:
    """Collects wall-clock seconds per pipeline stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


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


def fit_surrogates(cfg: ExperimentConfig, dataset: Dataset, teacher: nn.Module,
                   teacher_val: np.ndarray, teacher_test: np.ndarray) -> tuple[list[FittedModel], pd.DataFrame]:
    """Sweep every surrogate kind over its grid and regimes; keep the validation-selected model of each.

    In ``soft+transfer`` every transfer-set candidate of the config competes like a grid point, so the
    transfer set (augmentation and size) is chosen on validation fidelity too; the winner's label is
    recorded in the model's ``transfer`` and in the sweep's ``transfer`` column.

    Returns:
        The selected surrogates (the distilled one per kind is the best soft-label regime by validation
        fidelity; ground-truth and hard-label fits are its baselines) and the full sweep table.
    """
    rng = np.random.default_rng(cfg.seed)
    regimes = _surrogate_regimes(cfg, dataset, teacher, rng)
    grids = {s.kind: [{**s.params, **g} for g in (s.grid or [{}])] for s in cfg.surrogates}
    sweep, fitted = sweep_surrogates(
        grids, regimes, dataset.X_val, teacher_val, dataset.y_val, dataset.X_test, teacher_test, dataset.y_test,
        n_jobs=cfg.n_jobs, progress=cfg.progress, seed=cfg.seed, return_models=True,
    )
    budget = {s.kind: s.budget for s in cfg.surrogates if s.budget}
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


def check_students(cfg: StudentConfig, dataset: Dataset, seed: int) -> None:
    """Fail unless every width of ``cfg`` can be built for this data and one fits ``cfg.budget`` parameters.

    Called before the teacher trains: the networks are built untrained, which takes milliseconds.

    Args:
        cfg: the ``student`` config section.
        dataset: gives the input and output widths and the image shape.
        seed: the students' initialisation seed.

    Raises:
        ConfigError: the architecture does not fit the data (``cnn`` on a table), or every width has more
            parameters than the budget (the message names the smallest).
    """
    try:
        sizes = [count_parameters(build_student(dataset, size, seed)) for size in cfg.sizes()]
    except ValueError as exc:
        raise ConfigError(f"student.arch: {exc}") from None
    smallest = min(sizes)
    if cfg.budget is not None and smallest > cfg.budget:
        raise ConfigError(f"no student width fits student.budget {cfg.budget:g} parameters (smallest: "
                          f"{smallest:,}); raise the budget or add a narrower width to student.grid")


def fit_students(cfg: ExperimentConfig, dataset: Dataset, teacher: nn.Module,
                 teacher_probs: dict[str, np.ndarray]) -> tuple[list[FittedModel], pd.DataFrame, dict]:
    """Distil and train from scratch a student per width of the grid; keep the validation-selected pair.

    The distilled student is the width with the best validation fidelity (:func:`rank_by_validation`) within
    ``student.budget`` parameters; its baseline is the scratch student of the same width.

    Returns:
        The distilled and scratch students, the sweep table (one row per trained network) and the two
        training logs (``{"distilled": ..., "scratch": ...}``, with the chosen widths).

    Raises:
        ConfigError: no width of the grid fits ``student.budget`` (checked before any student is trained).
    """
    student_cfg = cfg.student
    check_students(student_cfg, dataset, cfg.seed)
    trained = sweep_students(dataset, teacher, student_cfg, teacher_probs, cfg.seed, cfg.progress)
    sweep = pd.DataFrame([t.row for t in trained], columns=COLUMNS)
    method = method_name(student_cfg)
    budget = {"student": student_cfg.budget} if student_cfg.budget is not None else None
    chosen = select_by_validation(sweep[sweep.regime == method], budget=budget).index[0]
    scratch = sweep.index[(sweep.regime == "scratch") & (sweep.params == sweep.params[chosen])][0]
    models, logs = [], {}
    for name, role, log_key, index in (("student", "distilled", "distilled", chosen),
                                       ("student_scratch", "baseline", "scratch", scratch)):
        row = sweep.loc[index]
        models.append(FittedModel(name, "student", student_cfg.arch, row.regime, role, trained[index].module,
                                  json.loads(row.params_json), row.fit_seconds, row.transfer))
        logs[log_key] = {**trained[index].log.as_dict(), "size": row.params}
    return models, sweep, logs


def metrics_table(models: list[FittedModel], dataset: Dataset, teacher_probs: dict[str, np.ndarray]) -> tuple[pd.DataFrame, dict]:
    """One row per model: test metrics (and validation ones, labelled), complexity, size, latency."""
    rows, test_probs = [], {}
    for m in models:
        probs = {split: m.predict_proba(dataset.split(split)[0]) for split in ("val", "test")}
        test_probs[m.name] = probs["test"]
        test = evaluate(probs["test"], teacher_probs["test"], dataset.y_test)
        val = evaluate(probs["val"], teacher_probs["val"], dataset.y_val)
        complexity, score = m.complexity()
        rows.append({
            "model": m.name, "family": m.family, "kind": m.kind, "regime": m.regime, "transfer": m.transfer,
            "role": m.role, "split": "test", **test,
            "val_accuracy": val["accuracy"], "val_fidelity": val["fidelity"],
            "complexity": complexity, "complexity_score": score,
            "params": json.dumps(m.params, sort_keys=True),
            "size_bytes": m.size_bytes(),
            "latency_ms_per_1k": latency_ms_per_1k(m.predict_proba, dataset.X_test),
            "fit_seconds": m.fit_seconds,
        })
    return pd.DataFrame(rows), test_probs


def check_run_target(out_root: str | Path, name: str) -> None:
    """Fail unless ``out_root/name`` is free, empty or an earlier run: a run replaces that folder whole.

    Raises:
        UserInputError: the folder holds something else (no ``run.json``); the message says how to avoid it.
    """
    target = Path(out_root) / name
    empty_folder = target.is_dir() and not any(target.iterdir())
    if target.exists() and not (target / "run.json").is_file() and not empty_folder:
        raise UserInputError(f"{target} exists and is not a run folder (no run.json), and a run replaces its folder "
                             "whole; give the experiment another name (name: in the config) or pick another --out")


@contextmanager
def atomic_run_dir(out_root: Path, name: str):
    """Yield a temporary folder; on success it replaces ``out_root/name`` in one rename, on failure it vanishes.

    The previous run of the same experiment stays intact and readable until the new one is complete; only an
    earlier run (or an empty folder) is ever replaced (:func:`check_run_target`).
    """
    final, old = out_root / name, out_root / f".{name}.old"
    out_root.mkdir(parents=True, exist_ok=True)
    if old.exists() and not final.exists():
        old.rename(final)  # an earlier run was interrupted between its two renames: put the previous run back
    shutil.rmtree(old, ignore_errors=True)
    check_run_target(out_root, name)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=out_root))
    tmp.chmod(0o755)  # mkdtemp makes it private; a finished report should be as readable as any other folder
    try:
        yield tmp
        if final.exists():
            final.rename(old)
        tmp.rename(final)
    except BaseException:  # KeyboardInterrupt too: never leave a half-written run behind
        if old.exists() and not final.exists():
            old.rename(final)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def run_experiment(cfg: ExperimentConfig, out_root: str | Path = "reports", *,
                   teacher: nn.Module | Callable | None = None, use_cache: bool = True,
                   report: bool = True) -> Path:
    """Run one config end to end: data → teacher → student and surrogates → metrics → attributions → report.

    Args:
        cfg: the validated experiment config.
        out_root: the run directory is ``out_root/cfg.name``.
        teacher: optionally the user's own ``nn.Module`` (or a callable returning logits) instead of training one.
        use_cache: reuse a cached trained teacher.
        report: also render ``report.html``.

    Returns:
        The path of the run directory.

    Example:
        >>> from interpret_distill import load_config
        >>> run_dir = run_experiment(load_config("iris"), "reports")  # doctest: +SKIP
    """
    from .attribution_stage import run_attribution  # imported late: keeps Captum out of a plain data import

    check_run_target(out_root, cfg.name)  # now, not after minutes of training
    timer = Timer()
    progress = cfg.progress
    stages = tqdm(total=6, desc=cfg.name, disable=not progress, unit="stage")
    with timer.stage("data"):
        dataset = load_dataset(cfg.data, cfg.seed)
        check_students(cfg.student, dataset, cfg.seed)  # before the teacher trains, not after
    stages.update()
    with timer.stage("teacher"):
        teacher_module, teacher_info = resolve_teacher(dataset, cfg.teacher, cfg.seed, teacher=teacher,
                                                       use_cache=use_cache, progress=progress)
    stages.update()
    teacher_probs = {s: predict_proba(teacher_module, dataset.split(s)[0]) for s in ("train", "val", "test")}
    with timer.stage("students"):
        students, student_sweep, student_logs = fit_students(cfg, dataset, teacher_module, teacher_probs)
    stages.update()
    with timer.stage("surrogates"):
        surrogates, sweep = fit_surrogates(cfg, dataset, teacher_module, teacher_probs["val"], teacher_probs["test"])
    stages.update()
    models = [
        FittedModel("teacher", "teacher", teacher_info.get("kind", cfg.teacher.arch), "reference", "reference",
                    teacher_module,
                    fit_seconds=timer.seconds["teacher"]),
        *students,
        *surrogates,
    ]
    sweep = pd.concat([sweep, student_sweep], ignore_index=True)
    with timer.stage("evaluation"):
        metrics, test_probs = metrics_table(models, dataset, teacher_probs)
    stages.update()

    with atomic_run_dir(Path(out_root), cfg.name) as run_dir:
        with timer.stage("attribution"):
            attribution = run_attribution(cfg, dataset, models, teacher_probs["test"])
        stages.update()
        artifacts.save_models(run_dir, models, dataset.X_train[:2])
        artifacts.save_arrays(run_dir, dataset, test_probs, attribution)
        metrics.to_csv(run_dir / "metrics.csv", index=False)
        sweep.to_csv(run_dir / "sweep.csv", index=False)
        for name, table in attribution.tables.items():
            table.to_csv(run_dir / f"{name}.csv", index=False)
        run_info = {
            "name": cfg.name,
            "seed": cfg.seed,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": cfg.model_dump(mode="json"),
            "versions": library_versions(),
            "machine": {"platform": platform.platform(), "threads": torch.get_num_threads()},
            "timings": timer.seconds,
            "dataset": dataset.summary(),
            "teacher": teacher_info,
            "students": student_logs,
            "attribution": attribution.info,
        }
        (run_dir / "run.json").write_text(json.dumps(run_info, indent=2))
        if report:
            from .report import render_report

            with timer.stage("report"):
                render_report(run_dir)
            run_info["timings"] = timer.seconds
            (run_dir / "run.json").write_text(json.dumps(run_info, indent=2))
    stages.close()
    return Path(out_root) / cfg.name
