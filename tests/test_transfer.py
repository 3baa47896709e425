"""Transfer-set construction: augmentations, teacher labelling, and no access to held-out data."""

import inspect

import numpy as np
import pytest
import torch

from interpret_distill.transfer import (
    AUGMENTATIONS,
    TransferSet,
    augment,
    build_transfer_set,
    mixup_torch,
    neighbours,
    soft_labels,
)


@pytest.fixture
def train():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], 20)
    X = (rng.normal(size=(60, 4)) + y[:, None] * 3).astype(np.float32)
    X[:, 3] = rng.uniform(0, 1, size=60).astype(np.float32)  # a bounded "pixel" column
    return X, y


def linear_teacher(X):
    W = np.array([[1.0, -1.0, 0.5], [0.2, 0.3, -0.4], [0.0, 1.0, 1.0], [2.0, 0.0, -2.0]])
    return X.astype(np.float64) @ W


def test_soft_labels_stable_and_tempered():
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    p = soft_labels(logits)
    assert p.dtype == np.float64 and np.isfinite(p).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[1], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())
    hot = soft_labels(logits[1:], temperature=10.0)
    assert hot.max() < p[1].max()  # higher T is softer
    np.testing.assert_allclose(soft_labels(logits[1:] * 2, temperature=2.0), p[1:])
    with pytest.raises(ValueError):
        soft_labels(logits, temperature=0.0)


@pytest.mark.parametrize("name", sorted(AUGMENTATIONS))
def test_augmentations_shape_dtype_range_and_determinism(train, name):
    X, y = train
    out = augment(name, X, y, 50, np.random.default_rng(1))
    assert out.shape == (50, 4) and out.dtype == np.float32 and np.isfinite(out).all()
    assert (out >= X.min(axis=0)).all() and (out <= X.max(axis=0)).all()
    np.testing.assert_array_equal(out, augment(name, X, y, 50, np.random.default_rng(1)))
    assert not np.array_equal(out, augment(name, X, y, 50, np.random.default_rng(2)))
    assert augment(name, X, y, 0, np.random.default_rng(1)).shape == (0, 4)


def test_noise_clipping_keeps_pixel_range(train):
    X, y = train
    out = augment("noise", X, y, 500, np.random.default_rng(0), scale=5.0)  # large noise hits the bounds
    assert out[:, 3].min() == X[:, 3].min() and out[:, 3].max() == X[:, 3].max()
    assert out.dtype == np.float32


def test_mixup_noise_option_changes_points(train):
    X, y = train
    clean = augment("mixup", X, y, 20, np.random.default_rng(0))
    noisy = augment("mixup", X, y, 20, np.random.default_rng(0), noise=0.1)
    assert not np.allclose(clean, noisy)


def on_segment(p, a, b, tol=1e-4):
    """Whether p = a + lam (b - a) for some lam in [0, 1]."""
    d = b - a
    if np.allclose(d, 0):
        return np.allclose(p, a, atol=tol)
    lam = float(np.dot(p - a, d) / np.dot(d, d))
    return -tol <= lam <= 1 + tol and np.allclose(a + lam * d, p, atol=tol)


def test_neighbours_stay_on_same_class_segments(train):
    X, y = train
    out = neighbours(X, y, 40, np.random.default_rng(3), k=3)
    for p in out:
        assert any(
            on_segment(p, X[i], X[j])
            for c in (0, 1, 2)
            for i in np.flatnonzero(y == c)
            for j in np.flatnonzero(y == c)
            if i < j
        ), p


def test_neighbours_uses_nearest_same_class_partner():
    # Two classes on a line: class 0 at 0, 1, 2 and class 1 at 2.5, 10. With k=1 each class-0 point
    # pairs with its nearest class-0 point, never with 2.5 (other class, though closer to 2).
    X = np.array([[0.0], [1.0], [2.0], [2.5], [10.0]], dtype=np.float32)
    y = np.array([0, 0, 0, 1, 1])
    out = neighbours(X, y, 300, np.random.default_rng(0), k=1)
    assert ((out <= 2.0) | (out >= 2.5)).all()


def test_neighbours_lone_class_and_unlabelled(train):
    X = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], dtype=np.float32)
    out = neighbours(X, np.array([0, 0, 1]), 30, np.random.default_rng(0), k=2.0)  # float k from a config
    lone = out[np.isclose(out[:, 0], 5.0)]
    assert len(lone) and (out[~np.isclose(out[:, 0], 5.0)] <= 1.0).all()
    assert neighbours(train[0], None, 10, np.random.default_rng(0)).shape == (10, 4)


def test_unknown_augmentation_and_parameter(train):
    X, y = train
    with pytest.raises(ValueError, match="allowed: mixup, neighbours, noise"):
        augment("cutmix", X, y, 5, np.random.default_rng(0))
    with pytest.raises(TypeError):
        augment("noise", X, y, 5, np.random.default_rng(0), sigma=1.0)


def test_build_transfer_set_labels_all_rows_once(train):
    X, y = train
    calls = []

    def teacher(rows):
        calls.append(rows.shape)
        return linear_teacher(rows)

    ts = build_transfer_set(teacher, X, y, method="mixup", n_synthetic=25, temperature=2.0,
                            rng=np.random.default_rng(0))
    assert calls == [(85, 4)]  # one batched query
    assert isinstance(ts, TransferSet) and len(ts) == 85
    assert ts.X.dtype == np.float32 and ts.probs.dtype == np.float64
    np.testing.assert_array_equal(ts.X[:60], X)
    assert (ts.source[:60] == "train").all() and ts.is_synthetic.sum() == 25
    np.testing.assert_allclose(ts.probs, soft_labels(linear_teacher(ts.X), 2.0))


def test_build_transfer_set_without_method(train):
    X, y = train
    ts = build_transfer_set(linear_teacher, X, y, rng=np.random.default_rng(0))
    assert len(ts) == 60 and not ts.is_synthetic.any()
    with pytest.raises(ValueError, match="need a method"):
        build_transfer_set(linear_teacher, X, y, n_synthetic=5, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="need a method"):
        build_transfer_set(linear_teacher, X, y, rng=np.random.default_rng(0), scale=0.1)
    with pytest.raises(ValueError, match="unknown augmentation"):
        build_transfer_set(linear_teacher, X, y, method="cutmix", rng=np.random.default_rng(0))
    assert len(build_transfer_set(linear_teacher, X, y, method="noise", rng=np.random.default_rng(0))) == 60
    with pytest.raises(ValueError, match=r"\(n, k\)"):
        build_transfer_set(lambda r: r[:, 0], X, y, rng=np.random.default_rng(0))


def test_build_transfer_set_is_deterministic(train):
    X, y = train
    a = build_transfer_set(linear_teacher, X, y, method="neighbours", n_synthetic=30, rng=np.random.default_rng(7))
    b = build_transfer_set(linear_teacher, X, y, method="neighbours", n_synthetic=30, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.probs, b.probs)


@pytest.mark.parametrize("method", sorted(AUGMENTATIONS))
def test_build_transfer_set_only_uses_training_data(train, method):
    X, y = train
    # Held-out data far outside the training box: if it leaked in, synthetic rows would leave the box.
    X_test = X + 100.0
    ts = build_transfer_set(linear_teacher, X, y, method=method, n_synthetic=200, rng=np.random.default_rng(0),
                            **({"scale": 3.0} if method == "noise" else {}))
    synth = ts.X[ts.is_synthetic]
    assert (synth >= X.min(axis=0)).all() and (synth <= X.max(axis=0)).all()
    assert (synth < X_test.min(axis=0)).all()


def test_no_parameter_can_carry_held_out_data(train):
    for fn in (build_transfer_set, *AUGMENTATIONS.values()):
        names = inspect.signature(fn).parameters
        assert not any(word in name for name in names for word in ("test", "val", "holdout"))
    # Extra keywords go to the augmentation, which rejects them instead of silently using them.
    X, y = train
    with pytest.raises(TypeError):
        build_transfer_set(linear_teacher, X, y, method="mixup", n_synthetic=5, rng=np.random.default_rng(0),
                           X_test=X + 100)


def test_mixup_torch_is_convex_and_seeded():
    x = torch.arange(24, dtype=torch.float32).reshape(6, 4)
    a = mixup_torch(x, torch.Generator().manual_seed(0), alpha=0.4)
    b = mixup_torch(x, torch.Generator().manual_seed(0), alpha=0.4)
    assert a.shape == x.shape and a.dtype == x.dtype
    torch.testing.assert_close(a, b)
    assert not torch.equal(a, mixup_torch(x, torch.Generator().manual_seed(1), alpha=0.4))
    # Each mixed row is a convex combination of two rows: every column advances by the same offset.
    offset = a - x[:, :1]
    torch.testing.assert_close(offset, offset[:, :1].expand_as(offset) + torch.arange(4.0))
    assert (a >= x.min()).all() and (a <= x.max()).all()
