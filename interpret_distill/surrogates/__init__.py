"""Interpretable scikit-learn surrogates fitted on a teacher's soft labels, one family per module.

Every surrogate accepts as ``y`` either 1-D class labels or an ``(n, k)`` matrix of class probabilities and, in
the second case, learns from the full probability vectors rather than their argmax:

- :class:`TreeSurrogate` (``tree.py``): a decision tree split on the probabilities (squared error or soft
  cross-entropy), whose leaves hold mean teacher probabilities, optionally refined for 0/1 agreement (TAO in
  ``_tao.py``, exact search of the bottom depth-2 subtrees in ``_fringe.py``); text rendering in ``_export.py``;
- :class:`LinearSurrogate` (``linear.py``): multinomial logistic regression minimising the soft cross-entropy;
- :class:`NaiveBayesSurrogate` (``naive_bayes.py``): Gaussian naive Bayes with soft class memberships,
  optionally refitted to maximise the soft conditional likelihood.

:data:`SURROGATES` is the registry: the config's kinds, default grids, complexity units, native attributions,
report titles and trusted types for loading saved runs all derive from it. A new kind is one module with a
:class:`SurrogateBase` subclass plus one entry here (``docs/adding_a_surrogate.md``).

A teacher that predicts a number is explained by the regression surrogates of :data:`REGRESSION_SURROGATES`,
fitted on one float per row (:class:`RegressorSurrogateBase`, ``_regression_base.py``):
:class:`TreeSurrogateRegressor` (``regression_tree.py``, a CART tree with the variance explained per depth),
:class:`LinearSurrogateRegressor` (``regression_linear.py``, ridge / lasso / elastic net) and
:class:`AdditiveSurrogateRegressor` (``additive.py``, a spline GAM with one shape function per feature). The kinds
share their names with the classifiers' (``tree``, ``linear``), so :func:`surrogate_registry` picks the registry
by task.
"""

from __future__ import annotations

from ._base import SurrogateBase
from ._export import export_regression_text, export_text, tree_thresholds
from ._regression_base import RegressorSurrogateBase
from .additive import AdditiveSurrogateRegressor
from .linear import LinearSurrogate
from .naive_bayes import NaiveBayesSurrogate
from .regression_linear import LinearSurrogateRegressor
from .regression_tree import TreeSurrogateRegressor
from .tree import TreeSurrogate

__all__ = [
    "REGRESSION_SURROGATES",
    "SURROGATES",
    "TASKS",
    "AdditiveSurrogateRegressor",
    "LinearSurrogate",
    "LinearSurrogateRegressor",
    "NaiveBayesSurrogate",
    "RegressorSurrogateBase",
    "SurrogateBase",
    "TreeSurrogate",
    "TreeSurrogateRegressor",
    "FEATURE_SETS",
    "base_kind",
    "build_surrogate",
    "check_surrogate_params",
    "kind_label",
    "surrogate_registry",
    "export_regression_text",
    "export_text",
    "tree_thresholds",
]

SURROGATES: dict[str, type[SurrogateBase]] = {
    cls.kind: cls for cls in (TreeSurrogate, LinearSurrogate, NaiveBayesSurrogate)
}
REGRESSION_SURROGATES: dict[str, type[RegressorSurrogateBase]] = {
    cls.kind: cls for cls in (TreeSurrogateRegressor, LinearSurrogateRegressor, AdditiveSurrogateRegressor)
}
# What a teacher predicts -> the surrogates that explain it.
TASKS: dict[str, dict[str, type]] = {"classification": SURROGATES, "regression": REGRESSION_SURROGATES}


def surrogate_registry(task: str = "classification") -> dict[str, type]:
    """The registry of surrogate kinds for a task: :data:`SURROGATES` or :data:`REGRESSION_SURROGATES`.

    Args:
        task: ``"classification"`` or ``"regression"`` (the keys of :data:`TASKS`).

    Returns:
        The kind -> class mapping.

    Raises:
        ValueError: an unknown task (the message lists the known ones).

    Example:
        >>> sorted(surrogate_registry("regression"))
        ['additive', 'linear', 'tree']
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; allowed tasks: {', '.join(TASKS)}.")
    return TASKS[task]


# What a surrogate may be fitted on: the model's input columns as they are ("pixels", for tables too), or the patch
# features of images (interpret_distill.image_features). A kind fitted on patches is labelled "<kind>@patches" in
# metrics, sweeps and reports, so both fits of one kind sit side by side; the registry is looked up by base_kind.
FEATURE_SETS = ("pixels", "patches")


def kind_label(kind: str, features: str = "pixels") -> str:
    """How metrics, sweeps and reports name a kind fitted on a feature set: ``tree``, or ``tree@patches``.

    Args:
        kind: a key of :data:`SURROGATES`.
        features: one of :data:`FEATURE_SETS`.

    Returns:
        The label.

    Example:
        >>> kind_label("tree"), kind_label("tree", "patches")
        ('tree', 'tree@patches')
    """
    if features not in FEATURE_SETS:
        raise ValueError(f"unknown feature set {features!r}; allowed: {', '.join(FEATURE_SETS)}")
    return kind if features == "pixels" else f"{kind}@{features}"


def base_kind(label: str) -> str:
    """The registry kind of a label from :func:`kind_label` (``tree@patches`` -> ``tree``).

    Args:
        label: a kind label (a plain kind is its own label).

    Returns:
        The key of :data:`SURROGATES`.

    Example:
        >>> base_kind("linear@patches"), base_kind("tree")
        ('linear', 'tree')
    """
    return label.split("@", 1)[0]


def build_surrogate(kind: str, task: str = "classification", **params) -> SurrogateBase | RegressorSurrogateBase:
    """Instantiate a surrogate by name.

    Args:
        kind: A key of the task's registry: ``"tree"``, ``"linear"``, ``"naive_bayes"`` (classification) or
            ``"tree"``, ``"linear"``, ``"additive"`` (regression).
        task: ``"classification"`` or ``"regression"`` (:func:`surrogate_registry`).
        **params: Hyper-parameters of that surrogate.

    Returns:
        An unfitted surrogate estimator.

    Raises:
        ValueError: If ``task`` or ``kind`` is unknown (the message lists the allowed ones) or
            a parameter name is not accepted (the message lists the allowed ones).

    Example:
        >>> build_surrogate("tree", max_depth=3)
        TreeSurrogate(max_depth=3)
        >>> build_surrogate("tree", task="regression", max_depth=3)
        TreeSurrogateRegressor(max_depth=3)
    """
    registry = surrogate_registry(task)
    if kind not in registry:
        for_task = "" if task == "classification" else f" for {task}"
        raise ValueError(f"unknown surrogate kind {kind!r}{for_task}; allowed kinds: "
                         f"{', '.join(sorted(registry))}.")
    cls = registry[kind]
    allowed = sorted(cls().get_params(deep=False))
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for surrogate "
                         f"{kind!r}; allowed parameters: {', '.join(allowed)}.")
    return cls(**params)


def check_surrogate_params(kind: str, task: str = "classification", **params) -> None:
    """Check a kind's hyper-parameter names and values without fitting anything.

    Args:
        kind: A key of the task's registry.
        task: ``"classification"`` or ``"regression"``.
        **params: Hyper-parameters of that surrogate.

    Raises:
        ValueError: an unknown kind or parameter name, or a value outside the kind's
            ``_parameter_constraints`` (scikit-learn's own message, e.g. "must be an int in the range
            [1, inf)").

    Example:
        >>> check_surrogate_params("tree", max_depth=0)
        Traceback (most recent call last):
        ...
        sklearn.utils._param_validation.InvalidParameterError: The 'max_depth' parameter of TreeSurrogate must be an int in the range [1, inf) or None. Got 0 instead.
    """
    build_surrogate(kind, task, **params)._validate_params()
