"""Chunked queries against the unchunked result, rows per call from a memory budget, stratified subsamples, and
capped surrogate fits."""

import numpy as np
import pytest
import torch

from interpret_distill.compute import (
    OPAQUE_ROW_COPIES,
    activation_bytes_per_row,
    module_device,
    resolve_device,
    row_chunks,
    rows_per_call,
)
from interpret_distill.models import SmallCNN, build_network, predict_logits
from interpret_distill.subsample import stratified_rows
from interpret_distill.sweep import sweep_surrogates


def test_chunked_logits_equal_one_pass_up_to_float32_rounding():
    net = build_network("mlp", 6, 3, hidden=[5])
    X = np.random.default_rng(0).normal(size=(1003, 6))
    with torch.no_grad():
        whole = net.eval()(torch.as_tensor(X, dtype=torch.float32)).double().numpy()
    for batch in (1, 7, 1003, 5000):
        # BLAS blocks a matrix product by its row count, so chunks agree with one pass to float32 rounding
        np.testing.assert_allclose(predict_logits(net, X, batch_size=batch), whole, rtol=1e-5, atol=1e-6)


def test_row_chunks_cover_every_row_once():
    covered = np.concatenate([np.arange(12)[s] for s in row_chunks(12, 5)])
    assert covered.tolist() == list(range(12))
    with pytest.raises(ValueError):
        list(row_chunks(3, 0))


def test_a_row_costs_the_outputs_of_every_layer():
    net = torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.ReLU(), torch.nn.Linear(10, 3))
    assert activation_bytes_per_row(net, 4) == 4 * (4 + 10 + 10 + 3)
    # a 3x3 convolution keeps the image size: 8 channels x 6 x 6 before and after the ReLU, 8 x 3 x 3 after the pool
    cnn = SmallCNN((1, 6, 6), 2, channels=[8])
    per_row = activation_bytes_per_row(cnn, 36)
    assert per_row >= 4 * (36 + 2 * 8 * 36 + 8 * 9)
    assert activation_bytes_per_row(torch.jit.script(net), 4) == OPAQUE_ROW_COPIES * 16
    wrapped = torch.nn.Sequential(torch.jit.script(net), torch.nn.Softmax(1))  # a user's scripted teacher, wrapped
    assert activation_bytes_per_row(wrapped, 4) == OPAQUE_ROW_COPIES * 16
    assert activation_bytes_per_row(object(), 4) == OPAQUE_ROW_COPIES * 16


def test_rows_per_call_fit_the_budget_and_leave_the_module_as_it_was():
    net = torch.nn.Sequential(torch.nn.Linear(4, 10), torch.nn.BatchNorm1d(10), torch.nn.Linear(10, 3)).train()
    stats = net[1].running_mean.clone()
    rows = rows_per_call(net, 4, chunk_mb=1)
    assert rows == 2**20 // (4 * (4 + 10 + 10 + 3))
    assert rows_per_call(net, 4, chunk_mb=1, gradients=True) < rows
    assert rows_per_call(net, 4, chunk_mb=1e-9) == 1
    assert net.training and torch.equal(net[1].running_mean, stats)  # the probe ran in eval mode


def test_a_cnn_is_queried_in_chunks_that_fit_the_budget():
    cnn = SmallCNN((1, 28, 28), 10)
    rows = rows_per_call(cnn, 784)
    seen = []
    cnn.register_forward_pre_hook(lambda _m, inputs: seen.append(len(inputs[0])))
    X = np.random.default_rng(0).normal(size=(3000, 784)).astype(np.float32)
    predict_logits(cnn, X)
    assert max(seen[1:]) == rows < 3000  # seen[0] is the probe's two rows
    assert sum(seen[1:]) == 3000


def test_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert module_device(lambda x: x) == torch.device("cpu")
    with pytest.raises(ValueError, match="not one of"):
        resolve_device("gpu")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_queries_on_cuda_equal_the_cpu_ones():
    net = build_network("mlp", 6, 3, hidden=[5])
    X = np.random.default_rng(0).normal(size=(100, 6))
    np.testing.assert_allclose(predict_logits(net.to("cuda"), X), predict_logits(net.cpu(), X), atol=1e-5)


def test_stratified_rows_keep_shares_and_are_seeded():
    labels = np.repeat([0, 1, 2], [500, 300, 200])
    rows = stratified_rows(labels, 100, seed=3)
    assert np.bincount(labels[rows]).tolist() == [50, 30, 20]
    assert rows.tolist() == stratified_rows(labels, 100, seed=3).tolist()
    assert stratified_rows(labels, 5000, seed=3).tolist() == list(range(1000))


def test_fit_rows_caps_every_fit_of_that_kind_and_says_so():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 3)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    P = np.eye(2)[y] * 0.9 + 0.05
    split = (X[:100], P[:100], y[:100])
    frame, models = sweep_surrogates({"tree": [{"max_depth": 2}], "naive_bayes": [{}]}, {"soft": (X, P)},
                                     val=split, test=split, progress=False, fit_rows={"tree": 200})
    assert models[0].node_weight_[0] == 200  # the root holds every fitting row
    assert frame.transfer.tolist() == ["train [subsample of 200 / 600 rows]", "train"]
