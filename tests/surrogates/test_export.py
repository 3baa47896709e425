"""Rendering a fitted tree surrogate as text (interpret_distill.surrogates._export)."""

import numpy as np
import pytest

from interpret_distill.surrogates import TreeSurrogate, export_text, tree_thresholds


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
    thresholds = tree_thresholds(tree, unscale)
    assert thresholds[0] == 13.0
    leaves = tree.estimator_.tree_.children_left < 0
    np.testing.assert_array_equal(thresholds[leaves], tree.estimator_.tree_.threshold[leaves])  # left as they are


def test_export_text_single_leaf():
    tree = TreeSurrogate().fit(np.zeros((3, 1)), np.array([[0.3, 0.7]] * 3))
    assert tree.export_text() == "|--- class: 1 (p=0.70)"



def test_export_text_function_and_method_agree():
    X = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    tree = TreeSurrogate(max_depth=1).fit(X, [0, 0, 1, 1])
    assert export_text(tree, ["a", "b"], ["no", "yes"], 3) == tree.export_text(["a", "b"], ["no", "yes"], 3)
