"""`make bench-compression`: distillation beside pruning and quantization on digits, seeds 0-2, mean ± std.

For every seed this runs the shipped ``compression`` preset through the pipeline (``run_experiment``, surrogates and
the report's attributions left out: the compression table explains every model itself) and reads its compression
rows back with ``load_run``. The preset compares, on one teacher and one split per seed:

* the distilled students of the width sweep (route ``distillation``);
* the teacher globally magnitude-pruned to 50, 80, 90 and 95 % of its weights and to as many non-zero parameters as
  the distilled student, each fine-tuned for 200 Adam steps on the training labels (``pruning``) or on the teacher's
  soft labels (``pruning+distillation``);
* the teacher and the distilled student quantized to int8 by torchao, with int8 activations or weights only
  (``quantization``, ``distillation+quantization``).

It writes ``benchmarks/compression/results.csv`` (mean and std over seeds per model) and
``benchmarks/compression/results.md`` (machine, the table, the target PASS or MISS).

Usage::

    make bench-compression                       # or: .venv/bin/python benchmarks/bench_compression.py
    .venv/bin/python benchmarks/bench_compression.py --seeds 0 --out /tmp/compression   # a quick look
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch

from interpret_distill import load_config, load_run
from interpret_distill.experiment import run_experiment
from interpret_distill.provenance import library_versions
from interpret_distill.report.compression_section import comparison_rows, student_against_pruning

HERE = Path(__file__).resolve().parent
SEEDS = (0, 1, 2)
MAX_SHARE = 0.10  # the target's student: at most 10 % of the teacher's file
COLUMNS = ["accuracy", "fidelity", "kl", "nonzero_params", "file_bytes", "size_share", "sparse_bytes",
           "latency_ms_per_1k_1thread", "attribution_spearman", "attribution_topk"]


def run_seed(seed: int, use_cache: bool) -> pd.DataFrame:
    """The compression rows of one seed's run of the ``compression`` preset (``entry`` names a row across seeds)."""
    overrides = {"seed": seed, "surrogates": [], "attribution": {"methods": []}, "progress": False}
    with tempfile.TemporaryDirectory() as out:
        run = load_run(run_experiment(load_config("compression", overrides), out, use_cache=use_cache, report=False))
        rows = comparison_rows(run)
    # students are named by width, which validation may pick differently per seed: "student" is the selected one
    width = rows.params.str.extract(r"(hidden=\[[^\]]*\])")[0]
    entry = rows.model.where(rows.route != "distillation", "student " + width.fillna(""))
    return rows.assign(seed=seed, entry=entry, selected=rows.model == "student")


def aggregate(rows: pd.DataFrame) -> pd.DataFrame:
    """Mean and sample std over seeds of :data:`COLUMNS` per entry, in the order of the first seed's table."""
    grouped = rows.groupby(["route", "entry"], sort=False)
    table = grouped[COLUMNS].agg(["mean", "std"])
    table.columns = [f"{column}_{stat}" for column, stat in table.columns]
    table["n_seeds"] = grouped.seed.nunique()
    table["selected_on_seeds"] = grouped.apply(lambda g: ", ".join(map(str, g.seed[g.selected])), include_groups=False)
    table["stayed_float"] = grouped.stayed_float.first()
    return table.reset_index()


def target(rows: pd.DataFrame) -> dict:
    """The distilled student against the teacher pruned to as many non-zero parameters, per seed and on average."""
    per_seed = [student_against_pruning(group) for _, group in rows.groupby("seed", sort=True)]
    student = pd.Series([m["student_fidelity"] for m in per_seed])
    pruned = pd.Series([m["pruned_fidelity"] for m in per_seed])
    share = max(m["share"] for m in per_seed)
    return {"student": student, "pruned": pruned, "share": share,
            "ok": bool(share <= MAX_SHARE and student.mean() >= pruned.mean()),
            "pruned_models": sorted({m["pruned"] for m in per_seed})}


def machine() -> dict:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"platform": platform.platform(), "cores": cores,
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None, **library_versions()}


def _pm(mean: float, std: float, spec: str = "{:.3f}") -> str:
    if pd.isna(mean):
        return ""
    return spec.format(mean) + ("" if pd.isna(std) else " ± " + spec.format(std))


def headline(goal: dict) -> str:
    """The target's row as one sentence (the README quotes it)."""
    return (f"distilled student (≤ {goal['share']:.1%} of the teacher's file) test fidelity "
            f"{_pm(goal['student'].mean(), goal['student'].std())} against "
            f"{_pm(goal['pruned'].mean(), goal['pruned'].std())} for the teacher pruned to as many non-zero "
            "parameters (the better of its two fine-tunes, per seed)")


def write_markdown(path: Path, table: pd.DataFrame, goal: dict, info: dict, seeds: list[int], wall: float) -> None:
    lines = ["# Benchmark: distillation beside pruning and quantization (digits)", "",
             f"Generated by `make bench-compression` (`benchmarks/bench_compression.py`) on {info['date']}; wall time "
             f"**{wall:.0f} s** for seeds {', '.join(map(str, seeds))}. One run of the shipped `compression` preset "
             "per seed (surrogates left out); numbers are on the **test** split, mean ± std over seeds.", "",
             f"Machine: {info['platform']}, {info['cores']} cores (shared; load average at start "
             f"{', '.join(f'{x:.1f}' for x in info['load_average'] or [])}); torch {info['torch']}, torchao "
             f"{info['torchao']}. Latency: median of 5 predictions of the 450 test rows at one torch thread, each model "
             "read back from its saved file. Size on disk: the bytes of the file the run directory stores; pruned "
             "networks are stored dense and so are **no smaller than the teacher** (the CSR column is what storing "
             "their weight matrices sparse would take: computed, not stored). Attribution agreement: feature_ablation "
             "of every model (gradients do not flow through int8 activations) against the teacher's, on 200 test "
             "examples.", "",
             "## Target", "",
             "| target | measured | verdict |", "|---|---|---|",
             f"| a distilled student of ≤ {MAX_SHARE:.0%} of the teacher's size on disk is at least as faithful as the "
             f"teacher pruned to the same number of non-zero weights | {headline(goal)}; per seed "
             f"{', '.join(f'{s:.3f} vs {p:.3f}' for s, p in zip(goal['student'], goal['pruned']))} | "
             f"{'**PASS**' if goal['ok'] else '**MISS**'} |", "",
             "## The table", "",
             "| route | model | test accuracy | test fidelity | KL(teacher ‖ model) | non-zero parameters | size on disk "
             "(bytes) | share of teacher's file | with CSR weights (bytes) | latency (ms / 1k rows, 1 thread) | "
             "attribution Spearman | attribution top-5 | layers left float |",
             "|---" * 13 + "|"]
    for row in table.itertuples():
        model = row.entry + (f" (selected on seeds {row.selected_on_seeds})" if row.selected_on_seeds else "")
        if row.n_seeds < len(seeds):
            model += f" ({row.n_seeds} of {len(seeds)} seeds)"
        lines.append(" | ".join([
            f"| {row.route}", model, _pm(row.accuracy_mean, row.accuracy_std), _pm(row.fidelity_mean, row.fidelity_std),
            _pm(row.kl_mean, row.kl_std, "{:.4f}"), _pm(row.nonzero_params_mean, row.nonzero_params_std, "{:,.0f}"),
            _pm(row.file_bytes_mean, row.file_bytes_std, "{:,.0f}"), _pm(row.size_share_mean, None, "{:.1%}"),
            _pm(row.sparse_bytes_mean, row.sparse_bytes_std, "{:,.0f}"),
            _pm(row.latency_ms_per_1k_1thread_mean, row.latency_ms_per_1k_1thread_std, "{:.2f}"),
            _pm(row.attribution_spearman_mean, row.attribution_spearman_std),
            _pm(row.attribution_topk_mean, row.attribution_topk_std),
            "" if pd.isna(row.stayed_float) else str(row.stayed_float)]) + " |")
    lines += ["", "Students are listed by width: validation picks the distilled one per seed (`student`, the one "
              "the pruned-as-student level and the quantized students are made from). Latencies are wall-clock "
              "times on a shared machine: compare them within this table, not across runs.", ""]
    path.write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--out", default=str(HERE / "compression"), help="folder for results.csv and results.md")
    parser.add_argument("--no-cache", action="store_true", help="retrain the teachers instead of reusing the cache")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    info = {**machine(), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    start = time.perf_counter()
    rows = []
    for seed in args.seeds:
        t0 = time.perf_counter()
        rows.append(run_seed(seed, use_cache=not args.no_cache))
        print(f"digits seed {seed}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    rows = pd.concat(rows, ignore_index=True)
    table, goal = aggregate(rows), target(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.round(6).to_csv(out / "results.csv", index=False)
    wall = time.perf_counter() - start
    write_markdown(out / "results.md", table, goal, info, args.seeds, wall)
    print(f"{'PASS' if goal['ok'] else 'MISS'}  {headline(goal)}")
    print(f"wrote {out / 'results.csv'} and {out / 'results.md'} ({wall:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
