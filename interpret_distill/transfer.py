"""Transfer sets: inputs near the training data, labelled by the teacher's soft predictions.

Synthetic inputs are drawn only from the arrays passed in (the caller passes the train split), so
nothing here can see validation or test data. Augmentations are looked up by name in
:data:`AUGMENTATIONS`; each has the signature ``(X, y, n, rng, **params) -> X_new (n, d) float32``.

Which augmentation (and how many rows) helps depends on the data and on the surrogate: on digits,
tens of thousands of mixup, ``kde`` or ``local_kde`` rows lift a depth-8 tree's fidelity by several
points (``local_kde``, which moves rows only the way their neighbours differ, the most), while on wine
mixup can hurt. So a config may list several candidates (:func:`candidate_label` names them) and the
pipeline keeps, per surrogate kind, the one with the best *validation* fidelity.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors

from .probability import softmax

Augmentation = Callable[..., np.ndarray]


def soft_labels(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax of ``logits / temperature``, computed stably in float64; a regressor's one output kept as it is.

    A single output is a regression teacher's predicted value (a classifier has two logits at least), so it is
    its own label: a softmax would make it the constant 1, and a temperature has no meaning for it.

    Args:
        logits: ``(n, k)`` logits, or ``(n, 1)`` predicted values.
        temperature: ``T > 0``; larger T gives softer probabilities.

    Returns:
        ``(n, k)`` float64 probabilities whose rows sum to 1, or the ``(n, 1)`` values as float64.

    Example:
        >>> soft_labels(np.array([[0.0, 0.0]])), soft_labels(np.array([[2.5]]), temperature=4.0)
        (array([[0.5, 0.5]]), array([[2.5]]))
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    logits = np.asarray(logits)
    return logits.astype(np.float64) if logits.ndim == 2 and logits.shape[1] == 1 else softmax(logits, temperature)


def _finish(X: np.ndarray, X_new: np.ndarray) -> np.ndarray:
    """Cast to float32 and clip each feature to the training range (e.g. keeps pixels in [0, 1])."""
    return np.clip(X_new.astype(np.float32), X.min(axis=0), X.max(axis=0))


def _rows(X: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if len(X) == 0:
        raise ValueError("cannot augment an empty training set")
    return rng.integers(0, len(X), size=n)


def mixup(
    X: np.ndarray, y: np.ndarray | None, n: int, rng: np.random.Generator, alpha: float = 0.4, noise: float = 0.0
) -> np.ndarray:
    """Convex combinations of two random training rows, ``λ ~ Beta(alpha, alpha)``.

    Args:
        X: ``(m, d)`` training inputs.
        y: unused (mixup ignores classes); kept for the common signature.
        n: number of rows to draw.
        rng: random generator.
        alpha: Beta concentration; small values keep points near real rows.
        noise: optional Gaussian noise, in units of each feature's training std.

    Returns:
        ``(n, d)`` float32, clipped to the training range.

    Example:
        >>> X = np.array([[0.0, 0.0], [1.0, 2.0]], dtype=np.float32)
        >>> mixup(X, None, 3, np.random.default_rng(0)).shape
        (3, 2)
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    a, b = X[_rows(X, n, rng)], X[_rows(X, n, rng)]
    lam = rng.beta(alpha, alpha, size=(n, 1))
    X_new = lam * a + (1 - lam) * b
    if noise:
        X_new = X_new + rng.normal(size=X_new.shape) * (noise * X.std(axis=0))
    return _finish(X, X_new)


def gaussian_noise(
    X: np.ndarray, y: np.ndarray | None, n: int, rng: np.random.Generator, scale: float = 0.1
) -> np.ndarray:
    """A random training row plus Gaussian noise with std ``scale`` × each feature's training std.

    Args:
        X: ``(m, d)`` training inputs.
        y: unused; kept for the common signature.
        n: number of rows to draw.
        rng: random generator.
        scale: noise level relative to the per-feature std (constant features get no noise).

    Returns:
        ``(n, d)`` float32, clipped to the training range.

    Example:
        >>> X = np.array([[0.0, 0.0], [1.0, 2.0]], dtype=np.float32)
        >>> gaussian_noise(X, None, 4, np.random.default_rng(0)).dtype
        dtype('float32')
    """
    if scale < 0:
        raise ValueError(f"scale must be >= 0, got {scale}")
    X_new = X[_rows(X, n, rng)] + rng.normal(size=(n, X.shape[1])) * (scale * X.std(axis=0))
    return _finish(X, X_new)


def neighbours(
    X: np.ndarray, y: np.ndarray | None, n: int, rng: np.random.Generator, k: int = 5
) -> np.ndarray:
    """Points on the segment between a random row and one of its ``k`` nearest same-class neighbours.

    Interpolating within a class (SMOTE-style) stays on the data manifold better than mixup across
    classes. With ``y=None`` all rows count as one class; a class with a single row yields that row.

    Args:
        X: ``(m, d)`` training inputs.
        y: ``(m,)`` training labels, or ``None``.
        n: number of rows to draw.
        rng: random generator.
        k: neighbours considered per row (config values may arrive as floats).

    Returns:
        ``(n, d)`` float32, clipped to the training range.

    Example:
        >>> X = np.array([[0.0], [1.0], [5.0], [6.0]], dtype=np.float32)
        >>> neighbours(X, np.array([0, 0, 1, 1]), 2, np.random.default_rng(0)).shape
        (2, 1)
    """
    k = int(k)
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    anchors = _rows(X, n, rng)
    groups = np.zeros(len(X), dtype=np.int64) if y is None else np.asarray(y)
    partners = anchors.copy()
    for label in np.unique(groups[anchors]):
        members = np.flatnonzero(groups == label)
        picked = np.flatnonzero(groups[anchors] == label)
        n_neighbors = min(k + 1, len(members))
        if n_neighbors == 1:
            continue  # a lone row's only partner is itself
        # Query only the sampled anchors: fitting is cheap, all-pairs queries on big classes are not.
        knn = NearestNeighbors(n_neighbors=n_neighbors).fit(X[members])
        local = np.searchsorted(members, anchors[picked])
        found = knn.kneighbors(X[anchors[picked]], return_distance=False)
        # Drop the anchor itself (usually column 0, but duplicates can reorder ties); a stable sort
        # moves non-self columns first, then keep k of them.
        found = np.take_along_axis(found, np.argsort(found == local[:, None], axis=1, kind="stable"), axis=1)
        choice = rng.integers(0, n_neighbors - 1, size=len(picked))
        partners[picked] = members[found[np.arange(len(picked)), choice]]
    lam = rng.uniform(size=(n, 1))
    X_new = X[anchors] + lam * (X[partners].astype(np.float64) - X[anchors])
    return _finish(X, X_new)


def kde(
    X: np.ndarray, y: np.ndarray | None, n: int, rng: np.random.Generator, bandwidth: float = 0.5
) -> np.ndarray:
    """Samples of a Gaussian kernel density estimate: a random training row plus correlated noise.

    The noise is ``N(0, bandwidth² Σ)`` with ``Σ`` the training covariance, so it follows the
    directions the data actually varies in (e.g. strokes of a digit move together) instead of
    perturbing each feature independently as :func:`gaussian_noise` does.

    Args:
        X: ``(m, d)`` training inputs.
        y: unused; kept for the common signature.
        n: number of rows to draw.
        rng: random generator.
        bandwidth: noise scale relative to the data covariance (``0``: copies of training rows).

    Returns:
        ``(n, d)`` float32, clipped to the training range.

    Example:
        >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.1]], dtype=np.float32)
        >>> kde(X, None, 4, np.random.default_rng(0), bandwidth=0.3).shape
        (4, 2)
    """
    if bandwidth < 0:
        raise ValueError(f"bandwidth must be >= 0, got {bandwidth}")
    anchors = X[_rows(X, n, rng)].astype(np.float64)
    if len(X) < 2:
        return _finish(X, anchors)
    # Σ = V diag(s²) Vᵀ / (m-1) from the SVD of the centred data: a square root that needs no
    # Cholesky, so a singular covariance (constant pixels, more features than rows) is fine.
    centred = X.astype(np.float64) - X.mean(axis=0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    root = (s[:, None] * vt) / np.sqrt(len(X) - 1)  # rows span the data; rootᵀ root = Σ
    noise = rng.normal(size=(n, len(root))) @ root
    return _finish(X, anchors + bandwidth * noise)


def local_kde(
    X: np.ndarray, y: np.ndarray | None, n: int, rng: np.random.Generator, bandwidth: float = 1.0, k: int = 20
) -> np.ndarray:
    """Manifold Parzen windows: a random row plus noise shaped by the covariance of its neighbourhood.

    The noise is ``N(0, bandwidth² Σₐ)`` with ``Σₐ`` the covariance of the anchor and its ``k`` nearest
    training rows (Vincent & Bengio, 2003). Where :func:`kde` spreads every row along the directions the
    *whole* data varies in (a 3 drifting towards an 8), this moves it only the way nearby rows differ
    (a 3 written slightly differently), so the teacher is queried on inputs closer to real ones. It needs
    no labels.

    Args:
        X: ``(m, d)`` training inputs.
        y: unused; kept for the common signature.
        n: number of rows to draw.
        rng: random generator.
        bandwidth: noise scale relative to the local covariance (``0``: copies of training rows).
        k: neighbours per row that define its covariance (config values may arrive as floats).

    Returns:
        ``(n, d)`` float32, clipped to the training range.

    Example:
        >>> X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]], dtype=np.float32)
        >>> X_new = local_kde(X, None, 5, np.random.default_rng(0), k=2)
        >>> bool(np.allclose(X_new[:, 0], X_new[:, 1]))  # the data lie on a line, so do the samples
        True
    """
    k = int(k)
    if bandwidth < 0:
        raise ValueError(f"bandwidth must be >= 0, got {bandwidth}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    anchors = _rows(X, n, rng)
    Xd = X.astype(np.float64)
    if len(X) < 2:
        return _finish(X, Xd[anchors])
    size = min(k + 1, len(X))  # the anchor and its neighbours
    neighbourhood = NearestNeighbors(n_neighbors=size).fit(Xd).kneighbors(Xd, return_distance=False)
    # One neighbour column at a time keeps memory at (m or n) x d, never m x size x d.
    centre = sum(Xd[neighbourhood[:, j]] for j in range(size)) / size
    # Σ z_j (x_j - mean) with z_j ~ N(0, 1) has covariance (size - 1) Σₐ.
    noise = np.zeros((n, X.shape[1]))
    for j in range(size):
        noise += rng.normal(size=(n, 1)) * (Xd[neighbourhood[anchors, j]] - centre[anchors])
    return _finish(X, Xd[anchors] + bandwidth * noise / np.sqrt(size - 1))


AUGMENTATIONS: dict[str, Augmentation] = {
    "mixup": mixup, "noise": gaussian_noise, "neighbours": neighbours, "kde": kde, "local_kde": local_kde,
}


# Four rows of two classes: enough for every augmentation to run, so a bad parameter value fails at config time.
_PROBE_X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0], [3.0, 1.0]], dtype=np.float32)
_PROBE_Y = np.array([0, 0, 1, 1])


def check_augmentation(name: str, params: dict | None = None) -> None:
    """Fail early on an unknown augmentation, parameter name or value (before any data is touched).

    Args:
        name: a key of :data:`AUGMENTATIONS`.
        params: keyword parameters meant for it.

    Returns:
        None; the augmentation is probed on four fixed rows, so an out-of-range value fails here.

    Raises:
        ValueError: naming the allowed augmentations or parameters, or the parameter value that is out of range.

    Example:
        >>> check_augmentation("mixup", {"alpha": 0.4})
    """
    if name not in AUGMENTATIONS:
        raise ValueError(f"unknown augmentation {name!r}; allowed: {', '.join(sorted(AUGMENTATIONS))}")
    allowed = list(inspect.signature(AUGMENTATIONS[name]).parameters)[4:]
    unknown = sorted(set(params or {}) - set(allowed))
    if unknown:
        raise ValueError(
            f"augmentation {name!r} has no parameter(s) {', '.join(unknown)}; allowed: {', '.join(allowed) or 'none'}"
        )
    try:
        AUGMENTATIONS[name](_PROBE_X, _PROBE_Y, 2, np.random.default_rng(0), **(params or {}))
    except ValueError as exc:
        raise ValueError(f"augmentation {name!r}: {exc}") from None


def candidate_label(method: str | None, n_synthetic: int = 0, params: dict | None = None,
                    temperature: float | None = None) -> str:
    """A short readable name of one transfer-set recipe, e.g. ``"mixup(n=20000, alpha=0.4)"``.

    Args:
        method: augmentation name, or ``None`` (training rows only).
        n_synthetic: number of synthetic rows.
        params: the augmentation's parameters.
        temperature: the soft labels' temperature, named only when given.

    Returns:
        The label (``"train only"`` without a method).

    Example:
        >>> candidate_label("kde", 5000, {"bandwidth": 0.5})
        'kde(n=5000, bandwidth=0.5)'
        >>> candidate_label("kde", 5000, {"bandwidth": 0.5}, temperature=4)
        'kde(n=5000, bandwidth=0.5) T=4'
    """
    suffix = "" if temperature is None else f" T={temperature:g}"
    if method is None:
        return "train only" + suffix
    extra = "".join(f", {k}={v:g}" if isinstance(v, (int, float)) else f", {k}={v}" for k, v in (params or {}).items())
    return f"{method}(n={int(n_synthetic)}{extra}){suffix}"


def augment(
    name: str, X: np.ndarray, y: np.ndarray | None, n: int, rng: np.random.Generator, **params: float
) -> np.ndarray:
    """Draw ``n`` synthetic rows with the augmentation registered as ``name``.

    Args:
        name: a key of :data:`AUGMENTATIONS`.
        X: ``(m, d)`` training inputs.
        y: ``(m,)`` training labels (used by ``neighbours``), or ``None``.
        n: number of rows.
        rng: random generator.
        **params: the augmentation's keyword parameters.

    Returns:
        ``(n, d)`` float32 array.

    Raises:
        ValueError: unknown augmentation.

    Example:
        >>> X = np.eye(3, dtype=np.float32)
        >>> augment("noise", X, None, 5, np.random.default_rng(0), scale=0.05).shape
        (5, 3)
    """
    check_augmentation(name)
    return AUGMENTATIONS[name](np.asarray(X, dtype=np.float32), y, int(n), rng, **params)


@dataclass
class TransferSet:
    """Inputs and the teacher's probabilities on them.

    Attributes:
        X: ``(n, d)`` float32 inputs: the training rows first, then synthetic rows.
        probs: ``(n, k)`` float64 teacher probabilities at the chosen temperature.
        source: ``(n,)`` array of ``"train"`` / ``"synthetic"``.

    Raises:
        ValueError: ``X``, ``probs`` and ``source`` differ in length.

    Example:
        >>> ts = TransferSet(np.zeros((3, 2), dtype=np.float32), np.full((3, 2), 0.5),
        ...                  np.array(["train", "train", "synthetic"]))
        >>> len(ts), ts.is_synthetic.tolist()
        (3, [False, False, True])
    """

    X: np.ndarray
    probs: np.ndarray
    source: np.ndarray

    def __post_init__(self) -> None:
        if not len(self.X) == len(self.probs) == len(self.source):
            lengths = f"{len(self.X)}, {len(self.probs)}, {len(self.source)}"
            raise ValueError(f"X, probs and source differ in length: {lengths}")

    def __len__(self) -> int:
        return len(self.X)

    @property
    def is_synthetic(self) -> np.ndarray:
        """Boolean ``(n,)`` mask of the synthetic rows."""
        return self.source == "synthetic"


def build_transfer_set(
    predict_logits: Callable[[np.ndarray], np.ndarray],
    X_train: np.ndarray,
    y_train: np.ndarray | None,
    *,
    method: str | None = None,
    n_synthetic: int = 0,
    temperature: float = 1.0,
    rng: np.random.Generator,
    **params: float,
) -> TransferSet:
    """Training rows plus ``n_synthetic`` augmented rows, all labelled by the teacher in one batch.

    Args:
        predict_logits: maps ``(n, d)`` float32 inputs to ``(n, k)`` teacher logits.
        X_train: ``(m, d)`` training inputs (the only data the synthetic rows are drawn from).
        y_train: ``(m,)`` training labels (for class-aware augmentations), or ``None``.
        method: a key of :data:`AUGMENTATIONS`, or ``None`` for the training rows only.
        n_synthetic: number of synthetic rows.
        temperature: softmax temperature of the teacher's soft labels.
        rng: random generator.
        **params: parameters of the augmentation.

    Returns:
        A :class:`TransferSet` of ``m + n_synthetic`` rows.

    Example:
        >>> X = np.random.default_rng(0).normal(size=(10, 2)).astype(np.float32)
        >>> ts = build_transfer_set(lambda x: x @ np.eye(2), X, None, method="mixup",
        ...                         n_synthetic=5, rng=np.random.default_rng(0))
        >>> len(ts), int(ts.is_synthetic.sum())
        (15, 5)
    """
    X_train = np.asarray(X_train, dtype=np.float32)
    if method is None:
        if n_synthetic or params:
            allowed = ", ".join(sorted(AUGMENTATIONS))
            raise ValueError(f"n_synthetic and augmentation parameters need a method: {allowed}")
        X_synthetic = np.empty((0, X_train.shape[1]), dtype=np.float32)
    else:
        # Called even for n_synthetic == 0 so a bad method or parameter name fails early.
        X_synthetic = augment(method, X_train, y_train, n_synthetic, rng, **params)
    X = np.concatenate([X_train, X_synthetic])
    logits = np.asarray(predict_logits(X))
    if logits.ndim != 2 or len(logits) != len(X):
        raise ValueError(f"predict_logits must return (n, k) logits for n={len(X)} rows, got shape {logits.shape}")
    source = np.array(["train"] * len(X_train) + ["synthetic"] * len(X_synthetic))
    return TransferSet(X=X, probs=soft_labels(logits, temperature), source=source)


def mixup_torch(x: torch.Tensor, generator: torch.Generator, alpha: float = 1.0) -> torch.Tensor:
    """Mix a batch with a random permutation of itself (one ``λ ~ Beta(alpha, alpha)`` per row).

    Used for function matching (Beyer et al. 2022): teacher and student see the same mixed batch
    and the teacher is queried on it every step.

    Args:
        x: ``(n, d)`` float batch.
        generator: torch generator on ``x``'s device; the only source of randomness.
        alpha: Beta concentration.

    Returns:
        ``(n, d)`` mixed batch, same dtype and device as ``x``.

    Example:
        >>> x = torch.eye(4)
        >>> mixup_torch(x, torch.Generator().manual_seed(0)).sum(dim=1)
        tensor([1., 1., 1., 1.])
    """
    n = x.shape[0]
    # torch's Beta sampler takes no generator, so a seed drawn from the generator drives numpy's.
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device).item())
    lam = torch.as_tensor(np.random.default_rng(seed).beta(alpha, alpha, size=(n, 1)), dtype=x.dtype, device=x.device)
    perm = torch.randperm(n, generator=generator, device=generator.device).to(x.device)
    return lam * x + (1 - lam) * x[perm]
