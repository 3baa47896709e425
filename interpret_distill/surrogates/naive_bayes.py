"""The naive-Bayes surrogate: Gaussian class-conditionals with soft memberships, optionally refitted for agreement."""

from __future__ import annotations

from numbers import Real

import numpy as np
from scipy.optimize import minimize
from sklearn.naive_bayes import GaussianNB
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import FLOOR, Count, SurrogateBase, floor_absent


def _nb_conditional_loss(params, X, target, w, theta0, log_var0, anchor):
    """Soft cross-entropy of a Gaussian naive Bayes and its gradient.

    ``params`` packs the class means ``theta`` (k, d), log-variances ``u`` (k, d) and
    prior logits ``b`` (k,). The model's class scores are
    ``z_ic = b_c - 1/2 sum_j [u_cj + (x_ij - theta_cj)^2 / exp(u_cj)]`` (the constant
    ``log 2 pi`` cancels in the softmax), and the loss is
    ``-sum_i w_i sum_c target_ic log softmax(z_i)_c`` plus
    ``anchor / 2 * (|theta - theta0|^2 + |u - log_var0|^2)``.

    Args:
        params: Flat parameter vector of length ``2 * k * d + k``.
        X: Features, ``(n, d)`` float64.
        target: Class probabilities, ``(n, k)``, rows summing to 1.
        w: Row weights, ``(n,)``, summing to 1.
        theta0: Means the penalty pulls towards, ``(k, d)``.
        log_var0: Log-variances the penalty pulls towards, ``(k, d)``.
        anchor: Penalty strength (0: none).

    Returns:
        ``(loss, gradient)``, the gradient flat like ``params``.
    """
    k, d = theta0.shape
    theta = params[:k * d].reshape(k, d)
    u = params[k * d:2 * k * d].reshape(k, d)
    b = params[2 * k * d:]
    inv_var = np.exp(-u)
    z = b - 0.5 * (u.sum(axis=1) + (X ** 2) @ inv_var.T - 2 * X @ (theta * inv_var).T
                   + (theta ** 2 * inv_var).sum(axis=1))
    z -= z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    loss = -(w[:, None] * target * log_p).sum()
    G = w[:, None] * (np.exp(log_p) - target)  # d loss / d z
    g = G.sum(axis=0)
    GX, GX2 = G.T @ X, G.T @ (X ** 2)
    d_theta = (GX - g[:, None] * theta) * inv_var
    # d z / d u_cj = -1/2 + 1/2 (x_j - theta_cj)^2 / var_cj
    d_u = -0.5 * g[:, None] + 0.5 * (GX2 - 2 * theta * GX + theta ** 2 * g[:, None]) * inv_var
    if anchor:
        loss += 0.5 * anchor * (((theta - theta0) ** 2).sum() + ((u - log_var0) ** 2).sum())
        d_theta += anchor * (theta - theta0)
        d_u += anchor * (u - log_var0)
    return loss, np.concatenate([d_theta.ravel(), d_u.ravel(), g])


class NaiveBayesSurrogate(SurrogateBase):
    """Gaussian naive-Bayes surrogate with soft class memberships.

    Each class's Gaussian is fitted on all samples weighted by ``p_ij *
    sample_weight_i`` and its prior is its share of the total mass. This is
    ``GaussianNB`` on the rows repeated once per class, computed with one
    ``partial_fit`` per class so the ``n * k`` expanded rows are never built.

    Those moment estimates maximise the *joint* likelihood of features and
    classes, so soft labels barely move them: the class means and variances are
    nearly the same whatever the teacher's confidence. ``objective="conditional"``
    then refits the same parameters (means, variances, priors) by L-BFGS to
    minimise the soft cross-entropy between the targets and the model's
    posterior, i.e. to agree with the teacher. The model stays a Gaussian naive
    Bayes, read the same way; ``anchor`` pulls the means and log-variances
    towards the moment estimates (keeping them readable as class prototypes)
    and variances never fall below the ``var_smoothing`` floor. ``max_iter``
    bounds the refit like an epoch budget (``converged_`` says whether it
    stopped earlier); on digits, 300 iterations on 5,000 rows take under a second.

    A class whose share of the mass is at most 1e-6 is treated as absent:
    ``GaussianNB`` cannot estimate its Gaussian (it silently keeps mean 0 and a
    near-zero variance, which would dominate near the origin), so the class gets
    the 1e-6 probability floor and ``NaN`` rows in ``theta_``/``var_``.

    Args:
        var_smoothing: Share of the largest feature variance added to all variances.
        objective: ``"generative"`` (the moment estimates) or ``"conditional"``
            (refitted for the soft conditional likelihood, starting from them).
        anchor: L2 pull of the conditional refit towards the moment estimates,
            against the cross-entropy summed over rows (weights scaled to mean 1),
            so its relative pull shrinks as data grow; 0 lets the parameters move freely.
        max_iter: L-BFGS iterations of the conditional refit.

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted ``GaussianNB``; its ``classes_`` are the indices
            (into ``classes_``) of the classes with mass. With the conditional
            objective its ``theta_``, ``var_`` and ``class_prior_`` are the refitted ones.
        theta_: ``(k, d)`` class means.
        var_: ``(k, d)`` class variances (smoothing included).
        class_prior_: ``(k,)`` class priors.
        n_iter_: L-BFGS iterations of the refit; 1 for the generative objective
            (its one closed-form step).
        converged_: Whether the refit met L-BFGS's tolerance within ``max_iter``
            (always true for the generative objective).
        absent_classes_: ``(k,)`` bool, classes treated as absent (see above).
        complexity_: ``{"parameters": 2*k*d + k}``.
        complexity_score_: Number of parameters.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0], [0.2], [2.0], [2.2]])
        >>> P = np.array([[1.0, 0.0], [0.8, 0.2], [0.2, 0.8], [0.0, 1.0]])
        >>> nb = NaiveBayesSurrogate().fit(X, P)
        >>> nb.class_prior_.tolist()
        [0.5, 0.5]
        >>> nb.complexity_
        {'parameters': 6}
    """

    kind = "naive_bayes"
    title = "Naive Bayes"
    complexity_unit = "parameters"
    default_grid = tuple({"var_smoothing": v} for v in (1e-9, 1e-7, 1e-5, 1e-3, 1e-1))
    native_decomposition = "gaussian_evidence"
    _parameter_constraints = {
        "var_smoothing": [Interval(Real, 0, None, closed="left")],
        "objective": [StrOptions({"generative", "conditional"})],
        "anchor": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Count(1)],
    }

    def __init__(self, var_smoothing=1e-9, objective="generative", anchor=1.0, max_iter=300):
        self.var_smoothing = var_smoothing
        self.objective = objective
        self.anchor = anchor
        self.max_iter = max_iter

    def _fit_soft(self, X, proba, sw):
        if not np.ptp(X, axis=0).any():  # every variance and GaussianNB's floor would be 0: NaN probabilities
            raise ValueError("every feature is constant over the fitting rows (one sample, or identical rows), "
                             "so the Gaussians have no variance; fit naive Bayes on rows where some feature varies.")
        k = proba.shape[1]
        weights = proba * sw[:, None]
        # NB's estimates are invariant to the weights' scale; normalising to unit
        # total makes the mass threshold relative.
        weights /= weights.sum()
        present = np.flatnonzero(weights.sum(axis=0) > FLOOR)
        self.absent_classes_ = np.ones(k, dtype=bool)
        self.absent_classes_[present] = False

        self.estimator_ = GaussianNB(var_smoothing=self.var_smoothing)
        for j in present:
            self.estimator_.partial_fit(X, np.full(X.shape[0], j), classes=present,
                                        sample_weight=weights[:, j])
        self.n_iter_, self.converged_ = 1, True
        if self.objective == "conditional" and len(present) > 1:
            self._refit_conditional(np.asarray(X, dtype=np.float64), weights[:, present], sw.sum())
        d = X.shape[1]
        self.theta_ = np.full((k, d), np.nan)
        self.var_ = np.full((k, d), np.nan)
        self.class_prior_ = np.zeros(k)
        self.theta_[present] = self.estimator_.theta_
        self.var_[present] = self.estimator_.var_
        self.class_prior_[present] = self.estimator_.class_prior_
        self.complexity_ = {"parameters": int(2 * k * d + k)}
        self.complexity_score_ = self.complexity_["parameters"]

    def _refit_conditional(self, X, weights, total_weight):
        """Refit ``estimator_``'s parameters for the soft cross-entropy (see the class doc)."""
        row_mass = weights.sum(axis=1)
        rows = row_mass > 0
        X, w = X[rows], row_mass[rows]
        target = weights[rows] / w[:, None]
        est = self.estimator_
        theta0, log_var0 = est.theta_, np.log(est.var_)
        k, d = theta0.shape
        # w sums to 1, so the loss is a mean over rows: divide the anchor by the total
        # sample weight (n when unweighted) to make it a prior against the summed loss
        # (like C in LogisticRegression), so an integer weight acts as repeated rows.
        anchor = self.anchor / total_weight
        floor = np.log(est.epsilon_) if est.epsilon_ > 0 else None
        bounds = [(None, None)] * (k * d) + [(floor, None)] * (k * d) + [(None, None)] * k
        start = np.concatenate([theta0.ravel(), log_var0.ravel(), np.log(est.class_prior_)])
        result = minimize(_nb_conditional_loss, start, args=(X, target, w, theta0, log_var0, anchor),
                          jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": self.max_iter})
        est.theta_ = result.x[:k * d].reshape(k, d)
        est.var_ = np.exp(result.x[k * d:2 * k * d].reshape(k, d))
        b = result.x[2 * k * d:]
        prior = np.exp(b - b.max())
        est.class_prior_ = prior / prior.sum()
        self.n_iter_, self.converged_ = int(result.nit), bool(result.success)

    def _predict_proba(self, X):
        p = np.zeros((X.shape[0], len(self.classes_)))
        p[:, ~self.absent_classes_] = self.estimator_.predict_proba(X)
        return floor_absent(p, self.absent_classes_)
