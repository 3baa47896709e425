"""The shared training loop (interpret_distill.training): early stopping restores the best epoch."""

from __future__ import annotations

import numpy as np
import torch

from interpret_distill.training import train_network


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


def _record_rows(epochs: int, n: int, epoch_rows: int | None) -> tuple[list[list[int]], torch.Tensor]:
    """Train a linear net on rows whose only feature is their index; return each epoch's rows and the weights."""
    torch.manual_seed(0)
    net = torch.nn.Linear(1, 2)
    X, y = np.arange(n, dtype=np.float32)[:, None], np.arange(n) % 2
    epochs_seen, current = [], []

    def step(module, xb, yb, _g):
        current.extend(xb[:, 0].long().tolist())
        return torch.nn.functional.cross_entropy(module(xb / n), yb)

    def score(_module):
        epochs_seen.append(current.copy())
        current.clear()
        return 0.0

    train_network(net, X, y, step, score, epochs=epochs, batch_size=4, lr=0.1, weight_decay=0.0, patience=99, seed=3,
                  epoch_rows=epoch_rows, progress=False)
    return epochs_seen, net.weight.detach().clone()


def test_epoch_rows_at_or_past_the_training_rows_changes_nothing():
    plain_rows, plain_weights = _record_rows(3, 20, None)
    capped_rows, capped_weights = _record_rows(3, 20, 20)
    assert plain_rows == capped_rows and all(sorted(rows) == list(range(20)) for rows in plain_rows)
    torch.testing.assert_close(plain_weights, capped_weights)


def test_epoch_rows_slices_a_stream_of_shuffles_every_row_once_before_twice():
    epochs, _ = _record_rows(5, 20, 8)  # 40 rows drawn in epochs of 8: two whole passes over the 20 rows
    assert [len(rows) for rows in epochs] == [8] * 5
    drawn = [row for rows in epochs for row in rows]
    assert sorted(drawn[:20]) == list(range(20)) and sorted(drawn[20:]) == list(range(20))
    assert drawn[:20] != drawn[20:], "each pass is a fresh shuffle"
