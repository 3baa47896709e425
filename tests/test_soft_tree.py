"""The soft decision tree: routing on hand-computed cases, the balance penalty, recovering one oblique split, saving."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill.artifacts import load_network, network_spec, save_network
from interpret_distill.config import StudentConfig
from interpret_distill.data import Dataset
from interpret_distill.metrics import fidelity
from interpret_distill.models import build_network, count_parameters, predict_proba
from interpret_distill.soft_tree import SoftDecisionTree, balance_penalty, node_depths
from interpret_distill.students import distill_student, train_scratch_student


def set_gates(tree: SoftDecisionTree, weight, bias) -> SoftDecisionTree:
    with torch.no_grad():
        tree.gates.weight.copy_(torch.tensor(weight, dtype=torch.float32))
        tree.gates.bias.copy_(torch.tensor(bias, dtype=torch.float32))
    return tree


def test_routing_multiplies_the_gates_along_each_path():
    # depth 2, one input; gates: root sends right with sigmoid(0) = 1/2, node 1 with sigmoid(ln 3) = 3/4,
    # node 2 with sigmoid(-ln 3) = 1/4 (weights 0: the routing does not depend on x)
    tree = set_gates(SoftDecisionTree(1, 2, depth=2), [[0.0], [0.0], [0.0]], [0.0, math.log(3), -math.log(3)])
    log_reach, log_right, log_leaf = tree.routing(torch.zeros(1, 1))
    assert log_reach.exp()[0].tolist() == pytest.approx([1.0, 0.5, 0.5])
    assert log_right.exp()[0].tolist() == pytest.approx([0.5, 0.75, 0.25])
    # leaves left to right: (left, left), (left, right), (right, left), (right, right)
    assert log_leaf.exp()[0].tolist() == pytest.approx([0.5 * 0.25, 0.5 * 0.75, 0.5 * 0.75, 0.5 * 0.25])


def test_the_output_is_the_log_of_the_leaf_mixture():
    tree = set_gates(SoftDecisionTree(1, 2, depth=1), [[0.0]], [math.log(3)])  # right with probability 3/4
    with torch.no_grad():
        tree.leaf_logits.copy_(torch.tensor([[0.0, -1e4], [-1e4, 0.0]]))  # left leaf: class 0, right leaf: class 1
    assert tree(torch.zeros(1, 1)).exp()[0].tolist() == pytest.approx([0.25, 0.75])


def test_beta_sharpens_the_gates():
    x = torch.tensor([[1.0]])
    soft, sharp = (set_gates(SoftDecisionTree(1, 2, depth=1, beta=beta), [[1.0]], [0.0]) for beta in (1.0, 10.0))
    assert soft.routing(x)[1].exp().item() == pytest.approx(1 / (1 + math.exp(-1)))
    assert sharp.routing(x)[1].exp().item() == pytest.approx(1 / (1 + math.exp(-10)))


def test_node_depths_breadth_first():
    assert node_depths(15).tolist() == [0, 1, 1, 2, 2, 2, 2] + [3] * 8


def test_balance_penalty_is_smallest_for_even_splits_and_decays_with_depth():
    reach = torch.ones(4, 3)
    even = torch.tensor([[0.0, 0, 0], [1, 1, 1], [0, 0, 0], [1, 1, 1]])  # every node: half its rows each way
    # minimum: λ Σ_i 2^-depth(i) log 2 = λ (1 + 1/2 + 1/2) log 2
    assert balance_penalty(reach, even, 2.0).item() == pytest.approx(2.0 * 2 * math.log(2))
    lopsided = even.clone()
    lopsided[:, 0] = torch.tensor([0.0, 1, 1, 1])  # the root sends 3/4 right: −½ (log ¾ + log ¼) for it
    expected = 2.0 * (-0.5 * (math.log(0.75) + math.log(0.25)) + math.log(2))
    assert balance_penalty(reach, lopsided, 2.0).item() == pytest.approx(expected)
    # α is weighted by the probability of reaching the node: rows that never reach node 1 do not count
    reach_1 = torch.tensor([[1.0, 1, 1], [1, 0, 1], [1, 1, 1], [1, 0, 1]])
    assert balance_penalty(reach_1, even, 1.0).item() > balance_penalty(reach, even, 1.0).item()


def test_the_penalty_is_added_to_training_and_pulls_a_gate_towards_balance():
    tree = set_gates(SoftDecisionTree(1, 2, depth=1, penalty=1.0), [[0.0]], [3.0])  # sends every row right
    x = torch.randn(16, 1)
    tree.training_penalty(x).backward()
    assert tree.gates.bias.grad.item() > 0  # descending the gradient lowers the bias: fewer rows go right
    assert SoftDecisionTree(1, 2, depth=1).training_penalty(x).item() == 0.0  # penalty 0 by default here


def oblique_problem(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2)).astype(np.float32)
    return X, (X @ np.array([1.0, -2.0]) + 0.3 > 0).astype(int)


def oblique_teacher() -> nn.Module:
    """Exactly one oblique split: class 1 where x0 − 2 x1 + 0.3 > 0, with confident logits."""
    teacher = nn.Linear(2, 2)
    with torch.no_grad():
        teacher.weight.copy_(torch.tensor([[0.0, 0.0], [8.0, -16.0]]))
        teacher.bias.copy_(torch.tensor([0.0, 2.4]))
    return teacher


def test_a_depth_1_soft_tree_recovers_one_oblique_split():
    """The teacher is one oblique hyperplane: a depth-1 soft tree (one gate, two leaves) distilled from it agrees
    with it on at least 99 % of held-out test rows, and its gate is that hyperplane."""
    (X_train, y_train), (X_val, y_val), (X_test, y_test) = (oblique_problem(n, s) for n, s in
                                                            ((600, 0), (200, 1), (2000, 2)))
    ds = Dataset("oblique", X_train, y_train, X_val, y_val, X_test, y_test, ["x0", "x1"], ["no", "yes"],
                 np.zeros(2), np.ones(2))
    teacher = oblique_teacher()
    cfg = StudentConfig(arch="soft_tree", depth=1, beta=4.0, epochs=40, batch_size=32, lr=0.03, patience=40)
    tree, _ = distill_student(ds, teacher, cfg, seed=0, progress=False)
    assert isinstance(tree, SoftDecisionTree) and count_parameters(tree) == 3 + 2 * 2
    test_fidelity = fidelity(predict_proba(tree, X_test), predict_proba(teacher, X_test))
    assert test_fidelity >= 0.99
    w, b = tree.gates.weight.detach()[0].numpy(), tree.gates.bias.detach()[0].item()
    normal = np.append(w, b) / np.linalg.norm(w)
    # the gate's hyperplane is the teacher's, up to which side is "right": compare unit normals and offsets
    expected = np.array([1.0, -2.0, 0.3]) / math.sqrt(5)
    assert min(np.abs(normal - expected).max(), np.abs(normal + expected).max()) < 0.1


def test_the_scratch_soft_tree_trains_on_labels():
    X, y = oblique_problem(300, 0)
    ds = Dataset("oblique", X, y, X, y, X, y, ["x0", "x1"], ["no", "yes"], np.zeros(2), np.ones(2))
    cfg = StudentConfig(arch="soft_tree", depth=2, epochs=20, batch_size=32, lr=0.03)
    tree, log = train_scratch_student(ds, cfg, seed=0, progress=False)
    assert isinstance(tree, SoftDecisionTree) and tree.depth == 2
    assert (predict_proba(tree, X).argmax(1) == y).mean() > 0.9


def test_a_soft_tree_is_saved_as_weights_and_its_recipe(tmp_path):
    tree = build_network("soft_tree", 5, 3, depth=3, beta=2.0, penalty=0.5, hidden=[8])
    entry = save_network(tree, tmp_path, "student", np.zeros((2, 5), np.float32))
    assert entry["format"] == "state_dict" and network_spec(tree)["arch"] == "soft_tree"
    loaded = load_network(tmp_path, entry)
    assert isinstance(loaded, SoftDecisionTree) and loaded.spec() == tree.spec()
    x = torch.randn(4, 5)
    assert torch.equal(loaded(x), tree.eval()(x))
