"""`make bench-defaults`: the default student and surrogates against their baselines on data nobody tuned for.

Generated tables and images (``benchmarks/bench_scale.py``'s ``make_table`` and
``interpret_distill.synthetic.make_digits28``, the same files as ``make bench-scale``) run through ``run_experiment``
with every setting at its default (images: ``teacher: {arch: cnn}``) but the attributions (one method on 10
examples: they enter no number here), once per seed. Per seed the run's test split
gives:

* the shipped student (the default candidates, chosen on validation; the scratch twin when it is more faithful
  on validation, ``student.keep_scratch``) against its scratch twin: test accuracy and test fidelity;
* the distilled candidate most faithful on validation against the same twin (what distillation alone gives);
* each distilled surrogate against the same kind fitted on the teacher's hard labels: test fidelity.

Seeds are paired (each seed's X and Y are scored on the same test rows) and judged by
``benchmarks/verdict.py``'s ``paired_verdict`` on the per-seed difference in test rows. Validation numbers are
listed only for what they chose. Writes ``benchmarks/defaults/results.csv`` (one row per seed and model) and
``results.md``.

Usage::

    make bench-defaults                                               # 200,000-row table, 20,000 images, 3 seeds
    .venv/bin/python benchmarks/bench_defaults.py --tables 10000 --images 2000 --seeds 0 1
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_scale import cpu_model, dataset_config
from machine import write_fenced_section
from verdict import paired_verdict

from interpret_distill.config import parse_config
from interpret_distill.experiment import run_experiment
from interpret_distill.runs import load_run
from interpret_distill.student_selection import select_student

HERE = Path(__file__).resolve().parent
TABLE_SIZES, IMAGE_SIZES, SEEDS = (200_000,), (20_000,), (0, 1, 2)  # the sizes of the issue that asked for it
# the comparison table also goes into make bench-scale's results.md, in this fenced section
SCALE_RESULTS, SCALE_SECTION = HERE / "scale" / "results.md", "defaults"
# Attributions enter no number here: the fewest that the stage accepts, to spend the time on the students.
ATTRIBUTION = {"methods": ["saliency"], "examples": 10}
COLUMNS = ["data", "rows", "seed", "n_test", "model", "regime", "role", "val_fidelity", "test_fidelity",
           "test_accuracy", "students_seconds"]


def measure(kind: str, n_rows: int, seed: int) -> list[dict]:
    """One default run: a row per compared model (shipped student, twin, best distilled candidate, surrogates)."""
    raw = {**dataset_config(kind, n_rows), "seed": seed, "progress": False, "attribution": ATTRIBUTION}
    with tempfile.TemporaryDirectory() as out:
        run = load_run(run_experiment(parse_config(raw), out, report=False))
        metrics, sweep, student_cfg = run.metrics, run.sweep, run.config["student"]  # read before the folder goes
        base = {"data": kind, "rows": n_rows, "seed": seed, "n_test": run.dataset["n_test"],
                "students_seconds": run.info["timings"]["students"]}
    surrogates, metrics = metrics[metrics.family == "surrogate"], metrics.set_index("model")
    students = sweep[sweep.kind == "student"]
    best, twin, twin_ships = select_student(students, student_cfg.get("budget"), student_cfg.get("keep_scratch", True))
    shipped = twin if twin_ships else best
    rows = [{**base, "model": name, "regime": metrics.loc[name, "regime"], "role": metrics.loc[name, "role"],
             "val_fidelity": students.val_fidelity[index], "test_fidelity": metrics.loc[name, "fidelity"],
             "test_accuracy": metrics.loc[name, "accuracy"]}
            for name, index in (("student", shipped), ("student_scratch", twin))]
    for index, row in students.iterrows():  # every candidate, for the account of what validation chose
        rows.append({**base, "model": "student:best_distilled" if index == best else "student:candidate",
                     "regime": row.regime, "role": "candidate", "val_fidelity": row.val_fidelity,
                     "test_fidelity": row.test_fidelity, "test_accuracy": row.test_accuracy})
    for m in surrogates[surrogates.role == "distilled"].itertuples():
        hard = metrics.loc[f"{m.kind}:hard"]
        rows += [{**base, "model": f"{m.kind}:distilled", "regime": m.regime, "role": "distilled",
                  "val_fidelity": m.val_fidelity, "test_fidelity": m.fidelity, "test_accuracy": m.accuracy},
                 {**base, "model": f"{m.kind}:hard", "regime": "hard", "role": "baseline",
                  "val_fidelity": hard.val_fidelity, "test_fidelity": hard.fidelity, "test_accuracy": hard.accuracy}]
    return rows


def comparisons(results: pd.DataFrame) -> pd.DataFrame:
    """Per case, each X-against-Y comparison: means ± std over seeds and the paired verdict on X − Y."""
    pairs = [("student", "student_scratch", "test_accuracy", "shipped student vs scratch twin"),
             ("student", "student_scratch", "test_fidelity", "shipped student vs scratch twin"),
             ("student:best_distilled", "student_scratch", "test_accuracy", "best distilled candidate vs scratch twin"),
             ("student:best_distilled", "student_scratch", "test_fidelity", "best distilled candidate vs scratch twin")]
    kinds = dict.fromkeys(m.split(":")[0] for m in results.model if m.endswith(":distilled"))
    pairs += [(f"{k}:distilled", f"{k}:hard", "test_fidelity", f"{k} surrogate: distilled vs hard labels")
              for k in kinds]
    out = []
    for (kind, n_rows), case in results.groupby(["data", "rows"], sort=False):
        for x, y, metric, label in pairs:
            a = case[case.model == x].set_index("seed")[metric]
            b = case[case.model == y].set_index("seed")[metric]
            if a.empty or b.empty:
                continue
            n_test = int(case.n_test.iloc[0])  # the same split sizes at every seed of a case
            verdict = paired_verdict(((a - b) * n_test).round().astype(int).tolist(), n_test)
            out.append({"data": kind, "rows": n_rows, "comparison": label, "metric": metric,
                        "x_mean": a.mean(), "x_std": a.std(ddof=1), "y_mean": b.mean(), "y_std": b.std(ddof=1),
                        "diff_mean": verdict.fidelity.mean, "diff_low": verdict.fidelity.low,
                        "diff_high": verdict.fidelity.high, "verdict": verdict.verdict, "seeds": len(a),
                        "n_test": n_test})
    return pd.DataFrame(out)


def write(results: pd.DataFrame, out: Path, wall: float, command: str) -> None:
    """``results.csv`` (per seed) and ``results.md`` (the comparisons, the shipped regimes, the candidates)."""
    out.mkdir(parents=True, exist_ok=True)
    results.to_csv(out / "results.csv", index=False)
    table = comparisons(results)
    seeds = sorted(results.seed.unique())
    intro = (f"Generated by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wall time "
             f"{wall:.0f} s. CPU: {cpu_model()}. Every setting at its default (images: a CNN teacher) but the "
             "attributions (saliency on 10 examples; no number here reads them), seeds "
             f"{', '.join(map(str, seeds))}; the data are `make bench-scale`'s (a table of 20 columns, one "
             "categorical, 4 classes, 10 % label noise; 28x28 synthetic digits). Every number is on the test split "
             "unless it says validation. Verdict (`benchmarks/verdict.py`): PASS when the 95 % t-interval of the "
             "per-seed difference X − Y reaches 0 and its mean is at least −1 test row; MISS when the whole "
             "interval is below 0; UNCLEAR otherwise.")
    comparison = ["| data | rows | comparison | metric | X | Y | X − Y [95 % interval] | verdict |",
                  "|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        comparison.append(f"| {r.data} | {r.rows:,} | {r.comparison} | {r.metric.replace('_', ' ')} | "
                          f"{r.x_mean:.3f} ± {r.x_std:.3f} | {r.y_mean:.3f} ± {r.y_std:.3f} | "
                          f"{r.diff_mean:+.4f} [{r.diff_low:+.4f}, {r.diff_high:+.4f}] | {r.verdict} |")
    heading = "X against Y (mean ± std over seeds; X − Y with its 95 % interval)"
    lines = ["# Defaults on data nobody tuned for: student and surrogates against their baselines", "", intro, "",
             f"## {heading}", "", *comparison]
    if out.resolve() == (HERE / "defaults").resolve():  # the shipped results: make bench-scale's page shows them too
        write_fenced_section(SCALE_RESULTS, SCALE_SECTION, "\n".join(
            ["## Defaults on data nobody tuned for (`make bench-defaults`)", "", intro, "",
             f"{heading}; what validation chose per seed and every candidate: `benchmarks/defaults/results.md`.",
             "", *comparison]))
    lines += ["", "## What validation chose, per seed", "",
              "| data | rows | seed | shipped student | best distilled candidate (val fidelity) | scratch twin "
              "(val fidelity) | students stage (s) |", "|---|---|---|---|---|---|---|"]
    for (kind, n_rows, seed), run in results.groupby(["data", "rows", "seed"], sort=False):
        by = run.set_index("model")
        best = by.loc["student:best_distilled"]
        twin = run[(run.role == "candidate") & (run.regime == "scratch")].val_fidelity.max()
        lines.append(f"| {kind} | {n_rows:,} | {seed} | {by.loc['student', 'regime']} | {best.regime} "
                     f"({best.val_fidelity:.4f}) | {twin:.4f} | {by.loc['student', 'students_seconds']:.0f} |")
    candidates = results[results.role == "candidate"]
    summary = candidates.groupby(["data", "rows", "regime"], sort=False).agg(
        val=("val_fidelity", "mean"), test=("test_fidelity", "mean"), acc=("test_accuracy", "mean"))
    lines += ["", "## Every candidate (mean over seeds)", "",
              "| data | rows | regime | val fidelity | test fidelity | test accuracy |", "|---|---|---|---|---|---|"]
    lines += [f"| {kind} | {n_rows:,} | {regime} | {r.val:.4f} | {r.test:.4f} | {r.acc:.4f} |"
              for (kind, n_rows, regime), r in summary.iterrows()]
    lines.append("")
    (out / "results.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, nargs="*", default=list(TABLE_SIZES), help="table sizes (rows)")
    parser.add_argument("--images", type=int, nargs="*", default=list(IMAGE_SIZES), help="image counts")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--out", default=str(HERE / "defaults"))
    args = parser.parse_args(argv)
    # teachers are cached here, not in the user's cache: the same teacher per (data, seed) on a rerun
    os.environ.setdefault("INTERPRET_DISTILL_CACHE", str(HERE / ".work" / "defaults" / "teachers"))
    start, rows = time.time(), []
    for kind, sizes in (("table", args.tables), ("image", args.images)):
        for n in sizes:
            for seed in args.seeds:
                print(f"{kind} {n:,} rows, seed {seed} ...", flush=True)
                rows += measure(kind, n, seed)
                pd.DataFrame(rows, columns=COLUMNS).to_csv(Path(args.out).with_suffix(".partial.csv"), index=False)
    default = (args.tables, args.images, args.seeds) == (list(TABLE_SIZES), list(IMAGE_SIZES), list(SEEDS))
    command = "make bench-defaults" if default else "benchmarks/bench_defaults.py " + " ".join(
        " ".join([f"--{k}", *map(str, v)]) for k, v in (("tables", args.tables), ("images", args.images),
                                                        ("seeds", args.seeds)))
    write(pd.DataFrame(rows, columns=COLUMNS), Path(args.out), time.time() - start, command)
    Path(args.out).with_suffix(".partial.csv").unlink(missing_ok=True)
    print(f"wrote {args.out}/results.md")


if __name__ == "__main__":
    main()
