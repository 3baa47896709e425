"""Chunked queries against the unchunked result, stratified subsamples, and capped surrogate fits."""

import numpy as np
import pytest
import torch

from interpret_distill.compute import module_device, resolve_device, row_chunks, stratified_rows
from interpret_distill.models import build_network, predict_logits
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
