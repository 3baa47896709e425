"""`make bench-scale`: the default pipeline on generated data of growing size: time and peak memory per stage.

Tables of 20 columns (19 numeric, 1 categorical with 6 levels; 4 classes from a fixed random two-layer function
of the columns, with label noise) and 28x28 grey images (``interpret_distill.synthetic.make_digits28``:
scikit-learn's 8x8 digits upsampled 3x, shifted by up to 2 pixels from the centre, contrast-scaled and noised:
synthetic, not MNIST) are generated with a seed, written once to ``benchmarks/.work/scale/`` (Parquet and npz), and
run through ``run_experiment`` with every setting at its default (images: ``teacher: {arch: cnn}``). While a run
goes, a thread samples the resident memory of the process and its workers every 0.1 s; each stage's peak is the
highest sample inside the stage's span (``run.json``'s
``stage_spans``). Each size runs in a fresh interpreter, so one run's memory and imports do not count as the next's.
Growth exponents are least-squares slopes of log(seconds) on log(rows) over the sizes run.

Writes ``benchmarks/scale/results.csv``, ``results.md`` and ``scaling.png``.

Usage::

    make bench-scale                                       # every size of the issue (long: tens of minutes)
    .venv/bin/python benchmarks/bench_scale.py --tables 10000 30000 --images 2000 5000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
from machine import fenced_section, machine
from matplotlib.figure import Figure

from interpret_distill.config import parse_config
from interpret_distill.experiment import run_experiment
from interpret_distill.runs import load_run
from interpret_distill.synthetic import make_digits28

HERE = Path(__file__).resolve().parent
DATA = HERE / ".work" / "scale"
TABLE_SIZES = (10_000, 100_000, 1_000_000)
IMAGE_SIZES = (5_000, 20_000, 70_000)
DEFAULTS_SECTION = "defaults"  # the section make bench-defaults writes into results.md (bench_defaults.SCALE_SECTION)
STAGES = ("data", "teacher", "students", "surrogates", "evaluation", "attribution", "report")


def make_table(n_rows: int, seed: int = 0) -> pd.DataFrame:
    """``n_rows`` rows: 19 numeric columns, a categorical ``channel`` and a 4-class ``label`` (10 % noise)."""
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n_rows, 19)).astype(np.float32)
    channel = rng.integers(0, 6, size=n_rows)
    weights = np.random.default_rng(1234).normal(size=(19 + 6, 16))  # the same hidden function at every size
    hidden = np.tanh(np.hstack([numeric, np.eye(6)[channel]]) @ weights)
    logits = hidden @ np.random.default_rng(4321).normal(size=(16, 4))
    label = logits.argmax(1)
    noisy = rng.random(n_rows) < 0.1
    label[noisy] = rng.integers(0, 4, size=noisy.sum())
    frame = pd.DataFrame(numeric, columns=[f"x{j}" for j in range(19)])
    frame["channel"] = np.array(list("abcdef"))[channel]
    frame["label"] = label
    return frame


def dataset_config(kind: str, n_rows: int) -> dict:
    """Write the data once and return the config: every setting at its default but the data (and a CNN teacher)."""
    DATA.mkdir(parents=True, exist_ok=True)
    if kind == "table":
        path = DATA / f"table_{n_rows}.parquet"
        if not path.exists():
            make_table(n_rows).to_parquet(path)
        return {"name": f"table_{n_rows}", "data": {"source": "parquet", "path": str(path), "target": "label",
                                                    "categorical": ["channel"]}}
    path = DATA / f"images_{n_rows}.npz"
    if not path.exists():
        X, y = make_digits28(n_rows)
        np.savez(path, X=X, y=y)
    return {"name": f"images_{n_rows}", "data": {"source": "npz", "path": str(path), "image_shape": [1, 28, 28]},
            "teacher": {"arch": "cnn"}}


class MemorySampler(threading.Thread):
    """Resident memory of this process and its children (the sweep's workers), sampled every ``period`` s."""

    def __init__(self, period: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.period, self.samples, self._stop_event = period, [], threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._stop_event.is_set():
            rss = me.memory_info().rss
            for child in me.children(recursive=True):
                try:
                    rss += child.memory_info().rss
                except psutil.Error:  # a worker that just ended
                    pass
            self.samples.append((time.time(), rss))
            time.sleep(self.period)

    def stop(self) -> list[tuple[float, int]]:
        self._stop_event.set()
        self.join()
        return self.samples


def measure(kind: str, n_rows: int, seed: int = 0) -> list[dict]:
    """One default run on ``n_rows`` generated rows: a row per stage with its seconds and peak memory."""
    raw = {**dataset_config(kind, n_rows), "seed": seed, "progress": False}
    sampler = MemorySampler()
    sampler.start()
    with tempfile.TemporaryDirectory() as out:
        run = load_run(run_experiment(parse_config(raw), out, use_cache=False))
        samples = np.array(sampler.stop())
        rows = []
        for stage in STAGES:
            start, end = run.info["stage_spans"][stage]
            inside = samples[(samples[:, 0] >= start) & (samples[:, 0] <= end), 1]
            peak = inside.max() if len(inside) else np.nan
            rows.append({"data": kind, "rows": n_rows, "stage": stage, "seconds": run.info["timings"][stage],
                         "peak_mb": peak / 2**20})
    rows.append({"data": kind, "rows": n_rows, "stage": "total", "seconds": sum(r["seconds"] for r in rows),
                 "peak_mb": samples[:, 1].max() / 2**20})
    return rows


def growth_exponents(results: pd.DataFrame) -> pd.DataFrame:
    """Per data kind and stage, the slope of log(seconds) on log(rows) (1: linear in rows)."""
    fits = []
    for (kind, stage), group in results.groupby(["data", "stage"], sort=False):
        if group["rows"].nunique() >= 2:
            slope = np.polyfit(np.log(group["rows"]), np.log(group["seconds"].clip(lower=1e-3)), 1)[0]
            fits.append({"data": kind, "stage": stage, "exponent": slope})
    return pd.DataFrame(fits)


def cpu_model() -> str:
    """The CPU's model name and the cores this process may use (``machine.machine()``'s)."""
    info = machine()
    return f"{info['cpu']}, {info['cores']} cores available"


def plot(results: pd.DataFrame) -> Figure:
    """Seconds against rows per stage, log-log, one panel per data kind."""
    kinds = list(dict.fromkeys(results["data"]))
    fig = Figure(figsize=(5 * len(kinds), 4), layout="constrained")
    for ax, kind in zip(fig.subplots(1, len(kinds), squeeze=False)[0], kinds):
        for stage, group in results[results["data"] == kind].groupby("stage", sort=False):
            ax.loglog(group["rows"], group["seconds"].clip(lower=1e-2), marker="o", label=stage)
        ax.set(title=f"{kind}s", xlabel="rows (log)", ylabel="seconds (log)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize="small")
    return fig


def write(results: pd.DataFrame, out: Path, wall: float, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / "results.csv", index=False)
    plot(results).savefig(out / "scaling.png", dpi=110)
    exponents = growth_exponents(results)
    lines = ["# Scale: the default pipeline on generated data", "",
             f"Generated by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wall time "
             f"{wall:.0f} s. CPU: {cpu_model()}. Every setting at its default (images: a CNN teacher); data "
             "generated with a seed (`benchmarks/bench_scale.py`: tables of 20 columns, one categorical, 4 classes; "
             "28x28 images upsampled from scikit-learn's digits, synthetic). Peak memory: resident memory of the "
             "process and its workers, sampled every 0.1 s.", "",
             "## Seconds and peak memory (MB) per stage", ""]
    table = results.assign(cell=[f"{s:.1f} s / {m:,.0f} MB" for s, m in zip(results.seconds, results.peak_mb)])
    wide = table.pivot_table(index=["data", "rows"], columns="stage", values="cell", aggfunc="first", sort=False)
    wide = wide[[c for c in (*STAGES, "total") if c in wide.columns]]
    lines += ["| data | rows | " + " | ".join(wide.columns) + " |", "|---|---|" + "---|" * len(wide.columns)]
    lines += [f"| {kind} | {rows:,} | " + " | ".join(str(v) for v in row) + " |"
              for (kind, rows), row in wide.iterrows()]
    if len(exponents):
        lines += ["", "## Growth exponents (slope of log seconds on log rows; 1 = linear)", "",
                  "| data | " + " | ".join(dict.fromkeys(exponents.stage)) + " |",
                  "|---|" + "---|" * exponents.stage.nunique()]
        for kind, group in exponents.groupby("data", sort=False):
            lines.append(f"| {kind} | " + " | ".join(f"{e:.2f}" for e in group.exponent) + " |")
    lines += ["", "![seconds per stage against rows](scaling.png)", ""]
    kept = fenced_section(out / "results.md", DEFAULTS_SECTION)  # make bench-defaults' table stays on the page
    (out / "results.md").write_text("\n".join(lines) + (f"\n{kept}\n" if kept else ""))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, nargs="*", default=list(TABLE_SIZES), help="table sizes (rows)")
    parser.add_argument("--images", type=int, nargs="*", default=list(IMAGE_SIZES), help="image counts")
    parser.add_argument("--out", default=str(HERE / "scale"))
    parser.add_argument("--one", nargs=2, metavar=("KIND", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    start = time.time()
    rows = []
    if args.one:  # one size in this interpreter, its rows as JSON on stdout (see below)
        print(json.dumps(measure(args.one[0], int(args.one[1]))))
        return
    for kind, sizes in (("table", args.tables), ("image", args.images)):
        for n in sizes:
            print(f"{kind} {n:,} rows ...", flush=True)
            # a fresh interpreter per size: memory a run leaves behind and one-time imports would count as the next's
            done = subprocess.run([sys.executable, __file__, "--one", kind, str(n)], capture_output=True, text=True,
                                  check=True)
            rows += json.loads(done.stdout.strip().splitlines()[-1])
            print(f"  {rows[-1]['seconds']:.0f} s, peak {rows[-1]['peak_mb']:,.0f} MB", flush=True)
    command = "make bench-scale" if (args.tables, args.images) == (list(TABLE_SIZES), list(IMAGE_SIZES)) else \
        "benchmarks/bench_scale.py " + " ".join(f"--{k} {' '.join(map(str, v))}" for k, v in
                                                 (("tables", args.tables), ("images", args.images)))
    write(pd.DataFrame(rows), Path(args.out), time.time() - start, command)
    print(f"wrote {args.out}/results.md")


if __name__ == "__main__":
    main()
