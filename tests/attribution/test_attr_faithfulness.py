"""Deletion / insertion / random curves, their areas, infidelity and the faithfulness table on toy models."""

import numpy as np
import pytest
import torch

from interpret_distill.attribution import (
    attribute,
    curve_area,
    deletion_curve,
    faithfulness_curves,
    faithfulness_table,
    infidelity_score,
    insertion_curve,
    random_curve,
)
from interpret_distill.surrogates import TreeSurrogate

D = 8
WEIGHTS = 2.0 ** -np.arange(D) * 16  # 16, 8, 4, ... very unequal


@pytest.fixture(scope="module")
def toy():
    """p(class 1) = sigmoid(w·x - 16) with positive inputs: removing the big-weight features first kills it."""
    net = torch.nn.Linear(D, 2)
    with torch.no_grad():
        net.weight.copy_(torch.as_tensor(np.stack([np.zeros(D), WEIGHTS]), dtype=torch.float32))
        net.bias.copy_(torch.tensor([0.0, -16.0]))
    X = np.random.default_rng(0).uniform(0.5, 1.5, size=(64, D)).astype(np.float32)
    target = np.ones(len(X), dtype=int)
    return net, X, target


class CountingModel:
    def __init__(self, model):
        self.model, self.calls = model, 0

    def predict_proba(self, X):
        self.calls += 1
        return self.model.predict_proba(X)


def test_faithful_ranking_beats_random_which_beats_reversed(toy):
    net, X, t = toy
    ig = attribute(net, X, t, "integrated_gradients", "zeros", n_steps=8)
    frac, faithful = deletion_curve(net, X, t, ig, "zeros", steps=8)
    _, rand = random_curve(net, X, t, "zeros", steps=8, seed=0)
    _, reverse = deletion_curve(net, X, t, -ig, "zeros", steps=8)
    assert curve_area(frac, faithful) + 0.1 < curve_area(frac, rand) < curve_area(frac, reverse) - 0.1
    _, ins = insertion_curve(net, X, t, ig, "zeros", steps=8)
    _, rand_ins = random_curve(net, X, t, "zeros", steps=8, mode="insertion", seed=0)
    assert curve_area(frac, ins) > curve_area(frac, rand_ins) + 0.1


def test_curve_endpoints_and_shape(toy):
    net, X, t = toy
    with torch.no_grad():
        p_x = torch.softmax(net(torch.as_tensor(X)), 1)[:, 1].mean().item()
        p_b = torch.softmax(net(torch.zeros(1, D)), 1)[0, 1].item()
    frac, dele = deletion_curve(net, X, t, np.ones_like(X), "zeros", steps=5)  # all ties: random order
    _, ins = insertion_curve(net, X, t, np.ones_like(X), "zeros", steps=5)
    assert frac.tolist() == pytest.approx([0, 0.2, 0.4, 0.6, 0.8, 1.0]) and dele.shape == (6,)
    assert dele[0] == pytest.approx(p_x, abs=1e-6) and dele[-1] == pytest.approx(p_b, abs=1e-6)
    assert ins[0] == pytest.approx(p_b, abs=1e-6) and ins[-1] == pytest.approx(p_x, abs=1e-6)


def test_curve_area():
    assert curve_area(np.array([0.0, 0.5, 1.0]), np.array([1.0, 0.5, 0.0])) == pytest.approx(0.5)
    assert curve_area(np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0])) == pytest.approx(1.0)  # x normalised
    with pytest.raises(ValueError):
        curve_area(np.array([1.0, 1.0]), np.array([0.0, 1.0]))


def test_curves_on_surrogate_need_one_predict_proba_call(toy):
    _, X, _ = toy
    labels = (X @ WEIGHTS > 16 * 2).astype(int)
    tree = TreeSurrogate(max_depth=3, random_state=0).fit(X, labels)
    counted = CountingModel(tree)
    attr = np.random.default_rng(0).normal(size=X.shape)
    frac, curve = deletion_curve(counted, X, labels, attr, "mean", steps=10, train_mean=X.mean(0))
    assert counted.calls == 1 and curve.shape == (11,)
    deletion_curve(counted, X, labels, attr, "zeros", steps=10, max_rows=3 * len(X))
    assert counted.calls == 1 + 4  # 11 steps of 64 rows, 3 steps per call


def test_random_curve_is_seeded(toy):
    net, X, t = toy
    a = random_curve(net, X, t, "zeros", steps=4, seed=3)[1]
    assert np.array_equal(a, random_curve(net, X, t, "zeros", steps=4, seed=3)[1])
    assert not np.array_equal(a, random_curve(net, X, t, "zeros", steps=4, seed=4)[1])


def test_infidelity_is_zero_for_exact_linear_attributions(toy):
    net, X, t = toy
    b = np.full(D, 0.25, dtype=np.float32)
    ig = attribute(net, X, t, "integrated_gradients", b, n_steps=4)
    exact = infidelity_score(net, X, t, ig, b, output="logit")
    assert exact.shape == (len(X),) and np.abs(exact).max() < 1e-4
    saliency = attribute(net, X, t, "saliency")  # plain gradients: additive-noise convention
    assert np.abs(infidelity_score(net, X, t, saliency, output="logit", multiply_by_inputs=False)).max() < 1e-4
    noisy = ig + np.random.default_rng(1).normal(size=ig.shape) * ig.std()
    assert infidelity_score(net, X, t, noisy, b, output="logit").mean() > 1e-3
    # Works through predict_proba too, deterministic given the seed.
    tree = TreeSurrogate(max_depth=2).fit(X, (X[:, 0] > 1).astype(int))
    s1 = infidelity_score(tree, X, t, noisy, b, seed=2)
    assert np.isfinite(s1).all() and np.array_equal(s1, infidelity_score(tree, X, t, noisy, b, seed=2))


def test_relative_infidelity_is_a_share_of_the_output_change(toy):
    net, X, t = toy
    ig = attribute(net, X, t, "integrated_gradients", n_steps=4)
    rel = infidelity_score(net, X, t, ig, output="logit", relative=True)
    assert np.nanmax(rel) < 1e-4
    nothing = infidelity_score(net, X, t, np.zeros_like(ig), output="logit", relative=True)
    np.testing.assert_allclose(nothing, 1.0)  # explains none of the change
    noisy = ig + np.random.default_rng(1).normal(size=ig.shape) * ig.std()
    rel_noisy = infidelity_score(net, X, t, noisy, relative=True)  # probabilities: scale-free all the same
    defined = rel_noisy[~np.isnan(rel_noisy)]  # nan where p is saturated at 1.0 and never moves
    assert len(defined) > len(X) / 2 and ((defined > 0.01) & (defined <= 1.0)).all()


def test_faithfulness_table_and_curves(toy):
    net, X, t = toy
    tree = TreeSurrogate(max_depth=3, random_state=0).fit(X, (X @ WEIGHTS > 32).astype(int))
    attributions = {
        ("teacher", "integrated_gradients"): attribute(net, X, t, "integrated_gradients", n_steps=4),
        ("teacher", "saliency"): attribute(net, X, t, "saliency"),
        ("tree", "native"): attribute(tree, X, t, "native"),
        ("ghost", "native"): np.zeros_like(X),  # no such model: skipped
    }
    table = faithfulness_table({"teacher": net, "tree": tree}, X, t, attributions, "zeros", steps=8)
    assert list(table.columns) == ["model", "method", "deletion_auc", "insertion_auc", "random_deletion_auc",
                                   "random_insertion_auc", "infidelity", "relative_infidelity"]
    assert list(zip(table.model, table.method)) == [("teacher", "integrated_gradients"), ("teacher", "saliency"),
                                                    ("tree", "native")]
    row = table.iloc[0]
    assert row.deletion_auc < row.random_deletion_auc and row.insertion_auc > row.random_insertion_auc
    assert row.infidelity < 1e-4 and row.relative_infidelity < 1e-4  # exact logit attribution of a linear model
    assert table.random_deletion_auc.iloc[0] == table.random_deletion_auc.iloc[1]  # one random reference per model
    values = table[["deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc"]].to_numpy()
    assert np.isfinite(table.infidelity).all() and ((values >= 0) & (values <= 1)).all()

    curves = faithfulness_curves(net, X, t, attributions[("teacher", "integrated_gradients")], steps=8)
    assert set(curves) == {"fractions", "deletion", "insertion", "random", "random_insertion"}
    assert curve_area(curves["fractions"], curves["deletion"]) == pytest.approx(row.deletion_auc)
