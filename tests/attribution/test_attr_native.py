"""Native (exact) attributions of the real surrogates: each must decompose the quantity it documents."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

from interpret_distill.attribution import attribute, native_attribution, native_kind
from interpret_distill.surrogates import (
    AdditiveSurrogateRegressor,
    LinearSurrogate,
    LinearSurrogateRegressor,
    NaiveBayesSurrogate,
    TreeSurrogate,
    TreeSurrogateRegressor,
)


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4)).astype(np.float32)
    proba = _softmax(X @ rng.normal(size=(4, 3)) + rng.normal(size=3) * 0.3)  # a soft "teacher"
    return X, proba, proba.argmax(axis=1)


def test_native_kind_is_declared_by_the_surrogates_and_duck_typed_otherwise(data):
    X, P, _ = data
    # the decomposition's name (a key of native.DECOMPOSITIONS), as each surrogate class declares it
    assert native_kind(LinearSurrogate().fit(X, P)) == "linear_terms"
    assert native_kind(TreeSurrogate(max_depth=2).fit(X, P)) == "saabas"
    assert native_kind(NaiveBayesSurrogate().fit(X, P)) == "gaussian_evidence"
    assert native_kind(torch.nn.Linear(4, 3)) is None
    # estimators from elsewhere with the same fitted attributes
    y = P.argmax(axis=1)
    assert native_kind(LogisticRegression().fit(X, y)) == "linear_terms"
    assert native_kind(GaussianNB().fit(X, y)) == "gaussian_evidence"
    assert native_kind(object()) is None


def test_linear_native_is_exact_logit_decomposition(data):
    X, P, t = data
    lin = LinearSurrogate(C=10.0).fit(X, P)
    b = X.mean(axis=0) + 0.5
    phi = native_attribution(lin, X, t, b)
    np.testing.assert_allclose(phi, lin.coef_[t] * (X - b), rtol=1e-6, atol=1e-9)
    logits = lambda Z: Z.astype(np.float64) @ lin.coef_.T + lin.intercept_  # noqa: E731
    rows = np.arange(len(X))
    np.testing.assert_allclose(phi.sum(1), logits(X)[rows, t] - logits(b[None])[0, t], atol=1e-9)
    # The surrogate really is that softmax, so this is the decomposition of *its* target logit.
    np.testing.assert_allclose(lin.predict_proba(X), _softmax(logits(X)), atol=1e-9)


def test_linear_native_matches_integrated_gradients_of_same_torch_model(data):
    X, P, t = data
    lin = LinearSurrogate(C=10.0).fit(X, P)
    net = torch.nn.Linear(4, 3).double().float()
    with torch.no_grad():
        net.weight.copy_(torch.as_tensor(lin.coef_, dtype=torch.float32))
        net.bias.copy_(torch.as_tensor(lin.intercept_, dtype=torch.float32))
    b = np.full(4, -0.3, dtype=np.float32)
    ig = attribute(net, X, t, "integrated_gradients", b, n_steps=8)
    native = attribute(lin, X, t, "native", b)  # the registry route of native_attribution
    np.testing.assert_allclose(native, ig, atol=1e-4)


def test_depth_one_tree_credits_only_its_split_feature(data):
    X, _, _ = data
    labels = (X[:, 2] > 0.1).astype(int)
    tree = TreeSurrogate(max_depth=1).fit(X, labels)
    split = int(tree.estimator_.tree_.feature[0])
    assert split == 2
    target = np.ones(len(X), dtype=int)
    others = [j for j in range(4) if j != split]

    saabas = native_attribution(tree, X, target, None)  # root-relative Saabas
    assert np.all(saabas[:, others] == 0) and np.any(saabas[:, split] != 0)
    raw = tree.node_proba_[tree.estimator_.apply(X), 1]
    np.testing.assert_allclose(saabas.sum(1), raw - tree.bias_[1], atol=1e-12)

    b = np.zeros(4, dtype=np.float32)  # baseline-relative: sums to p(x) - p(baseline)
    rel = native_attribution(tree, X, target, b)
    assert np.all(rel[:, others] == 0)
    np.testing.assert_allclose(rel.sum(1), raw - tree.node_proba_[tree.estimator_.apply(b[None])[0], 1], atol=1e-12)

    ablation = attribute(tree, X, target, "feature_ablation", b)
    assert np.all(ablation[:, others] == 0) and np.any(ablation[:, split] != 0)
    # Single split: ablating it is exactly the native baseline-relative term.
    np.testing.assert_allclose(ablation[:, split], rel[:, split], atol=1e-6)


def _log_odds_vs_average(nb, Z, target):
    """D_t(z) = log p(t|z) - sum_c pi_c log p(c|z), from the surrogate's own predict_proba."""
    logp = np.log(nb.predict_proba(Z))
    return logp[np.arange(len(Z)), target] - logp @ nb.class_prior_


def test_naive_bayes_terms_sum_to_change_of_log_posterior_odds_vs_average_class(data):
    X, P, t = data
    nb = NaiveBayesSurrogate().fit(X, P)
    b = np.array([0.2, -0.1, 0.0, 0.3], dtype=np.float32)
    phi = native_attribution(nb, X, t, b)
    expected = _log_odds_vs_average(nb, X, t) - _log_odds_vs_average(nb, np.repeat(b[None], len(X), 0), t)
    np.testing.assert_allclose(phi.sum(1), expected, atol=1e-6)

    # Without a baseline the reference is "no feature evidence": only the prior term remains.
    pi = nb.class_prior_
    prior_term = np.log(pi[t]) - pi @ np.log(pi)
    np.testing.assert_allclose(native_attribution(nb, X, t, None).sum(1), _log_odds_vs_average(nb, X, t) - prior_term,
                               atol=1e-6)


def test_naive_bayes_absent_class_is_ignored_without_nans(data):
    X, P, _ = data
    P3 = np.column_stack([P[:, :2] / P[:, :2].sum(1, keepdims=True), np.zeros(len(P))])  # class 2 never seen
    nb = NaiveBayesSurrogate().fit(X, P3)
    assert nb.absent_classes_[2]
    t = np.array([0, 1, 2] * 50)
    phi = native_attribution(nb, X, t, np.zeros(4))
    assert np.isfinite(phi).all()
    assert np.all(phi[t == 2] == 0)
    present = t != 2
    expected = _log_odds_vs_average(nb, X, t) - _log_odds_vs_average(nb, np.zeros((len(X), 4)), t)
    np.testing.assert_allclose(phi[present].sum(1), expected[present], atol=1e-5)


def test_native_rejects_models_without_structure_and_bad_shapes(data):
    X, P, t = data
    with pytest.raises(ValueError, match="no native attribution"):
        native_attribution(object(), X, t)
    lin = LinearSurrogate().fit(X, P)
    with pytest.raises(ValueError, match="baseline"):
        native_attribution(lin, X, t, np.zeros(3))
    with pytest.raises(ValueError, match="target classes"):
        native_attribution(lin, X, np.full(len(X), 7), None)


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, size=(200, 3))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2 - X[:, 2]
    return X, y, rng.uniform(-2, 2, size=(30, 3))


REGRESSORS = [TreeSurrogateRegressor(max_depth=4, random_state=0), LinearSurrogateRegressor(alpha=0.01),
              AdditiveSurrogateRegressor(smoothing=0.1)]


@pytest.mark.parametrize("model", REGRESSORS, ids=lambda m: m.kind)
def test_regressor_terms_sum_to_the_prediction_minus_the_training_mean(regression, model):
    X, y, X_new = regression
    model.fit(X, y)
    phi = native_attribution(model, X_new, None)  # one output: no target
    assert phi.shape == (30, 3)
    np.testing.assert_allclose(phi.sum(axis=1), model.predict(X_new) - y.mean(), atol=1e-9)
    np.testing.assert_array_equal(native_attribution(model, X_new, np.full(30, 5)), phi)  # a target is ignored
    # relative to a baseline row the terms sum to the change of the prediction
    b = X[7]
    phi_b = native_attribution(model, X_new, None, baseline=b)
    np.testing.assert_allclose(phi_b.sum(axis=1), model.predict(X_new) - model.predict(b[None])[0], atol=1e-9)


def test_regressor_terms_have_their_closed_forms(regression):
    X, y, X_new = regression
    lin = LinearSurrogateRegressor(alpha=0.01).fit(X, y)
    np.testing.assert_allclose(native_attribution(lin, X_new, None), lin.coef_ * (X_new - X.mean(axis=0)))
    gam = AdditiveSurrogateRegressor().fit(X, y)
    np.testing.assert_allclose(native_attribution(gam, X_new, None)[:, 1], gam.shape_function(1, X_new[:, 1]))
    # a depth-1 tree credits the whole change from the root mean to its one split feature
    stump = TreeSurrogateRegressor(max_depth=1).fit(X, y)
    split = stump.estimator_.tree_.feature[0]
    phi = native_attribution(stump, X_new, None)
    np.testing.assert_allclose(phi[:, split], stump.predict(X_new) - y.mean())
    assert not np.delete(phi, split, axis=1).any()
    assert [native_kind(m) for m in (stump, lin, gam)] == ["saabas_value", "linear_value", "additive_shapes"]


def test_regressor_native_rejects_bad_shapes(regression):
    X, y, _ = regression
    lin = LinearSurrogateRegressor().fit(X, y)
    with pytest.raises(ValueError, match=r"X must be 2-D"):
        native_attribution(lin, X[0], None)
    with pytest.raises(ValueError, match="baseline"):
        native_attribution(lin, X, None, np.zeros(2))
