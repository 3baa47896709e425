"""Probabilities from logits (interpret_distill.probability)."""

from __future__ import annotations

import numpy as np

from interpret_distill import models
from interpret_distill.probability import softmax


def test_softmax_temperature_flattens():
    logits = np.array([[2.0, 0.0]])
    cold, hot = softmax(logits, 1.0), softmax(logits, 4.0)
    np.testing.assert_allclose(cold, [[1 / (1 + np.exp(-2)), 1 / (1 + np.exp(2))]])
    assert hot[0, 0] < cold[0, 0] and hot.sum() == 1.0


def test_softmax_is_numerically_stable_and_re_exported_by_models():
    np.testing.assert_allclose(softmax(np.array([[1000.0, 1000.0, -1000.0]])), [[0.5, 0.5, 0.0]])
    assert models.softmax is softmax
