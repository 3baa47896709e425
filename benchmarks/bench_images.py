"""`make bench-images`: the digits28 preset, made small, once: what readability costs on 28x28 images.

Runs the shipped ``digits28`` preset (28x28 grey digits generated at run time from scikit-learn's 8x8 digits:
upsampled, shifted, contrast-scaled and noised; synthetic, not MNIST) with the reductions of :data:`SMALL` so one
seed fits in a few minutes on two CPU cores, and writes ``benchmarks/images/results.md`` (with the tables below also
as ``surrogates.csv`` and ``attribution.csv``):

* the residual teacher's test accuracy;
* every surrogate kind distilled on the 784 pixels and on the patch features (a 7x7 grid of 4x4-pixel patches, each
  patch's mean and contrast), their fidelity, accuracy and complexity in one table;
* the attribution stage's seconds with perturbation methods on patches and on single pixels: the stage
  (``run_attribution``) run twice on the same models and examples, once per setting of ``attribution.patches``,
  and each method alone. A benchmark, not a timed test: seconds depend on the machine and its load.

Usage::

    make bench-images        # or: .venv/bin/python benchmarks/bench_images.py [--out DIR] [--seed N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from interpret_distill.attribution import attribute_many, patch_feature_mask
from interpret_distill.attribution_stage import perturbation_patch, run_attribution
from interpret_distill.config import load_config
from interpret_distill.data import load_dataset
from interpret_distill.experiment import run_experiment
from interpret_distill.image_features import patch_feature_names
from interpret_distill.provenance import library_versions
from interpret_distill.report.render import pixels_vs_patches
from interpret_distill.results import FittedModel
from interpret_distill.runs import load_run

HERE = Path(__file__).resolve().parent
# The preset, made small enough for one seed in a few minutes on two loaded cores: fewer images and epochs, one
# student width, no transfer set, the hard-label baseline and the soft regime only, few explained examples, and every
# kind on pixels and on patches. Kernel SHAP is added: its regression grows with the number of features it explains.
SMALL = {
    "data": {"n_rows": 1500},
    "teacher": {"epochs": 10, "patience": 4},
    "transfer": {"augmentation": None},
    "student": {"hidden": [16], "epochs": 20, "patience": 8},
    "regimes": ["hard", "soft"],
    "surrogates": [
        {"kind": "tree", "grid": [{"max_depth": 4}, {"max_depth": 6}, {"max_depth": 8}]},
        {"kind": "tree", "features": "patches", "grid": [{"max_depth": 4}, {"max_depth": 6}, {"max_depth": 8}]},
        {"kind": "linear", "params": {"C": 1.0}},
        {"kind": "linear", "features": "patches", "grid": [{"C": 1.0}, {"C": 10.0}]},
        {"kind": "naive_bayes", "params": {"var_smoothing": 0.01}},
        {"kind": "naive_bayes", "features": "patches", "params": {"var_smoothing": 0.01}},
    ],
    "attribution": {"methods": ["integrated_gradients", "feature_ablation", "kernel_shap", "native"],
                    "examples": 20},
    "n_jobs": 2,
    "progress": False,
}


def explained_models(run) -> list[FittedModel]:
    """The teacher, the student and the distilled surrogates of a saved run, as the attribution stage takes them."""
    rows = run.metrics[run.metrics.role.isin(["reference", "distilled"])]
    return [FittedModel(r.model, r.family, r.kind, r.regime, r.role, run.model(r.model)) for r in rows.itertuples()]


def time_attribution(cfg, dataset, models, teacher_test) -> list[dict]:
    """Seconds of the attribution stage and of each method alone, with perturbation methods on patches and pixels."""
    rows = []
    for patches in (True, False):
        setting = cfg.model_copy(update={"attribution": cfg.attribution.model_copy(update={"patches": patches})})
        patch = perturbation_patch(setting, dataset.image_shape)
        start = time.perf_counter()
        result = run_attribution(setting, dataset, models, teacher_test)
        stage = time.perf_counter() - start
        X = dataset.X_test[result.examples]
        mask = None if patch is None else patch_feature_mask(dataset.image_shape, patch)
        explained = {m.name: m.model for m in models}
        row = {"perturbed": f"{patch}x{patch} patches" if patch else "single pixels",
               "groups": dataset.n_features if patch is None else int(mask.max()) + 1, "stage_seconds": stage}
        for method in cfg.attribution.methods:
            start = time.perf_counter()
            attribute_many(explained, X, result.targets, [method], result.baseline, progress=False,
                           perturbation_mask=mask, seed=cfg.seed)
            row[f"{method}_seconds"] = time.perf_counter() - start
        rows.append(row)
    return rows


def write(out: Path, run, surrogates: pd.DataFrame, timings: pd.DataFrame, wall: float, command: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    surrogates.to_csv(out / "surrogates.csv", index=False)
    timings.to_csv(out / "attribution.csv", index=False)
    teacher = run.metrics.set_index("model").loc["teacher"]
    size = run.config["patches"]["size"]
    data, versions = run.dataset, library_versions()
    lines = [
        "# Images: pixels or patches, on 28x28 synthetic digits", "",
        f"Generated by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; wall time {wall:.0f} s; "
        f"seed {run.info['seed']} (one seed: a look, not a verdict). torch {versions.get('torch')}, scikit-learn "
        f"{versions.get('scikit-learn')}; {run.info['machine']['threads']} torch threads.", "",
        f"Data: `digits28`, {data['n_train']:,} train / {data['n_val']:,} validation / {data['n_test']:,} test "
        "images of 28x28 grey pixels, generated at run time with a fixed seed from scikit-learn's 8x8 digits "
        "(upsampled 3x, shifted by up to 2 pixels, contrast-scaled, noised): **synthetic, not MNIST**. Settings: "
        "the `digits28` preset with the reductions of `SMALL` in `benchmarks/bench_images.py` (fewer images and "
        "epochs, no transfer set, the hard and soft regimes only, 20 explained examples).", "",
        f"**Teacher**: {teacher.kind} ({int(teacher.complexity_score):,} parameters), test accuracy "
        f"**{teacher.accuracy:.3f}**.", "",
        "## Surrogates on pixels and on patches (distilled, test split)", "",
        f"Patch features: each {size}x{size}-pixel patch's mean intensity"
        f"{' and contrast' if run.config['patches']['contrast'] else ''}; the teacher labels the full images both "
        "times. Each row is its kind's distilled model, chosen on validation fidelity.", "",
        "| kind | fitted on | inputs | complexity | test fidelity | test accuracy |", "|---|---|---|---|---|---|",
    ]
    patches = run.config["patches"]
    n_patch_features = len(patch_feature_names(data["image_shape"], patches["size"], patches["contrast"]))
    for r in surrogates.itertuples():
        inputs = f"{n_patch_features} patch features" if r.features == "patches" else f"{data['n_features']} pixels"
        lines.append(f"| {r.kind} | {r.features} | {inputs} | {r.complexity} | {r.fidelity:.3f} | {r.accuracy:.3f} |")
    methods = [c.removesuffix("_seconds") for c in timings.columns if c.endswith("_seconds") and c != "stage_seconds"]
    lines += ["", "## Attribution stage: perturbation methods on patches vs single pixels", "",
              f"The same {len(run.attribution_examples)} test examples and models (teacher, student, "
              f"{len(surrogates)} distilled surrogates); gradient and native methods are per pixel in both. Seconds "
              "on this machine, which was shared with other jobs: compare the two rows, not the absolute values.", "",
              "| perturbed | feature groups | stage (s) | " + " | ".join(f"{m} (s)" for m in methods) + " |",
              "|---|---|---|" + "---|" * len(methods)]
    for r in timings.to_dict("records"):
        lines.append(f"| {r['perturbed']} | {r['groups']} | {r['stage_seconds']:.1f} | "
                     + " | ".join(f"{r[f'{m}_seconds']:.1f}" for m in methods) + " |")
    lines += ["", "The stage time includes the faithfulness curves and infidelity, whose cost does not depend on "
              "the grouping. Kernel SHAP draws the same number of coalitions either way; what grows with the "
              "groups is the regression it solves per example, and the number of coalitions a stable estimate "
              "needs.", ""]
    (out / "results.md").write_text("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(HERE / "images"))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.time()
    cfg = load_config("digits28", {**SMALL, "seed": args.seed})
    with tempfile.TemporaryDirectory() as folder:
        run = load_run(run_experiment(cfg, folder, use_cache=False, report=False))
        print(f"run: {time.time() - start:.0f} s {({k: round(v) for k, v in run.info['timings'].items()})}", flush=True)
        dataset = load_dataset(cfg.data, cfg.seed)
        timings = pd.DataFrame(time_attribution(cfg, dataset, explained_models(run), run.test_probs["teacher"]))
        surrogates = pixels_vs_patches(run.metrics)
        command = "make bench-images" if args.seed == 0 and args.out == str(HERE / "images") else \
            f"benchmarks/bench_images.py --seed {args.seed} --out {args.out}"
        write(Path(args.out), run, surrogates, timings, time.time() - start, command)
    print(f"wrote {args.out}/results.md")


if __name__ == "__main__":
    main()
