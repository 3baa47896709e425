"""The report's text: the summary names models chosen on validation, the index sets baselines beside them."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest

from interpret_distill.report import render, render_index
from interpret_distill.runs import load_run


@pytest.fixture
def run_copy(tiny_run, tmp_path):
    target = tmp_path / "tiny"
    shutil.copytree(tiny_run, target)
    return target


def _edit_metrics(run_dir, rows: dict[str, dict]) -> None:
    """Overwrite some metrics of a saved run: ``{model: {column: value}}``."""
    metrics = pd.read_csv(run_dir / "metrics.csv").set_index("model")
    for model, values in rows.items():
        for column, value in values.items():
            metrics.loc[model, column] = value
    metrics.reset_index().to_csv(run_dir / "metrics.csv", index=False)


def test_summary_names_the_surrogate_chosen_on_validation_not_test(run_copy):
    # the tree wins on test, the linear model on validation: the summary must name the linear model
    metrics = pd.read_csv(run_copy / "metrics.csv")
    chosen = metrics[(metrics.family == "surrogate") & (metrics.role == "distilled")].model
    _edit_metrics(run_copy, {model: {"role": "alternative"} for model in chosen})
    _edit_metrics(run_copy, {"tree:soft+transfer": {"fidelity": 0.99, "val_fidelity": 0.80, "role": "distilled"},
                             "linear:soft+transfer": {"fidelity": 0.90, "val_fidelity": 0.95, "role": "distilled"},
                             "naive_bayes:soft+transfer": {"fidelity": 0.85, "val_fidelity": 0.70, "role": "distilled"},
                             "linear:hard": {"fidelity": 0.81}, "linear:hard+transfer": {"fidelity": 0.86},
                             "linear:ground_truth": {"fidelity": 0.79}})
    sentence = render._summary(load_run(run_copy))["surrogate"]
    assert "most faithful on validation is linear:soft+transfer" in sentence
    assert "0.900 of test rows" in sentence
    assert ("0.810 when fitted on the teacher's hard labels, on 0.860 when fitted on its hard labels of the "
            "transfer rows and on 0.790 when fitted on the ground truth.") in sentence


def test_summary_names_every_kind_tied_on_validation(run_copy):
    # linear and naive Bayes tie on validation; their complexities (coefficients, parameters) cannot break the tie
    metrics = pd.read_csv(run_copy / "metrics.csv")
    chosen = metrics[(metrics.family == "surrogate") & (metrics.role == "distilled")].model
    _edit_metrics(run_copy, {model: {"role": "alternative"} for model in chosen})
    _edit_metrics(run_copy, {"tree:soft+transfer": {"fidelity": 0.99, "val_fidelity": 0.80, "role": "distilled"},
                             "linear:soft+transfer": {"fidelity": 0.90, "val_fidelity": 1.0, "role": "distilled",
                                                      "complexity_score": 1.0},
                             "naive_bayes:soft+transfer": {"fidelity": 0.95, "val_fidelity": 1.0, "role": "distilled",
                                                           "complexity_score": 1000.0},
                             "linear:hard": {"fidelity": 0.81}, "naive_bayes:hard": {"fidelity": 0.83}})
    sentence = render._summary(load_run(run_copy))["surrogate"]
    assert sentence.startswith("2 distilled surrogates tie as most faithful on validation (val fidelity 1.000).")
    assert "linear:soft+transfer" in sentence and "naive_bayes:soft+transfer" in sentence
    assert "tree:" not in sentence
    assert "0.900 of test rows; the same kind agrees on 0.810 when fitted on the teacher's hard labels" in sentence
    assert "0.950 of test rows; the same kind agrees on 0.830 when fitted on the teacher's hard labels" in sentence


def test_summary_says_how_the_student_width_was_chosen(run_copy):
    import json

    students = pd.read_csv(run_copy / "sweep.csv").query("kind == 'student'")
    assert students.params.nunique() == 2  # the tiny config's two widths
    assert "the width most faithful on validation among 2)" in render._summary(load_run(run_copy))["student"]
    info = json.loads((run_copy / "run.json").read_text())
    info["config"]["student"]["budget"] = students.complexity_score.min()
    (run_copy / "run.json").write_text(json.dumps(info))
    sentence = render._summary(load_run(run_copy))["student"]
    assert f"among the 1 of 2 within the budget of {students.complexity_score.min():,g} parameters" in sentence


def test_terms_explain_every_role_and_regime_of_the_comparison(tiny_run):
    terms = (render.TEMPLATES / "report.html").read_text().split('<details class="terms">')[1].split("</details>")[0]
    metrics = pd.read_csv(tiny_run / "metrics.csv")
    surrogate_regimes = set(metrics[metrics.family != "student"].regime)  # student regimes have their own entry
    assert {f"<b>{name}</b>" in terms for name in set(metrics.role) | surrogate_regimes} == {True}


def test_index_sets_each_baseline_beside_the_distilled_model(run_copy):
    metrics = pd.read_csv(run_copy / "metrics.csv")
    distilled_tree = metrics[(metrics.kind == "tree") & (metrics.role == "distilled")].model.item()
    _edit_metrics(run_copy, {distilled_tree: {"fidelity": 0.951}, "tree:hard": {"fidelity": 0.812},
                             "tree:hard+transfer": {"fidelity": 0.907}, "tree:ground_truth": {"fidelity": 0.803},
                             "student": {"fidelity": 0.944}, "student_scratch": {"fidelity": 0.921}})
    index = render_index(run_copy.parent).read_text()
    text = " ".join(re.sub(r"<[^>]+>", " ", index).split())
    assert "tree fidelity (hard labels, + transfer rows, ground truth)" in text
    assert "student fidelity (scratch)" in text and "teacher test accuracy" in text
    assert "0.951 (0.812, 0.907, 0.803)" in text
    assert "0.944 (0.921)" in text


def test_same_scores_detects_overlapping_regimes():
    rows = [("tree", "train", "max_depth=1", 0.5, 0.8, 0.7), ("tree", "train", "max_depth=2", 0.3, 0.9, 0.8)]
    columns = ["kind", "transfer", "params", "val_kl", "val_fidelity", "test_fidelity"]
    truth = pd.DataFrame(rows, columns=columns).assign(regime="ground_truth")
    hard = truth.assign(regime="hard")
    assert render._same_scores(pd.concat([truth, hard]), "ground_truth", "hard")
    moved = hard.assign(test_fidelity=[0.7, 0.81])
    assert not render._same_scores(pd.concat([truth, moved]), "ground_truth", "hard")
    assert not render._same_scores(truth, "ground_truth", "hard")  # no hard-label fits at all
