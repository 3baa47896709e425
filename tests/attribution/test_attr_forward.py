"""as_forward / is_differentiable for torch modules and scikit-learn style models."""

import numpy as np
import pytest
import torch

from interpret_distill.attribution import as_forward, is_differentiable
from interpret_distill.surrogates import TreeSurrogate


class RecordingModel:
    def __init__(self):
        self.seen = None

    def predict_proba(self, X):
        self.seen = X
        return np.tile([0.25, 0.75], (len(X), 1))


def test_torch_outputs_and_mode_restored():
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Dropout(0.9)).train()
    x = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    logits = as_forward(net, "logit")(x)
    np.testing.assert_allclose(logits.detach(), net[0](x).detach())  # eval mode: dropout off
    proba = as_forward(net)(x)
    np.testing.assert_allclose(proba.detach(), torch.softmax(logits, 1).detach(), atol=1e-7)
    assert proba.requires_grad and net.training
    assert is_differentiable(net) and is_differentiable(as_forward(net))


def test_sklearn_forward_is_float64_numpy_and_not_differentiable():
    model = RecordingModel()
    f = as_forward(model)
    out = f(torch.zeros(3, 2, requires_grad=True))
    assert isinstance(model.seen, np.ndarray) and model.seen.dtype == np.float64
    assert out.dtype == torch.float32 and not out.requires_grad and out.shape == (3, 2)
    assert not is_differentiable(model) and not is_differentiable(f)
    with pytest.raises(ValueError, match="torch model"):
        as_forward(model, "logit")
    with pytest.raises(TypeError, match="predict_proba"):
        as_forward(object())
    with pytest.raises(ValueError, match="output"):
        as_forward(model, "log_proba")


def test_real_surrogate_through_forward():
    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    tree = TreeSurrogate(max_depth=2).fit(X, (X[:, 0] > 0).astype(int))
    out = as_forward(tree)(torch.as_tensor(X))
    np.testing.assert_allclose(out.numpy(), tree.predict_proba(X), atol=1e-7)


def test_targets_are_class_positions():
    from interpret_distill.attribution.forward import check_inputs

    X = np.zeros((2, 3))
    assert check_inputs(X, [1.0, 0.0])[1].tolist() == [1, 0]
    for bad in (["a", "b"], [0.5, 1.0]):
        with pytest.raises(ValueError, match="class positions"):
            check_inputs(X, bad)


def test_attribute_refuses_targets_outside_the_output_columns():
    from interpret_distill.attribution import attribute

    X = np.random.default_rng(0).normal(size=(6, 2))
    tree = TreeSurrogate(max_depth=1, random_state=0).fit(X, np.array([1, 2, 3, 1, 2, 3]))  # classes_ 1..3
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\).*searchsorted"):
        attribute(tree, X, np.array([1, 2, 3, 1, 2, 3]), "feature_ablation")
    assert attribute(tree, X, np.searchsorted(tree.classes_, [1, 2, 3, 1, 2, 3]), "feature_ablation").shape == (6, 2)
