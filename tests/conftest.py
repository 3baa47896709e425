"""Shared fixtures: an isolated teacher cache, tiny experiment configs and runs, a small surrogate sweep.

Tests that need a whole experiment run (``tiny_run``) are end-to-end: they are marked ``slow`` here, so
``make test-fast`` leaves them out wherever they live.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

TINY = {
    "name": "tiny",
    "seed": 0,
    "data": {"source": "sklearn", "name": "iris", "test_size": 0.25, "val_size": 0.2},
    "teacher": {"arch": "mlp", "hidden": [16], "epochs": 30, "patience": 10, "batch_size": 16},
    "transfer": {"temperature": 2.0, "augmentation": "mixup", "n_synthetic": 100},
    "student": {"arch": "mlp", "grid": [{"hidden": [2]}, {"hidden": [4]}], "epochs": 20, "patience": 10,
                "batch_size": 16},
    "surrogates": [
        {"kind": "tree", "grid": [{"max_depth": 1}, {"max_depth": 3}]},
        {"kind": "linear", "params": {"C": 1.0}},
        {"kind": "naive_bayes"},
    ],
    "attribution": {"methods": ["integrated_gradients", "feature_ablation", "native"], "examples": 12},
    "n_jobs": 1,
    "progress": False,
}


@pytest.fixture(autouse=True)
def _isolated_teacher_cache(tmp_path_factory, monkeypatch):
    """Every test session caches teachers in its own folder, never in the user's ~/.cache."""
    monkeypatch.setenv("INTERPRET_DISTILL_CACHE", str(tmp_path_factory.getbasetemp() / "teacher-cache"))


@pytest.fixture
def tiny_raw():
    """A raw config mapping (iris, tiny networks, few epochs) that tests may modify."""
    return copy.deepcopy(TINY)


@pytest.fixture
def tiny_config(tiny_raw):
    from interpret_distill.config import parse_config

    return parse_config(tiny_raw)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """One tiny experiment run end to end (shared by the tests that only read its outputs)."""
    from interpret_distill.config import parse_config
    from interpret_distill.experiment import run_experiment

    out = tmp_path_factory.mktemp("runs")
    return run_experiment(parse_config(copy.deepcopy(TINY)), out)


def pytest_collection_modifyitems(items):
    """A test that needs a whole experiment run is an end-to-end test: mark it slow wherever it lives."""
    for item in items:
        if "tiny_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def tiny_parts():
    """The tiny config (with small grids), its dataset, teacher and teacher probabilities on val and test, for
    calling the pipeline's stages directly."""
    from interpret_distill.config import parse_config
    from interpret_distill.data import load_dataset
    from interpret_distill.models import predict_proba
    from interpret_distill.teachers import resolve_teacher

    grids = [{"kind": "tree", "grid": [{"max_depth": d} for d in (1, 2, 3, 4)]},
             {"kind": "linear", "grid": [{"C": 0.01}, {"C": 1.0}]},
             {"kind": "naive_bayes", "grid": [{"var_smoothing": 1e-9}, {"var_smoothing": 0.1}]}]
    cfg = parse_config({**copy.deepcopy(TINY), "surrogates": grids})
    dataset = load_dataset(cfg.data, cfg.seed)
    teacher, _ = resolve_teacher(dataset, cfg.teacher, cfg.seed, use_cache=False, progress=False)
    return cfg, dataset, teacher, predict_proba(teacher, dataset.X_val), predict_proba(teacher, dataset.X_test)


# the grids of the shared sweep: two or three points per kind
SWEEP_GRIDS = {
    "tree": [{"max_depth": 1}, {"max_depth": 3}, {"max_leaf_nodes": 6}],
    "linear": [{"C": 0.05, "l1_ratio": 1.0}, {"C": 1.0, "l1_ratio": 0.0}],
    "naive_bayes": [{"var_smoothing": 1e-9}, {"var_smoothing": 1e-1}],
}


@pytest.fixture(scope="session")
def sweep_grids():
    return copy.deepcopy(SWEEP_GRIDS)


@pytest.fixture(scope="session")
def sweep_problem():
    """A linear teacher on a 3-class problem: the four regimes' fitting sets, and the val and test splits as
    ``(X, teacher_probs, y)``."""
    from sklearn.datasets import make_classification

    from interpret_distill.transfer import build_transfer_set, soft_labels

    X, y = make_classification(300, 6, n_informative=4, n_classes=3, random_state=0)
    X = X.astype(np.float32)
    W = np.random.default_rng(0).normal(size=(6, 3))

    def teacher(rows):
        return rows.astype(np.float64) @ W * 2

    tr, va, te = slice(0, 180), slice(180, 240), slice(240, 300)
    logits = teacher(X[tr])
    ts = build_transfer_set(teacher, X[tr], y[tr], method="mixup", n_synthetic=120, temperature=2.0,
                            rng=np.random.default_rng(0))
    regimes = {
        "ground_truth": (X[tr], y[tr]),
        "hard": (X[tr], logits.argmax(1)),
        "soft": (X[tr], soft_labels(logits, 2.0)),
        "soft+transfer": (ts.X, ts.probs),
    }
    splits = {"val": (X[va], soft_labels(teacher(X[va])), y[va]),
              "test": (X[te], soft_labels(teacher(X[te])), y[te])}
    return regimes, splits


@pytest.fixture(scope="session")
def sweeps(sweep_problem):
    """The sweep of SWEEP_GRIDS over the four regimes, run with 1 and with 2 joblib workers: ``{n_jobs: frame}``."""
    from interpret_distill.parallel import Engine
    from interpret_distill.sweep import sweep_surrogates

    regimes, splits = sweep_problem
    return {n: sweep_surrogates(SWEEP_GRIDS, regimes, **splits, engine=Engine("loky", n), progress=False, seed=3)[0]
            for n in (1, 2)}


@pytest.fixture
def toy_sweep():
    """A hand-made sweep table: trees and linear models whose validation and test scores disagree."""
    import pandas as pd

    return pd.DataFrame({
        "kind": ["tree"] * 4 + ["linear"] * 3,
        "regime": ["soft", "soft", "soft", "hard", "soft", "soft", "soft"],
        "params": ["max_depth=1", "max_depth=3", "max_depth=5", "max_depth=1", "C=0.1", "C=1", "C=10"],
        "complexity_score": [2, 8, 32, 2, 5, 12, 12],
        "val_fidelity": [0.70, 0.90, 0.90, 0.60, 0.80, 0.85, 0.85],
        "val_kl": [0.3, 0.2, 0.2, 0.4, 0.3, 0.2, 0.2],
        "val_accuracy": [0.6] * 7,
        "test_fidelity": [0.71, 0.88, 0.95, 0.61, 0.79, 0.90, 0.86],
        "test_accuracy": [0.6] * 7,
    })


@pytest.fixture(scope="session")
def shop_csv(tmp_path_factory):
    """A CSV with two numeric columns and one categorical column (3 levels): 5 encoded features, 3 classes."""
    tmp = tmp_path_factory.mktemp("shop")
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 90
    colour = rng.choice(["red", "green", "blue"], n)
    a, b = rng.normal(size=n), rng.normal(size=n)
    label = np.where(colour == "red", "keep", np.where(a > 0, "sell", "bin"))
    path = tmp / "shop.csv"
    pd.DataFrame({"a": a, "b": b, "colour": colour, "label": label}).to_csv(path, index=False)
    return path
