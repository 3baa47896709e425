"""Agreement metrics on hand-made vectors with known answers."""

import warnings

import numpy as np
import pytest

from interpret_distill.attribution import (
    METRICS,
    agreement,
    agreement_table,
    cosine,
    sign_agreement,
    spearman,
    topk_agreement,
)

REF = np.array([[5.0, -4.0, 3.0, 2.0, 1.0, 0.5]])


def test_identical_vectors_agree_perfectly():
    scores = agreement(REF.copy(), REF, k=3)
    assert {name: float(v[0]) for name, v in scores.items()} == pytest.approx(
        {"spearman": 1.0, "topk_agreement": 1.0, "sign_agreement": 1.0, "cosine": 1.0})


def test_scale_does_not_matter():
    scores = agreement(1e-3 * REF, REF, k=3)
    assert all(float(v[0]) == pytest.approx(1.0) for v in scores.values())


def test_reversed_ranking_has_spearman_minus_one():
    a = np.array([[1.0, 2.0, 3.0, 4.0], [0.1, 0.2, 0.3, 0.4]])
    np.testing.assert_allclose(spearman(a[:, ::-1], a), [-1.0, -1.0])
    np.testing.assert_allclose(spearman(-a, a, absolute=True), [1.0, 1.0])


def test_topk_overlaps():
    other = np.array([[5.0, 0.0, 0.0, 2.0, 1.0, 0.0]])  # shares feature 0 of REF's top-3 {0, 1, 2}
    assert topk_agreement(other, REF, k=3)[0] == pytest.approx(1 / 3)
    assert topk_agreement(other, REF, k=4)[0] == pytest.approx(2 / 4)  # top-4 adds 3, in other's top {0, 3, 4}
    # Magnitude decides, not sign: -4 is REF's second most important feature.
    assert topk_agreement(np.array([[0, -9.0, 0, 0, 0, 0]]), REF, k=2)[0] == pytest.approx(1 / 2)
    # Zero attributions are never "top": a model crediting one feature cannot match more than one.
    assert topk_agreement(np.array([[1.0, 0, 0, 0, 0, 0]]), REF, k=5)[0] == pytest.approx(1 / 5)
    # k larger than the reference's non-zero features: the denominator shrinks to those.
    assert topk_agreement(np.array([[1.0, 3, 0, 0]]), np.array([[2.0, 0, 0, 0]]), k=3)[0] == 1.0


def test_ties_at_the_kth_place_share_it_whatever_the_column_order():
    # a flat model against a teacher with one important feature: half of the flat model's top-2 can be that one
    assert topk_agreement(np.array([[1.0, 1, 1, 1]]), np.array([[1.0, 0, 0, 0]]), k=2)[0] == pytest.approx(1 / 2)
    assert topk_agreement(np.array([[1.0, 1, 1, 1]]), np.array([[0, 0, 0, 1.0]]), k=2)[0] == pytest.approx(1 / 2)
    # the teacher's second place is shared by features 1 and 2 (half each); the model credits one of them
    reference = np.array([[2.0, 1, 1, 0]])
    for column in (1, 2):
        model = np.zeros((1, 4))
        model[0, column] = -3.0
        assert topk_agreement(model, reference, k=2)[0] == pytest.approx(0.5 / 2)
        assert sign_agreement(model, reference, k=2)[0] == 0.0
        assert sign_agreement(-model, reference, k=2)[0] == pytest.approx(0.5 / 2)


def test_sign_agreement_on_reference_top_features():
    other = np.array([[1.0, 4.0, 0.0, -9.0, -9.0, -9.0]])
    # REF top-3 = {0, 1, 2}: same sign on 0, opposite on 1, zero (disagreement) on 2.
    assert sign_agreement(other, REF, k=3)[0] == pytest.approx(1 / 3)
    assert sign_agreement(np.sign(REF), REF, k=6)[0] == 1.0


def test_cosine():
    np.testing.assert_allclose(cosine(np.array([[1.0, 0, 2]]), np.array([[0.0, 3, 0]])), [0.0])
    np.testing.assert_allclose(cosine(np.array([[1.0, 1]]), np.array([[-2.0, -2]])), [-1.0])


def test_undefined_cases_give_nan_quietly():
    const, zero = np.array([[2.0, 2.0, 2.0]]), np.zeros((1, 3))
    other = np.array([[1.0, 2.0, 3.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(spearman(const, other)[0]) and np.isnan(spearman(other, const)[0])
        assert np.isnan(cosine(zero, other)[0])
        assert np.isnan(topk_agreement(other, zero, k=2)[0]) and np.isnan(sign_agreement(other, zero)[0])
        assert topk_agreement(zero, other, k=2)[0] == 0.0  # an all-zero model found none of them
        table = agreement_table({("teacher", "m"): np.vstack([zero, zero]), ("tree", "m"): np.vstack([other, other])})
    assert np.isnan(table.loc[0, "spearman_mean"]) and np.isnan(table.loc[0, "cosine_std"])


def test_shape_mismatch_raises():
    with pytest.raises(ValueError, match="same shape"):
        cosine(np.zeros((2, 3)), np.zeros((2, 4)))


def test_agreement_table_picks_same_method_or_falls_back():
    rng = np.random.default_rng(0)
    ig, fa = rng.normal(size=(10, 6)), rng.normal(size=(10, 6))
    attributions = {
        ("teacher", "integrated_gradients"): ig,
        ("teacher", "feature_ablation"): fa,
        ("student", "integrated_gradients"): ig.copy(),
        ("tree", "feature_ablation"): fa * 2,
        ("tree", "native"): -ig,
    }
    table = agreement_table(attributions, k=3)
    assert list(zip(table.model, table.method, table.reference_method)) == [
        ("student", "integrated_gradients", "integrated_gradients"),
        ("tree", "feature_ablation", "feature_ablation"),
        ("tree", "native", "integrated_gradients"),  # no teacher "native": teacher's first method
    ]
    assert table.loc[0, "spearman_mean"] == pytest.approx(1.0) and table.loc[0, "spearman_std"] == pytest.approx(0)
    assert table.loc[1, "cosine_mean"] == pytest.approx(1.0)
    assert table.loc[2, "cosine_mean"] == pytest.approx(-1.0) and table.loc[2, "sign_agreement_mean"] == 0.0
    assert table.loc[2, "topk_agreement_mean"] == pytest.approx(1.0)
    assert {"n_examples", "spearman_std", "spearman_n", "topk_agreement_mean"} <= set(table.columns)
    assert (table.n_examples == 10).all() and (table[[f"{m}_n" for m in METRICS]] == 10).all().all()

    fallback = agreement_table(attributions, reference_method="feature_ablation")
    assert fallback.loc[2, "reference_method"] == "feature_ablation"
    with pytest.raises(ValueError, match="reference model"):
        agreement_table({("tree", "native"): ig})


def test_agreement_table_counts_the_examples_each_mean_uses():
    rng = np.random.default_rng(0)
    teacher, other = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    teacher[2] = 0.0  # no top features: top-k and sign agreement undefined, and no rank correlation
    other[4] = 1.5  # constant but non-zero: rank correlation undefined, cosine still defined
    table = agreement_table({("teacher", "m"): teacher, ("tree", "m"): other}, k=2)
    row = table.iloc[0]
    assert row.n_examples == 6
    assert (row.topk_agreement_n, row.sign_agreement_n) == (5, 5)
    assert (row.spearman_n, row.cosine_n) == (4, 5)
    defined = np.delete(topk_agreement(other, teacher, k=2), 2)
    assert row.topk_agreement_mean == pytest.approx(defined.mean())  # the mean is over those n examples
