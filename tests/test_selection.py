"""Choosing models on validation (interpret_distill.selection): Pareto fronts and the validation ranking."""

import warnings

import numpy as np
import pandas as pd
import pytest

from interpret_distill.selection import VALIDATION_RANKING, pareto_front, rank_by_validation, select_by_validation


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


def test_pareto_front_over_transfer_candidates():
    # The frontier of a regime spans all its candidate sets: hand-made points from two sets.
    complexity = [2, 4, 8, 16, 2, 4, 8, 16]
    fidelity = [0.60, 0.70, 0.80, 0.85,   # set A
                0.55, 0.75, 0.78, 0.90]   # set B
    # A@2 (0.60); B@4 (0.75) beats A@4; A@8 (0.80) beats B@8; B@16 (0.90) beats A@16.
    assert pareto_front(complexity, fidelity).tolist() == [True, False, True, False, False, True, False, True]


def test_rank_by_validation_orders_by_fidelity_then_kl_then_complexity():
    assert VALIDATION_RANKING == (["val_fidelity", "val_kl", "complexity_score"], [False, True, True])
    df = pd.DataFrame({"val_fidelity": [0.8, 0.9, 0.9, 0.9, 0.9], "val_kl": [0.0, 0.3, 0.1, 0.1, 0.1],
                       "complexity_score": [1, 2, 8, 4, 4]})
    assert rank_by_validation(df).index.tolist() == [3, 4, 2, 1, 0]  # full ties keep their order


def test_select_by_validation_picks_val_best_with_complexity_ties(toy_sweep):
    sel = select_by_validation(toy_sweep)
    assert sel[["kind", "regime", "params"]].values.tolist() == [
        ["tree", "soft", "max_depth=3"],  # 0.90 at 8 leaves beats 0.90 at 32 (equal KL: lower complexity wins)
        ["tree", "hard", "max_depth=1"],
        ["linear", "soft", "C=1"],  # equal fidelity and complexity: first row wins
    ]


def test_select_by_validation_breaks_fidelity_ties_by_kl_before_complexity(toy_sweep):
    df = toy_sweep
    df.loc[2, "val_kl"] = 0.05  # the 32-leaf tree ties on top-1 agreement but is closer to the teacher
    assert select_by_validation(df).params.tolist()[0] == "max_depth=5"
    df.loc[2, "val_fidelity"] = 0.89  # a row of agreement outweighs any KL
    assert select_by_validation(df).params.tolist()[0] == "max_depth=3"


def test_select_by_validation_never_reads_test_columns(toy_sweep):
    df = toy_sweep
    chosen = select_by_validation(df).params.tolist()
    rng = np.random.default_rng(0)
    for _ in range(5):
        corrupted = df.copy()
        corrupted["test_fidelity"] = rng.permutation(df.test_fidelity.to_numpy())
        corrupted["test_accuracy"] = rng.uniform(size=len(df))
        assert select_by_validation(corrupted).params.tolist() == chosen
    nan_test = df.assign(test_fidelity=np.nan, test_accuracy=np.nan)
    assert select_by_validation(nan_test).params.tolist() == chosen


def test_select_by_validation_respects_budget(toy_sweep):
    df = toy_sweep
    sel = select_by_validation(df, budget={"tree": 4})
    assert sel.params.tolist() == ["max_depth=1", "max_depth=1", "C=1"]  # linear unconstrained
    assert (sel[sel.kind == "tree"].complexity_score <= 4).all()
    sel = select_by_validation(df, budget={"tree": 32.0, "linear": None})
    assert sel.params.tolist() == ["max_depth=3", "max_depth=1", "C=1"]


def test_select_by_validation_warns_when_budget_unreachable(toy_sweep):
    with pytest.warns(UserWarning, match="budget 1"):
        sel = select_by_validation(toy_sweep, budget={"tree": 1})
    assert sel.kind.tolist() == ["linear"]


def test_select_by_validation_on_real_sweep_with_budget(sweeps):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sel = select_by_validation(sweeps[1], budget={"tree": 4})
    assert len(sel) == 12
    assert (sel[sel.kind == "tree"].complexity_score <= 4).all()


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
