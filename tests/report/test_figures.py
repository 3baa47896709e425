"""Report figures (interpret_distill.report.figures): any user-provided name works (``$...$`` is no maths), and each
figure shows what it claims, the fidelity-complexity frontier included."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from interpret_distill.report import figures
from interpret_distill.report.figures import frontier_plot
from interpret_distill.selection import pareto_front
from interpret_distill.surrogates import LinearSurrogate, NaiveBayesSurrogate, TreeSurrogate
from tests.surrogates._data import misleading_root

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
                           metrics=metrics, info={"students": students}, task="classification")


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


def test_refined_tree_diagram_renders():
    X, y = misleading_root()
    tree = TreeSurrogate(max_depth=1, refine_passes=1).fit(X, y)
    fig = figures.tree_diagram(tree, ["a", "b"], ["no", "yes"], max_depth=1)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any(t.startswith("a\n<= 0.500\n") for t in texts)  # the refined split, rounded like the rules text


# --------------------------------------------------------------------------------- fidelity vs complexity

def test_frontier_plot(sweeps, sweep_grids):
    fig = frontier_plot(sweeps[1], split="val")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    for ax, kind in zip(fig.axes, sweep_grids):
        assert ax.get_title() == kind
        # naive Bayes has one parameter count for every fit: a column per regime, not a log axis
        assert "val" in ax.get_ylabel() and ax.get_xscale() == ("linear" if kind == "naive_bayes" else "log")
        assert len(ax.collections) == 4 and len(ax.lines) == 4  # points and front per regime
    fig.canvas.draw()  # renders headless
    assert "test" in frontier_plot(sweeps[1]).axes[0].get_ylabel()
    with pytest.raises(ValueError):
        frontier_plot(sweeps[1], split="train")


def _tick_labels(ax) -> tuple[list[str], list[str]]:
    ax.figure.canvas.draw()
    return ([t.get_text() for t in ax.xaxis.get_majorticklabels() if t.get_text()],
            [t.get_text() for t in ax.xaxis.get_minorticklabels() if t.get_text()])


def test_frontier_plot_labels_complexity_with_plain_numbers():
    # leaves from 16 to 709 (the digits report) and from 4 to 64 (breast cancer): 10^1 alone said nothing
    df = pd.DataFrame({"kind": ["tree"] * 4, "regime": ["soft"] * 4, "complexity_score": [16, 42, 163, 709],
                       "test_fidelity": [0.5, 0.7, 0.8, 0.9]})
    assert _tick_labels(frontier_plot(df).axes[0]) == (["20", "50", "100", "200", "500"], [])
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[4, 8, 16, 64])).axes[0])[0] == [
        "5", "10", "20", "50"]
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[900, 1500, 2000, 2400])).axes[0])[0] == [
        "1,000", "2,000"]
    # no 1-2-5 step inside a narrow range: its ends are labelled; a zero (symlog) gets its own label
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[26, 30, 34, 40])).axes[0])[0] == ["26", "40"]
    assert _tick_labels(frontier_plot(df.assign(complexity_score=[0, 3, 10, 30])).axes[0])[0] == [
        "0", "2", "5", "10", "20"]


def test_frontier_plot_spreads_a_kind_with_one_complexity_over_regime_columns():
    # every naive-Bayes fit has 1,290 parameters: at one x all points of all regimes would hide each other
    df = pd.DataFrame({"kind": ["naive_bayes"] * 6 + ["tree"] * 2,
                       "regime": ["hard", "hard", "hard", "soft", "soft", "soft", "soft", "hard"],
                       "complexity_score": [1290] * 6 + [4, 8],
                       "test_fidelity": [0.9, 0.9, 0.8, 0.95, 0.95, 0.95, 0.7, 0.8]})
    fig = frontier_plot(df)
    nb, tree = fig.axes
    assert "1,290 parameters" in nb.get_xlabel() and _tick_labels(nb)[0] == ["hard", "soft"]
    points = [collection.get_offsets() for collection in nb.collections]
    assert [len(np.unique(np.asarray(p), axis=0)) for p in points] == [3, 3]  # equal scores side by side
    assert all(abs(np.asarray(p)[:, 0] - column).max() < 0.5 for column, p in enumerate(points))
    assert [line.get_ydata()[0] for line in nb.lines] == [0.9, 0.95]  # a bar at each regime's best
    # colours follow the regime in both panels
    colour = [{c.get_label(): tuple(c.get_facecolor()[0]) for c in ax.collections} for ax in (nb, tree)]
    assert colour[0] == colour[1] and colour[0]["hard"] != colour[0]["soft"]


def test_frontier_plot_front_line_matches_pareto_front(toy_sweep):
    df = toy_sweep
    fig = frontier_plot(df, split="test")
    tree_soft_line = fig.axes[0].lines[0]
    x = np.asarray(tree_soft_line.get_xdata())
    sub = df[(df.kind == "tree") & (df.regime == "soft")]
    expected = np.sort(sub.complexity_score.to_numpy()[pareto_front(sub.complexity_score, sub.test_fidelity)])
    np.testing.assert_array_equal(x, expected)


def test_frontier_plot_front_spans_every_transfer_candidate():
    # hand-made points from two candidate sets of one regime (the front: tests/test_selection.py)
    complexity = [2, 4, 8, 16, 2, 4, 8, 16]
    fidelity = [0.60, 0.70, 0.80, 0.85,   # set A
                0.55, 0.75, 0.78, 0.90]   # set B
    df = pd.DataFrame({"kind": "tree", "regime": "soft+transfer", "complexity_score": complexity,
                       "test_fidelity": fidelity, "transfer": ["A"] * 4 + ["B"] * 4})
    line = frontier_plot(df).axes[0].lines[0]
    np.testing.assert_array_equal(line.get_xdata(), [2, 4, 8, 16])
    np.testing.assert_array_equal(line.get_ydata(), [0.60, 0.75, 0.80, 0.90])
