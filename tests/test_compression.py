"""Pruning, quantization and the compression routes on tiny networks with answers known in advance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from interpret_distill import artifacts
from interpret_distill.compression import (
    ROUTES,
    CompressionInputs,
    check_compressible,
    compress,
    pruning_levels,
    saved_and_loaded,
)
from interpret_distill.config import CompressionConfig, parse_config
from interpret_distill.data import Dataset
from interpret_distill.errors import ConfigError, UserInputError
from interpret_distill.models import MLP, SmallCNN, predict_logits, predict_proba, state_dict_bytes
from interpret_distill.pruning import (
    count_nonzero_parameters,
    count_prunable,
    csr_bytes,
    finetune,
    prune_globally,
    sparsity_for_nonzero,
    weight_sparsity,
)
from interpret_distill.quantization import float_layers, quantize, quantized_share
from interpret_distill.report.compression_section import _float_notes, best_per_route
from interpret_distill.results import FittedModel

torch.set_num_threads(1)


def _known_mlp() -> MLP:
    """4 -> 2 -> 2 with weights 1..8 (first layer) and 0.5, 9, 10, 11 (second): magnitudes known, all distinct."""
    net = MLP(4, 2, hidden=[2])
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, -2.0, 3.0, -4.0], [5.0, -6.0, 7.0, -8.0]]))
        net[2].weight.copy_(torch.tensor([[0.5, -9.0], [10.0, -11.0]]))
        net[0].bias.fill_(0.25)
        net[2].bias.fill_(-0.25)
    return net.eval()


def _random_net(seed: int = 0) -> MLP:
    torch.manual_seed(seed)
    return MLP(16, 3, hidden=[12, 8]).eval()


def _toy_dataset(n: int = 60, d: int = 16, k: int = 3, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 1).astype(np.int64)
    return Dataset("toy", X, y, X[:20], y[:20], X[20:40], y[20:40], [f"f{i}" for i in range(d)],
                   [str(c) for c in range(k)], np.zeros(d), np.ones(d))


# ---------------------------------------------------------------------------------------------------- pruning

def test_pruning_half_removes_exactly_the_smallest_magnitudes_of_one_global_pool():
    pruned = prune_globally(_known_mlp(), 0.5)
    # 12 weights, 6 pruned: magnitudes 0.5, 1, 2, 3, 4, 5 (the second layer's 0.5 competes with the first layer's)
    assert pruned[0].weight.tolist() == [[0.0, 0.0, 0.0, 0.0], [0.0, -6.0, 7.0, -8.0]]
    assert pruned[2].weight.tolist() == [[0.0, -9.0], [10.0, -11.0]]
    assert pruned[0].bias.tolist() == [0.25, 0.25]  # biases are not pruned


@pytest.mark.parametrize("sparsity", [0.5, 0.8, 0.9, 0.95])
def test_pruned_models_have_the_stated_sparsity_after_fine_tuning_and_prune_remove(sparsity):
    net, data = _random_net(), _toy_dataset()
    ce = lambda m, xb, yb: nn.functional.cross_entropy(m(xb), yb)  # noqa: E731
    tune = lambda m: finetune(m, data.X_train, data.y_train, ce, steps=25, batch_size=16, lr=0.05, seed=0)  # noqa: E731
    pruned = prune_globally(net, sparsity, tune)
    expected = round(sparsity * count_prunable(net))
    assert weight_sparsity(pruned) == expected / count_prunable(net)
    # permanent: plain parameters, no masks or forward hooks left, and the fine-tune did not revive a pruned weight
    assert not any(name.endswith(("_orig", "_mask")) for name, _ in pruned.named_parameters())
    assert not any(name.endswith("_mask") for name, _ in pruned.named_buffers())
    assert all(not layer._forward_pre_hooks for layer in pruned.modules())
    assert set(pruned.state_dict()) == set(net.state_dict())
    assert not torch.equal(pruned[-1].bias, net[-1].bias)  # it did train
    assert not any(p.requires_grad for p in pruned.parameters()) and not pruned.training


def test_the_source_network_is_left_untouched_and_frozen_teachers_are_pruned_all_the_same():
    net = _random_net()
    for p in net.parameters():
        p.requires_grad_(False)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    prune_globally(net, 0.9, lambda m: m)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_sparsity_for_nonzero_prunes_to_the_wanted_parameter_count():
    net = _random_net()
    wanted = 150
    pruned = prune_globally(net, sparsity_for_nonzero(net, wanted))
    assert count_nonzero_parameters(pruned) == wanted


def test_finetune_spends_exactly_its_step_budget_and_is_deterministic():
    data = _toy_dataset()
    calls = []

    def ce(m, xb, yb):
        calls.append(len(xb))
        return nn.functional.cross_entropy(m(xb), yb)

    nets = [finetune(_random_net(), data.X_train, data.y_train, ce, steps=7, batch_size=16, lr=0.05, seed=3)
            for _ in range(2)]
    assert len(calls) == 14  # 7 steps each, across pass boundaries (60 rows: 4 batches a pass)
    assert all(torch.equal(a, b) for a, b in zip(nets[0].state_dict().values(), nets[1].state_dict().values()))


def test_a_dense_file_is_no_smaller_but_csr_weights_would_be():
    net = MLP(64, 10, hidden=[64])
    pruned = prune_globally(net, 0.9)
    assert state_dict_bytes(pruned) >= state_dict_bytes(net)  # zeros stored like any weight: no smaller
    assert csr_bytes(pruned) < csr_bytes(net) / 2  # 10 % of the weights left: values and int32 indices
    assert csr_bytes(prune_globally(net, 0.1)) <= csr_bytes(net) + 200  # nearly dense: kept dense, not CSR


# ----------------------------------------------------------------------------------------------- quantization

def test_int8_quantization_of_a_linear_layer_changes_its_outputs_by_at_most_the_rounding_bound():
    torch.manual_seed(0)
    layer, x = nn.Linear(8, 4), torch.randn(32, 8)
    exact = layer(x).detach()
    w, b = layer.weight.detach(), layer.bias.detach()
    # symmetric per-row int8 weights: each weight moves by at most one step, max|w_row| / 127
    weight_step = w.abs().amax(1) / 127
    weight_bound = x.abs() @ torch.ones(8, 1) * weight_step  # (n, out)
    only_weights = predict_logits(quantize(nn.Sequential(layer), "int8_weight_only"), x.numpy())
    assert (np.abs(only_weights - exact.numpy()) <= weight_bound.numpy() + 1e-5).all()
    # int8 activations too (per row, max|x_row| / 127 a step): add their rounding and the product of both
    act_step = x.abs().amax(1, keepdim=True) / 127
    bound = weight_bound + act_step * (w.abs().sum(1) + 8 * weight_step)
    dynamic = predict_logits(quantize(nn.Sequential(layer), "int8_dynamic"), x.numpy())
    assert (np.abs(dynamic - exact.numpy()) <= bound.numpy() + 1e-5).all()
    assert not np.array_equal(dynamic, exact.numpy())  # it really is quantized
    assert torch.equal(layer.bias, b)  # the float layer is left as it was


@pytest.mark.parametrize("scheme", ["int8_dynamic", "int8_weight_only"])
def test_a_quantized_toy_net_predicts_as_the_float_one(scheme):
    net, X = _random_net(), _toy_dataset().X_test
    float_probs, int8_probs = predict_proba(net, X), predict_proba(quantize(net, scheme), X)
    assert (float_probs.argmax(1) == int8_probs.argmax(1)).mean() >= 0.95
    assert np.abs(float_probs - int8_probs).max() < 0.05
    assert quantized_share(quantize(net, scheme)) == pytest.approx(1 - 23 / 335)  # the biases stay float


@pytest.mark.parametrize("scheme", ["int8_dynamic", "int8_weight_only"])
def test_a_saved_quantized_model_loads_with_weights_only_and_predicts_identically(tmp_path, scheme):
    quantized = quantize(_random_net(), scheme)
    entry = artifacts.save_network(quantized, tmp_path, "q", np.zeros((2, 16), np.float32), {"quantization": scheme})
    torch.load(tmp_path / entry["file"], weights_only=True)  # plain weights: no pickle
    loaded = artifacts.load_network(tmp_path, entry)
    X = _toy_dataset().X_test
    assert np.array_equal(predict_logits(loaded, X), predict_logits(quantized, X))
    assert float_layers(loaded) == []
    # a network big enough for its weights to outweigh the file's bookkeeping: the int8 file is smaller
    wide = MLP(64, 10, hidden=[64])
    int8_entry = artifacts.save_network(quantize(wide, scheme), tmp_path, "w8", X[:2], {"quantization": scheme})
    float_entry = artifacts.save_network(wide, tmp_path, "w", X[:2])
    assert (tmp_path / int8_entry["file"]).stat().st_size < 0.5 * (tmp_path / float_entry["file"]).stat().st_size


def test_a_layer_the_quantizer_skips_is_reported_as_left_float():
    net = SmallCNN((1, 4, 4), 3, channels=[2])
    quantized = quantize(net, "int8_dynamic")
    assert float_layers(quantized) == ["features.0 (Conv2d)"]
    assert 0 < quantized_share(quantized) < 1
    convolutions_only = nn.Sequential(nn.Unflatten(1, (1, 4, 4)), nn.Conv2d(1, 3, 4), nn.Flatten())
    nothing = quantize(convolutions_only, "int8_dynamic")
    assert float_layers(nothing) == ["1 (Conv2d)"] and quantized_share(nothing) == 0.0
    row = pd.DataFrame({"model": ["cnn:int8_dynamic"], "stayed_float": ["; ".join(float_layers(nothing))],
                        "quantized_share": [0.0]})
    assert "nothing was quantized" in _float_notes(row)[0]


# ------------------------------------------------------------------------------------------ routes and table

def _fitted(name, module, family="student", role="distilled"):
    return FittedModel(name, family, "mlp", "kd", role, module)


def test_every_route_is_registered_once_and_named_in_the_default_config():
    assert set(CompressionConfig().routes) == set(ROUTES)


def test_pruning_levels_add_the_level_matched_to_the_student():
    teacher, student = _fitted("teacher", _random_net(), "teacher", "reference"), _fitted("student", MLP(16, 3, [4]))
    inputs = CompressionInputs(CompressionConfig(pruning={"sparsities": [0.5]}), None, teacher, [student], 0)
    levels = pruning_levels(inputs)
    assert list(levels) == ["pruned50", "pruned-as-student"]
    matched = prune_globally(teacher.model, levels["pruned-as-student"])
    assert count_nonzero_parameters(matched) == count_nonzero_parameters(student.model)


def test_compress_runs_each_route_and_is_deterministic():
    data = _toy_dataset()
    teacher = _fitted("teacher", _random_net(), "teacher", "reference")
    students = [_fitted("student", MLP(16, 3, [4])), _fitted("student:hidden=[2]", MLP(16, 3, [2]), role="alternative")]
    cfg = CompressionConfig(pruning={"sparsities": [0.5, 0.9], "finetune_steps": 5},
                            quantization={"schemes": ["int8_weight_only"]})
    first, second = (compress(cfg, data, teacher, students, seed=0) for _ in range(2))
    assert [m.name for m in first["distillation"]] == ["student", "student:hidden=[2]"]
    assert [m.name for m in first["pruning+distillation"]] == ["teacher:pruned50+kd", "teacher:pruned90+kd",
                                                               "teacher:pruned-as-student+kd"]
    assert [m.name for m in first["distillation+quantization"]] == ["student:int8_weight_only"]
    for route in first:
        for a, b in zip(first[route], second[route]):
            assert np.array_equal(predict_logits(a.model, data.X_test), predict_logits(b.model, data.X_test))


def test_size_is_measured_on_the_saved_file_and_must_predict_as_the_model_did(tmp_path, monkeypatch):
    model = _fitted("teacher:int8_dynamic", quantize(_random_net(), "int8_dynamic"))
    model.recipe = {"quantization": "int8_dynamic"}
    loaded, size = saved_and_loaded(model, tmp_path, np.ones((2, 16), np.float32))
    assert size == (tmp_path / "teacher_int8_dynamic.pt").stat().st_size
    monkeypatch.setattr("interpret_distill.compression.load_network", lambda folder, entry: _random_net(seed=1))
    with pytest.raises(RuntimeError, match="predicts differently"):
        saved_and_loaded(model, tmp_path, np.ones((2, 16), np.float32))


def test_a_user_teacher_is_refused_with_the_fix_named():
    with pytest.raises(ConfigError, match="remove the compression section"):
        check_compressible(nn.Sequential(nn.Linear(2, 2)), CompressionConfig())


def test_quantization_without_torchao_fails_before_training_with_the_install_command(monkeypatch):
    import builtins

    from interpret_distill import quantization

    real_import = builtins.__import__

    def no_torchao(name, *args, **kwargs):
        if name.startswith("torchao"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    quantization._torchao.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_torchao)
    try:
        with pytest.raises(UserInputError, match=r"pip install 'torchao==0\.18\.0' --no-deps"):
            check_compressible(MLP(4, 2, hidden=[3]), CompressionConfig())
        check_compressible(MLP(4, 2, hidden=[3]), CompressionConfig(routes=["distillation", "pruning"]))
    finally:
        quantization._torchao.cache_clear()


def test_best_per_route_keeps_the_most_faithful_model_of_each_route():
    rows = pd.DataFrame({"route": ["none", "pruning", "pruning", "quantization"], "model": ["t", "a", "b", "q"],
                         "fidelity": [1.0, 0.95, 0.99, 0.99], "file_bytes": [10, 10, 10, 4]})
    assert best_per_route(rows).model.tolist() == ["b", "q"]


# ----------------------------------------------------------------------------------------------------- config

@pytest.mark.parametrize("section, message", [
    ({"pruning": {"sparsities": [0.5, 1.5]}}, "compression.pruning.sparsities.1: Input should be less than 1"),
    ({"pruning": {"sparsities": [0.5, 0.5]}}, "compression.pruning.sparsities lists a level twice"),
    ({"pruning": {"finetune_steps": -1}}, "compression.pruning.finetune_steps"),
    ({"quantization": {"schemes": ["int4"]}}, "compression.quantization.schemes: unknown scheme(s) ['int4']"),
    ({"routes": ["prunning"]}, "compression.routes: unknown route(s) ['prunning'] (did you mean 'pruning'?)"),
    ({"pruning": {"sparsity": [0.5]}}, "unknown key 'compression.pruning.sparsity'"),
])
def test_bad_compression_settings_fail_at_config_load_in_one_line(tiny_raw, section, message):
    tiny_raw["compression"] = section
    with pytest.raises(ConfigError) as error:
        parse_config(tiny_raw)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_compression_is_off_unless_configured(tiny_raw):
    assert parse_config(tiny_raw).compression is None
    tiny_raw["compression"] = {}
    assert parse_config(tiny_raw).compression == CompressionConfig()


def test_every_route_a_config_may_name_is_registered():
    from interpret_distill.compression import ROUTES
    from interpret_distill.compression_config import ROUTE_NAMES

    assert tuple(ROUTES) == ROUTE_NAMES
