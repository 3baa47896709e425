"""Interpretable scikit-learn surrogates fitted on a teacher's soft labels.

Every surrogate accepts as ``y`` either 1-D class labels or a 2-D ``(n, k)`` matrix
of class probabilities (the teacher's softmax outputs) and, in the second case,
learns from the full probability vectors rather than their argmax:

- :class:`TreeSurrogate`: a decision tree split on the probabilities (squared
  error or soft cross-entropy), whose leaves hold mean teacher probabilities;
- :class:`LinearSurrogate`: multinomial logistic regression minimising the soft
  cross-entropy;
- :class:`NaiveBayesSurrogate`: Gaussian naive Bayes with soft class memberships.

With a probability matrix ``classes_ == np.arange(k)``, as required by
``docs/CONVENTIONS.md``. The module depends only on numpy and scikit-learn.
"""

from __future__ import annotations

import html

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

__all__ = [
    "SURROGATES",
    "LinearSurrogate",
    "NaiveBayesSurrogate",
    "TreeSurrogate",
    "build_surrogate",
]

# Probability given to a class that received no mass in training, so that every
# predict_proba column is strictly positive (finite log-loss / KL) and k wide.
_FLOOR = 1e-6
# Tolerance on the row sums of a probability matrix passed as y.
_ROW_SUM_ATOL = 1e-3
# Class masses at or below this are left out of the entropy tree's row repetition.
_ENTROPY_MIN_MASS = 1e-3


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _floor_absent(p: np.ndarray, absent: np.ndarray) -> np.ndarray:
    """Give classes without training mass the floor, then renormalise rows."""
    p = np.array(p, dtype=np.float64)
    p[:, absent] = _FLOOR
    return p / p.sum(axis=1, keepdims=True)


def _probability_matrix(y: np.ndarray, n_samples: int) -> np.ndarray:
    """Validate a 2-D ``y`` as class probabilities and return it row-normalised."""
    hint = "pass the teacher's softmax outputs or 1-D class labels instead"
    try:
        p = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"a 2-D y is read as an (n, k) matrix of class probabilities, but it is "
            f"not numeric (dtype {np.asarray(y).dtype}); {hint}."
        ) from exc
    bad = ~np.isfinite(p)
    if bad.any():
        row = int(np.argwhere(bad)[0, 0])
        raise ValueError(
            f"y (class probabilities) contains {int(bad.sum())} NaN or infinite "
            f"value(s), first in row {row}; every probability must be finite. "
            f"Check the teacher's outputs for overflow, or drop those rows."
        )
    neg = p < 0
    if neg.any():
        row = int(np.argwhere(neg)[0, 0])
        raise ValueError(
            f"y (class probabilities) contains {int(neg.sum())} negative value(s) "
            f"(min {p.min():.4g}, first in row {row}); probabilities must be >= 0. "
            f"If these are logits, apply a softmax first "
            f"(scipy.special.softmax(logits, axis=1))."
        )
    sums = p.sum(axis=1)
    off = np.abs(sums - 1.0) > _ROW_SUM_ATOL
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"y (class probabilities) has {int(off.sum())} of {n_samples} rows that "
            f"do not sum to 1 within {_ROW_SUM_ATOL:g} (row {row} sums to "
            f"{sums[row]:.6g}). Normalise the rows, e.g. y / y.sum(axis=1, "
            f"keepdims=True), or, for multi-label indicators, {hint}."
        )
    # Rows within tolerance are renormalised exactly so tree leaves sum to 1.
    return p / sums[:, None]


class _SurrogateBase(ClassifierMixin, BaseEstimator):
    """Shared target handling, prediction and display for the surrogates."""

    _kind: str = ""

    def fit(self, X, y, sample_weight=None):
        """Fit the surrogate on class labels or on a class-probability matrix.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: Either 1-D class labels of shape ``(n,)`` or an ``(n, k)`` matrix of
                class probabilities (non-negative, finite, rows summing to 1 within
                1e-3). A single-column 2-D ``y`` is read as a column of labels.
            sample_weight: Optional non-negative weights of shape ``(n,)``.

        Returns:
            The fitted estimator (``self``).

        Raises:
            ValueError: If ``y`` is not valid labels or probabilities, its length
                differs from ``X``'s, or the weights are invalid.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=True)
        n = X.shape[0]
        y_arr = np.asarray(y)
        if y_arr.ndim >= 1 and y_arr.shape[0] != n:
            raise ValueError(
                f"y has {y_arr.shape[0]} rows but X has {n} samples; pass one label "
                f"or one row of class probabilities per sample of X."
            )
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            proba = _probability_matrix(y_arr, n)
            classes = np.arange(proba.shape[1])
        else:
            labels = column_or_1d(y_arr, warn=True)
            labels = check_array(labels, ensure_2d=False, dtype=None, input_name="y")
            check_classification_targets(labels)
            classes, encoded = np.unique(labels, return_inverse=True)
            # One-hot labels make both regimes share one code path.
            proba = np.eye(len(classes))[encoded]
        sw = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        # A zero weight means "not in the data": drop those rows up front so that
        # no model sees them (also keeps tree thresholds identical to removal).
        keep = sw > 0
        self._fit_soft(X[keep], proba[keep], sw[keep])
        self.classes_ = classes  # set last: a failed fit leaves no classes_
        return self

    def __sklearn_is_fitted__(self):
        # classes_ is set last in fit, so a fit that raised is not "fitted" even
        # though validate_data already set n_features_in_.
        return hasattr(self, "classes_")

    def _fit_soft(self, X, proba, sw):
        """Fit on ``proba`` (n, k), rows summing to 1, with positive weights ``sw``."""
        raise NotImplementedError

    def predict_proba(self, X):
        """Predict class probabilities.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n, k)``, float64, rows summing to 1, columns in the
            order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return self._predict_proba(X)

    def predict(self, X):
        """Predict the most probable class.

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n,)`` with entries from ``classes_``.
        """
        proba = self.predict_proba(X)  # checks fitted before classes_ is read
        return self.classes_[np.argmax(proba, axis=1)]

    def score(self, X, y, sample_weight=None):
        """Top-1 agreement of ``predict(X)`` with ``y`` (the surrogate's fidelity).

        Overridden so that ``score`` (and hence ``GridSearchCV``/``cross_val_score``)
        accepts the same soft targets as ``fit``.

        Args:
            X: Features, array-like of shape ``(n, d)``.
            y: 1-D labels, or an ``(n, k)`` probability matrix whose argmax is used.
            sample_weight: Optional weights of shape ``(n,)``.

        Returns:
            Weighted fraction of samples whose predicted class equals the target's.
        """
        check_is_fitted(self)
        y_arr = np.asarray(y)
        if y_arr.ndim == 2 and y_arr.shape[1] > 1:
            y_arr = self.classes_[np.argmax(y_arr, axis=1)]
        return super().score(X, y_arr, sample_weight=sample_weight)

    def _repr_html_(self) -> str:
        """Render kind, hyper-parameters and, once fitted, size as an HTML table."""
        rows = [("kind", self._kind)]
        rows += sorted(self.get_params(deep=False).items())
        if self.__sklearn_is_fitted__():
            rows += list(self.complexity_.items())
            rows += [("n classes", len(self.classes_)),
                     ("n features", self.n_features_in_)]
        else:
            rows.append(("status", "not fitted"))
        body = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(key))}</th>"
            f"<td>{html.escape(str(value))}</td></tr>"
            for key, value in rows
        )
        caption = html.escape(type(self).__name__)
        return f"<table><caption>{caption}</caption>{body}</table>"

    def _repr_mimebundle_(self, **kwargs):
        # Jupyter prefers _repr_mimebundle_ (BaseEstimator's diagram) over
        # _repr_html_, so route it to the table above.
        return {"text/plain": repr(self), "text/html": self._repr_html_()}


class TreeSurrogate(_SurrogateBase):
    """Decision-tree surrogate whose leaves hold mean teacher probabilities.

    Two split criteria, both on the full ``(n, k)`` probability matrix (1-D labels are
    one-hot encoded first):

    - ``"squared_error"``: a multi-output ``DecisionTreeRegressor`` on the
      probabilities (on one-hot targets this is the Gini criterion);
    - ``"entropy"``: the soft cross-entropy. Each row is repeated once per class
      it gives mass to, weighted by that mass, and a ``DecisionTreeClassifier``
      with the entropy criterion is grown on the repeated rows; its split scores
      are then exactly the cross-entropy of the teacher's probabilities. Masses
      at or below 1e-3 are left out of the repetition (they barely move a split
      score but would multiply the rows by ``k``). On digits (40,000 teacher-labelled
      kde rows, T=2, depth 8) it reached test fidelity 0.898 where squared error
      reached 0.883 (``benchmarks/results.md``, mean of 3 seeds).

    Either way, every node stores the mean teacher probability vector of the
    training rows that reach it (``node_proba_``); ``predict_proba`` returns the
    leaf's vector, clipped at 0 and renormalised.

    Args:
        max_depth: Maximum depth of the tree (``None``: unlimited).
        max_leaf_nodes: Maximum number of leaves, grown best-first (``None``: no cap).
        min_samples_leaf: Minimum number of (non-zero-weight) samples per leaf; with
            ``"entropy"`` it counts (row, class) pairs of the repetition.
        criterion: ``"squared_error"`` or ``"entropy"``.
        random_state: Seed for the tie-breaking feature permutation.

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted scikit-learn tree (``DecisionTreeRegressor`` or, with
            ``"entropy"``, ``DecisionTreeClassifier``); its structure is the surrogate's.
        node_proba_: ``(n_nodes, k)`` mean training probability per node (leaves:
            the prediction before clipping; root: ``bias_``).
        node_weight_: ``(n_nodes,)`` total training sample weight per node (its row count when unweighted).
        bias_: ``(k,)`` mean training probability at the root (Saabas bias).
        absent_classes_: ``(k,)`` bool, classes with no training mass (they get
            probability 1e-6 before renormalisation).
        complexity_: ``{"depth", "leaves", "nodes"}``.
        complexity_score_: Number of leaves.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=np.float32)
        >>> P = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
        >>> tree = TreeSurrogate(max_depth=1).fit(X, P)
        >>> tree.predict_proba(X[:1]).round(2).tolist()
        [[0.85, 0.15]]
        >>> tree.complexity_
        {'depth': 1, 'leaves': 2, 'nodes': 3}
        >>> TreeSurrogate(max_depth=1, criterion="entropy").fit(X, P).predict_proba(X[:1]).round(2).tolist()
        [[0.85, 0.15]]
    """

    _kind = "tree"

    def __init__(self, max_depth=None, max_leaf_nodes=None, min_samples_leaf=1,
                 criterion="squared_error", random_state=None):
        self.max_depth = max_depth
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.criterion = criterion
        self.random_state = random_state

    def _fit_soft(self, X, proba, sw):
        # Hyper-parameters other than the criterion are validated by the scikit-learn tree itself.
        shared = dict(max_depth=self.max_depth, max_leaf_nodes=self.max_leaf_nodes,
                      min_samples_leaf=self.min_samples_leaf, random_state=self.random_state)
        if self.criterion == "squared_error":
            self.estimator_ = DecisionTreeRegressor(criterion="squared_error", **shared).fit(
                X, proba, sample_weight=sw)
        elif self.criterion == "entropy":
            rows, labels = np.nonzero(proba > _ENTROPY_MIN_MASS)
            self.estimator_ = DecisionTreeClassifier(criterion="entropy", **shared).fit(
                X[rows], labels, sample_weight=proba[rows, labels] * sw[rows])
        else:
            raise ValueError(f"criterion must be 'squared_error' or 'entropy'; got {self.criterion!r}.")
        # Node means over the original rows (not the repetition), identical in meaning for both criteria.
        path = self.estimator_.decision_path(X).T.tocsr()  # (n_nodes, n) indicator
        self.node_weight_ = np.asarray(path @ sw, dtype=np.float64)
        self.node_proba_ = (path @ (proba * sw[:, None])) / self.node_weight_[:, None]
        self.absent_classes_ = (proba * sw[:, None]).sum(axis=0) == 0
        self.bias_ = self.node_proba_[0].copy()
        self.complexity_ = {
            "depth": int(self.estimator_.get_depth()),
            "leaves": int(self.estimator_.get_n_leaves()),
            "nodes": int(self.estimator_.tree_.node_count),
        }
        self.complexity_score_ = self.complexity_["leaves"]

    def _normalise(self, raw):
        return _floor_absent(np.clip(raw, 0.0, None), self.absent_classes_)

    def _predict_proba(self, X):
        return self._normalise(self.node_proba_[self.estimator_.apply(X)])

    def decision_path_contributions(self, X):
        """Per-feature contributions to each prediction (Saabas decomposition).

        Walking from the root to the leaf, each split changes the node's mean
        probability vector; that change is credited to the split's feature. Hence,
        exactly (up to float rounding)::

            bias_ + contributions.sum(axis=1) == node_proba_[estimator_.apply(X)]

        i.e. the leaf values *before* ``predict_proba``'s clipping/renormalisation
        (which only alter them by float noise, or by the floor for classes that had
        no training mass).

        Args:
            X: Features, array-like of shape ``(n, d)``.

        Returns:
            Array of shape ``(n, d, k)``: contribution of feature ``j`` to the
            probability of class ``c`` for sample ``i`` at ``[i, j, c]``.

        Example:
            >>> import numpy as np
            >>> X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
            >>> tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
            >>> tree.decision_path_contributions(X[:1])[0].tolist()
            [[0.5, -0.5], [0.0, 0.0]]
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        tree = self.estimator_.tree_
        values = self.node_proba_
        parent = np.full(tree.node_count, -1)
        internal = np.flatnonzero(tree.children_left >= 0)
        parent[tree.children_left[internal]] = internal
        parent[tree.children_right[internal]] = internal

        node = self.estimator_.apply(X)
        out = np.zeros((X.shape[0], X.shape[1], values.shape[1]))
        rows = np.arange(X.shape[0])
        # Climb all paths one level per step; each sample appears at most once per
        # step, so fancy-index accumulation is safe.
        active = parent[node] >= 0
        while active.any():
            r, nd = rows[active], node[active]
            up = parent[nd]
            out[r, tree.feature[up]] += values[nd] - values[up]
            node[active] = up
            active = parent[node] >= 0
        return out

    def export_text(self, feature_names=None, class_names=None, decimals=2):
        """Render the tree as indented if/else rules with a class at each leaf.

        Args:
            feature_names: ``d`` names; defaults to ``feature_names_in_`` when fitted
                on a DataFrame, else ``feature_0 ... feature_{d-1}``.
            class_names: ``k`` names; defaults to ``str(c)`` for ``c`` in ``classes_``.
            decimals: Digits after the decimal point for thresholds and
                probabilities.

        Returns:
            Multi-line string; each leaf reads ``class: <name> (p=<probability>)``.

        Example:
            >>> import numpy as np
            >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
            >>> tree = TreeSurrogate(max_depth=1).fit(X, ["cat", "cat", "dog", "dog"])
            >>> print(tree.export_text(feature_names=["whiskers"]))
            |--- whiskers <= 1.50
            |   |--- class: cat (p=1.00)
            |--- whiskers >  1.50
            |   |--- class: dog (p=1.00)
        """
        check_is_fitted(self)
        d, k = self.n_features_in_, len(self.classes_)
        if feature_names is None:
            feature_names = getattr(self, "feature_names_in_",
                                    [f"feature_{j}" for j in range(d)])
        if class_names is None:
            class_names = [str(c) for c in self.classes_]
        feature_names, class_names = list(feature_names), list(class_names)
        if len(feature_names) != d:
            raise ValueError(f"feature_names has {len(feature_names)} entries but the "
                             f"surrogate was fitted on {d} features.")
        if len(class_names) != k:
            raise ValueError(f"class_names has {len(class_names)} entries but the "
                             f"surrogate has {k} classes.")

        tree = self.estimator_.tree_
        leaf_proba = self._normalise(self.node_proba_)
        lines = []
        # Explicit stack (unlimited-depth trees can exceed Python's recursion
        # limit) of ("node", id, depth) and ("line", text, _) items, pushed in
        # reverse so the left subtree is printed before the right header.
        stack = [("node", 0, 0)]
        while stack:
            what, item, depth = stack.pop()
            if what == "line":
                lines.append(item)
                continue
            indent = "|   " * depth + "|--- "
            left, right = tree.children_left[item], tree.children_right[item]
            if left < 0:
                c = int(np.argmax(leaf_proba[item]))
                lines.append(f"{indent}class: {class_names[c]} "
                             f"(p={leaf_proba[item, c]:.{decimals}f})")
                continue
            name = feature_names[tree.feature[item]]
            thr = f"{tree.threshold[item]:.{decimals}f}"
            lines.append(f"{indent}{name} <= {thr}")
            stack += [("node", right, depth + 1), ("line", f"{indent}{name} >  {thr}", 0),
                      ("node", left, depth + 1)]
        return "\n".join(lines)


class LinearSurrogate(_SurrogateBase):
    """Multinomial logistic-regression surrogate trained on soft labels.

    Each sample is repeated once per class ``j`` with label ``j`` and weight
    ``p_ij * sample_weight_i``, so ``LogisticRegression`` minimises exactly the soft
    cross-entropy (plus its penalty). ``l1_ratio`` mixes the penalty: 0 is L2
    (solver lbfgs), 1 is L1 for sparse coefficients, in between elastic-net (saga).
    Note the expansion holds ``n * k`` rows of ``X`` in memory during ``fit``.

    A class with no probability mass at all gets a pseudo-mass of 1e-6 per sample,
    so it keeps finite coefficients and a tiny probability (limited by ``tol``)
    while ``predict_proba == softmax(X @ coef_.T + intercept_)`` stays exact.

    Args:
        C: Inverse regularisation strength (``np.inf``: unpenalised).
        l1_ratio: Share of L1 in the penalty, in ``[0, 1]``.
        max_iter: Maximum solver iterations.
        tol: Solver tolerance.
        random_state: Seed for saga's sample shuffling (``l1_ratio > 0``).

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted ``LogisticRegression`` (on class indices ``0..k-1``).
        coef_: ``(k, d)`` weights; for binary problems sklearn's single row ``w``
            becomes ``[-w/2, w/2]`` so the softmax identity holds for every ``k``.
        intercept_: ``(k,)`` biases, same convention.
        n_iter_: Solver iterations.
        absent_classes_: ``(k,)`` bool, classes with no training mass.
        complexity_: ``{"nonzero_coefficients", "coefficients"}``, counted on
            ``estimator_.coef_`` (the free parameters: one row when binary).
        complexity_score_: Number of non-zero coefficients.

    Example:
        >>> import numpy as np
        >>> X = np.array([[-1.0], [0.0], [1.0]], dtype=np.float32)
        >>> P = np.array([[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]])
        >>> lin = LinearSurrogate(C=100.0).fit(X, P)
        >>> lin.coef_.shape, lin.intercept_.shape
        ((2, 1), (2,))
        >>> lin.predict_proba(X).round(1).tolist()
        [[0.8, 0.2], [0.5, 0.5], [0.2, 0.8]]
    """

    _kind = "linear"

    def __init__(self, C=1.0, l1_ratio=0.0, max_iter=1000, tol=1e-4,
                 random_state=None):
        self.C = C
        self.l1_ratio = l1_ratio
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state

    def _fit_soft(self, X, proba, sw):
        # C and l1_ratio choose the solver, so check them here; sklearn checks the rest.
        if not (isinstance(self.C, (int, float, np.number)) and self.C > 0):
            raise ValueError(f"C must be a positive number (np.inf for no penalty); "
                             f"got {self.C!r}.")
        if not (isinstance(self.l1_ratio, (int, float, np.number))
                and 0 <= self.l1_ratio <= 1):
            raise ValueError(f"l1_ratio must be in [0, 1] (0 = L2, 1 = L1); "
                             f"got {self.l1_ratio!r}.")
        k = proba.shape[1]
        if k < 2:
            raise ValueError(
                "LinearSurrogate needs at least 2 classes, but y has only one class; "
                "a constant target has nothing to explain."
            )
        self.absent_classes_ = (proba * sw[:, None]).sum(axis=0) == 0
        if self.absent_classes_.any():
            proba = _floor_absent(proba, self.absent_classes_)

        weights = proba * sw[:, None]
        rows, labels = np.nonzero(weights)  # zero-weight (row, class) pairs dropped
        self.estimator_ = LogisticRegression(
            C=self.C,
            l1_ratio=self.l1_ratio,
            solver="saga" if self.l1_ratio > 0 else "lbfgs",
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.random_state,
        ).fit(X[rows], labels, sample_weight=weights[rows, labels])

        coef = self.estimator_.coef_
        intercept = self.estimator_.intercept_
        if k == 2:
            coef = np.vstack([-coef / 2, coef / 2])
            intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)
        self.n_iter_ = self.estimator_.n_iter_
        self.complexity_ = {
            "nonzero_coefficients": int(np.count_nonzero(self.estimator_.coef_)),
            "coefficients": int(self.estimator_.coef_.size),
        }
        self.complexity_score_ = self.complexity_["nonzero_coefficients"]

    def _predict_proba(self, X):
        return _softmax(X @ self.coef_.T + self.intercept_)


class NaiveBayesSurrogate(_SurrogateBase):
    """Gaussian naive-Bayes surrogate with soft class memberships.

    Each class's Gaussian is fitted on all samples weighted by ``p_ij *
    sample_weight_i`` and its prior is its share of the total mass. This is
    ``GaussianNB`` on the rows repeated once per class, computed with one
    ``partial_fit`` per class so the ``n * k`` expanded rows are never built.

    A class whose share of the mass is at most 1e-6 is treated as absent:
    ``GaussianNB`` cannot estimate its Gaussian (it silently keeps mean 0 and a
    near-zero variance, which would dominate near the origin), so the class gets
    the 1e-6 probability floor and ``NaN`` rows in ``theta_``/``var_``.

    Args:
        var_smoothing: Share of the largest feature variance added to all variances.

    Attributes:
        classes_: Sorted labels (1-D ``y``) or ``np.arange(k)`` (2-D ``y``).
        n_features_in_: Number of features seen in ``fit``.
        estimator_: The fitted ``GaussianNB``; its ``classes_`` are the indices
            (into ``classes_``) of the classes with mass.
        theta_: ``(k, d)`` class means.
        var_: ``(k, d)`` class variances (smoothing included).
        class_prior_: ``(k,)`` class priors.
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

    _kind = "naive_bayes"

    def __init__(self, var_smoothing=1e-9):
        self.var_smoothing = var_smoothing

    def _fit_soft(self, X, proba, sw):
        k = proba.shape[1]
        weights = proba * sw[:, None]
        # NB's estimates are invariant to the weights' scale; normalising to unit
        # total makes the mass threshold relative.
        weights /= weights.sum()
        present = np.flatnonzero(weights.sum(axis=0) > _FLOOR)
        self.absent_classes_ = np.ones(k, dtype=bool)
        self.absent_classes_[present] = False

        self.estimator_ = GaussianNB(var_smoothing=self.var_smoothing)
        for j in present:
            self.estimator_.partial_fit(X, np.full(X.shape[0], j), classes=present,
                                        sample_weight=weights[:, j])
        d = X.shape[1]
        self.theta_ = np.full((k, d), np.nan)
        self.var_ = np.full((k, d), np.nan)
        self.class_prior_ = np.zeros(k)
        self.theta_[present] = self.estimator_.theta_
        self.var_[present] = self.estimator_.var_
        self.class_prior_[present] = self.estimator_.class_prior_
        self.complexity_ = {"parameters": int(2 * k * d + k)}
        self.complexity_score_ = self.complexity_["parameters"]

    def _predict_proba(self, X):
        p = np.zeros((X.shape[0], len(self.classes_)))
        p[:, ~self.absent_classes_] = self.estimator_.predict_proba(X)
        return _floor_absent(p, self.absent_classes_)


SURROGATES = {
    "tree": TreeSurrogate,
    "linear": LinearSurrogate,
    "naive_bayes": NaiveBayesSurrogate,
}


def build_surrogate(kind: str, **params):
    """Instantiate a surrogate by name.

    Args:
        kind: One of ``SURROGATES``' keys: ``"tree"``, ``"linear"``, ``"naive_bayes"``.
        **params: Hyper-parameters of that surrogate.

    Returns:
        An unfitted surrogate estimator.

    Raises:
        ValueError: If ``kind`` is unknown (the message lists the allowed kinds) or
            a parameter name is not accepted (the message lists the allowed ones).

    Example:
        >>> build_surrogate("tree", max_depth=3)
        TreeSurrogate(max_depth=3)
    """
    if kind not in SURROGATES:
        raise ValueError(f"unknown surrogate kind {kind!r}; allowed kinds: "
                         f"{', '.join(sorted(SURROGATES))}.")
    cls = SURROGATES[kind]
    allowed = sorted(cls().get_params(deep=False))
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for surrogate "
                         f"{kind!r}; allowed parameters: {', '.join(allowed)}.")
    return cls(**params)
