"""The linear surrogate (interpret_distill.surrogates.linear): multinomial logistic regression on soft labels."""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax

from interpret_distill.surrogates import LinearSurrogate


def test_linear_soft_fit_minimises_soft_cross_entropy():
    rng = np.random.default_rng(0)
    n, d, k, C = 40, 3, 3, 50.0
    X = rng.normal(size=(n, d))
    P = rng.dirichlet(np.ones(k), size=n)
    sw = rng.uniform(0.5, 2.0, size=n)

    def objective(theta):
        W, b = theta[: k * d].reshape(k, d), theta[k * d:]
        logq = log_softmax(X @ W.T + b, axis=1)
        residual = (softmax(X @ W.T + b, axis=1) - P) * sw[:, None]
        loss = -(sw[:, None] * P * logq).sum() + (W ** 2).sum() / (2 * C)
        grad_w = residual.T @ X + W / C
        return loss, np.concatenate([grad_w.ravel(), residual.sum(axis=0)])

    res = minimize(objective, np.zeros(k * d + k), jac=True, method="L-BFGS-B",
                   options={"gtol": 1e-10, "ftol": 1e-14, "maxiter": 5000})
    W, b = res.x[: k * d].reshape(k, d), res.x[k * d:]
    expected = softmax(X @ W.T + b, axis=1)

    lin = LinearSurrogate(C=C, tol=1e-8).fit(X, P, sample_weight=sw)
    np.testing.assert_allclose(lin.predict_proba(X), expected, atol=1e-3)


@pytest.mark.parametrize("k", [2, 3, 5])
@pytest.mark.parametrize("soft", [True, False])
def test_linear_coef_intercept_reproduce_predict_proba(k, soft):
    rng = np.random.default_rng(k)
    X = rng.normal(size=(60, 4)).astype(np.float32)
    y = rng.dirichlet(np.ones(k), size=60) if soft else rng.integers(0, k, size=60)
    lin = LinearSurrogate().fit(X, y)
    assert lin.coef_.shape == (k, 4) and lin.intercept_.shape == (k,)
    logits = X.astype(np.float64) @ lin.coef_.T + lin.intercept_
    np.testing.assert_allclose(lin.predict_proba(X), softmax(logits, axis=1),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lin.predict_proba(X), lin.estimator_.predict_proba(X),
                               atol=1e-6)



def test_complexity_counts_coefficients():
    rng = np.random.default_rng(4)
    Xm = rng.normal(size=(50, 6))
    y = rng.integers(0, 3, size=50)
    sparse = LinearSurrogate(C=1e-4, l1_ratio=1.0).fit(Xm, y)
    assert sparse.complexity_ == {"nonzero_coefficients": 0, "coefficients": 18}
    assert sparse.complexity_score_ == 0
    dense = LinearSurrogate(C=1.0).fit(Xm, y)
    assert dense.complexity_ == {"nonzero_coefficients": 18, "coefficients": 18}
    # Binary: sklearn's single weight row is the parameter count.
    binary = LinearSurrogate().fit(Xm, y % 2)
    assert binary.complexity_["coefficients"] == 6
    assert binary.coef_.shape == (2, 6)
