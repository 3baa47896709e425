r"""Exact, model-specific attributions of the interpretable surrogates ("native" explanations).

Each surrogate's own structure gives an additive decomposition, relative to a baseline ``b``:

* **linear** (``coef_`` ``(k, d)``, ``intercept_``): :math:`\phi_j = w_{tj}\,(x_j - b_j)`. The terms sum to the
  change of the target *logit* :math:`z_t(x) - z_t(b)`.
* **tree** (``decision_path_contributions``): Saabas contributions for the target class, i.e. the change of the
  node mean probability at every split on the path, credited to the split feature. Relative to a baseline the
  baseline's own path contributions are subtracted, so the terms sum to :math:`p_t(x) - p_t(b)`.
* **naive Bayes** (``theta_``, ``var_``, ``class_prior_``): with
  :math:`\ell_{cj}(v) = \log \mathcal N(v;\, \theta_{cj}, \sigma^2_{cj})` and class priors :math:`\pi_c`,

  .. math::
      \phi_j = \big[\ell_{tj}(x_j) - \ell_{tj}(b_j)\big] - \sum_c \pi_c \big[\ell_{cj}(x_j) - \ell_{cj}(b_j)\big].

  Writing :math:`D_t(x) = \log p(t\mid x) - \sum_c \pi_c \log p(c\mid x)` (the target's log-posterior-odds against
  the prior-weighted average class; the evidence :math:`\log p(x)` cancels because :math:`\sum_c \pi_c = 1`),
  the terms sum exactly to :math:`D_t(x) - D_t(b)`.

With ``baseline=None`` each model uses its natural reference: the zero input for linear models (terms sum to
:math:`z_t(x) - b_t`), the root node for trees (plain Saabas, summing to :math:`p_t(x) -` root mean) and "no
feature evidence" for naive Bayes (terms sum to :math:`D_t(x) - [\log\pi_t - \sum_c\pi_c\log\pi_c]`).
Naive-Bayes classes without training mass (prior 0) are left out of the sums; an example whose target is such a
class gets all-zero terms, since its (floor) probability does not depend on the features.

The regression surrogates explain their predicted value :math:`f(x)` (there is one output, so ``target`` is
ignored), relative to the training mean of their target with ``baseline=None``:

* **regression tree** (``"saabas_value"``): Saabas contributions to the predicted value; the terms sum to
  :math:`f(x) -` root mean (the training mean).
* **linear regression** (``"linear_value"``): :math:`\phi_j = w_j\,(x_j - \bar x_j)` with :math:`\bar x` the
  training mean of the features (``x_mean_``), summing to :math:`f(x) - f(\bar x) = f(x) -` the training mean.
* **additive** (``"additive_shapes"``): :math:`\phi_j = s_j(x_j)`, each shape function centred to training
  mean 0, summing to :math:`f(x) -` ``intercept_`` (the training mean).

With a baseline the baseline row's own terms are subtracted, so the terms sum to :math:`f(x) - f(b)`.

A surrogate fitted on image patch features (``image_features.PatchSurrogate``) is decomposed on those features, and
each patch's terms (its mean's and contrast's) are divided equally among the pixels the patch covers, so the pixel
terms sum to the same total.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .forward import check_inputs, check_targets


def native_kind(model: Any) -> str | None:
    """Which native decomposition applies to ``model``: the one its class declares, else duck-typed on its attributes.

    The surrogates declare theirs (``native_decomposition``); the duck-typed fallback covers estimators from
    elsewhere with the same fitted attributes (e.g. scikit-learn's ``LogisticRegression`` has ``coef_``).

    Args:
        model: any model.

    Returns:
        A key of :data:`DECOMPOSITIONS` (``"linear_terms"``, ``"saabas"``, ``"gaussian_evidence"``), or ``None``
        when the model has no native attribution.

    Example:
        >>> native_kind(object()) is None
        True
    """
    declared = getattr(type(model), "native_decomposition", None)
    if declared is not None:
        return declared
    if hasattr(model, "decision_path_contributions"):
        return "saabas"
    if all(hasattr(model, a) for a in ("theta_", "var_", "class_prior_")):
        return "gaussian_evidence"
    if hasattr(model, "coef_") and hasattr(model, "intercept_") and hasattr(model, "predict_proba"):
        return "linear_terms"
    return None


def native_attribution(model: Any, X: np.ndarray, target: np.ndarray, baseline: np.ndarray | None = None
                       ) -> np.ndarray:
    """Exact additive attribution of a surrogate's target output (see the module docstring for the formulas).

    Args:
        model: a ``LinearSurrogate``, ``TreeSurrogate`` or ``NaiveBayesSurrogate`` (or anything with the same
            fitted attributes), or a regression surrogate (``TreeSurrogateRegressor``,
            ``LinearSurrogateRegressor``, ``AdditiveSurrogateRegressor``).
        X: ``(n, d)`` inputs.
        target: ``(n,)`` class index explained for each example; ignored (may be ``None``) for a regressor.
        baseline: ``(d,)`` or ``(n, d)`` reference input, or ``None`` for the model's natural reference.

    Returns:
        ``(n, d)`` float64 attributions. Linear: target-logit terms; tree: target-probability terms;
        naive Bayes: log-likelihood-ratio terms of :math:`D_t`; regressors: terms of the predicted value.

    Example:
        >>> lin = LinearSurrogate().fit(X, teacher_proba)  # doctest: +SKIP
        >>> phi = native_attribution(lin, X, target, baseline=np.zeros(X.shape[1]))  # doctest: +SKIP
        >>> logit_t = (X @ lin.coef_.T)[np.arange(len(X)), target]  # doctest: +SKIP
        >>> np.allclose(phi.sum(1), logit_t)  # doctest: +SKIP
        True
    """
    kind = native_kind(model)
    if kind is None:
        raise ValueError(
            f"{type(model).__name__} has no native attribution: expected a linear (coef_/intercept_), tree "
            "(decision_path_contributions) or naive-Bayes (theta_/var_/class_prior_) surrogate"
        )
    if kind in VALUE_DECOMPOSITIONS:  # a regressor: one output, no target to check
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (n, d), got shape {X.shape}")
    else:
        X, target = check_inputs(X, target, dtype=np.float64)
    n, d = X.shape
    b = None
    if baseline is not None:
        b = np.asarray(baseline, dtype=np.float64)
        if b.shape not in ((d,), (1, d), (n, d)):
            raise ValueError(f"baseline must have shape ({d},) or ({n}, {d}), got {b.shape}")
        b = np.broadcast_to(b.reshape(-1, d), (n, d))

    return DECOMPOSITIONS[kind](model, X, target, b)


def _linear(model: Any, X: np.ndarray, target: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    coef = np.asarray(model.coef_, dtype=np.float64)
    if coef.ndim != 2 or coef.shape[1] != X.shape[1]:
        raise ValueError(f"coef_ must have shape (k, {X.shape[1]}), got {coef.shape}")
    check_targets(target, coef.shape[0])
    w = coef[target]  # (n, d)
    return w * (X if b is None else X - b)


def _minus_baseline(terms, X: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """``terms(X)`` minus the terms of each row's baseline (computed once per distinct baseline row).

    Subtracting the baseline's terms turns "relative to the natural reference" into "relative to the baseline".
    """
    phi = np.asarray(terms(X), dtype=np.float64)
    if b is None:
        return phi
    uniq, inverse = np.unique(b, axis=0, return_inverse=True)
    return phi - np.asarray(terms(uniq), dtype=np.float64)[inverse.reshape(-1)]


def _tree(model: Any, X: np.ndarray, target: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    contrib = _minus_baseline(model.decision_path_contributions, X, b)  # (n, d, k)
    check_targets(target, contrib.shape[2])
    return contrib[np.arange(len(X)), :, target]


def _tree_value(model: Any, X: np.ndarray, target: Any, b: np.ndarray | None) -> np.ndarray:
    return _minus_baseline(model.decision_path_contributions, X, b)


def _linear_value(model: Any, X: np.ndarray, target: Any, b: np.ndarray | None) -> np.ndarray:
    return np.asarray(model.coef_, dtype=np.float64) * (X - (model.x_mean_ if b is None else b))


def _additive(model: Any, X: np.ndarray, target: Any, b: np.ndarray | None) -> np.ndarray:
    return _minus_baseline(model.shape_contributions, X, b)


def _naive_bayes(model: Any, X: np.ndarray, target: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    theta = np.asarray(model.theta_, dtype=np.float64)  # (k, d)
    var = np.asarray(model.var_, dtype=np.float64)
    prior = np.asarray(model.class_prior_, dtype=np.float64)  # (k,)
    check_targets(target, theta.shape[0])
    # Classes without training mass (prior 0, NaN parameters in NaiveBayesSurrogate) get a constant floor
    # probability: they carry no feature evidence, so they are left out (their weight is 0 anyway).
    present = (prior > 0) & np.isfinite(theta).all(axis=1) & np.isfinite(var).all(axis=1)
    safe_theta, safe_var = np.where(present[:, None], theta, 0.0), np.where(present[:, None], var, 1.0)
    ll = _gaussian_loglik(X, safe_theta, safe_var)  # (n, k, d)
    if b is not None:
        ll = ll - _gaussian_loglik(b, safe_theta, safe_var)
    ll[:, ~present, :] = 0.0
    # Target's evidence minus the prior-weighted average class's evidence, feature by feature.
    phi = ll[np.arange(len(X)), target, :] - np.einsum("c,ncd->nd", np.where(present, prior, 0.0), ll)
    phi[~present[target]] = 0.0  # an absent target's probability does not depend on the features
    return phi


def _on_image_features(model: Any, X: np.ndarray, target: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """A surrogate fitted on features derived from the inputs (``PatchSurrogate``): its own decomposition on those
    features (of ``X`` and of the baseline rows), spread back onto the input columns by ``model.to_inputs``."""
    inner = native_attribution(model.surrogate, model.features(X), target, None if b is None else model.features(b))
    return model.to_inputs(inner)


# A surrogate's `native_decomposition` -> decomposition(model, X, target, baseline rows or None).
# The regressors' decompositions explain their one predicted value and ignore `target`.
VALUE_DECOMPOSITIONS = {"saabas_value": _tree_value, "linear_value": _linear_value, "additive_shapes": _additive}
DECOMPOSITIONS = {"linear_terms": _linear, "saabas": _tree, "gaussian_evidence": _naive_bayes,
                  "image_features": _on_image_features, **VALUE_DECOMPOSITIONS}


def _gaussian_loglik(X: np.ndarray, theta: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Per-feature Gaussian log-densities ``(n, k, d)`` of every class."""
    diff = X[:, None, :] - theta[None, :, :]
    return -0.5 * (np.log(2.0 * np.pi * var)[None] + diff**2 / var[None])

