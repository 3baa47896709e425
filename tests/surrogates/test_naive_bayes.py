"""The naive-Bayes surrogate (interpret_distill.surrogates.naive_bayes): soft memberships, conditional refit."""

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.naive_bayes import GaussianNB

from interpret_distill.surrogates import NaiveBayesSurrogate
from interpret_distill.surrogates.naive_bayes import _nb_conditional_loss


def test_naive_bayes_matches_gaussian_nb_on_expanded_rows():
    # The per-class partial_fit shortcut must equal the literal row expansion.
    rng = np.random.default_rng(1)
    n, d, k = 30, 4, 3
    X = rng.normal(size=(n, d))
    P = rng.dirichlet(np.ones(k), size=n)
    sw = rng.uniform(0.5, 2.0, size=n)
    nb = NaiveBayesSurrogate().fit(X, P, sample_weight=sw)
    ref = GaussianNB().fit(np.tile(X, (k, 1)), np.repeat(np.arange(k), n),
                           sample_weight=(P * sw[:, None]).T.ravel())
    np.testing.assert_allclose(nb.theta_, ref.theta_, rtol=1e-9)
    np.testing.assert_allclose(nb.var_, ref.var_, rtol=1e-9)
    np.testing.assert_allclose(nb.class_prior_, ref.class_prior_, rtol=1e-9)
    np.testing.assert_allclose(nb.predict_proba(X), ref.predict_proba(X), atol=1e-9)


def _correlated_linear_teacher():
    # Two strongly correlated features and a linear teacher: naive Bayes' moment
    # estimates ignore the correlation and misplace the boundary, but a Gaussian
    # NB with equal variances has a linear boundary, so some parameters fit it.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2)) @ np.array([[1.0, 0.0], [0.9, 0.45]])
    return X, (X[:, 0] > 0.5 * X[:, 1]).astype(int)


def test_conditional_naive_bayes_fits_the_boundary_the_moments_miss():
    X, y = _correlated_linear_teacher()
    generative = NaiveBayesSurrogate().fit(X, y)
    conditional = NaiveBayesSurrogate(objective="conditional").fit(X, y)
    assert generative.score(X, y) < 0.9
    assert conditional.score(X, y) >= 0.99
    assert conditional.converged_ and 0 < conditional.n_iter_ <= 300
    assert generative.n_iter_ == 1


def test_conditional_naive_bayes_lowers_the_divergence_from_soft_labels():
    X, _ = _correlated_linear_teacher()
    P = softmax(np.column_stack([X[:, 0] - 0.5 * X[:, 1], np.zeros(len(X)), -X[:, 1]]), axis=1)
    def kl(model):  # KL(target || model), mean over rows
        return (P * (np.log(P) - np.log(model.predict_proba(X)))).sum(axis=1).mean()
    generative = NaiveBayesSurrogate(var_smoothing=0.01).fit(X, P)
    conditional = NaiveBayesSurrogate(var_smoothing=0.01, objective="conditional").fit(X, P)
    assert kl(conditional) < 0.01 * kl(generative), (kl(conditional), kl(generative))
    # variances respect the smoothing floor; predict_proba is still the NB formula
    assert (conditional.var_ >= conditional.estimator_.epsilon_ * (1 - 1e-9)).all()
    log_joint = (np.log(conditional.class_prior_)
                 - 0.5 * np.log(2 * np.pi * conditional.var_).sum(axis=1)
                 - 0.5 * ((X[:, None, :] - conditional.theta_) ** 2 / conditional.var_).sum(axis=2))
    np.testing.assert_allclose(conditional.predict_proba(X), softmax(log_joint, axis=1), atol=1e-9)


def test_conditional_naive_bayes_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    n, d, k = 7, 3, 4
    X, target = rng.normal(size=(n, d)), rng.dirichlet(np.ones(k), size=n)
    w = rng.uniform(0.5, 2.0, size=n)
    w /= w.sum()
    theta0, log_var0 = rng.normal(size=(k, d)), rng.normal(scale=0.3, size=(k, d))
    params = rng.normal(scale=0.5, size=2 * k * d + k)
    loss, grad = _nb_conditional_loss(params, X, target, w, theta0, log_var0, 0.3)
    step = 1e-6
    numeric = np.array([
        (_nb_conditional_loss(params + step * e, X, target, w, theta0, log_var0, 0.3)[0]
         - _nb_conditional_loss(params - step * e, X, target, w, theta0, log_var0, 0.3)[0]) / (2 * step)
        for e in np.eye(len(params))])
    np.testing.assert_allclose(grad, numeric, atol=1e-7)
    # by hand: one row, one feature, two classes at the anchor, uniform target
    one = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # theta, u, b for classes 0 and 1
    loss, grad = _nb_conditional_loss(one, np.array([[1.0]]), np.array([[0.5, 0.5]]),
                                      np.array([1.0]), np.zeros((2, 1)), np.zeros((2, 1)), 1.0)
    assert loss == pytest.approx(np.log(2)) and np.allclose(grad, 0.0)


def test_conditional_anchor_pulls_towards_the_moment_estimates():
    X, y = _correlated_linear_teacher()
    moments = NaiveBayesSurrogate().fit(X, y)
    def distance(anchor):
        nb = NaiveBayesSurrogate(objective="conditional", anchor=anchor).fit(X, y)
        return np.abs(nb.theta_ - moments.theta_).sum()
    assert distance(1e4) < 0.1 * distance(0.0)


@pytest.mark.parametrize("X", [np.ones((5, 2)), np.array([[0.3, -1.0]])])
def test_naive_bayes_refuses_rows_without_variance(X):
    with pytest.raises(ValueError, match="every feature is constant"):
        NaiveBayesSurrogate().fit(X, np.tile([0.2, 0.8], (len(X), 1)))



def test_complexity_counts_means_variances_and_priors():
    rng = np.random.default_rng(4)
    Xm = rng.normal(size=(50, 6))
    nb = NaiveBayesSurrogate().fit(Xm, rng.integers(0, 3, size=50))
    assert nb.complexity_ == {"parameters": 2 * 3 * 6 + 3}
    assert nb.complexity_score_ == 39
