"""Time the attribution hot paths on digits-sized data (no training; seconds on a laptop).

* Integrated gradients of a small random-weight CNN (2 conv layers, ~10k parameters, 1x8x8 inputs, 10 classes)
  on 500 examples with n_steps=32, batched through ``internal_batch_size``.
* Feature ablation / Shapley sampling / Kernel SHAP / LIME of a ``TreeSurrogate`` fitted on the CNN's soft labels,
  counting ``predict_proba`` calls.
* Deletion + insertion curves of the tree, counting calls.

Usage: ``python benchmarks/bench_attribution.py [--repeats 3]``. Prints the best wall time of each step.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from interpret_distill.attribution import attribute, deletion_curve, insertion_curve
from interpret_distill.surrogates import TreeSurrogate


class TinyCNN(nn.Module):
    """Flat (n, 64) rows → 1x8x8 → conv(8) → conv(16) → pool → linear(32) → linear(10): 9,802 parameters."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, padding=1),
                                      nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * 4, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        return self.head(self.features(x.reshape(-1, 1, 8, 8)))


class CountingModel:
    """Counts predict_proba calls and rows of the wrapped surrogate."""

    def __init__(self, model):
        self.model, self.calls, self.rows = model, 0, 0

    def predict_proba(self, X):
        self.calls += 1
        self.rows += len(X)
        return self.model.predict_proba(X)


def best_time(fn, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()

    digits = load_digits()  # bundled with scikit-learn, no download
    X = digits.data[: args.n].astype(np.float32)
    X = (X - X.mean(0)) / np.maximum(X.std(0), 1e-6)
    torch.manual_seed(0)
    cnn = TinyCNN().eval()
    with torch.no_grad():
        proba = torch.softmax(cnn(torch.as_tensor(X)), 1).numpy().astype(np.float64)
    target = proba.argmax(1)
    tree = TreeSurrogate(max_depth=6, random_state=0).fit(X, proba)
    print(f"torch threads: {torch.get_num_threads()}  |  examples: {len(X)}, d={X.shape[1]}, k=10  |  "
          f"CNN params: {sum(p.numel() for p in cnn.parameters()):,}  |  tree leaves: {tree.complexity_['leaves']}")

    rows = []
    for ibs in (512, 2048, 8192):
        secs, _ = best_time(lambda: attribute(cnn, X, target, "integrated_gradients", "zeros", n_steps=32,
                                              internal_batch_size=ibs), args.repeats)
        rows.append((f"CNN integrated_gradients n_steps=32 internal_batch_size={ibs}", secs, "-"))
    for method in ("saliency", "deeplift"):
        secs, _ = best_time(lambda: attribute(cnn, X, target, method, "zeros"), args.repeats)
        rows.append((f"CNN {method}", secs, "-"))
    secs, _ = best_time(lambda: attribute(cnn, X, target, "feature_ablation", "zeros"), args.repeats)
    rows.append(("CNN feature_ablation (64 features, ppe=64)", secs, "-"))

    perturbation_runs = [
        ("feature_ablation", len(X), dict(perturbations_per_eval=64)),
        ("shapley_value_sampling", len(X), dict(n_samples=25, perturbations_per_eval=64)),
        ("kernel_shap", len(X), dict(n_samples=200, perturbations_per_eval=64)),
        ("lime", len(X), dict(n_samples=200, perturbations_per_eval=64)),
    ]
    for method, n, kw in perturbation_runs:
        counted = CountingModel(tree)
        secs, _ = best_time(lambda: attribute(counted, X[:n], target[:n], method, "zeros", **kw), args.repeats)
        calls, perturbed = counted.calls // args.repeats, counted.rows // args.repeats
        rows.append((f"tree {method} on {n} examples {kw}", secs, f"{calls} calls / {perturbed:,} rows"))

    attr = attribute(tree, X, target, "native", "zeros")
    counted = CountingModel(tree)
    secs, _ = best_time(lambda: (deletion_curve(counted, X, target, attr, "zeros", steps=20),
                                 insertion_curve(counted, X, target, attr, "zeros", steps=20)), args.repeats)
    rows.append(("tree deletion + insertion curves, steps=20", secs,
                 f"{counted.calls // args.repeats} calls / {counted.rows // args.repeats:,} rows"))

    width = max(len(r[0]) for r in rows)
    print(f"{'step':<{width}}  {'seconds':>8}  predict_proba")
    for name, secs, calls in rows:
        print(f"{name:<{width}}  {secs:8.3f}  {calls}")


if __name__ == "__main__":
    main()
