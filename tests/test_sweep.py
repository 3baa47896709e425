"""Surrogate sweeps (interpret_distill.sweep): the table's layout, reproducible rows, candidate fitting sets."""

import json

import numpy as np
import pandas as pd
import pytest

from interpret_distill.metrics import kl_divergence
from interpret_distill.surrogates import build_surrogate
from interpret_distill.sweep import COLUMNS, FitSet, format_params, sweep_row, sweep_surrogates


def test_sweep_table_layout(sweeps, sweep_grids):
    df = sweeps[1]
    assert list(df.columns) == COLUMNS
    assert len(df) == sum(map(len, sweep_grids.values())) * 4
    sizes = df.groupby(["kind", "regime"], sort=False).size()
    assert all(n == len(sweep_grids[kind]) for (kind, _), n in sizes.items())
    assert df[df.kind == "tree"].params.tolist()[:3] == ["max_depth=1", "max_depth=3", "max_leaf_nodes=6"]
    assert df.regime.unique().tolist() == ["ground_truth", "hard", "soft", "soft+transfer"]
    assert (df.transfer == "train").all()  # plain (X, y) regimes carry the default label
    for col in ("val_fidelity", "val_accuracy", "test_fidelity", "test_accuracy"):
        assert df[col].between(0, 1).all()
    assert (df.fit_seconds >= 0).all()
    tree = df[(df.kind == "tree") & (df.regime == "soft")]
    assert tree.complexity_score.tolist()[:2] == [2.0, 8.0]  # leaves of depth-1 and depth-3 trees


def test_sweep_identical_for_any_n_jobs(sweeps):
    a, b = (sweeps[n].drop(columns="fit_seconds") for n in (1, 2))
    pd.testing.assert_frame_equal(a, b)


def test_sweep_returns_the_fitted_models_row_by_row(sweep_problem):
    regimes, splits = sweep_problem
    grids = {"tree": [{"max_depth": 1}, {"max_depth": 3}], "naive_bayes": [{}]}
    frame, models = sweep_surrogates(grids, {"soft": regimes["soft"]}, **splits, progress=False)
    assert len(models) == len(frame) == 3
    assert [m.complexity_score_ for m in models] == frame.complexity_score.tolist()
    assert [type(m).kind for m in models] == frame.kind.tolist()


def test_params_json_refits_the_same_model(sweep_problem, sweeps):
    regimes, splits = sweep_problem
    X_val, teacher_val, _ = splits["val"]
    row = sweeps[1].query("kind == 'linear' and regime == 'soft'").iloc[0]
    params = json.loads(row.params_json)
    assert params == {"C": 0.05, "l1_ratio": 1.0, "random_state": 3}
    model = build_surrogate("linear", **params).fit(*regimes["soft"])
    agree = (model.predict_proba(X_val).argmax(1) == teacher_val.argmax(1)).mean()
    assert agree == row.val_fidelity
    # every row's val_kl is KL(teacher ‖ refit model) on the validation split
    for r in sweeps[1].itertuples():
        refit = build_surrogate(r.kind, **json.loads(r.params_json)).fit(*regimes[r.regime])
        expected = kl_divergence(refit.predict_proba(X_val), teacher_val)
        assert r.val_kl == pytest.approx(expected, rel=1e-9), (r.kind, r.regime, r.params)
    nb = sweeps[1].query("kind == 'naive_bayes'").iloc[0]
    assert json.loads(nb.params_json) == {"var_smoothing": 1e-9}  # no random_state where none exists


def test_soft_regimes_track_the_teacher(sweeps):
    # Sanity of the regime plumbing: teacher-fitted trees agree with the teacher at least as well
    # as ground-truth ones, on average over the grid.
    mean = sweeps[1].query("kind == 'tree'").groupby("regime").val_fidelity.mean()
    assert mean["soft"] >= mean["ground_truth"] - 0.05


def test_format_params():
    assert format_params({"max_depth": 4}) == "max_depth=4"
    assert format_params({"C": np.float64(0.001), "l1_ratio": 0.0}) == "C=0.001, l1_ratio=0.0"
    assert format_params({}) == "default"


def test_sweep_row_scores_each_split():
    X, P, y = np.eye(3), np.eye(3), np.array([0, 1, 1])
    row = sweep_row("tree", "soft", "train", {"max_depth": 1}, {"max_depth": 1, "random_state": 0}, 2,
                    lambda X, n_classes: P, {"val": (X, P, y), "test": (X, P[[0, 2, 1]], y)}, 0.5)
    assert set(row) == set(COLUMNS)
    assert (row["params"], json.loads(row["params_json"])) == ("max_depth=1", {"max_depth": 1, "random_state": 0})
    assert row["val_fidelity"] == 1.0 and row["val_kl"] == pytest.approx(0.0) and row["val_accuracy"] == 2 / 3
    assert row["test_fidelity"] == 1 / 3 and row["test_accuracy"] == 2 / 3 and row["fit_seconds"] == 0.5


def test_fidelity_aligned_when_a_class_is_missing_from_labels():
    # A teacher that never predicts class 1 on train: hard-label surrogates know classes {0, 2} only,
    # and their probability column 1 means class 2.
    X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]], dtype=np.float32)
    hard = np.array([0, 0, 0, 2, 2, 2])
    teacher = np.eye(3)[hard]
    df, _ = sweep_surrogates({"tree": [{"max_depth": 1}]}, {"hard": (X, hard)}, val=(X, teacher, hard),
                             test=(X, teacher, hard), progress=False)
    assert df.val_fidelity.item() == 1.0 and df.test_accuracy.item() == 1.0


def test_transfer_candidates_are_swept_labelled_and_restricted_to_their_kinds(sweep_problem, sweep_grids):
    regimes, splits = sweep_problem
    X, P = regimes["soft+transfer"]
    candidates = {
        "soft": regimes["soft"],
        "soft+transfer": [FitSet(X, P, "mixup(n=120)"), FitSet(X[:200], P[:200], "small", kinds=("tree",))],
    }
    df, _ = sweep_surrogates(sweep_grids, candidates, **splits, progress=False)
    counts = df.groupby(["kind", "regime", "transfer"], sort=False).size().to_dict()
    assert counts == {
        ("tree", "soft", "train"): 3, ("tree", "soft+transfer", "mixup(n=120)"): 3,
        ("tree", "soft+transfer", "small"): 3,
        ("linear", "soft", "train"): 2, ("linear", "soft+transfer", "mixup(n=120)"): 2,
        ("naive_bayes", "soft", "train"): 2, ("naive_bayes", "soft+transfer", "mixup(n=120)"): 2,
    }
    # a single FitSet works like a one-element list
    one, _ = sweep_surrogates({"tree": [{"max_depth": 2}]}, {"soft+transfer": FitSet(X, P, "only")}, **splits,
                              progress=False)
    assert one.transfer.tolist() == ["only"]


def test_a_fit_stopped_at_its_iteration_cap_is_recorded_not_printed(recwarn):
    from sklearn.datasets import make_classification

    X, y = make_classification(200, 4, random_state=0)
    P = np.eye(2)[y] * 0.8 + 0.1
    split = (X, P, y)
    frame, _ = sweep_surrogates({"linear": [{"C": 10.0, "l1_ratio": 1.0, "max_iter": 1}, {"C": 1.0}]},
                                {"soft": (X, P)}, val=split, test=split, progress=False)
    assert frame.converged.tolist() == [False, True]
    assert not [w for w in recwarn if "converge" in str(w.message)]
