"""Networks, the shared training loop with early stopping, and the teacher cache."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from interpret_distill.config import TeacherConfig
from interpret_distill.data import load_dataset
from interpret_distill.models import MLP, SmallCNN, count_parameters, predict_proba, softmax
from interpret_distill.teachers import teacher_cache_key, train_teacher
from interpret_distill.training import train_network


def test_cnn_takes_flat_rows():
    net = SmallCNN((1, 8, 8), 10, channels=[4, 8])
    assert net(torch.zeros(3, 64)).shape == (3, 10)


def test_mlp_parameter_count_by_hand():
    # 4*8+8 + 8*3+3
    assert count_parameters(MLP(4, 3, hidden=[8])) == 67


def test_softmax_temperature_flattens():
    logits = np.array([[2.0, 0.0]])
    cold, hot = softmax(logits, 1.0), softmax(logits, 4.0)
    np.testing.assert_allclose(cold, [[1 / (1 + np.exp(-2)), 1 / (1 + np.exp(2))]])
    assert hot[0, 0] < cold[0, 0] and hot.sum() == 1.0


def test_early_stopping_restores_best_epoch():
    torch.manual_seed(0)
    net = torch.nn.Linear(2, 2)
    X = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    scores = iter([0.5, 0.9, 0.6, 0.6, 0.6, 0.6])
    weights = []

    def score(module):
        weights.append(module.weight.detach().clone())
        return next(scores)

    log = train_network(net, X, y, lambda m, xb, yb, g: torch.nn.functional.cross_entropy(m(xb), yb), score,
                        epochs=6, batch_size=8, lr=0.1, weight_decay=0.0, patience=3, seed=0, progress=False)
    assert log.best_epoch == 2 and log.epochs_run == 5, "stops after 3 epochs without improvement"
    torch.testing.assert_close(net.weight, weights[1])


def test_teacher_is_cached_by_data_and_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("INTERPRET_DISTILL_CACHE", str(tmp_path))
    from interpret_distill.config import DataConfig

    ds = load_dataset(DataConfig(source="sklearn", name="iris"), seed=0)
    cfg = TeacherConfig(hidden=[8], epochs=3, batch_size=16)
    first, info1 = train_teacher(ds, cfg, seed=0, progress=False)
    second, info2 = train_teacher(ds, cfg, seed=0, progress=False)
    assert (info1["cached"], info2["cached"]) == (False, True)
    np.testing.assert_array_equal(predict_proba(first, ds.X_test), predict_proba(second, ds.X_test))
    assert teacher_cache_key(ds, cfg, 0) != teacher_cache_key(ds, cfg, 1)
    assert teacher_cache_key(ds, cfg, 0) != teacher_cache_key(ds, TeacherConfig(hidden=[8], epochs=4), 0)


def test_a_cache_that_cannot_be_written_warns_and_the_teacher_is_still_returned(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv("INTERPRET_DISTILL_CACHE", str(blocker))  # a file where the cache folder should be
    from interpret_distill.config import DataConfig

    ds = load_dataset(DataConfig(source="sklearn", name="iris"), seed=0)
    with pytest.warns(UserWarning, match="not cached .*INTERPRET_DISTILL_CACHE"):
        module, info = train_teacher(ds, TeacherConfig(hidden=[8], epochs=2, batch_size=16), seed=0, progress=False)
    assert info["cached"] is False and predict_proba(module, ds.X_test).shape == (len(ds.y_test), 3)
