"""attribute / attribute_many: analytic answers on tiny models, batching, grouping, seeding and error messages."""

import numpy as np
import pytest
import torch

from interpret_distill.attribution import (
    METHODS,
    MethodSpec,
    applicable_methods,
    attribute,
    attribute_many,
    patch_feature_mask,
    resolve_baseline,
)
from interpret_distill.surrogates import LinearSurrogate, TreeSurrogate

D, K = 6, 3


@pytest.fixture(scope="module")
def linear_net():
    torch.manual_seed(0)  # fixtures may seed: attribute() itself never touches the global RNG
    return torch.nn.Linear(D, K)


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(1).normal(size=(40, D)).astype(np.float32)


@pytest.fixture(scope="module")
def target(X):
    return np.arange(len(X)) % K


@pytest.fixture(scope="module")
def surrogate_tree(X, target):
    return TreeSurrogate(max_depth=3, random_state=0).fit(X, target)


class CountingModel:
    """Delegates to a surrogate and counts predict_proba calls and rows."""

    def __init__(self, model):
        self.model, self.calls, self.rows = model, 0, 0
        self.classes_ = model.classes_  # as a fitted estimator has: the output width without a call

    def predict_proba(self, X):
        self.calls += 1
        self.rows += len(X)
        return self.model.predict_proba(X)


@pytest.mark.parametrize("method", ["integrated_gradients", "deeplift", "gradient_shap"])
def test_gradient_methods_are_exact_on_a_linear_model(linear_net, X, target, method):
    b = np.linspace(-1, 1, D).astype(np.float32)
    W = linear_net.weight.detach().numpy().astype(np.float64)
    attr = attribute(linear_net, X, target, method, b, n_steps=8)
    np.testing.assert_allclose(attr, W[target] * (X - b), atol=1e-4)


def test_saliency_is_the_signed_gradient_of_the_target_logit(linear_net, X, target):
    W = linear_net.weight.detach().numpy()
    np.testing.assert_allclose(attribute(linear_net, X, target, "saliency"), W[target], atol=1e-6)


def test_integrated_gradients_completeness_on_mlp_and_chunking_is_invisible():
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(D, 16), torch.nn.ReLU(), torch.nn.Linear(16, K))
    Xs = np.random.default_rng(2).normal(size=(30, D)).astype(np.float32)
    t = np.zeros(30, dtype=int)
    ig = attribute(net, Xs, t, "integrated_gradients", "zeros", n_steps=64)
    with torch.no_grad():
        gap = (net(torch.as_tensor(Xs))[:, 0] - net(torch.zeros(1, D))[0, 0]).numpy()
    np.testing.assert_allclose(ig.sum(1), gap, atol=2e-2)
    small = attribute(net, Xs, t, "integrated_gradients", "zeros", n_steps=64, batch_size=7, internal_batch_size=16)
    np.testing.assert_allclose(small, ig, atol=1e-5)


def test_feature_ablation_on_surrogate_matches_manual_ablation(X, target):
    lin = LinearSurrogate().fit(X, target)
    b = np.zeros(D, dtype=np.float32)
    attr = attribute(lin, X, target, "feature_ablation", b)
    rows = np.arange(len(X))
    p = lin.predict_proba(X)[rows, target]
    for j in range(D):
        Xj = X.copy()
        Xj[:, j] = 0
        np.testing.assert_allclose(attr[:, j], p - lin.predict_proba(Xj)[rows, target], atol=1e-6)


def test_shapley_sampling_and_kernel_shap_are_efficient(X, target, surrogate_tree):
    """Shapley values sum to f(x) - f(baseline) (exactly per permutation; Kernel SHAP by construction)."""
    b = np.zeros(D, dtype=np.float32)
    rows = np.arange(len(X))
    gap = surrogate_tree.predict_proba(X)[rows, target] - surrogate_tree.predict_proba(b[None])[0, target]
    svs = attribute(surrogate_tree, X, target, "shapley_value_sampling", b, n_samples=5)
    np.testing.assert_allclose(svs.sum(1), gap, atol=1e-5)
    ks = attribute(surrogate_tree, X[:5], target[:5], "kernel_shap", b, n_samples=64)
    np.testing.assert_allclose(ks.sum(1), gap[:5], atol=2e-2)


def test_perturbation_methods_batch_predict_proba_calls(X, target, surrogate_tree):
    n = len(X)
    counted = CountingModel(surrogate_tree)
    attribute(counted, X, target, "feature_ablation", "zeros", perturbations_per_eval=64)
    assert counted.rows >= n * D  # every single-feature perturbation was evaluated ...
    assert counted.calls <= 3  # ... in one batched call (+ the unperturbed one)

    counted = CountingModel(surrogate_tree)
    attribute(counted, X, target, "shapley_value_sampling", "zeros", n_samples=4, perturbations_per_eval=64)
    assert counted.rows >= 4 * n * D and counted.calls <= 4 * 2 + 2

    for method in ("kernel_shap", "lime"):  # one shared set of coalitions per chunk of examples
        counted = CountingModel(surrogate_tree)
        attribute(counted, X, target, method, "zeros", n_samples=128, perturbations_per_eval=64)
        assert counted.rows == 128 * n and counted.calls == 2


def test_feature_mask_groups_columns(X, target, surrogate_tree, linear_net):
    mask = np.array([5, 5, 9, 9, 9, 2])  # any labels; columns with one label act as one feature
    fa = attribute(surrogate_tree, X, target, "feature_ablation", "zeros", feature_mask=mask)
    assert np.all(fa[:, 0] == fa[:, 1]) and np.all(fa[:, 2] == fa[:, 4])
    rows = np.arange(len(X))
    Xg = X.copy()
    Xg[:, 2:5] = 0
    p = surrogate_tree.predict_proba
    np.testing.assert_allclose(fa[:, 3], p(X)[rows, target] - p(Xg)[rows, target], atol=1e-6)

    ig = attribute(linear_net, X, target, "integrated_gradients", "zeros", feature_mask=mask, n_steps=4)
    plain = attribute(linear_net, X, target, "integrated_gradients", "zeros", n_steps=4)
    np.testing.assert_allclose(ig[:, 3], plain[:, 2:5].sum(1), atol=1e-6)  # gradient results pooled per group

    with pytest.raises(ValueError, match="feature_mask"):
        attribute(surrogate_tree, X, target, "feature_ablation", feature_mask=np.zeros(D - 1, dtype=int))


def test_patch_feature_mask():
    assert patch_feature_mask((1, 2, 4), patch=2).tolist() == [0, 0, 1, 1, 0, 0, 1, 1]
    mask = patch_feature_mask((2, 3, 3), patch=2)
    assert mask.shape == (18,) and mask.max() == 3 and np.array_equal(mask[:9], mask[9:])


def test_seeded_and_global_rng_untouched(X, target, surrogate_tree, linear_net):
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    a = attribute(surrogate_tree, X, target, "shapley_value_sampling", n_samples=3, seed=1)
    b = attribute(surrogate_tree, X, target, "shapley_value_sampling", n_samples=3, seed=1)
    c = attribute(surrogate_tree, X, target, "shapley_value_sampling", n_samples=3, seed=2)
    g1 = attribute(linear_net, X, target, "gradient_shap", "mean", train_mean=X.mean(0), seed=4)
    g2 = attribute(linear_net, X, target, "gradient_shap", "mean", train_mean=X.mean(0), seed=4)
    assert np.array_equal(a, b) and not np.array_equal(a, c) and np.array_equal(g1, g2)
    assert torch.equal(torch.get_rng_state(), torch_state)
    after = np.random.get_state()
    assert np.array_equal(after[1], np_state[1]) and after[2] == np_state[2]


def test_torch_model_explained_in_eval_mode_and_mode_restored(X, target):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(D, 8), torch.nn.Dropout(0.5), torch.nn.Linear(8, K)).train()
    a = attribute(net, X, target, "integrated_gradients", n_steps=4)
    b = attribute(net, X, target, "feature_ablation")
    assert np.array_equal(a, attribute(net, X, target, "integrated_gradients", n_steps=4))
    assert np.array_equal(b, attribute(net, X, target, "feature_ablation"))
    assert net.training


def test_gradient_method_on_sklearn_model_explains_what_is_allowed(X, target, surrogate_tree):
    with pytest.raises(ValueError) as err:
        attribute(surrogate_tree, X, target, "integrated_gradients")
    msg = str(err.value)
    assert "not differentiable" in msg and "feature_ablation" in msg and "native" in msg
    assert "integrated_gradients, " not in msg.split("available")[1]
    with pytest.raises(ValueError, match="no native attribution"):
        attribute(torch.nn.Linear(D, K), X, target, "native")
    with pytest.raises(ValueError, match="unknown method"):
        attribute(surrogate_tree, X, target, "occlusion")


def test_applicable_methods():
    gradient = [m for m, s in METHODS.items() if s.family == "gradient"]
    assert set(gradient) <= set(applicable_methods(torch.nn.Linear(2, 2)))
    assert "native" not in applicable_methods(torch.nn.Linear(2, 2))
    tree = TreeSurrogate(max_depth=1).fit(np.eye(2), [0, 1])
    assert not set(gradient) & set(applicable_methods(tree)) and "native" in applicable_methods(tree)


def test_resolve_baseline():
    Xb = np.ones((3, 2), np.float32)
    assert resolve_baseline("zeros", Xb).tolist() == [0, 0]
    assert resolve_baseline("mean", Xb, train_mean=[1, 2]).tolist() == [1, 2]
    assert resolve_baseline(0.5, Xb).tolist() == [0.5, 0.5]
    assert resolve_baseline(np.zeros((3, 2)), Xb).shape == (3, 2)
    with pytest.raises(ValueError, match="train_mean"):
        resolve_baseline("mean", Xb)
    with pytest.raises(ValueError, match="shape"):
        resolve_baseline(np.zeros(3), Xb)
    with pytest.raises(ValueError, match="unknown baseline"):
        resolve_baseline("median", Xb)


def test_per_example_baseline(linear_net, X, target):
    B = np.random.default_rng(5).normal(size=X.shape).astype(np.float32)
    W = linear_net.weight.detach().numpy()
    ig = attribute(linear_net, X, target, "integrated_gradients", B, n_steps=4, batch_size=16)
    np.testing.assert_allclose(ig, W[target] * (X - B), atol=1e-4)


def test_attribute_many_skips_inapplicable_pairs(X, target, linear_net, surrogate_tree):
    res = attribute_many({"teacher": linear_net, "tree": surrogate_tree}, X, target,
                         ["integrated_gradients", "feature_ablation", "native"], "mean",
                         train_mean=X.mean(0), progress=False)
    assert list(res) == [("teacher", "integrated_gradients"), ("teacher", "feature_ablation"),
                         ("tree", "feature_ablation"), ("tree", "native")]
    assert all(v.shape == X.shape and v.dtype == np.float64 for v in res.values())
    np.testing.assert_allclose(res[("tree", "feature_ablation")],
                               attribute(surrogate_tree, X, target, "feature_ablation", X.mean(0)))


def test_every_method_has_its_own_runner_and_unknown_names_raise():
    from interpret_distill.attribution import methods

    assert set(methods._RUNNERS) == set(METHODS)
    assert len({id(run) for run in methods._RUNNERS.values()}) == len(METHODS)  # no shared fall-through runner
    # A new gradient method without a runner must not silently run another one (formerly GradientShap).
    with pytest.raises(ValueError, match="smoothgrad.*integrated_gradients, saliency, deeplift, gradient_shap"):
        methods._runner_for(MethodSpec("smoothgrad", "gradient", "logit"))
    with pytest.raises(ValueError, match="occlusion.*feature_ablation"):
        methods._runner_for(MethodSpec("occlusion", "perturbation", "proba"))


@pytest.mark.parametrize("method", ["integrated_gradients", "saliency", "feature_ablation", "kernel_shap", "lime"])
def test_a_small_memory_budget_changes_the_calls_not_the_attributions(method):
    """chunk_mb bounds the rows of each model call; the attributions stay those of one big call."""
    from interpret_distill.models import SmallCNN

    torch.manual_seed(0)
    cnn = SmallCNN((1, 8, 8), 3, channels=[4])
    X = np.random.default_rng(2).normal(size=(12, 64)).astype(np.float32)
    target = np.arange(12) % 3
    mask = patch_feature_mask((1, 8, 8), 4)
    seen = []
    hook = cnn.register_forward_pre_hook(lambda _m, inputs: seen.append(len(inputs[0])))
    kwargs = {"feature_mask": mask} if METHODS[method].family == "perturbation" else {}
    roomy = attribute(cnn, X, target, method, **kwargs, chunk_mb=256)
    seen.clear()
    tight = attribute(cnn, X, target, method, **kwargs, chunk_mb=0.05)  # about 20 rows per call
    hook.remove()
    assert max(seen[1:]) <= 25 < 12 * 4  # the first call is the budget's probe
    np.testing.assert_allclose(tight, roomy, rtol=1e-4, atol=1e-6)
