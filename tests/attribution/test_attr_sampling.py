"""Batched Kernel SHAP / LIME: exact on additive models, consistent with Captum and with exact Shapley values."""

import itertools
import math

import numpy as np
import pytest
import torch
from captum.attr import KernelShap

from interpret_distill.attribution import as_forward, attribute, cosine
from interpret_distill.attribution.sampling import lime
from interpret_distill.surrogates import TreeSurrogate

D = 5
C = np.array([3.0, -2.0, 1.0, 0.5, -0.25])


class Additive:
    """p(class 1) = 0.5 + 0.05 Σ c_j tanh(x_j): Shapley values are 0.05 c_j (tanh x_j − tanh b_j)."""

    def predict_proba(self, X):
        s = 0.5 + 0.05 * np.tanh(X) @ C
        return np.column_stack([1 - s, s])


def exact_additive(X, b):
    return 0.05 * C * (np.tanh(X) - np.tanh(b))


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).normal(size=(12, D)).astype(np.float32)


def test_kernel_shap_is_exact_on_additive_model(X):
    b = np.full(D, 0.2, dtype=np.float32)
    ones = np.ones(len(X), dtype=int)
    ks = attribute(Additive(), X, ones, "kernel_shap", b, n_samples=40, perturbations_per_eval=16)
    np.testing.assert_allclose(ks, exact_additive(X, b), atol=1e-6)
    # Captum's own KernelShap (per-example loop) gives the same answer on one example.
    captum = KernelShap(as_forward(Additive())).attribute(torch.as_tensor(X[:1]), baselines=torch.as_tensor(b[None]),
                                                          target=1, n_samples=40)
    np.testing.assert_allclose(ks[:1], captum.double().numpy(), atol=1e-5)


def test_lime_is_exact_without_penalty_and_ranks_correctly_with_it(X):
    b = np.zeros(D, dtype=np.float32)
    ones = np.ones(len(X), dtype=int)
    f = as_forward(Additive())
    plain = lime(f, X, ones, b, np.arange(D), 64, 64, torch.Generator().manual_seed(0), alpha=1e-9)
    np.testing.assert_allclose(plain, exact_additive(X, b), atol=1e-6)
    ridge = attribute(Additive(), X, ones, "lime", b, n_samples=200)  # alpha=1 shrinks, keeps the direction
    exact = exact_additive(X, b)
    assert np.all(np.linalg.norm(ridge, axis=1) < np.linalg.norm(exact, axis=1))
    assert cosine(exact, ridge).min() > 0.99


def exact_shapley(f, x, b):
    """Shapley values by enumerating all 2^d coalitions (d small)."""
    d = len(x)
    coalitions = np.array(list(itertools.product([0, 1], repeat=d)), dtype=bool)
    values = dict(zip(map(tuple, coalitions), f(np.where(coalitions, x, b))))
    phi = np.zeros(d)
    for z in coalitions:
        for j in np.flatnonzero(~z):
            m = int(z.sum())
            w = math.factorial(m) * math.factorial(d - m - 1) / math.factorial(d)
            with_j = z.copy()
            with_j[j] = True
            phi[j] += w * (values[tuple(with_j)] - values[tuple(z)])
    return phi


def test_kernel_shap_and_shapley_sampling_converge_to_exact_shapley_on_a_tree(X):
    labels = ((X[:, 0] > 0) ^ (X[:, 1] > 0.3)).astype(int)
    tree = TreeSurrogate(max_depth=4, random_state=0).fit(X, labels)
    b = np.zeros(D, dtype=np.float32)
    t = np.ones(4, dtype=int)
    exact = np.array([exact_shapley(lambda Z: tree.predict_proba(Z)[:, 1], x, b) for x in X[:4]])
    ks = attribute(tree, X[:4], t, "kernel_shap", b, n_samples=3000, perturbations_per_eval=1000)
    svs = attribute(tree, X[:4], t, "shapley_value_sampling", b, n_samples=300)
    np.testing.assert_allclose(ks, exact, atol=0.03)
    np.testing.assert_allclose(svs, exact, atol=0.03)


def test_groups_seed_and_single_group(X):
    ones = np.ones(len(X), dtype=int)
    mask = np.array([0, 0, 1, 1, 2])
    a = attribute(Additive(), X, ones, "kernel_shap", "zeros", feature_mask=mask, n_samples=30, seed=3)
    assert np.array_equal(a[:, 0], a[:, 1]) and np.array_equal(a[:, 2], a[:, 3])
    exact = exact_additive(X, np.zeros(D))
    grouped = np.column_stack([exact[:, :2].sum(1), exact[:, 2:4].sum(1), exact[:, 4]])  # additive: groups add up
    np.testing.assert_allclose(a[:, [0, 2, 4]], grouped, atol=1e-6)
    assert np.array_equal(a, attribute(Additive(), X, ones, "kernel_shap", "zeros", feature_mask=mask, n_samples=30,
                                       seed=3))
    l1 = attribute(Additive(), X, ones, "lime", "zeros", n_samples=30, seed=1)
    assert not np.array_equal(l1, attribute(Additive(), X, ones, "lime", "zeros", n_samples=30, seed=2))
    whole = attribute(Additive(), X, ones, "kernel_shap", "zeros", feature_mask=np.zeros(D, dtype=int))
    np.testing.assert_allclose(whole[:, 0], exact.sum(1), atol=1e-6)
