"""`make bench`: fidelity at low complexity, over several seeds, with the pipeline's own functions.

For every dataset (digits, breast_cancer, wine) and seed, this script

* loads and splits the data and trains the teacher (``load_dataset``, ``resolve_teacher``);
* trains the same compact student five ways: from scratch, Hinton KD, function matching (KD on mixup
  inputs, teacher queried every step) and DKD with one schedule, and KD on a fixed set of 100,000
  teacher-labelled ``kde`` rows with a shorter one (``train_scratch_student``, ``distill_student``);
* sweeps every surrogate kind over its complexity grid, regimes and transfer-set candidates, and selects
  by validation fidelity (``fit_surrogates`` = ``sweep_surrogates`` + ``select_by_validation``);
* scores everything on the test split (``metrics_table``). The test split is read for reporting only:
  every choice (grid point, transfer set, early-stopping epoch, student variant for the gap target) is
  made on validation data.

It writes ``benchmarks/results.csv`` (mean and std over seeds of every row) and ``benchmarks/results.md``
(machine, how to reproduce, headline tables, and each target of the issue marked PASS or MISS from the
measured numbers). Per-seed rows go to ``benchmarks/.work/raw.csv`` (git-ignored).

Usage::

    make bench                                   # or: .venv/bin/python benchmarks/run_bench.py
    make bench-heldout                           # the same settings on seeds 3-5 (benchmarks/heldout/)
    make bench-ablation                          # digits with every regime, hard+transfer included
    .venv/bin/python benchmarks/run_bench.py --seeds 0 1 --datasets wine --out /tmp/bench   # a quick look

Settings live in ``benchmarks/configs/<dataset>.yaml`` (ordinary experiment configs, bigger than the
shipped presets); the student variants are :data:`STUDENT_VARIANTS`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from interpret_distill.config import REGIMES, StudentConfig, load_config
from interpret_distill.data import load_dataset
from interpret_distill.models import count_parameters, predict_proba
from interpret_distill.provenance import Timer, library_versions
from interpret_distill.results import FittedModel, metrics_table
from interpret_distill.selection import rank_by_validation
from interpret_distill.students import distill_student, train_scratch_student
from interpret_distill.surrogate_stage import fit_surrogates
from interpret_distill.sweep import format_params
from interpret_distill.teachers import resolve_teacher

HERE = Path(__file__).resolve().parent
DATASETS = ("digits", "breast_cancer", "wine")
SEEDS = (0, 1, 2)
# The settings in configs/ and STUDENT_VARIANTS were explored on SEEDS; `make bench-heldout` reruns them on
# HELDOUT_SEEDS, which no exploration saw, as a check of how much of the result is tuning.
HELDOUT_SEEDS = (3, 4, 5)

# The student config's architecture and schedule are shared; these override the loss (and, for the
# transfer-set student, the schedule: 40 passes over 100,000 teacher-labelled rows instead of 300 over the
# training rows).
STUDENT_VARIANTS: dict[str, dict | None] = {
    "scratch": None,  # labels only, early stopping on validation accuracy
    "kd": {"loss": "kd", "loss_params": {"temperature": 4.0, "alpha": 0.9}, "function_matching": False},
    "fm": {"loss": "kd", "loss_params": {"temperature": 1.0, "alpha": 1.0}, "function_matching": True},
    "dkd": {"loss": "dkd", "loss_params": {"temperature": 4.0, "alpha": 1.0, "beta": 8.0, "ce_weight": 1.0},
            "function_matching": False},
    # Explored on digits seeds 0-2 (mean validation accuracy): mixup T=2 0.979, mixup T=1 0.983, mixup
    # 200k rows 0.984, 80 epochs 0.979, kde T=2 0.985 (kept). Test accuracy was printed beside it.
    # Scratch keeps its own schedule: given as many optimiser steps as this variant (2,640 epochs at batch 512,
    # `matched_scratch_config`) it scored 0.984 validation / 0.964 test accuracy, against 0.982 / 0.965.
    "transfer": {"loss": "kd", "loss_params": {"temperature": 2.0, "alpha": 1.0}, "function_matching": False,
                 "transfer_set": {"augmentation": "kde", "n_synthetic": 100_000, "params": {"bandwidth": 0.5}},
                 "epochs": 40, "patience": 40, "batch_size": 512},
}
VARIANT_NAMES = {"scratch": "scratch (labels only)", "kd": "Hinton KD (T=4, α=0.9)",
                 "fm": "function matching (KD T=1 on mixup inputs)", "dkd": "DKD (T=4, α=1, β=8)",
                 "transfer": "KD (T=2) on 100k teacher-labelled kde rows"}

# The targets.
TREE_DEPTH, TREE_MIN_FIDELITY, TREE_MIN_GAIN = 8, 0.92, 0.06
LINEAR_MIN_FIDELITY = 0.98
STUDENT_MAX_SHARE, STUDENT_MIN_RECOVERY = 0.05, 0.80
BENCH_MAX_SECONDS = 600


def run_one(dataset_name: str, seed: int, use_cache: bool,
            regimes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Everything for one dataset and seed (``regimes``: instead of the config's): metrics rows, sweep, timings."""
    overrides = {"seed": seed, **({"regimes": regimes} if regimes else {})}
    cfg = load_config(HERE / "configs" / f"{dataset_name}.yaml", overrides)
    timer = Timer()
    with timer.stage("data"):
        dataset = load_dataset(cfg.data, seed)
    with timer.stage("teacher"):
        teacher, info = resolve_teacher(dataset, cfg.teacher, seed, use_cache=use_cache, progress=False)
    teacher_probs = {s: predict_proba(teacher, dataset.split(s)[0]) for s in ("val", "test")}
    models = [FittedModel("teacher", "teacher", cfg.teacher.arch, "reference", "reference", teacher)]
    for variant, override in STUDENT_VARIANTS.items():
        with timer.stage(f"student:{variant}"):
            if override is None:
                student, _ = train_scratch_student(dataset, cfg.student, seed, progress=False)
            else:
                student_cfg = StudentConfig.model_validate({**cfg.student.model_dump(), **override})
                student, _ = distill_student(dataset, teacher, student_cfg, seed, progress=False)
        models.append(FittedModel(f"student:{variant}", "student", cfg.student.arch, variant,
                                  "baseline" if override is None else "distilled", student,
                                  {"hidden": cfg.student.hidden}, timer.seconds[f"student:{variant}"]))
    with timer.stage("surrogates"):
        surrogates, sweep = fit_surrogates(cfg, dataset, teacher, teacher_probs["val"], teacher_probs["test"])
    models += surrogates
    metrics, _ = metrics_table(models, dataset, teacher_probs)
    metrics["n_params"] = [count_parameters(m.model) if m.is_torch else np.nan for m in models]
    metrics["teacher_params"] = info["n_params"]
    sizes = {"n_train": len(dataset.y_train), "n_val": len(dataset.y_val), "n_test": len(dataset.y_test)}
    metrics["n_test"] = sizes["n_test"]
    tag = {"dataset": dataset_name, "seed": seed}
    return metrics.assign(**tag), sweep.assign(**tag), {**tag, **sizes, **timer.seconds}


def _mean_std(frame: pd.DataFrame, keys: list[str], columns: list[str]) -> pd.DataFrame:
    """Mean and sample std over seeds of ``columns``, per ``keys`` (std 0 with one seed)."""
    grouped = frame.groupby(keys, sort=False, dropna=False)
    out = grouped[columns].agg(["mean", "std"])
    out.columns = [f"{c}_{s}" for c, s in out.columns]
    out = out.fillna({c: 0.0 for c in out.columns if c.endswith("_std")})
    out["n_seeds"] = grouped["seed"].nunique()
    return out.reset_index()


def _choices(values: pd.Series) -> str:
    """The distinct values chosen over seeds, most frequent first, with counts when they differ."""
    counts = values.astype(str).value_counts()
    if len(counts) == 1:
        return counts.index[0]
    return "; ".join(f"{v} ×{n}" for v, n in counts.items())


def _readable(params_json: str, transfer: str) -> str:
    """A selected model's hyper-parameters and transfer set, without the seed: ``max_depth=8 · kde(...)``."""
    params = dict(sorted(json.loads(params_json).items()))  # one order whatever the grid's
    params.pop("random_state", None)
    return " · ".join(p for p in (format_params(params), transfer if transfer != "train" else "") if p)


def aggregate(metrics: pd.DataFrame, sweep: pd.DataFrame) -> pd.DataFrame:
    """The rows of results.csv (mean and std over seeds).

    Sections: ``teacher``; ``student`` (one row per variant); ``surrogate_regime`` (the validation-selected
    model of each kind and regime); ``surrogate_selected`` (each kind's validation-selected distilled model,
    whichever soft-label regime won); ``surrogate_sweep`` (every grid point × regime × transfer set).
    """
    scores = ["accuracy", "fidelity", "val_accuracy", "val_fidelity", "complexity_score", "fit_seconds", "n_params"]
    metrics = metrics.assign(chosen=[_readable(p, t) for p, t in zip(metrics.params_json, metrics.transfer)])
    family = metrics.family
    parts = [
        (metrics[family == "teacher"].assign(section="teacher"), ["dataset", "section", "model", "kind", "regime"]),
        (metrics[family == "student"].assign(section="student"), ["dataset", "section", "model", "kind", "regime"]),
        (metrics[family == "surrogate"].assign(section="surrogate_regime"), ["dataset", "section", "kind", "regime"]),
        (metrics[(family == "surrogate") & (metrics.role == "distilled")].assign(section="surrogate_selected"),
         ["dataset", "section", "kind"]),
    ]
    frames = []
    for frame, keys in parts:
        agg = _mean_std(frame, keys, scores)
        grouped = frame.groupby(keys, sort=False, dropna=False)
        for column in ("regime", "role", "chosen"):
            if column not in keys:
                agg[column] = grouped[column].agg(_choices).to_numpy()
        frames.append(agg)
    selected = pd.concat(frames, ignore_index=True).rename(
        columns=lambda c: f"test_{c}" if c.startswith(("accuracy_", "fidelity_")) else c)
    points = _mean_std(sweep.assign(section="surrogate_sweep"),
                       ["dataset", "section", "kind", "regime", "transfer", "params"],
                       ["test_fidelity", "test_accuracy", "val_fidelity", "val_accuracy", "complexity_score",
                        "fit_seconds"])
    out = pd.concat([selected, points], ignore_index=True)
    order = {name: i for i, name in enumerate(["teacher", "student", "surrogate_regime", "surrogate_selected",
                                                "surrogate_sweep"])}
    datasets = {name: i for i, name in enumerate(dict.fromkeys(metrics.dataset))}
    keys = pd.DataFrame({"d": out.dataset.map(datasets), "s": out.section.map(order)})
    return out.loc[keys.sort_values(["d", "s"], kind="stable").index].reset_index(drop=True)


def machine() -> dict:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": model, "cores": cores, "platform": platform.platform(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "torch_threads": torch.get_num_threads(), **library_versions()}


def _pm(mean: float, std: float, digits: int = 3) -> str:
    return f"{mean:.{digits}f} ± {std:.{digits}f}"


def _verdict(ok: bool) -> str:
    return "**PASS**" if ok else "**MISS**"


def check_targets(metrics: pd.DataFrame, sweep: pd.DataFrame, wall_seconds: float | None) -> list[dict]:
    """Each target of the issue with the measured number and PASS/MISS (means over seeds, test split).

    ``wall_seconds`` is None for a run that is not the whole bench protocol (a subset of datasets, other
    regimes): the time target is about `make bench` and is then left out.
    """
    rows = []
    sur = metrics[metrics.family == "surrogate"]

    # 1. digits: a tree of depth <= 8 (the validation-selected distilled tree; the bench grid stops at 8)
    tree = sur[(sur.dataset == "digits") & (sur.kind == "tree")]
    if not tree.empty:
        distilled = tree[tree.role == "distilled"].set_index("seed")
        depth = distilled.complexity.str.extract(r"depth[ =](\d+)")[0].astype(int)
        fid = distilled.fidelity.mean()
        # the hard-label fit with the same hyper-parameters, per seed (from the sweep's test columns)
        hard = sweep[(sweep.dataset == "digits") & (sweep.kind == "tree") & (sweep.regime == "hard")]
        gains = []
        hard_keys = hard.params_json.map(_grid_key)
        for seed, row in distilled.iterrows():
            same = hard[(hard.seed == seed) & (hard_keys == _grid_key(row.params_json))]
            gains.append(row.fidelity - same.test_fidelity.item())
        gain = float(np.mean(gains))
        rows.append({"target": f"digits: tree of depth ≤ {TREE_DEPTH}, test fidelity ≥ {TREE_MIN_FIDELITY}",
                     "measured": f"{_pm(fid, distilled.fidelity.std())} (validation-selected, depth "
                                 f"{depth.min() if depth.min() == depth.max() else f'{depth.min()}–{depth.max()}'})",
                     "ok": bool(depth.max() <= TREE_DEPTH and fid >= TREE_MIN_FIDELITY)})
        rows.append({"target": f"digits: that tree ≥ {TREE_MIN_GAIN} above the hard-label tree of the same depth",
                     "measured": f"{gain:+.3f} (per-seed gains {', '.join(f'{g:+.3f}' for g in gains)})",
                     "ok": bool(gain >= TREE_MIN_GAIN)})

    # 2. every dataset and kind: validation-selected distilled surrogate >= hard-label fit on test
    for (dataset, kind), group in sur.groupby(["dataset", "kind"], sort=False):
        distilled = group[group.role == "distilled"].set_index("seed")
        hard = group[group.regime == "hard"].set_index("seed")
        distilled_mean, hard_mean = distilled.fidelity.mean(), hard.fidelity.mean()
        gap = distilled_mean - hard_mean
        # small test splits make every difference a whole number of rows: say how many, per seed
        rows_gained = ((distilled.fidelity - hard.fidelity) * distilled.n_test).round().astype(int)
        rows.append({"target": f"{dataset}: {kind} (validation-selected) ≥ hard-label fit",
                     "measured": f"{distilled_mean:.3f} vs {hard_mean:.3f} ({gap:+.3f}; "
                                 f"test rows per seed {', '.join(f'{n:+d}' for n in rows_gained)})",
                     "ok": bool(gap >= -1e-12)})

    # 3. digits linear surrogate fidelity
    linear = sur[(sur.dataset == "digits") & (sur.kind == "linear") & (sur.role == "distilled")]
    if not linear.empty:
        rows.append({"target": f"digits: linear surrogate test fidelity ≥ {LINEAR_MIN_FIDELITY}",
                     "measured": _pm(linear.fidelity.mean(), linear.fidelity.std()),
                     "ok": bool(linear.fidelity.mean() >= LINEAR_MIN_FIDELITY)})

    # 4. student: gap recovery on digits, for the distilled variant with the best *validation* accuracy
    for dataset in ("digits",):
        rec = gap_recovery(metrics, dataset)
        if rec is None:
            continue
        rows.append({"target": f"{dataset}: student ≤ {STUDENT_MAX_SHARE:.0%} of teacher parameters recovers "
                               f"≥ {STUDENT_MIN_RECOVERY:.0%} of the teacher − scratch accuracy gap",
                     "measured": f"{rec['variant']} (chosen on validation accuracy), {rec['share']:.1%} of the "
                                 f"parameters: {rec['recovery']:.0%} of the gap ({rec['student']:.3f} vs scratch "
                                 f"{rec['scratch']:.3f}, teacher {rec['teacher']:.3f})",
                     "ok": bool(rec["share"] <= STUDENT_MAX_SHARE and rec["recovery"] >= STUDENT_MIN_RECOVERY)})

    if wall_seconds is not None:
        rows.append({"target": f"whole `make bench` under {BENCH_MAX_SECONDS // 60} minutes",
                     "measured": f"{wall_seconds:.0f} s", "ok": wall_seconds < BENCH_MAX_SECONDS})
    return rows


def _grid_key(params_json: str) -> str:
    """A model's hyper-parameters without the seed, as sorted JSON (matches metrics and sweep)."""
    params = {k: v for k, v in json.loads(params_json).items() if k != "random_state"}
    return json.dumps(params, sort_keys=True)


def gap_recovery(metrics: pd.DataFrame, dataset: str) -> dict | None:
    """(student − scratch) / (teacher − scratch) in mean test accuracy, for the validation-best distilled student."""
    m = metrics[metrics.dataset == dataset]
    students = m[m.family == "student"]
    if students.empty:
        return None
    mean = m.groupby("model").agg(acc=("accuracy", "mean"), val=("val_accuracy", "mean"),
                                  params=("n_params", "mean"), teacher_params=("teacher_params", "mean"))
    distilled = mean.loc[[f"student:{v}" for v in STUDENT_VARIANTS if STUDENT_VARIANTS[v] is not None]]
    best = distilled.val.idxmax()
    teacher, scratch, student = mean.acc["teacher"], mean.acc["student:scratch"], mean.acc[best]
    gap = teacher - scratch
    return {"variant": best.split(":", 1)[1], "teacher": teacher, "scratch": scratch, "student": student,
            "recovery": (student - scratch) / gap if gap > 0 else float("nan"),
            "share": mean.params[best] / mean.teacher_params[best]}


def _tuning_note(seeds) -> str:
    """Whether these seeds are the ones the settings were explored on (and so not blind to their test split)."""
    seen = sorted(set(seeds) & set(SEEDS))
    if not seen:
        return (f"**Held-out seeds.** The settings in `benchmarks/configs/` were explored on seeds "
                f"{', '.join(map(str, SEEDS))}, with test numbers printed beside validation ones; none of the seeds "
                "here took part, so this run checks the tuned settings on splits and teachers they never saw.")
    return (f"The settings in `benchmarks/configs/` were explored on seed(s) {', '.join(map(str, seen))} of this run, "
            "and those exploratory runs printed test numbers beside validation ones. Where validation could not "
            "separate two settings, the config names the reason for its pick; treat the settings as tuned on these "
            f"seeds, not blind to their test split (`make bench-heldout` reruns them on seeds "
            f"{', '.join(map(str, HELDOUT_SEEDS))}).")


def _command(args) -> str:
    """The command line that reproduces this run."""
    all_datasets, seeds, out = list(args.datasets) == list(DATASETS), list(args.seeds), Path(args.out).resolve()
    if all_datasets and seeds == list(SEEDS) and out == HERE and not args.regimes:
        return "make bench            # = .venv/bin/python benchmarks/run_bench.py"
    if all_datasets and seeds == list(HELDOUT_SEEDS) and out == HERE / "heldout" and not args.regimes:
        return "make bench-heldout    # = .venv/bin/python benchmarks/run_bench.py --seeds 3 4 5 --out benchmarks/heldout"
    extra = "" if all_datasets else f" --datasets {' '.join(args.datasets)}"
    extra += f" --regimes {' '.join(args.regimes)}" if args.regimes else ""
    if (list(args.datasets), seeds, out, args.regimes) == (["digits"], list(SEEDS), HERE / "ablation", list(REGIMES)):
        return f"make bench-ablation   # = .venv/bin/python benchmarks/run_bench.py{extra} --out benchmarks/ablation"
    return f".venv/bin/python benchmarks/run_bench.py --seeds {' '.join(map(str, args.seeds))}{extra} --out {args.out}"


def write_markdown(path: Path, results: pd.DataFrame, metrics: pd.DataFrame, sweep: pd.DataFrame,
                   timings: pd.DataFrame, targets: list[dict], info: dict, args, wall: float) -> None:
    lines = ["# Benchmark: fidelity at low complexity", ""]
    lines += [f"Generated by `{_command(args).split('#')[0].strip()}` (`benchmarks/run_bench.py`) on {info['date']}; "
              f"wall time **{wall:.0f} s** for {len(args.datasets)} datasets × {len(args.seeds)} seeds "
              f"({', '.join(map(str, args.seeds))}). All numbers are on the **test** split, mean ± std over seeds; "
              "within a run every choice (grid point, transfer set, early-stopping epoch, the student variant of "
              "the gap target) was made on the validation split: top-1 agreement first, ties broken by the mean "
              "KL(teacher ‖ surrogate), then by lower complexity.", "",
              _tuning_note(args.seeds), ""]
    lines += ["## Machine", "",
              f"- CPU: {info['cpu']}, {info['cores']} cores available (shared with other jobs; load average at "
              f"start {', '.join(f'{x:.1f}' for x in info['load_average'] or [])})",
              f"- torch threads: {info['torch_threads']}; surrogate sweep: joblib with 2 workers",
              f"- Python {info['python']}, torch {info['torch']}, scikit-learn {info['scikit-learn']}, "
              f"numpy {info['numpy']}, pandas {info['pandas']}",
              f"- {info['platform']}", ""]
    lines += ["## Reproduce", "", "```", _command(args), "```", "",
              "Settings: `benchmarks/configs/{digits,breast_cancer,wine}.yaml` (ordinary experiment configs) and "
              "`STUDENT_VARIANTS` in `benchmarks/run_bench.py`. Teachers are retrained for each seed (pass "
              "`--cached-teachers` to reuse the cache). Full per-row numbers: `results.csv` beside this file.", ""]

    lines += ["## Targets", "", "| target | measured (test, mean over seeds) | verdict |", "|---|---|---|"]
    lines += [f"| {t['target']} | {t['measured']} | {_verdict(t['ok'])} |" for t in targets]
    sizes = timings.groupby("dataset", sort=False)[["n_train", "n_val", "n_test"]].first()
    lines += ["", "Split sizes (train / validation / test rows): " + "; ".join(
        f"{d} {r.n_train} / {r.n_val} / {r.n_test} (one test row = {1 / r.n_test:.3f})" for d, r in sizes.iterrows())
        + ". Differences below about one test row per seed are within noise; the verdicts are computed "
          "from the means exactly as measured.", ""]

    lines += ["## Teacher and students", "",
              "Same architecture, initialisation and seed for every student, and the same schedule except for the "
              "transfer-set student (40 passes over the training rows plus 100,000 synthetic ones; "
              "`STUDENT_VARIANTS`); distilled students stop early on validation fidelity, the scratch one on "
              "validation accuracy. Gap recovered = (student − scratch) / (teacher − "
              "scratch) in mean test accuracy.", "",
              "| dataset | model | parameters | test accuracy | test fidelity | gap recovered |",
              "|---|---|---|---|---|---|"]
    for dataset in args.datasets:
        m = metrics[metrics.dataset == dataset]
        teacher_acc = m[m.model == "teacher"].accuracy.mean()
        scratch_acc = m[m.model == "student:scratch"].accuracy.mean()
        for model in ["teacher", *[f"student:{v}" for v in STUDENT_VARIANTS]]:
            rows = m[m.model == model]
            if rows.empty:
                continue
            n = rows.n_params.mean()
            share = "" if model == "teacher" else f" ({n / rows.teacher_params.mean():.1%})"
            name = "teacher" if model == "teacher" else VARIANT_NAMES[model.split(":", 1)[1]]
            gap = teacher_acc - scratch_acc
            recovered = ("" if model in ("teacher", "student:scratch") or gap <= 0
                         else f"{(rows.accuracy.mean() - scratch_acc) / gap:.0%}")
            lines.append(f"| {dataset} | {name} | {n:,.0f}{share} | {_pm(rows.accuracy.mean(), rows.accuracy.std())} | "
                         f"{_pm(rows.fidelity.mean(), rows.fidelity.std())} | {recovered} |")
    lines += [""]

    lines += ["## Surrogates", "",
              "Per dataset and kind: the validation-selected model of each fitting regime (ground truth, teacher hard "
              "labels, teacher hard labels on a teacher-labelled transfer set where the config runs `hard+transfer`, "
              "teacher soft labels on the training rows, soft labels on a transfer set), then "
              "**selected**: the kind's validation-best soft-label model, the one the pipeline ships as `distilled` "
              "(the transfer set is chosen on validation like any hyper-parameter). Complexity: leaves (tree), "
              "non-zero coefficients (linear), parameters (naive Bayes), mean over seeds.", "",
              "| dataset | kind | regime | complexity | test fidelity | test accuracy "
              "| chosen on validation (per seed) |",
              "|---|---|---|---|---|---|---|"]
    regimes = results[results.section == "surrogate_regime"]
    picked = results[results.section == "surrogate_selected"]
    for (dataset, kind), group in regimes.groupby(["dataset", "kind"], sort=False):
        best = picked[(picked.dataset == dataset) & (picked.kind == kind)]
        for _, r in pd.concat([group, best]).iterrows():
            regime = r.regime if r.section == "surrogate_regime" else f"**selected** ({r.regime})"
            lines.append(f"| {dataset} | {kind} | {regime} | {r.complexity_score_mean:.0f} | "
                         f"{_pm(r.test_fidelity_mean, r.test_fidelity_std)} | "
                         f"{_pm(r.test_accuracy_mean, r.test_accuracy_std)} | {_short(r.chosen)} |")
    lines += [""]

    lines += ["## Fidelity–complexity frontier: digits trees", "",
              "Test fidelity (mean over seeds) of each depth, per regime; for `soft+transfer` the transfer set "
              "with the best validation fidelity at that depth, per seed. Leaves in parentheses.", ""]
    lines += _tree_frontier(sweep[sweep.dataset == "digits"]) + [""]

    lines += ["## Wall-clock time per stage (seconds, mean over seeds)", ""]
    stages = [c for c in timings.columns if c not in ("dataset", "seed", "n_train", "n_val", "n_test")]
    lines += ["| dataset | " + " | ".join(stages) + " | total |", "|---" * (len(stages) + 2) + "|"]
    for dataset, group in timings.groupby("dataset", sort=False):
        means = group[stages].mean()
        lines.append(f"| {dataset} | " + " | ".join(f"{means[s]:.1f}" for s in stages) + f" | {means.sum():.1f} |")
    lines += ["", "Teacher time is training (no cache); `surrogates` includes building and labelling the transfer "
              "sets and the whole sweep.", ""]
    path.write_text("\n".join(lines))


def _short(text: str, limit: int = 160) -> str:
    text = str(text).replace("|", "/").replace('"', "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _tree_frontier(sweep: pd.DataFrame) -> list[str]:
    tree = sweep[sweep.kind == "tree"]
    if tree.empty:
        return ["(no digits trees in this run)"]
    # one row per (seed, regime, params): for soft+transfer, the validation-best transfer set
    best = rank_by_validation(tree).drop_duplicates(["seed", "regime", "params"])
    table = best.groupby(["params", "regime"], sort=False).agg(fid=("test_fidelity", "mean"),
                                                               leaves=("complexity_score", "mean"))
    regimes = list(dict.fromkeys(tree.regime))
    out = ["| grid point | " + " | ".join(regimes) + " |", "|---" * (len(regimes) + 1) + "|"]
    for params in dict.fromkeys(tree.params):
        cells = []
        for regime in regimes:
            if (params, regime) in table.index:
                r = table.loc[(params, regime)]
                cells.append(f"{r.fid:.3f} ({r.leaves:.0f})")
            else:
                cells.append("")
        out.append(f"| {params} | " + " | ".join(cells) + " |")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--out", default=str(HERE), help="folder for results.csv and results.md (default: benchmarks/)")
    parser.add_argument("--cached-teachers", action="store_true", help="reuse cached teachers instead of retraining")
    parser.add_argument("--regimes", nargs="+", choices=REGIMES,
                        help="surrogate fitting regimes instead of each config's (`make bench-ablation` runs all "
                             "five on digits, whose config leaves out hard+transfer to stay under 10 minutes)")
    args = parser.parse_args(argv)
    if args.regimes and "hard" not in args.regimes:
        parser.error("--regimes must include hard: the targets compare every surrogate with the hard-label fit")

    # Everything here is small: one torch thread is fastest, and on a shared machine much faster than two.
    torch.set_num_threads(1)
    info = {**machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    start = time.perf_counter()
    metrics, sweeps, timings = [], [], []
    for dataset in args.datasets:
        for seed in args.seeds:
            t0 = time.perf_counter()
            m, s, t = run_one(dataset, seed, use_cache=args.cached_teachers, regimes=args.regimes)
            metrics.append(m), sweeps.append(s), timings.append(t)
            print(f"{dataset} seed {seed}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    metrics, sweep, timings = pd.concat(metrics), pd.concat(sweeps), pd.DataFrame(timings)
    results = aggregate(metrics, sweep)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = HERE / ".work"
    work.mkdir(exist_ok=True)
    metrics.to_csv(work / "raw_metrics.csv", index=False)
    sweep.to_csv(work / "raw_sweep.csv", index=False)
    results.round(6).to_csv(out / "results.csv", index=False)
    wall = time.perf_counter() - start
    whole_protocol = list(args.datasets) == list(DATASETS) and not args.regimes
    targets = check_targets(metrics, sweep, wall if whole_protocol else None)
    write_markdown(out / "results.md", results, metrics, sweep, timings, targets, info, args, wall)
    for t in targets:
        print(f"{'PASS' if t['ok'] else 'MISS'}  {t['target']}: {t['measured']}")
    print(f"wrote {out / 'results.csv'} and {out / 'results.md'} ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
