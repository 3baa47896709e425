"""The registry of surrogate kinds (interpret_distill.surrogates.SURROGATES) and what derives from it."""

import numpy as np
import pytest

from interpret_distill.surrogates import (
    SURROGATES,
    LinearSurrogate,
    NaiveBayesSurrogate,
    TreeSurrogate,
    build_surrogate,
    check_surrogate_params,
)


def test_registry_names_each_class_by_its_kind():
    assert SURROGATES == {"tree": TreeSurrogate, "linear": LinearSurrogate, "naive_bayes": NaiveBayesSurrogate}
    for kind, cls in SURROGATES.items():
        assert cls.kind == kind and cls.title and cls.complexity_unit
    assert {kind: cls.complexity_unit for kind, cls in SURROGATES.items()} == {
        "tree": "leaves", "linear": "non-zero coefficients", "naive_bayes": "parameters"}


def test_native_decompositions_are_known_to_the_attributions():
    from interpret_distill.attribution.native import DECOMPOSITIONS

    assert {kind: cls.native_decomposition for kind, cls in SURROGATES.items()} == {
        "tree": "saabas", "linear": "linear_terms", "naive_bayes": "gaussian_evidence"}
    assert {cls.native_decomposition for cls in SURROGATES.values()} <= set(DECOMPOSITIONS)


def test_build_surrogate():
    assert isinstance(build_surrogate("naive_bayes"), NaiveBayesSurrogate)
    assert build_surrogate("linear", C=0.1, l1_ratio=1.0).get_params()["C"] == 0.1
    with pytest.raises(ValueError, match=r"'forest'.*linear, naive_bayes, tree"):
        build_surrogate("forest")
    with pytest.raises(ValueError,
                       match=r"depth.*'tree'.*max_depth, max_leaf_nodes, "
                             r"min_samples_leaf, random_state"):
        build_surrogate("tree", depth=3)


def test_check_surrogate_params_refuses_without_fitting(monkeypatch):
    for cls in SURROGATES.values():  # a fit here would be a probe fit: the check must not need one
        monkeypatch.setattr(cls, "fit", lambda *a, **k: pytest.fail("check_surrogate_params fitted a model"))
    check_surrogate_params("tree", max_depth=3, criterion="entropy")
    check_surrogate_params("linear")
    with pytest.raises(ValueError, match=r"'max_depth' parameter of TreeSurrogate must be an int in the range "
                                         r"\[1, inf\) or None\. Got 0 instead\."):
        check_surrogate_params("tree", max_depth=0)
    with pytest.raises(ValueError, match=r"'C' parameter of LinearSurrogate must be a float"):
        check_surrogate_params("linear", C="large")
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) depth for surrogate 'tree'"):
        check_surrogate_params("tree", depth=3)
    with pytest.raises(ValueError, match=r"unknown surrogate kind 'forest'"):
        check_surrogate_params("forest")


def test_default_grids_are_valid():
    tree, linear, nb = (SURROGATES[k].default_grid for k in ("tree", "linear", "naive_bayes"))
    assert [p["max_depth"] for p in tree if "max_depth" in p] == list(range(1, 11))
    Cs = sorted({p["C"] for p in linear})
    assert Cs[0] == 0.001 and Cs[-1] == 10.0 and {p["l1_ratio"] for p in linear} == {0.0, 1.0}
    np.testing.assert_allclose(np.diff(np.log10(Cs)), np.diff(np.log10(Cs))[0])  # log-spaced
    vs = [p["var_smoothing"] for p in nb]
    assert vs[0] == 1e-9 and vs[-1] == 1e-1
    for kind, cls in SURROGATES.items():
        assert cls.default_grid, kind
        for params in cls.default_grid:
            check_surrogate_params(kind, **params)  # raises on a bad name or value
