"""Exact search of a tree's bottom depth-2 subtrees (interpret_distill.surrogates._fringe, fringe_cuts)."""

import numpy as np
import pytest
from scipy.special import softmax

from interpret_distill.surrogates import TreeSurrogate, _fringe
from tests.surrogates._data import weighted_error, xor_with_a_decoy


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_fringe_search_solves_xor_behind_a_decoy(criterion):
    X, y = xor_with_a_decoy()
    greedy = TreeSurrogate(max_depth=2, criterion=criterion).fit(X, y)
    assert greedy.estimator_.tree_.feature[0] == 2 and greedy.score(X, y) == 56 / 80
    # TAO moves one split at a time: every single move from here keeps 24 errors.
    tao = TreeSurrogate(max_depth=2, criterion=criterion, refine_passes=5).fit(X, y)
    assert tao.score(X, y) == 56 / 80
    searched = TreeSurrogate(max_depth=2, criterion=criterion, refine_passes=5, fringe_cuts=1).fit(X, y)
    tree = searched.estimator_.tree_
    assert searched.score(X, y) == 1.0 and searched.fringes_changed_ == 1
    assert tree.feature[tree.children_left >= 0].tolist() == [0, 1, 1]
    np.testing.assert_allclose(searched.refine_history_, [24 / 80, 24 / 80, 0.0, 0.0])
    np.testing.assert_allclose(searched.node_proba_[tree.children_left < 0].max(axis=1), 1.0)
    assert searched.complexity_ == greedy.complexity_


@pytest.mark.parametrize("block", [2_000_000, 7])  # 7: many row blocks and root-split chunks
def test_best_depth2_matches_brute_force(block, monkeypatch):
    monkeypatch.setattr(_fringe, "_FRINGE_BLOCK", block)
    rng = np.random.default_rng(16)
    for _ in range(40):
        m, F, k = rng.integers(2, 25), rng.integers(1, 5), rng.integers(2, 4)
        goes_right = (rng.random((m, F)) < 0.5).astype(np.float64)
        target = rng.integers(0, k, size=m)
        w = rng.integers(1, 4, size=m).astype(np.float64)

        def majority(mask):
            return np.bincount(target[mask], weights=w[mask], minlength=k).max()

        def best_child(side):  # lowest split index on ties
            scores = [majority(side & (goes_right[:, b] > 0)) + majority(side & (goes_right[:, b] == 0))
                      for b in range(F)]
            return int(np.argmax(scores)), max(scores)

        best = None
        for a in range(F):
            b_left, left = best_child(goes_right[:, a] == 0)
            b_right, right = best_child(goes_right[:, a] > 0)
            if best is None or left + right > best[3]:
                best = (a, b_left, b_right, left + right)
        got = _fringe._best_depth2(goes_right.astype(np.float32), np.arange(F), np.full(F, 0.5), target, w, k)
        assert got[:3] == best[:3] and got[3] == pytest.approx(best[3])


def test_fringe_cuts_are_midpoints_or_weighted_quantiles():
    X = np.array([[0.0, 0.0], [1.0, 0.1], [1.0, 0.2], [3.0, 0.3], [3.0, 0.4]], dtype=np.float32)
    sw = np.ones(5)
    features, thresholds = _fringe._fringe_cuts(X, sw, 3)
    # feature 0 has 3 distinct values (<= 3 + 1): every midpoint; feature 1 has 5: quantile midpoints
    assert features.tolist()[:2] == [0, 0] and thresholds[:2].tolist() == [0.5, 2.0]
    assert (features == 1).sum() <= 3
    # integer weights give the cuts of the repeated rows
    rng = np.random.default_rng(17)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    w = rng.integers(1, 4, size=40)
    weighted = _fringe._fringe_cuts(X, w.astype(float), 6)
    repeated = _fringe._fringe_cuts(X.repeat(w, axis=0), np.ones(w.sum()), 6)
    np.testing.assert_array_equal(weighted[0], repeated[0])
    np.testing.assert_array_equal(weighted[1], repeated[1])
    assert np.bincount(weighted[0]).max() <= 6


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_fringe_search_never_increases_the_training_error(criterion):
    rng = np.random.default_rng(18)
    changed = 0
    for trial in range(6):
        n, d, k = 300, 4, 3
        X = np.round(rng.normal(size=(n, d)), 1)
        P = softmax(np.c_[X[:, 0] * X[:, 1], X[:, 2] - X[:, 3], np.sin(3 * X[:, 0])] * 3
                    + rng.normal(size=(n, k)), axis=1)
        sw = rng.integers(1, 4, size=n).astype(np.float64)
        params = dict(max_depth=3 + trial % 3, criterion=criterion, random_state=trial, refine_passes=2)
        tao = TreeSurrogate(**params).fit(X, P, sample_weight=sw)
        searched = TreeSurrogate(**params, fringe_cuts=8).fit(X, P, sample_weight=sw)
        history = searched.refine_history_
        assert (np.diff(history) <= 1e-12).all()
        np.testing.assert_allclose(history[:len(tao.refine_history_)], tao.refine_history_)
        np.testing.assert_allclose(history[-1], weighted_error(searched, X, P, sw), atol=1e-12)
        np.testing.assert_array_equal(tao.estimator_.tree_.children_left,
                                      searched.estimator_.tree_.children_left)
        changed += searched.fringes_changed_
    assert changed > 0

