"""Report figures: any user-provided name works (``$...$`` is no maths), and each figure shows what it claims."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from interpret_distill.report import figures
from interpret_distill.surrogates import LinearSurrogate, NaiveBayesSurrogate, TreeSurrogate

NAMES = [r"price $\frac$", "<b>bold</b>", "cost ($)"]
CLASSES = [r"$\alpha", "plain"]


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


def test_plot_text_escapes_mathtext_dollars():
    assert figures.plot_text("cost ($)") == r"cost (\$)"


def test_surrogate_figures_render_hostile_names():
    X, y = _data()
    rendered = [
        figures.tree_diagram(TreeSurrogate(max_depth=2).fit(X, y), NAMES, CLASSES),
        figures.linear_coefficients(LinearSurrogate().fit(X, y), NAMES, CLASSES),
        figures.naive_bayes_means(NaiveBayesSurrogate().fit(X, y), NAMES, CLASSES),
    ]
    for fig in rendered:
        uri = figures.to_data_uri(fig)
        assert uri.startswith("data:image/svg+xml;base64,") and len(uri) > 1000


def _texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_tree_diagram_rounds_thresholds_like_the_rules_and_keeps_boxes_apart():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    tree = TreeSurrogate(max_depth=4).fit(X, y)
    names = ["a rather long feature name", "mean texture", "worst concave points"]
    fig = figures.tree_diagram(tree, names, ["malignant", "benign"], max_depth=3)
    rules = tree.export_text(feature_names=names, class_names=["malignant", "benign"],
                             decimals=figures.RULE_DECIMALS)
    boxes = [t for t in fig.axes[0].texts if "fitting rows" in t.get_text()]
    assert len(boxes) == 15  # 1 + 2 + 4 + 8 nodes
    for box in boxes:
        lines = box.get_text().split("\n")
        assert lines[-2].endswith(" fitting rows") and lines[-1].split(" ")[1] == "class"  # "61% class benign"
    root = next(box for box in boxes if box.get_position()[1] == 0).get_text().split("\n")
    # a long name wraps; the threshold has its own line and reads as in the rules text
    assert root[:3] == ["a rather long feature", "name", "<= 0.005"]
    assert rules.split("\n")[0] == "|--- a rather long feature name <= 0.005"
    fig.canvas.draw()
    patches = [box.get_bbox_patch().get_window_extent() for box in boxes]
    overlaps = [(i, j) for i in range(len(patches)) for j in range(i) if patches[i].overlaps(patches[j])]
    assert overlaps == []


def _fake_run(k: int, students: dict | None = None):
    """What the figures read of a run: test probabilities, dataset facts, metrics and the students' logs."""
    teacher = np.repeat(np.arange(k), 20)
    model = teacher.copy()
    model[:3] = 1  # three rows of class 0 taken for class 1; the diagonal holds 20 rows per class
    metrics = pd.DataFrame({"model": ["teacher", "student", "student_scratch"], "accuracy": [0.944, 0.916, 0.944],
                            "fidelity": [1.0, 0.944, 0.972]})
    return SimpleNamespace(test_probs={"teacher": np.eye(k)[teacher], "tree:soft": np.eye(k)[model]},
                           dataset={"n_classes": k, "class_names": [str(c) for c in range(k)]},
                           metrics=metrics, info={"students": students})


def test_agreement_matrices_number_every_disagreement_even_with_ten_classes():
    fig = figures.agreement_matrices(_fake_run(10))
    assert _texts(fig).count("3") == 1  # the off-diagonal cell, no longer left blank above 5 classes
    assert _texts(fig).count("20") == 9 and _texts(fig).count("17") == 1  # the diagonal fits at 10 classes
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    # many classes: the diagonal is left out, disagreements are still numbered
    assert _texts(figures.agreement_matrices(_fake_run(20))) == ["3"]


def test_student_comparison_marks_the_kept_epoch_and_names_the_width():
    log = {"val_scores": [0.8, 0.9, 0.85, 0.86], "best_epoch": 2, "size": "hidden=[16]"}
    fig = figures.student_comparison(_fake_run(2, {"distilled": log, "scratch": {**log, "best_epoch": 3}}))
    curves, dots = fig.axes[:2]
    kept = [line.get_xdata()[0] for line in curves.lines if line.get_linestyle() == "--"]
    assert kept == [2, 3]
    assert all("hidden=[16]" in t.get_text() for t in curves.get_legend().get_texts()[::2])
    assert not dots.patches  # dots, not bars cut off at a non-zero base
    # runs written before the width sweep have no "size"
    old = {k: v for k, v in log.items() if k != "size"}
    figures.student_comparison(_fake_run(2, {"distilled": old, "scratch": old}))


def test_linear_and_naive_bayes_figures_name_the_scaling_alike():
    X, y = _data()
    labels = []
    for fig in (figures.linear_coefficients(LinearSurrogate().fit(X, y), NAMES, CLASSES),
                figures.naive_bayes_means(NaiveBayesSurrogate().fit(X, y), NAMES, CLASSES)):
        labels.append(" ".join([fig.get_suptitle()] + [ax.get_ylabel() + ax.get_title() for ax in fig.axes]))
    assert all(figures.TABULAR_UNITS in text for text in labels)
