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
    candidate_label,
    check_augmentation,
    gaussian_noise,
    kde,
    local_kde,
    mixup,
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


def test_mixup_rows_lie_between_two_distinct_training_rows():
    # Unit vectors are affinely independent, so a point on the segment between two of them shows which pair it
    # came from. Rows of an identical pair (a == b, probability 1/5) are copies; every other row is strictly between.
    X = np.eye(5, dtype=np.float32)
    out = mixup(X, None, 200, np.random.default_rng(0))
    for p in out:
        assert any(on_segment(p, X[i], X[j]) for i in range(5) for j in range(i, 5)), p
    copies = [any(np.allclose(p, x, atol=1e-3) for x in X) for p in out]
    assert np.mean(copies) < 0.5


def test_mixup_alpha_moves_rows_from_the_training_rows_to_midpoints():
    # On λ e_i + (1 - λ) e_j the nearest training row is √2 min(λ, 1 - λ) away. Beta(0.05, 0.05) puts λ within a few
    # hundredths of 0 or 1 for most rows; Beta(50, 50) within 0.5 ± 0.15 almost surely, i.e. ≥ 0.35 √2 ≈ 0.5 away
    # for the 4/5 of rows with distinct pairs. A uniform λ (alpha ignored) gives about 0.8 · √2 / 4 ≈ 0.28: neither.
    X = np.eye(5, dtype=np.float32)

    def mean_distance_to_nearest_row(alpha):
        out = mixup(X, None, 2000, np.random.default_rng(0), alpha=alpha)
        return np.linalg.norm(out[:, None, :] - X[None], axis=2).min(axis=1).mean()

    assert mean_distance_to_nearest_row(0.05) < 0.1
    assert mean_distance_to_nearest_row(50.0) > 0.35


def test_noise_std_is_scale_times_each_features_std():
    # 98 rows at the origin and two far corners ±c with c1 = 100 c0: feature std ≈ 1 and ≈ 100. Noise of 0.1 std
    # around the origin never reaches the corners (±7 std away), so clipping does not bite, and rows near the origin
    # are exactly the origin-anchored ones: their spread is the noise, feature by feature.
    c = np.array([np.sqrt(50.0), 100 * np.sqrt(50.0)])
    X = np.vstack([np.zeros((98, 2)), c, -c]).astype(np.float32)
    out = gaussian_noise(X, None, 20000, np.random.default_rng(0), scale=0.1).astype(np.float64)
    near = out[(np.abs(out) < c / 2).all(axis=1)]
    assert len(near) > 0.9 * len(out)
    np.testing.assert_allclose(near.std(axis=0), 0.1 * X.std(axis=0), rtol=0.05)


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
    with pytest.raises(ValueError, match="allowed: kde, local_kde, mixup, neighbours, noise"):
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
    # The signature takes no held-out arrays (next test), so the teacher is the only way other data could reach
    # build_transfer_set. Two teachers that each depend on a different held-out set, far outside the training box on
    # either side: the rows drawn must not depend on which one is passed, they stay in the training box, and the
    # teacher is asked about exactly those rows and nothing else.
    params = {"scale": 3.0} if method == "noise" else {}
    sets, queried = [], []
    for X_held_out in (X + 100.0, X - 100.0):
        calls = []
        queried.append(calls)

        def teacher(rows, X_held_out=X_held_out, calls=calls):
            calls.append(rows.copy())
            return linear_teacher(rows - X_held_out.mean(axis=0))

        sets.append(build_transfer_set(teacher, X, y, method=method, n_synthetic=200, rng=np.random.default_rng(0),
                                       **params))
    assert not np.allclose(sets[0].probs, sets[1].probs)  # the held-out data does reach the teacher's labels...
    np.testing.assert_array_equal(sets[0].X, sets[1].X)  # ...but not the inputs
    for ts, calls in zip(sets, queried):
        assert len(calls) == 1
        np.testing.assert_array_equal(calls[0], ts.X)
        synth = ts.X[ts.is_synthetic]
        assert len(synth) == 200
        assert (synth >= X.min(axis=0)).all() and (synth <= X.max(axis=0)).all()


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


def test_kde_noise_follows_the_data_covariance():
    # Training rows on the line x1 = 2 x0 (a singular covariance): KDE samples stay on that line, while
    # independent per-feature noise would leave it.
    t = np.linspace(-1, 1, 40)
    X = np.stack([t, 2 * t], axis=1).astype(np.float32)
    out = kde(X, None, 500, np.random.default_rng(0), bandwidth=0.5)
    np.testing.assert_allclose(out[:, 1], 2 * out[:, 0], atol=1e-5)
    assert out[:, 0].std() > 0.1  # it does move along the line
    # bandwidth 0: copies of training rows; a single row has no covariance and is copied too
    copies = kde(X, None, 30, np.random.default_rng(1), bandwidth=0.0)
    assert all(any(np.array_equal(c, x) for x in X) for c in copies)
    np.testing.assert_array_equal(kde(X[:1], None, 3, np.random.default_rng(0)), np.repeat(X[:1], 3, axis=0))
    with pytest.raises(ValueError, match="bandwidth"):
        kde(X, None, 3, np.random.default_rng(0), bandwidth=-1.0)


def test_kde_spread_scales_with_bandwidth(train):
    X, y = train
    samples = [augment("kde", X[:, :3], y, 4000, np.random.default_rng(0), bandwidth=b) for b in (0.1, 0.4)]
    spreads = [a.std(axis=0).mean() for a in samples]
    # the anchors alone have the data's spread; more bandwidth adds more noise on top
    assert spreads[0] < spreads[1]


def test_local_kde_noise_follows_each_neighbourhood():
    # Two clusters varying in different directions: A along x0 at x1 = 0, B along x1 at x0 = 10. With k
    # inside one cluster, each sample moves only the way its own neighbourhood varies; the global KDE
    # (whose covariance mixes both clusters) moves samples off both lines.
    t = np.linspace(-1, 1, 15)
    A = np.stack([t, np.zeros_like(t)], axis=1)
    B = np.stack([np.full_like(t, 10.0), 10 + t], axis=1)
    X = np.vstack([A, B]).astype(np.float32)
    out = local_kde(X, None, 600, np.random.default_rng(0), bandwidth=1.0, k=5)
    on_a = np.isclose(out[:, 1], 0.0, atol=1e-5)
    on_b = np.isclose(out[:, 0], 10.0, atol=1e-5)
    assert (on_a | on_b).all() and on_a.any() and on_b.any()
    assert out[on_a, 0].std() > 0.1 and out[on_b, 1].std() > 0.1  # they do move along their line
    global_kde = kde(X, None, 600, np.random.default_rng(0), bandwidth=1.0)
    assert not (np.isclose(global_kde[:, 1], 0.0, atol=1e-5) | np.isclose(global_kde[:, 0], 10.0, atol=1e-5)).all()


def test_local_kde_spread_is_the_neighbourhood_covariance():
    # A central cluster of three rows (k=2: each one's neighbourhood is the whole cluster) and two far
    # corners that widen the training range, so clipping does not touch the cluster's samples.
    cluster = np.array([[0.0, 0.0], [0.5, 0.2], [-0.5, 0.3]])
    X = np.vstack([cluster, [[-100.0, -100.0], [100.0, 100.0]]]).astype(np.float32)
    out = local_kde(X, None, 40000, np.random.default_rng(0), bandwidth=0.1, k=2).astype(np.float64)
    near = out[np.abs(out).max(axis=1) < 5]
    residual = near - cluster[np.argmin(((near[:, None, :] - cluster[None]) ** 2).sum(-1), axis=1)]
    np.testing.assert_allclose(np.cov(residual.T), 0.1**2 * np.cov(cluster.T), rtol=0.05, atol=1e-5)


def test_local_kde_degenerate_inputs_and_errors():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], dtype=np.float32)
    copies = local_kde(X, None, 20, np.random.default_rng(0), bandwidth=0.0)
    assert all(any(np.array_equal(c, x) for x in X) for c in copies)
    np.testing.assert_array_equal(local_kde(X[:1], None, 3, np.random.default_rng(0)), np.repeat(X[:1], 3, axis=0))
    assert local_kde(X, None, 4, np.random.default_rng(0), k=50.0).shape == (4, 2)  # k above m: all rows
    with pytest.raises(ValueError, match="bandwidth"):
        local_kde(X, None, 3, np.random.default_rng(0), bandwidth=-1.0)
    with pytest.raises(ValueError, match="k must be"):
        local_kde(X, None, 3, np.random.default_rng(0), k=0)


def test_check_augmentation_names_and_parameters():
    check_augmentation("kde", {"bandwidth": 0.3})
    check_augmentation("neighbours", {"k": 5})
    with pytest.raises(ValueError,
                       match="unknown augmentation 'cutmix'; allowed: kde, local_kde, mixup, neighbours, noise"):
        check_augmentation("cutmix")
    with pytest.raises(ValueError, match="has no parameter.*sigma; allowed: scale"):
        check_augmentation("noise", {"sigma": 1.0})


def test_candidate_label():
    assert candidate_label("mixup", 4000, {"alpha": 0.4, "noise": 0.05}) == "mixup(n=4000, alpha=0.4, noise=0.05)"
    assert candidate_label("neighbours", 500) == "neighbours(n=500)"
    assert candidate_label(None) == "train only"
    assert candidate_label("kde", 500, {"bandwidth": 0.5}, temperature=2.0) == "kde(n=500, bandwidth=0.5) T=2"


def test_transfer_candidates_in_config():
    from interpret_distill.config import TransferConfig, parse_config
    from interpret_distill.errors import ConfigError

    cfg = TransferConfig(augmentation="mixup", n_synthetic=10, params={"alpha": 0.4},
                         candidates=[{"augmentation": "kde", "n_synthetic": 50, "kinds": ["tree"]}])
    recipes = cfg.recipes()
    assert [(r.augmentation, r.n_synthetic, r.kinds) for r in recipes] == [("mixup", 10, None), ("kde", 50, ["tree"])]
    assert TransferConfig().recipes() == []
    only = TransferConfig(candidates=[{"augmentation": "noise", "n_synthetic": 5}])
    assert [r.augmentation for r in only.recipes()] == ["noise"]
    base = {"name": "x", "data": {"name": "iris"}}
    for transfer, message in [
        ({"candidates": [{"augmentation": "cutmix", "n_synthetic": 5}]}, "unknown augmentation 'cutmix'"),
        ({"candidates": [{"augmentation": "kde", "n_synthetic": 5, "params": {"scale": 1.0}}]}, "no parameter"),
        ({"candidates": [{"augmentation": "kde", "n_synthetic": 5, "kinds": ["forest"]}]}, "kinds"),
        ({"augmentation": "mixup", "params": {"k": 3.0}}, "no parameter"),
        ({"n_synthetic": 100}, "need transfer.augmentation"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse_config({**base, "transfer": transfer})


def test_surrogate_regimes_build_each_candidate_from_train_only():
    """The pipeline's regimes: one teacher-labelled set per recipe, with its kinds, drawn from train rows only."""
    from interpret_distill.config import parse_config
    from interpret_distill.data import load_dataset
    from interpret_distill.surrogate_stage import _surrogate_regimes

    cfg = parse_config({
        "name": "x", "data": {"name": "iris"},
        "transfer": {"augmentation": "mixup", "n_synthetic": 30, "temperature": 2.0,
                     "candidates": [{"augmentation": "kde", "n_synthetic": 70, "params": {"bandwidth": 0.3},
                                     "kinds": ["tree"]}]},
    })
    dataset = load_dataset(cfg.data, 0)
    # Held-out rows far outside the training box: a leak would put synthetic rows out there.
    dataset.X_val = dataset.X_val + 100.0
    dataset.X_test = dataset.X_test - 100.0
    torch.manual_seed(0)
    teacher = torch.nn.Linear(dataset.n_features, dataset.n_classes)
    regimes = _surrogate_regimes(cfg, dataset, teacher, np.random.default_rng(0))
    assert list(regimes) == ["ground_truth", "hard", "hard+transfer", "soft", "soft+transfer"]
    sets = regimes["soft+transfer"]
    # the hard-label baseline of the transfer sets: the very same rows, the teacher's class one-hot
    for hard, soft in zip(regimes["hard+transfer"], sets, strict=True):
        assert (hard.label, hard.kinds) == (soft.label, soft.kinds) and hard.X is soft.X
        np.testing.assert_array_equal(hard.y, np.eye(3)[soft.y.argmax(1)])
    assert [s.label for s in sets] == ["mixup(n=30)", "kde(n=70, bandwidth=0.3)"]
    assert [s.kinds for s in sets] == [None, ("tree",)]
    n = len(dataset.X_train)
    lo, hi = dataset.X_train.min(axis=0), dataset.X_train.max(axis=0)
    for fit_set, extra in zip(sets, (30, 70)):
        assert fit_set.X.shape == (n + extra, dataset.n_features) and fit_set.y.shape == (n + extra, 3)
        np.testing.assert_array_equal(fit_set.X[:n], dataset.X_train)
        assert (fit_set.X >= lo).all() and (fit_set.X <= hi).all()
        with torch.no_grad():
            expected = soft_labels(teacher(torch.as_tensor(fit_set.X)).numpy(), 2.0)
        np.testing.assert_allclose(fit_set.y, expected, rtol=1e-5)
    # each candidate has its own random stream: adding one leaves the others' rows unchanged
    alone = parse_config({"name": "x", "data": {"name": "iris"},
                          "transfer": {"augmentation": "mixup", "n_synthetic": 30, "temperature": 2.0}})
    again = _surrogate_regimes(alone, dataset, teacher, np.random.default_rng(0))["soft+transfer"]
    np.testing.assert_array_equal(again[0].X, sets[0].X)


def test_soft_regime_offers_one_candidate_per_temperature():
    """``soft_temperatures`` turns the soft regime into candidates (training rows at each T), chosen on validation."""
    from interpret_distill.config import parse_config
    from interpret_distill.data import load_dataset
    from interpret_distill.errors import ConfigError
    from interpret_distill.surrogate_stage import _surrogate_regimes

    base = {"name": "x", "data": {"name": "iris"}}
    dataset = load_dataset(parse_config(base).data, 0)
    torch.manual_seed(0)
    teacher = torch.nn.Linear(dataset.n_features, dataset.n_classes)
    with torch.no_grad():
        logits = teacher(torch.as_tensor(dataset.X_train)).numpy()
    single = _surrogate_regimes(parse_config({**base, "transfer": {"temperature": 4.0}}), dataset, teacher,
                                np.random.default_rng(0))["soft"]
    assert single.label == "train"
    np.testing.assert_allclose(single.y, soft_labels(logits, 4.0), rtol=1e-5)
    cfg = parse_config({**base, "transfer": {"temperature": 4.0, "soft_temperatures": [1.0, 4.0, 0.5]}})
    sets = _surrogate_regimes(cfg, dataset, teacher, np.random.default_rng(0))["soft"]
    assert [s.label for s in sets] == ["train only T=4", "train only T=1", "train only T=0.5"]  # no repeated T=4
    for fit_set, t in zip(sets, (4.0, 1.0, 0.5)):
        np.testing.assert_array_equal(fit_set.X, dataset.X_train)
        np.testing.assert_allclose(fit_set.y, soft_labels(logits, t), rtol=1e-5)
    with pytest.raises(ConfigError, match="soft_temperatures"):
        parse_config({**base, "transfer": {"soft_temperatures": [0.0]}})
