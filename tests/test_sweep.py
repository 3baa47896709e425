"""Surrogate sweeps, Pareto fronts, validation-only selection and the frontier plot."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import make_classification

from interpret_distill.metrics import kl_divergence
from interpret_distill.surrogates import build_surrogate
from interpret_distill.sweep import (
    COLUMNS,
    DEFAULT_GRIDS,
    FitSet,
    format_params,
    frontier_plot,
    pareto_front,
    select_by_validation,
    sweep_surrogates,
)
from interpret_distill.transfer import build_transfer_set, soft_labels

GRIDS = {
    "tree": [{"max_depth": 1}, {"max_depth": 3}, {"max_leaf_nodes": 6}],
    "linear": [{"C": 0.05, "l1_ratio": 1.0}, {"C": 1.0, "l1_ratio": 0.0}],
    "naive_bayes": [{"var_smoothing": 1e-9}, {"var_smoothing": 1e-1}],
}


@pytest.fixture(scope="module")
def problem():
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
    split = {
        "X_val": X[va], "teacher_val_probs": soft_labels(teacher(X[va])), "y_val": y[va],
        "X_test": X[te], "teacher_test_probs": soft_labels(teacher(X[te])), "y_test": y[te],
    }
    return regimes, split


@pytest.fixture(scope="module")
def sweeps(problem):
    regimes, split = problem
    return {n: sweep_surrogates(GRIDS, regimes, **split, n_jobs=n, progress=False, seed=3) for n in (1, 2)}


def test_sweep_table_layout(sweeps):
    df = sweeps[1]
    assert list(df.columns) == COLUMNS
    assert len(df) == sum(map(len, GRIDS.values())) * 4
    sizes = df.groupby(["kind", "regime"], sort=False).size()
    assert all(n == len(GRIDS[kind]) for (kind, _), n in sizes.items())
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


def test_params_json_refits_the_same_model(problem, sweeps):
    regimes, split = problem
    row = sweeps[1].query("kind == 'linear' and regime == 'soft'").iloc[0]
    params = json.loads(row.params_json)
    assert params == {"C": 0.05, "l1_ratio": 1.0, "random_state": 3}
    model = build_surrogate("linear", **params).fit(*regimes["soft"])
    agree = (model.predict_proba(split["X_val"]).argmax(1) == split["teacher_val_probs"].argmax(1)).mean()
    assert agree == row.val_fidelity
    # every row's val_kl is KL(teacher ‖ refit model) on the validation split
    for r in sweeps[1].itertuples():
        refit = build_surrogate(r.kind, **json.loads(r.params_json)).fit(*regimes[r.regime])
        expected = kl_divergence(refit.predict_proba(split["X_val"]), split["teacher_val_probs"])
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


def test_default_grids_are_valid():
    assert set(DEFAULT_GRIDS) == {"tree", "linear", "naive_bayes"}
    assert [p["max_depth"] for p in DEFAULT_GRIDS["tree"] if "max_depth" in p] == list(range(1, 11))
    Cs = sorted({p["C"] for p in DEFAULT_GRIDS["linear"]})
    assert Cs[0] == 0.001 and Cs[-1] == 10.0 and {p["l1_ratio"] for p in DEFAULT_GRIDS["linear"]} == {0.0, 1.0}
    np.testing.assert_allclose(np.diff(np.log10(Cs)), np.diff(np.log10(Cs))[0])  # log-spaced
    vs = [p["var_smoothing"] for p in DEFAULT_GRIDS["naive_bayes"]]
    assert vs[0] == 1e-9 and vs[-1] == 1e-1
    for kind, grid in DEFAULT_GRIDS.items():
        for params in grid:
            build_surrogate(kind, **params)  # raises on a bad name


def test_pareto_front_hand_made():
    complexity = [1, 2, 2, 4, 4, 8, 8, 16, 3]
    fidelity = [0.60, 0.70, 0.65, 0.70, 0.80, 0.80, 0.90, 0.85, 0.80]
    # idx 0: lowest complexity -> front. idx 1: beats 0.60 -> front. idx 2: same complexity as 1, worse.
    # idx 3: 0.70 at 4, dominated by idx 1. idx 8: 0.80 at 3 -> front; idx 4 (0.80 at 4) dominated by it.
    # idx 5: dominated by idx 8. idx 6: 0.90 -> front. idx 7: worse and more complex than idx 6.
    expected = [True, True, False, False, False, False, True, False, True]
    assert pareto_front(complexity, fidelity).tolist() == expected


def test_pareto_front_ties_are_deterministic():
    # Exact duplicates: only the first occurrence is on the front, whatever the input order.
    assert pareto_front([5, 5, 1], [0.9, 0.9, 0.5]).tolist() == [True, False, True]
    assert pareto_front([1, 5, 5], [0.5, 0.9, 0.9]).tolist() == [True, True, False]
    assert pareto_front([], []).tolist() == []
    with pytest.raises(ValueError):
        pareto_front([1, 2], [0.5])
    with pytest.raises(ValueError):
        pareto_front([1, 2], [0.5, np.nan])


def toy_table():
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


def test_select_by_validation_picks_val_best_with_complexity_ties():
    sel = select_by_validation(toy_table())
    assert sel[["kind", "regime", "params"]].values.tolist() == [
        ["tree", "soft", "max_depth=3"],  # 0.90 at 8 leaves beats 0.90 at 32 (equal KL: lower complexity wins)
        ["tree", "hard", "max_depth=1"],
        ["linear", "soft", "C=1"],  # equal fidelity and complexity: first row wins
    ]


def test_select_by_validation_breaks_fidelity_ties_by_kl_before_complexity():
    df = toy_table()
    df.loc[2, "val_kl"] = 0.05  # the 32-leaf tree ties on top-1 agreement but is closer to the teacher
    assert select_by_validation(df).params.tolist()[0] == "max_depth=5"
    df.loc[2, "val_fidelity"] = 0.89  # a row of agreement outweighs any KL
    assert select_by_validation(df).params.tolist()[0] == "max_depth=3"


def test_select_by_validation_never_reads_test_columns():
    df = toy_table()
    chosen = select_by_validation(df).params.tolist()
    rng = np.random.default_rng(0)
    for _ in range(5):
        corrupted = df.copy()
        corrupted["test_fidelity"] = rng.permutation(df.test_fidelity.to_numpy())
        corrupted["test_accuracy"] = rng.uniform(size=len(df))
        assert select_by_validation(corrupted).params.tolist() == chosen
    nan_test = df.assign(test_fidelity=np.nan, test_accuracy=np.nan)
    assert select_by_validation(nan_test).params.tolist() == chosen


def test_select_by_validation_respects_budget():
    df = toy_table()
    sel = select_by_validation(df, budget={"tree": 4})
    assert sel.params.tolist() == ["max_depth=1", "max_depth=1", "C=1"]  # linear unconstrained
    assert (sel[sel.kind == "tree"].complexity_score <= 4).all()
    sel = select_by_validation(df, budget={"tree": 32.0, "linear": None})
    assert sel.params.tolist() == ["max_depth=3", "max_depth=1", "C=1"]


def test_select_by_validation_warns_when_budget_unreachable():
    with pytest.warns(UserWarning, match="budget 1"):
        sel = select_by_validation(toy_table(), budget={"tree": 1})
    assert sel.kind.tolist() == ["linear"]


def test_select_by_validation_on_real_sweep_with_budget(sweeps):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sel = select_by_validation(sweeps[1], budget={"tree": 4})
    assert len(sel) == 12
    assert (sel[sel.kind == "tree"].complexity_score <= 4).all()


def test_frontier_plot(sweeps):
    fig = frontier_plot(sweeps[1], split="val")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    for ax, kind in zip(fig.axes, GRIDS):
        assert ax.get_title() == kind
        # naive Bayes has one parameter count for every fit: a column per regime, not a log axis
        assert "val" in ax.get_ylabel() and ax.get_xscale() == ("linear" if kind == "naive_bayes" else "log")
        assert len(ax.collections) == 4 and len(ax.lines) == 4  # points and front per regime
    fig.canvas.draw()  # renders headless
    assert "test" in frontier_plot(sweeps[1]).axes[0].get_ylabel()
    with pytest.raises(ValueError):
        frontier_plot(sweeps[1], split="train")


def _tick_labels(ax) -> tuple[list[str], list[str]]:
    ax.figure.canvas.draw()
    return ([t.get_text() for t in ax.xaxis.get_majorticklabels() if t.get_text()],
            [t.get_text() for t in ax.xaxis.get_minorticklabels() if t.get_text()])


def test_frontier_plot_labels_complexity_with_plain_numbers():
    # leaves from 16 to 709 (the digits report) and from 4 to 64 (breast cancer): 10^1 alone said nothing
    df = pd.DataFrame({"kind": ["tree"] * 4, "regime": ["soft"] * 4, "complexity_score": [16, 42, 163, 709],
                       "test_fidelity": [0.5, 0.7, 0.8, 0.9]})
    assert _tick_labels(frontier_plot(df).axes[0]) == (["20", "50", "100", "200", "500"], [])
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[4, 8, 16, 64])).axes[0])[0] == [
        "5", "10", "20", "50"]
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[900, 1500, 2000, 2400])).axes[0])[0] == [
        "1,000", "2,000"]
    # no 1-2-5 step inside a narrow range: its ends are labelled; a zero (symlog) gets its own label
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[26, 30, 34, 40])).axes[0])[0] == ["26", "40"]
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[0, 3, 10, 30])).axes[0])[0] == [
        "0", "2", "5", "10", "20"]


def test_frontier_plot_spreads_a_kind_with_one_complexity_over_regime_columns():
    # every naive-Bayes fit has 1,290 parameters: at one x all points of all regimes would hide each other
    df = pd.DataFrame({"kind": ["naive_bayes"] * 6 + ["tree"] * 2,
                       "regime": ["hard", "hard", "hard", "soft", "soft", "soft", "soft", "hard"],
                       "complexity_score": [1290] * 6 + [4, 8],
                       "test_fidelity": [0.9, 0.9, 0.8, 0.95, 0.95, 0.95, 0.7, 0.8]})
    fig = frontier_plot(df)
    nb, tree = fig.axes
    assert "1,290 parameters" in nb.get_xlabel() and _tick_labels(nb)[0] == ["hard", "soft"]
    points = [collection.get_offsets() for collection in nb.collections]
    assert [len(np.unique(np.asarray(p), axis=0)) for p in points] == [3, 3]  # equal scores side by side
    assert all(abs(np.asarray(p)[:, 0] - column).max() < 0.5 for column, p in enumerate(points))
    assert [line.get_ydata()[0] for line in nb.lines] == [0.9, 0.95]  # a bar at each regime's best
    # colours follow the regime in both panels
    colour = [{c.get_label(): tuple(c.get_facecolor()[0]) for c in ax.collections} for ax in (nb, tree)]
    assert colour[0] == colour[1] and colour[0]["hard"] != colour[0]["soft"]


def test_frontier_plot_front_line_matches_pareto_front():
    df = toy_table()
    fig = frontier_plot(df, split="test")
    tree_soft_line = fig.axes[0].lines[0]
    x = np.asarray(tree_soft_line.get_xdata())
    sub = df[(df.kind == "tree") & (df.regime == "soft")]
    expected = np.sort(sub.complexity_score.to_numpy()[pareto_front(sub.complexity_score, sub.test_fidelity)])
    np.testing.assert_array_equal(x, expected)


def test_fidelity_aligned_when_a_class_is_missing_from_labels():
    # A teacher that never predicts class 1 on train: hard-label surrogates know classes {0, 2} only,
    # and their probability column 1 means class 2.
    X = np.array([[0.0], [0.1], [0.2], [1.0], [1.1], [1.2]], dtype=np.float32)
    hard = np.array([0, 0, 0, 2, 2, 2])
    teacher = np.eye(3)[hard]
    df = sweep_surrogates({"tree": [{"max_depth": 1}]}, {"hard": (X, hard)}, X, teacher, hard, X, teacher, hard,
                          progress=False)
    assert df.val_fidelity.item() == 1.0 and df.test_accuracy.item() == 1.0


def test_transfer_candidates_are_swept_labelled_and_restricted_to_their_kinds(problem):
    regimes, split = problem
    X, P = regimes["soft+transfer"]
    candidates = {
        "soft": regimes["soft"],
        "soft+transfer": [FitSet(X, P, "mixup(n=120)"), FitSet(X[:200], P[:200], "small", kinds=("tree",))],
    }
    df = sweep_surrogates(GRIDS, candidates, **split, progress=False)
    counts = df.groupby(["kind", "regime", "transfer"], sort=False).size().to_dict()
    assert counts == {
        ("tree", "soft", "train"): 3, ("tree", "soft+transfer", "mixup(n=120)"): 3,
        ("tree", "soft+transfer", "small"): 3,
        ("linear", "soft", "train"): 2, ("linear", "soft+transfer", "mixup(n=120)"): 2,
        ("naive_bayes", "soft", "train"): 2, ("naive_bayes", "soft+transfer", "mixup(n=120)"): 2,
    }
    # a single FitSet works like a one-element list
    one = sweep_surrogates({"tree": [{"max_depth": 2}]}, {"soft+transfer": FitSet(X, P, "only")}, **split,
                           progress=False)
    assert one.transfer.tolist() == ["only"]


def test_selection_chooses_the_transfer_set_on_validation_not_test():
    # Two candidate transfer sets for one (kind, regime): "big" is better on validation, "small" on test.
    df = pd.DataFrame({
        "kind": ["tree"] * 4, "regime": ["soft+transfer"] * 4,
        "transfer": ["small", "small", "big", "big"], "params": ["max_depth=2", "max_depth=4"] * 2,
        "complexity_score": [4, 16, 4, 16],
        "val_fidelity": [0.80, 0.85, 0.82, 0.90], "val_kl": [0.1] * 4,
        "test_fidelity": [0.95, 0.99, 0.70, 0.75],
    })
    chosen = select_by_validation(df)
    assert chosen[["transfer", "params"]].values.tolist() == [["big", "max_depth=4"]]
    # and the test column has no say: swapping it changes nothing
    swapped = df.assign(test_fidelity=df.test_fidelity[::-1].to_numpy())
    assert select_by_validation(swapped).index.tolist() == chosen.index.tolist()
    # under a budget of 4 leaves the validation-best 4-leaf tree wins, whichever set it came from
    assert select_by_validation(df, budget={"tree": 4}).transfer.tolist() == ["big"]


def test_pareto_front_over_transfer_candidates():
    # The frontier of a regime spans all its candidate sets: hand-made points from two sets.
    complexity = [2, 4, 8, 16, 2, 4, 8, 16]
    fidelity = [0.60, 0.70, 0.80, 0.85,   # set A
                0.55, 0.75, 0.78, 0.90]   # set B
    # A@2 (0.60); B@4 (0.75) beats A@4; A@8 (0.80) beats B@8; B@16 (0.90) beats A@16.
    assert pareto_front(complexity, fidelity).tolist() == [True, False, True, False, False, True, False, True]
    df = pd.DataFrame({"kind": "tree", "regime": "soft+transfer", "complexity_score": complexity,
                       "test_fidelity": fidelity, "transfer": ["A"] * 4 + ["B"] * 4})
    line = frontier_plot(df).axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [2, 4, 8, 16])
    np.testing.assert_array_equal(line.get_ydata(), [0.60, 0.75, 0.80, 0.90])
