"""The built-in networks (interpret_distill.models)."""

from __future__ import annotations

import torch

from interpret_distill.models import MLP, SmallCNN, count_parameters


def test_cnn_takes_flat_rows():
    net = SmallCNN((1, 8, 8), 10, channels=[4, 8])
    assert net(torch.zeros(3, 64)).shape == (3, 10)


def test_mlp_parameter_count_by_hand():
    # 4*8+8 + 8*3+3
    assert count_parameters(MLP(4, 3, hidden=[8])) == 67
