"""Tree Alternating Optimisation of a fitted tree's splits (interpret_distill.surrogates._tao, refine_passes)."""

import numpy as np
import pytest
from scipy.special import softmax

from interpret_distill.surrogates import TreeSurrogate
from interpret_distill.surrogates._tao import _best_stump
from tests.surrogates._data import misleading_root, weighted_error


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_tao_fixes_a_misleading_greedy_root_split(criterion):
    X, y = misleading_root()
    greedy = TreeSurrogate(max_depth=1, criterion=criterion).fit(X, y)
    assert (greedy.estimator_.tree_.feature[0], greedy.estimator_.tree_.threshold[0]) == (1, 0.5)
    assert greedy.score(X, y) == 60 / 80

    refined = TreeSurrogate(max_depth=1, criterion=criterion, refine_passes=1).fit(X, y)
    tree = refined.estimator_.tree_
    # Leaves fixed at (left: class 1, right: class 0), every row is decided by the
    # root; x0 <= 0.5 misroutes 9 + 9 rows against 20 for the greedy split.
    assert (tree.feature[0], tree.threshold[0]) == (0, 0.5)
    np.testing.assert_allclose(refined.refine_history_, [20 / 80, 18 / 80])
    assert refined.score(X, y) == 62 / 80
    # Leaf means are recomputed from the rows that now reach them.
    np.testing.assert_allclose(refined.node_proba_, [[0.5, 0.5], [9 / 40, 31 / 40], [31 / 40, 9 / 40]])
    np.testing.assert_allclose(refined.node_weight_, [80, 40, 40])
    assert refined.export_text().splitlines()[0] == "|--- feature_0 <= 0.50"
    # A second pass finds nothing better and stops.
    twice = TreeSurrogate(max_depth=1, criterion=criterion, refine_passes=5).fit(X, y)
    np.testing.assert_allclose(twice.refine_history_, [20 / 80, 18 / 80, 18 / 80])
    # scikit-learn's own statistics describe the refined tree too.
    assert tree.n_node_samples.tolist()[1:] == [40, 40]
    inner = refined.estimator_
    inner_proba = inner.predict(X) if criterion == "squared_error" else inner.predict_proba(X)
    np.testing.assert_allclose(inner_proba, refined.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
@pytest.mark.parametrize("soft", [True, False])
def test_tao_never_increases_the_training_error(criterion, soft):
    rng = np.random.default_rng(12)
    for trial in range(8):
        n, d, k = 300, 4, 3
        X = np.round(rng.normal(size=(n, d)), 1)  # ties between values
        logits = np.c_[X[:, 0] * X[:, 1], X[:, 2] - X[:, 3], np.sin(3 * X[:, 0])] * 3
        P = softmax(logits + rng.normal(size=(n, k)), axis=1)
        y = P if soft else P.argmax(axis=1)
        sw = rng.integers(1, 4, size=n).astype(np.float64)
        params = dict(max_depth=3 + trial % 3, criterion=criterion, random_state=trial)
        greedy = TreeSurrogate(**params).fit(X, y, sample_weight=sw)
        refined = TreeSurrogate(**params, refine_passes=4).fit(X, y, sample_weight=sw)
        before, after = weighted_error(greedy, X, P, sw), weighted_error(refined, X, P, sw)
        history = refined.refine_history_
        assert after <= before
        np.testing.assert_allclose([history[0], history[-1]], [before, after], atol=1e-12)
        assert (np.diff(history) <= 0).all()
        assert len(history) <= 5
        # Same shape, only splits moved.
        np.testing.assert_array_equal(greedy.estimator_.tree_.children_left,
                                      refined.estimator_.tree_.children_left)
        assert refined.complexity_ == greedy.complexity_
        if trial == 0:
            assert after < before  # refinement does something on this problem


def test_best_stump_matches_brute_force():
    rng = np.random.default_rng(14)
    for _ in range(30):
        m, d = rng.integers(2, 12), rng.integers(1, 4)
        Xn = rng.integers(0, 4, size=(m, d)).astype(np.float32)
        z = rng.random(m) < 0.5
        w = rng.integers(1, 4, size=m).astype(np.float64)
        best = None
        for f in range(d):
            values = np.unique(Xn[:, f])
            for lo, hi in zip(values[:-1], values[1:]):
                t = (float(lo) + float(hi)) / 2
                err = w[(Xn[:, f] > t) != z].sum()
                if best is None or err < best[2]:  # first feature, lowest threshold on ties
                    best = (f, t, err)
        got = _best_stump(Xn, z, w)
        if best is None:
            assert got is None
        else:
            assert got[:2] == best[:2] and got[2] == pytest.approx(best[2])
    # Repeating rows is the same as integer weights.
    Xn = rng.normal(size=(20, 3)).astype(np.float32)
    z, w = rng.random(20) < 0.5, rng.integers(1, 4, size=20)
    assert _best_stump(Xn, z, w.astype(float)) == pytest.approx(
        _best_stump(Xn.repeat(w, axis=0), z.repeat(w), np.ones(w.sum())))



def test_refined_sample_weight_equals_repetition():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(60, 3))
    P = softmax(np.c_[X[:, 0] * X[:, 1], X[:, 2], -X[:, 0]] * 3, axis=1)
    sw = rng.integers(1, 4, size=60)
    for criterion in ("squared_error", "entropy"):
        params = dict(max_depth=3, criterion=criterion, random_state=0, refine_passes=3)
        weighted = TreeSurrogate(**params).fit(X, P, sample_weight=sw)
        repeated = TreeSurrogate(**params).fit(X.repeat(sw, axis=0), P.repeat(sw, axis=0))
        np.testing.assert_array_equal(weighted.estimator_.tree_.feature, repeated.estimator_.tree_.feature)
        np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-9)
