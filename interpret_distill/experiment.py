"""Run one experiment end to end and write its run directory atomically."""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import warnings
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import pandas as pd
import torch
from torch import nn

from . import artifacts
from .compression import COMPRESSED, check_compressible, compress, compression_info, compression_table
from .config import ExperimentConfig
from .data import load_dataset
from .ensemble import EnsembleTeacher, member_table, resolve_ensemble
from .compute import resolve_device
from .errors import ConfigError, UserInputError
from .memory import check_memory
from .models import predict_outputs
from .parallel import open_engine
from .progress import progress_bar
from .provenance import Timer, library_versions
from .results import FittedModel, metrics_table
from .students import check_students, fit_students
from .surrogate_stage import check_patch_features, fit_surrogates
from .teachers import drawn_split_caveat, resolve_teacher


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
    from .attribution_stage import (  # imported late: keeps Captum out of a plain data import
        explained_examples,
        run_attribution,
    )

    check_run_target(out_root, cfg.name)  # now, not after minutes of training
    try:
        device = resolve_device(cfg.device)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    timer = Timer()
    progress = cfg.progress
    compressing = cfg.compression is not None
    stages = progress_bar(total=6 + compressing, enabled=progress, desc=cfg.name, unit="stage")
    with timer.stage("data"):
        dataset = load_dataset(cfg.data, cfg.seed)
        cfg = cfg.for_task(dataset.task)  # data.task resolved; a regression's own defaults (student loss, surrogates)
        check_students(cfg.student, dataset, cfg.seed)  # before the teacher trains, not after
        check_patch_features(cfg, dataset.image_shape)
        check_memory(cfg, len(dataset.y_train), dataset.n_features, dataset.n_outputs)
    stages.update()
    with timer.stage("teacher"):
        options = {"use_cache": use_cache, "progress": progress, "device": device}
        if cfg.teacher.members is not None and teacher is None:
            teacher_module, teacher_info = resolve_ensemble(dataset, cfg.teacher, cfg.seed, resolve_teacher, **options)
        else:
            teacher_module, teacher_info = resolve_teacher(dataset, cfg.teacher, cfg.seed, teacher=teacher, **options)
    caveats = list(dataset.notes)  # already warned while loading; recorded in run.json and the report's summary
    split_caveat = drawn_split_caveat(dataset, teacher_info["source"])
    if split_caveat:
        warnings.warn(f"{cfg.name}: {split_caveat}", stacklevel=2)
        caveats.append(split_caveat)
    if compressing:
        check_compressible(teacher_module, cfg.compression)  # now, not after the students have trained
    stages.update()
    teacher_model = FittedModel("teacher", "teacher", teacher_info.get("kind", cfg.teacher.arch), "reference",
                                "reference", teacher_module, fit_seconds=timer.seconds["teacher"])
    # probabilities of a classifier, the (n, 1) predictions of a regressor: "outputs" from here on
    teacher_probs = {s: predict_outputs(teacher_module, dataset.split(s)[0]) for s in ("train", "val", "test")}
    with timer.stage("students"):
        students, student_sweep, student_logs = fit_students(cfg, dataset, teacher_module, teacher_probs,
                                                             keep_widths=compressing)
    stages.update()
    routes = {}
    if compressing:
        with timer.stage("compression"):
            # the distilled students, the selected width first; a scratch twin shipped by keep_scratch is no route
            distilled = [m for m in students if m.role in ("distilled", "alternative") and m.regime != "scratch"]
            routes = compress(cfg.compression, dataset, teacher_model, distilled, cfg.seed)
        stages.update()
    with timer.stage("surrogates"), open_engine(cfg.parallel.backend, cfg.n_jobs, cfg.parallel.scheduler) as engine:
        surrogates, sweep = fit_surrogates(cfg, dataset, teacher_module, teacher_probs["val"], teacher_probs["test"],
                                           engine)
    stages.update()
    compressed = [m for made in routes.values() for m in made if m.role == COMPRESSED]
    models = [teacher_model, *students, *compressed, *surrogates]
    sweep = pd.concat([sweep, student_sweep], ignore_index=True)
    with timer.stage("evaluation"):
        metrics, test_probs = metrics_table(models, dataset, teacher_probs)
        members = None  # an ensemble teacher's members: their accuracy and every model's fidelity to each
        if isinstance(teacher_module, EnsembleTeacher):
            members = member_table([predict_outputs(m, dataset.X_test) for m in teacher_module.members], test_probs,
                                   dict(zip(metrics.model, metrics.role)), teacher_probs["test"], dataset.y_test)
    compression_record = {}  # run.json's "compression": how the table was measured
    if compressing:
        with timer.stage("compression table"):
            examples = explained_examples(cfg, len(dataset.X_test))  # the attribution stage explains the same rows
            table = compression_table(teacher_model, routes, dataset, examples, cfg.attribution.baseline,
                                      cfg.attribution.top_k, cfg.compression.latency_repeats, cfg.seed)
            metrics = metrics.merge(table, on="model", how="left")
        compression_record["compression"] = compression_info(cfg.compression, len(examples))
    stages.update()

    with atomic_run_dir(Path(out_root), cfg.name) as run_dir:
        with timer.stage("attribution"):
            attribution = run_attribution(cfg, dataset, models, teacher_probs["test"])
        stages.update()
        artifacts.save_models(run_dir, models, dataset.X_train[:2])
        artifacts.save_arrays(run_dir, dataset, test_probs, attribution)
        metrics.to_csv(run_dir / "metrics.csv", index=False)
        sweep.to_csv(run_dir / "sweep.csv", index=False)
        if members is not None:
            members.to_csv(run_dir / "members.csv", index=False)
        for name, table in attribution.tables.items():
            table.to_csv(run_dir / f"{name}.csv", index=False)
        run_info = {
            "name": cfg.name,
            "seed": cfg.seed,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "config": cfg.model_dump(mode="json"),
            "versions": library_versions(),
            "machine": {"platform": platform.platform(), "threads": torch.get_num_threads(), "device": str(device)},
            "timings": timer.seconds,
            "stage_spans": timer.spans,
            "dataset": dataset.summary(),
            "warnings": caveats,
            "teacher": teacher_info,
            "students": student_logs,
            "attribution": attribution.info,
            **compression_record,
        }
        (run_dir / "run.json").write_text(json.dumps(run_info, indent=2))
        if report:
            from .report import render_report

            with timer.stage("report"):
                render_report(run_dir)
            run_info["timings"], run_info["stage_spans"] = timer.seconds, timer.spans
            (run_dir / "run.json").write_text(json.dumps(run_info, indent=2))
    stages.close()
    return Path(out_root) / cfg.name
