"""Image data generated at run time from a seed, for presets and benchmarks that need no download.

``digits28``: 28×28 grey images made from scikit-learn's 8×8 handwritten digits, each upsampled 3× (to 24×24),
placed on a 28×28 canvas at a random offset of 0–4 pixels (up to 2 from the centre), its contrast scaled by a
factor drawn from [0.7, 1], plus Gaussian noise (σ = 0.05), clipped to [0, 1]. Synthetic: not MNIST, and from only
1,797 distinct digits, so
images of one source digit differ only by shift, contrast and noise.
"""

from __future__ import annotations

import numpy as np

DIGITS28_SHAPE = (1, 28, 28)


def make_digits28(n_images: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_images`` flat 28×28 images in [0, 1] and their digit labels (see the module docstring).

    Args:
        n_images: how many images (source digits are drawn with replacement).
        seed: seeds every draw: the same seed gives the same images.

    Returns:
        ``(X, y)``: ``X`` ``(n_images, 784)`` float32, ``y`` ``(n_images,)`` int labels 0–9.

    Example:
        >>> X, y = make_digits28(3, seed=0)
        >>> X.shape, X.dtype, bool(0 <= X.min() and X.max() <= 1), y.shape
        ((3, 784), dtype('float32'), True, (3,))
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(digits.images), size=n_images)
    big = np.kron(digits.images[pick] / 16.0, np.ones((3, 3)))  # (n, 24, 24)
    canvas = np.zeros((n_images, 28, 28), dtype=np.float32)
    shifts = rng.integers(0, 5, size=(n_images, 2))
    for i, (dy, dx) in enumerate(shifts):
        canvas[i, dy:dy + 24, dx:dx + 24] = big[i]
    canvas *= rng.uniform(0.7, 1.0, size=(n_images, 1, 1)).astype(np.float32)
    canvas += rng.normal(scale=0.05, size=canvas.shape).astype(np.float32)
    return np.clip(canvas, 0, 1).reshape(n_images, -1), digits.target[pick]
