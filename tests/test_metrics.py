"""Each metric on hand-computed inputs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from interpret_distill import metrics
from interpret_distill.metrics import (
    accuracy,
    agreement_matrix,
    evaluate,
    fidelity,
    kl_divergence,
    latency_ms_per_1k,
    total_variation,
)

TEACHER = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])
MODEL = np.array([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6], [0.1, 0.8, 0.1]])
LABELS = np.array([0, 1, 1, 1])


def test_accuracy_counts_argmax_hits():
    # model argmax: 0, 0, 2, 1 against labels 0, 1, 1, 1 -> 2 of 4
    assert accuracy(MODEL, LABELS) == 0.5


def test_fidelity_is_top1_agreement_with_teacher():
    # teacher argmax 0, 1, 2, 0; model 0, 0, 2, 1 -> rows 0 and 2 agree
    assert fidelity(MODEL, TEACHER) == 0.5
    assert fidelity(TEACHER, TEACHER) == 1.0


def test_kl_divergence_matches_hand_computation():
    teacher, model = np.array([[0.5, 0.5]]), np.array([[0.25, 0.75]])
    expected = 0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)  # KL(teacher ‖ model)
    assert kl_divergence(model, teacher) == pytest.approx(expected, rel=1e-12)
    assert kl_divergence(TEACHER, TEACHER) == pytest.approx(0.0, abs=1e-12)


def test_kl_divergence_is_model_first_like_every_metric_and_handles_zeros():
    teacher, model = np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])
    assert kl_divergence(model, teacher) == pytest.approx(np.log(2))  # 0·log 0 terms of the teacher vanish
    assert np.isfinite(kl_divergence(teacher, model)), "a zero model probability is floored, not infinite"
    assert kl_divergence(teacher, model) > kl_divergence(model, teacher)


def test_total_variation_is_half_l1():
    # row 0: |.1|+|.1|+0 = .2 ; row 1: .4+.4+0 = .8 ; row 2: .1+.1+.2 = .4 ; row 3: .4+.55+.15 = 1.1
    expected = 0.5 * np.mean([0.2, 0.8, 0.4, 1.1])
    assert total_variation(MODEL, TEACHER) == pytest.approx(expected)


def test_agreement_matrix_counts_teacher_rows_model_columns():
    # teacher classes 0, 0, 0, 1, 2; model classes 1, 1, 0, 1, 1: every disagreement is "model says 1"
    teacher, model = np.eye(3)[[0, 0, 0, 1, 2]], np.eye(3)[[1, 1, 0, 1, 1]]
    matrix = agreement_matrix(model, teacher, 3)
    expected = np.array([[1, 2, 0],   # teacher 0: model 0 once, model 1 twice
                         [0, 1, 0],   # teacher 1: model 1
                         [0, 1, 0]])  # teacher 2: model 1
    np.testing.assert_array_equal(matrix, expected)
    assert np.trace(matrix) / matrix.sum() == fidelity(model, teacher)


@pytest.mark.parametrize("metric", [fidelity, kl_divergence, total_variation])
def test_probability_metrics_refuse_a_model_with_fewer_columns_than_the_teacher(metric):
    # A model fitted on labels that never contain class 0 has 2 columns; comparing argmax positions would be wrong.
    with pytest.raises(ValueError, match="np.eye"):
        metric(MODEL[:, 1:], TEACHER)


def test_metrics_refuse_nan_probabilities():
    broken = MODEL.copy()
    broken[1] = np.nan
    for call in (lambda: fidelity(broken, TEACHER), lambda: fidelity(MODEL, broken), lambda: accuracy(broken, LABELS)):
        with pytest.raises(ValueError, match="NaN"):
            call()


@pytest.mark.parametrize("labels", [np.array(["a", "b", "b", "b"]), np.array([1, 2, 3, 1]), np.array([0.0, 1, 1, 1]),
                                    LABELS[:3]])
def test_accuracy_refuses_labels_that_are_not_column_positions(labels):
    with pytest.raises(ValueError, match="label"):
        accuracy(MODEL, labels)


def test_evaluate_bundles_every_metric():
    result = evaluate(MODEL, TEACHER, LABELS)
    assert result == {"accuracy": 0.5, "fidelity": 0.5, "kl": kl_divergence(MODEL, TEACHER),
                      "tv": total_variation(MODEL, TEACHER)}


def test_latency_is_per_thousand_rows(monkeypatch):
    calls = []

    def predict(X):
        calls.append(len(X))
        return X

    # the clock reads 0, 0.5 (first repeat: 0.5 s), then 1.0, 1.25 (second repeat: 0.25 s)
    ticks = iter([0.0, 0.5, 1.0, 1.25])
    monkeypatch.setattr(metrics, "time", SimpleNamespace(perf_counter=lambda: next(ticks)))
    value = latency_ms_per_1k(predict, np.zeros((500, 3)), repeats=2)
    # best of the two: 0.25 s = 250 ms for 500 rows -> 500 ms per 1,000 rows
    assert value == pytest.approx(500.0) and calls == [8, 500, 500]
