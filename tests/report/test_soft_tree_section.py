"""The soft tree section: its drawing for image data and the per-depth table beside the tree surrogates."""

import json

import numpy as np
import pandas as pd
import torch

from interpret_distill.report.soft_tree_section import depth_table, soft_tree_figure
from interpret_distill.soft_tree import SoftDecisionTree


def test_image_data_draws_each_top_node_as_its_weight_image_in_tree_order():
    torch.manual_seed(0)
    tree = SoftDecisionTree(16, 3, depth=4, beta=2.0)
    fig = soft_tree_figure(tree, [f"p{i}" for i in range(16)], ["a", "b", "c"], image_shape=(1, 4, 4), levels=3)
    nodes = [ax for ax in fig.axes if ax.get_title().startswith("node")]
    assert [ax.get_title().split(" (")[0] for ax in nodes] == [f"node {i}" for i in range(7)]
    # each panel is β times its node's weight vector, folded into the image
    shown = nodes[5].get_images()[0].get_array()
    np.testing.assert_allclose(shown, 2.0 * tree.gates.weight.detach()[5].numpy().reshape(4, 4), rtol=1e-6)
    # in-order columns: the root above the middle, its children above the middle of their halves
    centre = [ax.get_position().x0 + ax.get_position().width / 2 for ax in nodes]
    assert centre[3] < centre[1] < centre[4] < centre[0] < centre[5] < centre[2] < centre[6]
    leaves = next(ax for ax in fig.axes if ax.get_title().startswith("leaf"))
    assert leaves.get_images()[0].get_array().shape == (3, 16)  # classes x leaves


def test_the_tree_beside_each_depth_is_its_most_faithful_distilled_fit_on_validation():
    def row(kind, regime, params, val, test):
        return {"kind": kind, "regime": regime, "transfer": "train", "params": json.dumps(params),
                "params_json": json.dumps(params), "complexity_score": 1.0, "val_fidelity": val, "val_kl": 0.1,
                "test_fidelity": test, "test_accuracy": test}

    sweep = pd.DataFrame([
        row("student", "kd", {"arch": "soft_tree", "depth": 3}, 0.9, 0.91),
        row("student", "scratch", {"arch": "soft_tree", "depth": 3}, 0.8, 0.81),
        row("tree", "hard", {"max_depth": 3}, 0.99, 0.99),           # a baseline on labels: never beside
        row("tree", "soft", {"max_depth": 3}, 0.70, 0.75),
        row("tree", "soft+transfer", {"max_depth": 3}, 0.80, 0.60),  # best on validation, worse on test
        row("tree", "soft", {"max_depth": 4}, 0.95, 0.95),           # another depth
    ])
    table = depth_table(sweep)
    assert table.depth.tolist() == [3]
    assert table.loc[0, ["soft_fidelity", "scratch_fidelity", "tree_fidelity"]].tolist() == [0.91, 0.81, 0.60]
    assert table.loc[0, "tree_fit"].startswith("soft+transfer")
