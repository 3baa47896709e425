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
