"""Tests for interpret_distill.surrogates (soft-label interpretable surrogates)."""

import ast
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize
from scipy.special import log_softmax, softmax
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.utils.estimator_checks import parametrize_with_checks
from threadpoolctl import threadpool_limits

from interpret_distill import surrogates
from interpret_distill.surrogates import (
    SURROGATES,
    LinearSurrogate,
    NaiveBayesSurrogate,
    TreeSurrogate,
    _best_depth2,
    _best_stump,
    _fringe_cuts,
    _nb_conditional_loss,
    _node_depths,
    _node_means,
    build_surrogate,
)

KINDS = sorted(SURROGATES)


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    # The problems here are tiny: on a shared 2-core machine BLAS threads only add
    # contention (lbfgs fits were 10-30x slower with them).
    with threadpool_limits(limits=1):
        yield


# --------------------------------------------------------------------------- #
# scikit-learn API compliance
# --------------------------------------------------------------------------- #
# Every check passes, so no `expected_failed_checks` are declared. The L1
# instance uses a tight `tol`: saga is stochastic, and weighted vs. repeated
# samples (check_sample_weight_equivalence_on_dense_data) only agree to the
# check's rtol=1e-7 once the solver has converged that far; on the checks'
# unscaled data that tol is not always reached, hence the ignored warning.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks([
    TreeSurrogate(),
    TreeSurrogate(max_depth=3, random_state=0),
    TreeSurrogate(max_depth=3, criterion="entropy", random_state=0),
    TreeSurrogate(max_depth=3, random_state=0, refine_passes=3),
    TreeSurrogate(max_depth=4, criterion="entropy", random_state=0, refine_passes=3),
    TreeSurrogate(max_depth=4, criterion="entropy", random_state=0, refine_passes=2, fringe_cuts=4),
    LinearSurrogate(),
    LinearSurrogate(C=0.5, l1_ratio=1.0, tol=1e-10),
    NaiveBayesSurrogate(),
    NaiveBayesSurrogate(objective="conditional", max_iter=50),
])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --------------------------------------------------------------------------- #
# Soft labels are really used
# --------------------------------------------------------------------------- #
def _two_groups():
    """Two groups of identical x whose argmax labels coincide (both class 0)."""
    X = np.array([[0.0]] * 4 + [[1.0]] * 4, dtype=np.float32)
    P = np.array([[0.6, 0.4]] * 4 + [[0.9, 0.1]] * 4)
    hard = np.eye(2)[P.argmax(axis=1)]  # same shape, class 1 has no mass
    return X, P, hard


@pytest.mark.parametrize("kind", KINDS)
def test_soft_and_argmax_fits_differ(kind):
    X, P, hard = _two_groups()
    params = {"linear": {"C": 1e4, "tol": 1e-8}}.get(kind, {})
    soft_fit = build_surrogate(kind, **params).fit(X, P)
    hard_fit = build_surrogate(kind, **params).fit(X, hard)
    a, b = X[:1], X[4:5]

    # Hard targets are identical for both groups, so the hard fit cannot tell
    # them apart; the soft fit must.
    np.testing.assert_allclose(hard_fit.predict_proba(a), hard_fit.predict_proba(b),
                               atol=1e-4)
    assert np.abs(soft_fit.predict_proba(a) - soft_fit.predict_proba(b)).max() > 0.05
    assert hard_fit.predict_proba(X)[:, 0].min() > 0.999

    if kind in ("tree", "linear"):
        # Both can represent the two groups exactly.
        np.testing.assert_allclose(soft_fit.predict_proba(a), [[0.6, 0.4]], atol=1e-3)
        np.testing.assert_allclose(soft_fit.predict_proba(b), [[0.9, 0.1]], atol=1e-3)
    else:
        # Soft memberships: prior 0.75/0.25, class means 3.6/6 and 0.4/2.
        np.testing.assert_allclose(soft_fit.class_prior_, [0.75, 0.25])
        np.testing.assert_allclose(soft_fit.theta_[:, 0], [0.6, 0.2], rtol=1e-6)
        np.testing.assert_allclose(hard_fit.class_prior_, [1.0, 0.0])
        assert np.isnan(hard_fit.theta_[1]).all()


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


@pytest.mark.parametrize("kind, params", [*[(kind, {}) for kind in KINDS],
                                          ("naive_bayes", {"objective": "conditional"})])
def test_soft_sample_weight_equals_repetition(kind, params):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(12, 2))
    P = rng.dirichlet(np.ones(3), size=12)
    sw = rng.integers(0, 4, size=12)
    sw[:2] = [1, 2]
    params = {**params, **{"linear": {"tol": 1e-10}, "tree": {"random_state": 0}}.get(kind, {})}
    weighted = build_surrogate(kind, **params).fit(X, P, sample_weight=sw)
    repeated = build_surrogate(kind, **params).fit(X.repeat(sw, axis=0),
                                                   P.repeat(sw, axis=0))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                               atol=1e-6)


# --------------------------------------------------------------------------- #
# Exposed parameters and interpretations
# --------------------------------------------------------------------------- #
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


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_tree_contributions_sum_to_leaf_values(criterion):
    rng = np.random.default_rng(3)
    X = rng.normal(size=(80, 5))
    P = rng.dirichlet(np.ones(4), size=80)
    tree = TreeSurrogate(max_depth=4, criterion=criterion, random_state=0).fit(X, P)
    Xt = rng.normal(size=(25, 5))
    contrib = tree.decision_path_contributions(Xt)
    assert contrib.shape == (25, 5, 4)
    np.testing.assert_allclose(tree.bias_, P.mean(axis=0))
    recon = tree.bias_ + contrib.sum(axis=1)
    leaf_means = [P[tree.estimator_.apply(X) == leaf].mean(axis=0) for leaf in tree.estimator_.apply(Xt)]
    np.testing.assert_allclose(recon, leaf_means, atol=1e-12)
    if criterion == "squared_error":
        np.testing.assert_allclose(recon, tree.estimator_.predict(Xt), atol=1e-12)
    # With every class present, that is predict_proba up to float noise.
    np.testing.assert_allclose(recon, tree.predict_proba(Xt), atol=1e-12)
    # Each sample's contribution vectors sum to 0 over classes (both are probas).
    np.testing.assert_allclose(contrib.sum(axis=2), 0.0, atol=1e-12)


def _soft_cross_entropy_of_split(P, left):
    """Weighted cross-entropy of both children's mean probabilities against their rows' soft labels."""
    total = 0.0
    for side in (left, ~left):
        mean = P[side].mean(axis=0)
        total -= (P[side] * np.log(np.clip(mean, 1e-300, None))).sum()
    return total


def test_entropy_tree_picks_the_split_of_least_soft_cross_entropy():
    # Soft labels on a line where the squared-error and cross-entropy criteria disagree about the root split;
    # the best threshold is found by brute force over every cut.
    rng = np.random.default_rng(7)
    for _ in range(50):
        X = np.arange(8, dtype=np.float64)[:, None]
        P = rng.dirichlet(np.full(3, 0.3), size=8)
        P = np.where(P > 0.01, P, 0.0)  # every mass left is kept in the repetition
        P /= P.sum(axis=1, keepdims=True)
        cuts = np.arange(1, 8)
        scores = [_soft_cross_entropy_of_split(P, X[:, 0] < c) for c in cuts]
        sse = [sum(((P[s] - P[s].mean(axis=0)) ** 2).sum() for s in (X[:, 0] < c, X[:, 0] >= c)) for c in cuts]
        if np.argmin(scores) != np.argmin(sse) and np.sort(scores)[1] - np.min(scores) > 1e-6:
            break
    else:
        pytest.fail("no disagreeing case found")
    entropy = TreeSurrogate(max_depth=1, criterion="entropy").fit(X, P)
    squared = TreeSurrogate(max_depth=1).fit(X, P)
    assert entropy.estimator_.tree_.threshold[0] == cuts[np.argmin(scores)] - 0.5
    assert squared.estimator_.tree_.threshold[0] == cuts[np.argmin(sse)] - 0.5
    # Leaves hold the mean soft labels of their rows with either criterion.
    left = X[:, 0] < cuts[np.argmin(scores)]
    np.testing.assert_allclose(entropy.predict_proba(X[:1]), [P[left].mean(axis=0)], atol=1e-9)


def test_tree_rejects_unknown_criterion():
    with pytest.raises(ValueError, match="criterion must be"):
        TreeSurrogate(criterion="gini").fit(np.eye(2), [0, 1])


def test_tree_contributions_by_hand():
    X = np.array([[0.0, 7.0], [1.0, 7.0], [2.0, 7.0], [3.0, 7.0]])
    tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
    contrib = tree.decision_path_contributions(X)
    # Root mean (0.5, 0.5); the split on feature 0 moves it to a pure leaf.
    np.testing.assert_allclose(contrib[:, 0], [[0.5, -0.5]] * 2 + [[-0.5, 0.5]] * 2)
    np.testing.assert_allclose(contrib[:, 1], 0.0)


def test_export_text_uses_feature_and_class_names():
    X = np.array([[0.0, 1.0], [0.1, 1.0], [2.0, 0.0], [2.1, 0.0]])
    P = np.array([[0.9, 0.1], [0.7, 0.3], [0.2, 0.8], [0.2, 0.8]])
    tree = TreeSurrogate(max_depth=1, random_state=0).fit(X, P)
    text = tree.export_text(feature_names=["petal_len", "sepal_w"],
                            class_names=["setosa", "virginica"], decimals=3)
    # Both features separate the groups equally well; either may be chosen.
    assert "petal_len <= 1.050" in text or "sepal_w <= 0.500" in text
    assert "class: setosa (p=0.800)" in text
    assert "class: virginica (p=0.800)" in text
    assert "feature_0" not in text and "[" not in text  # no raw value vectors

    default = tree.export_text()
    assert "feature_0" in default or "feature_1" in default
    assert "class: 0" in default and "class: 1" in default
    with pytest.raises(ValueError, match="feature_names has 1 entries"):
        tree.export_text(feature_names=["only_one"])
    with pytest.raises(ValueError, match="class_names has 3 entries"):
        tree.export_text(class_names=["a", "b", "c"])


def test_export_text_defaults_to_dataframe_columns_and_labels():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame({"age": [20.0, 25.0, 60.0, 70.0], "income": [1.0, 2.0, 1.0, 2.0]})
    tree = TreeSurrogate(max_depth=1).fit(X, ["young", "young", "old", "old"])
    text = tree.export_text()
    assert "age <= 42.50" in text
    assert "class: young (p=1.00)" in text and "class: old (p=1.00)" in text


def test_export_text_in_the_data_units_before_standardising():
    """A split at 1.5 standardised units of a feature with mean 10 and std 2 reads 10 + 1.5 * 2 = 13."""
    X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
    unscale = (np.array([10.0, -1.0]), np.array([2.0, 100.0]))
    assert "feature_0 <= 13.00" in tree.export_text(unscale=unscale)
    thresholds = surrogates.tree_thresholds(tree, unscale)
    assert thresholds[0] == 13.0
    leaves = tree.estimator_.tree_.children_left < 0
    np.testing.assert_array_equal(thresholds[leaves], tree.estimator_.tree_.threshold[leaves])  # left as they are


def test_export_text_single_leaf():
    tree = TreeSurrogate().fit(np.zeros((3, 1)), np.array([[0.3, 0.7]] * 3))
    assert tree.export_text() == "|--- class: 1 (p=0.70)"


def test_complexity_hand_checked():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
    assert tree.complexity_ == {"depth": 1, "leaves": 2, "nodes": 3}
    assert tree.complexity_score_ == 2

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

    nb = NaiveBayesSurrogate().fit(Xm, y)
    assert nb.complexity_ == {"parameters": 2 * 3 * 6 + 3}
    assert nb.complexity_score_ == 39


def test_string_labels_keep_their_names():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    y = np.array(["b", "b", "a", "c"])
    for kind in KINDS:
        model = build_surrogate(kind).fit(X, y)
        assert model.classes_.tolist() == ["a", "b", "c"]
        assert set(model.predict(X)) <= {"a", "b", "c"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_refit_that_fails_leaves_the_model_unfitted(kind):
    X3, X5 = np.eye(4)[:, :3], np.eye(4)[:, :4] + np.arange(4)[:, None]
    y = np.array([0, 1, 0, 1])
    model = build_surrogate(kind).fit(X3, y)
    with pytest.raises(ValueError):
        model.fit(X5, y[:3])  # fails after the new X has been read
    with pytest.raises(NotFittedError):
        model.predict(X3)
    # only what validate_data read from the new X: nothing learned survives
    assert [a for a in vars(model) if a.endswith("_") and not a.startswith("_")] == ["n_features_in_"]


# --------------------------------------------------------------------------- #
# TAO refinement of the tree's splits (refine_passes)
# --------------------------------------------------------------------------- #
def _misleading_root():
    """80 rows on which the impurity-greedy root split is not the 0/1-best one.

    Class 0 (40 rows): 20 with x1 = 1 (16 of them x0 = 1), 20 with x1 = 0 (15 of
    them x0 = 1). Class 1 (40 rows): all x1 = 0, 9 with x0 = 1.
    - x1 <= 0.5 isolates a pure node (20 class 0 | 20 class 0 + 40 class 1):
      Gini 0.75 * 4/9 = 0.333, entropy 0.75 * 0.918 = 0.689, but 20 errors.
    - x0 <= 0.5 gives (9 class 0 + 31 class 1 | 31 class 0 + 9 class 1):
      Gini 0.349, entropy 0.769, only 18 errors.
    Both criteria pick x1; the 0/1-best stump is x0 <= 0.5 (class 1 left).
    """
    def block(x0, x1, label, count):
        return [[x0, x1, label]] * count
    return _features_and_labels(block(1, 1, 0, 16) + block(0, 1, 0, 4) + block(1, 0, 0, 15) + block(0, 0, 0, 5)
                                + block(1, 0, 1, 9) + block(0, 0, 1, 31))


def _features_and_labels(rows):
    """Rows of [features..., label] as (float X, int y)."""
    data = np.array(rows, dtype=np.float64)
    return data[:, :-1], data[:, -1].astype(int)


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_tao_fixes_a_misleading_greedy_root_split(criterion):
    X, y = _misleading_root()
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
def test_refine_passes_zero_is_the_greedy_tree(criterion):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(200, 4))
    P = rng.dirichlet(np.ones(3), size=200)
    default = TreeSurrogate(max_depth=4, criterion=criterion, random_state=0).fit(X, P)
    explicit = TreeSurrogate(max_depth=4, criterion=criterion, random_state=0, refine_passes=0).fit(X, P)
    assert default.get_params()["refine_passes"] == 0
    assert default.refine_history_.size == 0
    np.testing.assert_array_equal(default.estimator_.tree_.feature, explicit.estimator_.tree_.feature)
    np.testing.assert_array_equal(default.estimator_.tree_.threshold, explicit.estimator_.tree_.threshold)
    np.testing.assert_array_equal(default.node_proba_, explicit.node_proba_)
    # ... which is scikit-learn's greedy tree, untouched.
    if criterion == "squared_error":
        from sklearn.tree import DecisionTreeRegressor
        ref = DecisionTreeRegressor(max_depth=4, random_state=0).fit(X, P, sample_weight=np.ones(len(X)))
        np.testing.assert_array_equal(ref.tree_.feature, default.estimator_.tree_.feature)
        np.testing.assert_array_equal(ref.tree_.threshold, default.estimator_.tree_.threshold)
        # (values differ by float rounding only: fit renormalises the rows of P)
        np.testing.assert_allclose(ref.tree_.value, default.estimator_.tree_.value, rtol=1e-12)


def _weighted_error(model, X, P, sw):
    return float(sw[model.predict(X) != P.argmax(axis=1)].sum() / sw.sum())


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
        before, after = _weighted_error(greedy, X, P, sw), _weighted_error(refined, X, P, sw)
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


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_refined_tree_outputs_stay_consistent(criterion):
    rng = np.random.default_rng(21)  # a draw on which TAO leaves some nodes without rows
    X = rng.normal(size=(400, 5))
    P = softmax(np.c_[X[:, 0] + X[:, 1] ** 2, X[:, 2] * X[:, 0], -X[:, 3]] * 2, axis=1)
    sw = rng.uniform(0.5, 2.0, size=400)
    tree = TreeSurrogate(max_depth=5, criterion=criterion, random_state=0, refine_passes=3)
    tree.fit(X, P, sample_weight=sw)
    assert tree.refine_history_[-1] < tree.refine_history_[0]
    inner = tree.estimator_.tree_

    # Node statistics are those of the rows that reach each node now.
    path = tree.estimator_.decision_path(X).toarray().astype(bool)
    np.testing.assert_allclose(tree.node_weight_, sw @ path)
    reached = tree.node_weight_ > 0
    means = (path.T @ (P * sw[:, None]))[reached] / tree.node_weight_[reached, None]
    np.testing.assert_allclose(tree.node_proba_[reached], means, atol=1e-12)
    np.testing.assert_allclose(tree.bias_, sw @ P / sw.sum())
    # A node that no row reaches any more keeps its parent's mean.
    internal = np.flatnonzero(inner.children_left >= 0)
    parent = dict(zip(inner.children_left[internal], internal)) | dict(zip(inner.children_right[internal], internal))
    unreached = np.flatnonzero(~reached)
    assert unreached.size > 0
    for node in unreached:
        np.testing.assert_array_equal(tree.node_proba_[node], tree.node_proba_[parent[node]])

    Xt = rng.normal(size=(50, 5))
    proba = tree.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    leaf_values = tree.node_proba_[tree.estimator_.apply(Xt)]
    np.testing.assert_allclose(proba, leaf_values, atol=1e-12)
    contrib = tree.decision_path_contributions(Xt)
    np.testing.assert_allclose(tree.bias_ + contrib.sum(axis=1), leaf_values, atol=1e-12)
    np.testing.assert_array_equal(tree.predict(Xt), proba.argmax(axis=1))
    # export_text reads the refined splits.
    text = tree.export_text(decimals=6)
    assert f"feature_{inner.feature[0]} <= {inner.threshold[0]:.6f}" in text.splitlines()[0]
    # scikit-learn's copy of the node statistics follows the refinement.
    if criterion == "squared_error":
        np.testing.assert_allclose(tree.estimator_.predict(Xt), leaf_values, atol=1e-12)
        np.testing.assert_allclose(inner.weighted_n_node_samples, tree.node_weight_)
        assert inner.n_node_samples.tolist() == path.sum(axis=0).tolist()
    else:  # class fractions of the (row, class) repetition, masses <= 1e-3 left out
        np.testing.assert_allclose(tree.estimator_.predict_proba(Xt), leaf_values, atol=1e-2)


def test_node_means_fill_unreached_nodes_with_the_parent_mean():
    # Depth-2 tree: node 0 -> (1 -> 2, 3), (4 -> 5, 6); no row reaches leaf 6.
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    tree = TreeSurrogate(max_depth=2).fit(X, [0, 1, 2, 3]).estimator_.tree_
    assert tree.node_count == 7 and tree.children_left[4] == 5
    leaf = np.array([2, 3, 5, 5])
    P = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]])
    weight, mean = _node_means(tree, _node_depths(tree), leaf, P, np.array([1.0, 1.0, 2.0, 2.0]))
    np.testing.assert_allclose(weight, [6, 2, 1, 1, 4, 4, 0])
    np.testing.assert_allclose(mean[4], [0.25, 0.0, 0.75])
    np.testing.assert_allclose(mean[6], mean[4])  # unreached: its parent's mean
    np.testing.assert_allclose(mean[0], [(1 + 1) / 6, 1 / 6, (2 + 1) / 6])


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


@pytest.mark.parametrize("name", ["refine_passes", "fringe_cuts"])
@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_refinement_counts_must_be_non_negative_integers(name, bad):
    with pytest.raises(ValueError, match=f"{name} must be a non-negative integer"):
        TreeSurrogate(**{name: bad}).fit(_X4, [0, 1, 0, 1])


# --------------------------------------------------------------------------- #
# Exact search of the bottom depth-2 subtrees (fringe_cuts)
# --------------------------------------------------------------------------- #
def _xor_with_a_decoy():
    """80 rows, class = x0 XOR x1 (20 per cell); x2 = 1 on 14 of each class-1 cell, 6 of each class-0 cell.

    x0 and x1 alone carry no information, x2 does, so an impurity-greedy depth-2
    tree splits on x2 first and can then only reach 56/80; the depth-2 tree
    x0 -> x1 classifies every row.
    """
    rows = []
    for x0 in (0, 1):
        for x1 in (0, 1):
            label = x0 ^ x1
            with_decoy = 14 if label else 6
            rows += [[x0, x1, 1, label]] * with_decoy + [[x0, x1, 0, label]] * (20 - with_decoy)
    return _features_and_labels(rows)


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_fringe_search_solves_xor_behind_a_decoy(criterion):
    X, y = _xor_with_a_decoy()
    greedy = TreeSurrogate(max_depth=2, criterion=criterion).fit(X, y)
    assert greedy.estimator_.tree_.feature[0] == 2 and greedy.score(X, y) == 56 / 80
    # TAO moves one split at a time: every single move from here keeps 24 errors.
    tao = TreeSurrogate(max_depth=2, criterion=criterion, refine_passes=5).fit(X, y)
    assert tao.score(X, y) == 56 / 80
    searched = TreeSurrogate(max_depth=2, criterion=criterion, refine_passes=5, fringe_cuts=1).fit(X, y)
    tree = searched.estimator_.tree_
    assert searched.score(X, y) == 1.0 and searched.fringes_changed_ == 1
    assert tree.feature[tree.children_left >= 0].tolist() == [0, 1, 1]
    np.testing.assert_allclose(searched.refine_history_, [24 / 80, 24 / 80, 0.0, 0.0])
    np.testing.assert_allclose(searched.node_proba_[tree.children_left < 0].max(axis=1), 1.0)
    assert searched.complexity_ == greedy.complexity_


@pytest.mark.parametrize("block", [2_000_000, 7])  # 7: many row blocks and root-split chunks
def test_best_depth2_matches_brute_force(block, monkeypatch):
    monkeypatch.setattr(surrogates, "_FRINGE_BLOCK", block)
    rng = np.random.default_rng(16)
    for _ in range(40):
        m, F, k = rng.integers(2, 25), rng.integers(1, 5), rng.integers(2, 4)
        goes_right = (rng.random((m, F)) < 0.5).astype(np.float64)
        target = rng.integers(0, k, size=m)
        w = rng.integers(1, 4, size=m).astype(np.float64)

        def majority(mask):
            return np.bincount(target[mask], weights=w[mask], minlength=k).max()

        def best_child(side):  # lowest split index on ties
            scores = [majority(side & (goes_right[:, b] > 0)) + majority(side & (goes_right[:, b] == 0))
                      for b in range(F)]
            return int(np.argmax(scores)), max(scores)

        best = None
        for a in range(F):
            b_left, left = best_child(goes_right[:, a] == 0)
            b_right, right = best_child(goes_right[:, a] > 0)
            if best is None or left + right > best[3]:
                best = (a, b_left, b_right, left + right)
        got = _best_depth2(goes_right.astype(np.float32), np.arange(F), np.full(F, 0.5), target, w, k)
        assert got[:3] == best[:3] and got[3] == pytest.approx(best[3])


def test_fringe_cuts_are_midpoints_or_weighted_quantiles():
    X = np.array([[0.0, 0.0], [1.0, 0.1], [1.0, 0.2], [3.0, 0.3], [3.0, 0.4]], dtype=np.float32)
    sw = np.ones(5)
    features, thresholds = _fringe_cuts(X, sw, 3)
    # feature 0 has 3 distinct values (<= 3 + 1): every midpoint; feature 1 has 5: quantile midpoints
    assert features.tolist()[:2] == [0, 0] and thresholds[:2].tolist() == [0.5, 2.0]
    assert (features == 1).sum() <= 3
    # integer weights give the cuts of the repeated rows
    rng = np.random.default_rng(17)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    w = rng.integers(1, 4, size=40)
    weighted = _fringe_cuts(X, w.astype(float), 6)
    repeated = _fringe_cuts(X.repeat(w, axis=0), np.ones(w.sum()), 6)
    np.testing.assert_array_equal(weighted[0], repeated[0])
    np.testing.assert_array_equal(weighted[1], repeated[1])
    assert np.bincount(weighted[0]).max() <= 6


@pytest.mark.parametrize("criterion", ["squared_error", "entropy"])
def test_fringe_search_never_increases_the_training_error(criterion):
    rng = np.random.default_rng(18)
    changed = 0
    for trial in range(6):
        n, d, k = 300, 4, 3
        X = np.round(rng.normal(size=(n, d)), 1)
        P = softmax(np.c_[X[:, 0] * X[:, 1], X[:, 2] - X[:, 3], np.sin(3 * X[:, 0])] * 3
                    + rng.normal(size=(n, k)), axis=1)
        sw = rng.integers(1, 4, size=n).astype(np.float64)
        params = dict(max_depth=3 + trial % 3, criterion=criterion, random_state=trial, refine_passes=2)
        tao = TreeSurrogate(**params).fit(X, P, sample_weight=sw)
        searched = TreeSurrogate(**params, fringe_cuts=8).fit(X, P, sample_weight=sw)
        history = searched.refine_history_
        assert (np.diff(history) <= 1e-12).all()
        np.testing.assert_allclose(history[:len(tao.refine_history_)], tao.refine_history_)
        np.testing.assert_allclose(history[-1], _weighted_error(searched, X, P, sw), atol=1e-12)
        np.testing.assert_array_equal(tao.estimator_.tree_.children_left,
                                      searched.estimator_.tree_.children_left)
        changed += searched.fringes_changed_
    assert changed > 0


def test_refined_tree_diagram_renders():
    pytest.importorskip("matplotlib")
    from interpret_distill.report.figures import tree_diagram
    X, y = _misleading_root()
    tree = TreeSurrogate(max_depth=1, refine_passes=1).fit(X, y)
    fig = tree_diagram(tree, ["a", "b"], ["no", "yes"], max_depth=1)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("a\n<= 0.500\n") for t in texts)  # the refined split, rounded like the rules text


# --------------------------------------------------------------------------- #
# Property-based tests
# --------------------------------------------------------------------------- #
@st.composite
def _problems(draw):
    n = draw(st.integers(4, 30))
    d = draw(st.integers(1, 4))
    k = draw(st.integers(2, 5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X = rng.normal(size=(n, d)).astype(np.float32)
    alpha = draw(st.sampled_from([0.1, 1.0, 10.0]))
    P = rng.dirichlet(np.full(k, alpha), size=n)
    zero_class = draw(st.one_of(st.none(), st.integers(0, k - 1)))
    if zero_class is not None:
        P[:, zero_class] = 0.0
        empty = P.sum(axis=1) == 0  # rows whose whole mass was on that class
        P[empty, (zero_class + 1) % k] = 1.0
        P /= P.sum(axis=1, keepdims=True)
    labels = rng.integers(0, k, size=n)
    labels[:2] = [0, 1]  # at least two classes, so every surrogate can fit
    return X, P, labels, zero_class


def _check_outputs(model, X, k):
    proba = model.predict_proba(X)
    assert proba.shape == (X.shape[0], k) and proba.dtype == np.float64
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    assert np.isin(model.predict(X), model.classes_).all()
    return proba


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=25, deadline=None)
@given(problem=_problems())
def test_property_fit_predict(kind, problem):
    X, P, labels, zero_class = problem
    k = P.shape[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on degenerate draws
        soft = build_surrogate(kind).fit(X, P)
        hard = build_surrogate(kind).fit(X, labels)
    np.testing.assert_array_equal(soft.classes_, np.arange(k))
    proba = _check_outputs(soft, X, k)
    if zero_class is not None:
        assert soft.absent_classes_[zero_class]
        assert proba[:, zero_class].max() < 1e-2
        assert (soft.predict(X) != zero_class).all()
    np.testing.assert_array_equal(hard.classes_, np.unique(labels))
    _check_outputs(hard, X, len(hard.classes_))


# --------------------------------------------------------------------------- #
# Validation
# --------------------------------------------------------------------------- #
_X4 = np.arange(8, dtype=np.float32).reshape(4, 2)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("y, message", [
    (np.array([[0.5, 0.4]] * 4), r"rows that do not sum to 1.*row 0 sums to 0\.9"
                                 r".*y / y\.sum\(axis=1, keepdims=True\)"),
    (np.array([[1.2, -0.2]] * 4), r"negative value.*softmax"),
    (np.array([[0.5, 0.5]] * 3 + [[np.nan, 1.0]]), r"NaN or infinite.*row 3"),
    (np.array([[0.5, 0.5]] * 3 + [[np.inf, 0.0]]), r"NaN or infinite"),
    (np.array([[0.5, 0.5]] * 5), r"y has 5 rows but X has 4 samples"),
    (np.array([0, 1, 1]), r"y has 3 rows but X has 4 samples"),
    (np.array([["a", "b"]] * 4), r"not numeric"),
    (np.array([0.1, 0.7, 0.3, 2.5]), r"Unknown label type"),
])
def test_invalid_targets_raise_helpful_errors(kind, y, message):
    with pytest.raises(ValueError, match=message):
        build_surrogate(kind).fit(_X4, y)


def test_probabilities_within_tolerance_are_renormalised():
    P = np.array([[0.7, 0.3005]] * 2 + [[0.2, 0.8]] * 2)
    tree = TreeSurrogate().fit(_X4, P)
    np.testing.assert_allclose(tree.bias_.sum(), 1.0)


def test_invalid_hyper_parameters_raise_in_fit():
    y = [0, 1, 0, 1]
    for bad in (LinearSurrogate(l1_ratio=1.5), LinearSurrogate(C=0.0)):
        with pytest.raises(ValueError, match="l1_ratio must be in|C must be a positive"):
            bad.fit(_X4, y)
    with pytest.raises(ValueError, match="max_depth"):
        TreeSurrogate(max_depth=0).fit(_X4, y)
    with pytest.raises(ValueError, match="var_smoothing"):
        NaiveBayesSurrogate(var_smoothing=-1.0).fit(_X4, y)
    for bad, message in ((NaiveBayesSurrogate(objective="discriminative"), "objective must be one of"),
                         (NaiveBayesSurrogate(anchor=-1.0), "anchor must be a number >= 0"),
                         (NaiveBayesSurrogate(max_iter=0), "max_iter must be an integer >= 1")):
        with pytest.raises(ValueError, match=message):
            bad.fit(_X4, y)
    single = LinearSurrogate()
    with pytest.raises(ValueError, match="at least 2 classes"):
        single.fit(_X4, [3, 3, 3, 3])
    with pytest.raises(NotFittedError):  # a failed fit leaves it unfitted
        single.predict(_X4)


def test_build_surrogate():
    assert isinstance(build_surrogate("naive_bayes"), NaiveBayesSurrogate)
    assert build_surrogate("linear", C=0.1, l1_ratio=1.0).get_params()["C"] == 0.1
    with pytest.raises(ValueError, match=r"'forest'.*linear, naive_bayes, tree"):
        build_surrogate("forest")
    with pytest.raises(ValueError,
                       match=r"depth.*'tree'.*max_depth, max_leaf_nodes, "
                             r"min_samples_leaf, random_state"):
        build_surrogate("tree", depth=3)


# --------------------------------------------------------------------------- #
# Display, scoring, docs, imports
# --------------------------------------------------------------------------- #
def test_repr_html_unfitted_fitted_and_escaped():
    unfitted = TreeSurrogate(max_depth=2, random_state="<b>x</b>")
    page = unfitted._repr_html_()
    assert "not fitted" in page and "max_depth" in page and "tree" in page
    assert "<b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page

    fitted = LinearSurrogate().fit(_X4, [0, 1, 2, 1])._repr_html_()
    assert "not fitted" not in fitted
    for text in ("linear", "nonzero_coefficients", "n classes", "n features"):
        assert text in fitted
    bundle = NaiveBayesSurrogate()._repr_mimebundle_()
    assert "not fitted" in bundle["text/html"]


def test_score_and_grid_search_accept_probabilities():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(60, 3))
    P = softmax(np.c_[X[:, 0], -X[:, 0], X[:, 1]] * 3, axis=1)
    tree = TreeSurrogate(max_depth=3).fit(X, P)
    assert tree.score(X, P) == np.mean(tree.predict(X) == P.argmax(axis=1))
    search = GridSearchCV(TreeSurrogate(random_state=0), {"max_depth": [1, 3]}, cv=3)
    search.fit(X, P)
    assert search.best_params_ == {"max_depth": 3}


def test_module_depends_only_on_numpy_scipy_and_sklearn():
    # Static check: importing the package elsewhere may pull in torch, this file
    # itself must not.
    tree = ast.parse(Path(surrogates.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "html", "numpy", "scipy", "sklearn"}, roots
