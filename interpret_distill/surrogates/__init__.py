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
"""

from __future__ import annotations

from ._base import SurrogateBase
from ._export import export_text, tree_thresholds
from .linear import LinearSurrogate
from .naive_bayes import NaiveBayesSurrogate
from .tree import TreeSurrogate

__all__ = [
    "SURROGATES",
    "LinearSurrogate",
    "NaiveBayesSurrogate",
    "SurrogateBase",
    "TreeSurrogate",
    "FEATURE_SETS",
    "base_kind",
    "build_surrogate",
    "check_surrogate_params",
    "kind_label",
    "export_text",
    "tree_thresholds",
]

SURROGATES: dict[str, type[SurrogateBase]] = {
    cls.kind: cls for cls in (TreeSurrogate, LinearSurrogate, NaiveBayesSurrogate)
}


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


def build_surrogate(kind: str, **params) -> SurrogateBase:
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


def check_surrogate_params(kind: str, **params) -> None:
    """Check a kind's hyper-parameter names and values without fitting anything.

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
    build_surrogate(kind, **params)._validate_params()
