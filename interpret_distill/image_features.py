"""Image features a person can read: a grid of square patches, each patch's mean intensity and, optionally, contrast.

One patch grid serves a run (the ``patches`` config section):

* perturbation attributions perturb one patch at a time (:func:`patch_feature_mask`), so their cost grows with the
  number of patches, not of pixels;
* surrogates with ``features: patches`` are fitted on :func:`patch_features` of the images, while the teacher is
  still queried on the full images; :class:`PatchSurrogate` wraps such a surrogate so it takes the flat pixel rows
  every other model takes, and maps its own (native) attributions back onto the pixels
  (:func:`patch_attributions_to_pixels`).

Patches are numbered row-major over the grid (``mean[r,c]`` is row ``r``, column ``c``, counted from the top left);
the last row and column of patches are cut at the image's border when the patch size does not divide it. A patch
covers every channel: its mean is the average intensity of its pixels over all channels, its contrast their
standard deviation. Numpy only (no torch), so a saved :class:`PatchSurrogate` loads anywhere.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

CHUNK_ROWS = 4096  # rows whose float64 copy is held at once while computing features


def patch_grid(image_shape: Sequence[int], patch: int) -> tuple[int, int]:
    """Rows and columns of the patch grid over an image (border patches included).

    Args:
        image_shape: ``(channels, height, width)``.
        patch: side of the square patches, in pixels.

    Returns:
        ``(grid_rows, grid_columns)``.

    Example:
        >>> patch_grid((1, 28, 28), 4), patch_grid((3, 10, 7), 4)
        ((7, 7), (3, 2))
    """
    _, height, width = (int(s) for s in image_shape)
    if patch < 1:
        raise ValueError(f"patch must be >= 1 pixel, got {patch}")
    return -(-height // patch), -(-width // patch)


def patch_feature_mask(image_shape: Sequence[int], patch: int = 2) -> np.ndarray:
    """Group ids that put each ``patch × patch`` square of an image (all channels) into one feature.

    Args:
        image_shape: ``(channels, height, width)`` of the flat rows.
        patch: side of the square patches (the last ones are cut at the border).

    Returns:
        ``(channels * height * width,)`` int64 group ids, numbered row-major over patches.

    Example:
        >>> patch_feature_mask((1, 2, 4), patch=2).tolist()
        [0, 0, 1, 1, 0, 0, 1, 1]
    """
    channels, height, width = (int(s) for s in image_shape)
    _, grid_columns = patch_grid(image_shape, patch)
    rows, cols = np.arange(height) // patch, np.arange(width) // patch
    per_channel = rows[:, None] * grid_columns + cols[None, :]
    return np.broadcast_to(per_channel, (channels, height, width)).reshape(-1).astype(np.int64)


def patch_features(X: np.ndarray, image_shape: Sequence[int], patch: int, contrast: bool = False) -> np.ndarray:
    """Each image's patch means (and, with ``contrast``, the patches' standard deviations), row by row.

    Computed in chunks of rows, so memory grows with the output (a few dozen columns), not with a float64 copy of
    ``X``.

    Args:
        X: ``(n, channels * height * width)`` flat images.
        image_shape: ``(channels, height, width)``.
        patch: side of the square patches.
        contrast: append each patch's standard deviation after all the means.

    Returns:
        ``(n, g)`` float32 means (``g`` patches, row-major), or ``(n, 2g)``: means, then contrasts.

    Example:
        >>> X = np.array([[0.0, 1.0, 0.5, 0.5,
        ...                0.0, 1.0, 0.5, 0.5]])  # one 2 x 4 image
        >>> patch_features(X, (1, 2, 4), patch=2, contrast=True).tolist()
        [[0.5, 0.5, 0.5, 0.0]]
    """
    channels, height, width = (int(s) for s in image_shape)
    grid_rows, grid_columns = patch_grid(image_shape, patch)
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != channels * height * width:
        raise ValueError(f"X must be (n, {channels * height * width}) flat images of shape {tuple(image_shape)}, "
                         f"got {X.shape}")
    pad = ((0, 0), (0, 0), (0, grid_rows * patch - height), (0, grid_columns * patch - width))
    blocks = (channels, grid_rows, patch, grid_columns, patch)
    counts = np.pad(np.ones((1, channels, height, width)), pad).reshape(1, *blocks).sum(axis=(1, 3, 5))
    n_patches = grid_rows * grid_columns
    out = np.empty((len(X), n_patches * (2 if contrast else 1)), dtype=np.float32)
    for start in range(0, len(X), CHUNK_ROWS):
        images = np.pad(X[start:start + CHUNK_ROWS].reshape(-1, channels, height, width).astype(np.float64), pad)
        images = images.reshape(len(images), *blocks)
        means = images.sum(axis=(1, 3, 5)) / counts
        out[start:start + len(images), :n_patches] = means.reshape(len(images), -1)
        if contrast:
            variance = np.maximum((images ** 2).sum(axis=(1, 3, 5)) / counts - means ** 2, 0.0)
            out[start:start + len(images), n_patches:] = np.sqrt(variance).reshape(len(images), -1)
    return out


def patch_feature_names(image_shape: Sequence[int], patch: int, contrast: bool = False) -> list[str]:
    """Names of :func:`patch_features`' columns: ``mean[r,c]`` (and ``contrast[r,c]``), row ``r``, column ``c``.

    Args:
        image_shape: ``(channels, height, width)``.
        patch: side of the square patches.
        contrast: whether the contrasts follow the means.

    Returns:
        One name per column of :func:`patch_features`.

    Example:
        >>> patch_feature_names((1, 4, 4), 2, contrast=True)[:2] + patch_feature_names((1, 4, 4), 2, True)[-1:]
        ['mean[0,0]', 'mean[0,1]', 'contrast[1,1]']
    """
    grid_rows, grid_columns = patch_grid(image_shape, patch)
    cells = [f"[{r},{c}]" for r in range(grid_rows) for c in range(grid_columns)]
    return [f"mean{cell}" for cell in cells] + ([f"contrast{cell}" for cell in cells] if contrast else [])


def patch_feature_scaling(offset: np.ndarray, scale: np.ndarray, n_features: int, n_patches: int
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale that turn patch features of scaled images back into the data's own pixel units.

    Images are scaled with one offset and scale for every pixel (``data._scaling``), so a mean unscales like a
    pixel (``mean * scale + offset``) and a contrast, a standard deviation, by the scale alone.

    Args:
        offset: ``(d,)`` the pixels' offset (all equal for images).
        scale: ``(d,)`` the pixels' scale.
        n_features: columns of the patch features (``n_patches`` means, then contrasts if any).
        n_patches: patches of the grid.

    Returns:
        ``(offset, scale)``, each ``(n_features,)``.

    Example:
        >>> patch_feature_scaling(np.full(16, 0.1), np.full(16, 2.0), n_features=4, n_patches=2)[0].tolist()
        [0.1, 0.1, 0.0, 0.0]
    """
    is_mean = np.arange(n_features) < n_patches
    return np.where(is_mean, float(np.asarray(offset)[0]), 0.0), np.full(n_features, float(np.asarray(scale)[0]))


def patch_attributions_to_pixels(attributions: np.ndarray, image_shape: Sequence[int], patch: int) -> np.ndarray:
    """Attributions of patch features spread over the pixels: each pixel gets an equal share of its patch's total.

    A patch's total is the sum of its features' attributions (its mean, plus its contrast if any), divided equally
    among the columns (pixels × channels) the patch covers; so the pixel attributions sum to the same total as the
    patch attributions, and every pixel of a patch shows the same value.

    Args:
        attributions: ``(n, g)`` or ``(n, 2g)`` attributions of :func:`patch_features`' columns.
        image_shape: ``(channels, height, width)``.
        patch: side of the square patches.

    Returns:
        ``(n, channels * height * width)`` float64 attributions.

    Example:
        >>> patch_attributions_to_pixels(np.array([[4.0, 2.0]]), (1, 2, 4), patch=2).tolist()
        [[1.0, 1.0, 0.5, 0.5, 1.0, 1.0, 0.5, 0.5]]
    """
    groups = patch_feature_mask(image_shape, patch)
    n_patches = int(np.prod(patch_grid(image_shape, patch)))
    attributions = np.asarray(attributions, dtype=np.float64)
    if attributions.ndim != 2 or attributions.shape[1] % n_patches:
        raise ValueError(f"attributions must be (n, {n_patches}) or (n, {2 * n_patches}) for a grid of {n_patches} "
                         f"patches, got {attributions.shape}")
    per_patch = attributions.reshape(len(attributions), -1, n_patches).sum(axis=1)
    return per_patch[:, groups] / np.bincount(groups)[groups]


class PatchSurrogate:
    """A surrogate fitted on the patch features of images that takes the images' flat pixel rows, like every model.

    The pipeline fits the inner surrogate on :func:`patch_features` (the teacher labels the full images), then wraps
    it: predictions compute the patch features of the rows they are given, and the native attribution is the inner
    surrogate's own, spread back onto the pixels (:func:`patch_attributions_to_pixels`). Complexity is the inner
    surrogate's. Saved with skops like the surrogates (a trusted type of :mod:`interpret_distill.artifacts`).

    Args:
        surrogate: a fitted surrogate (e.g. a ``TreeSurrogate``) whose inputs are :func:`patch_features` columns.
        image_shape: ``(channels, height, width)`` of the pixel rows.
        patch: side of the square patches.
        contrast: whether the features include the patches' contrast.

    Example:
        >>> from interpret_distill.surrogates import TreeSurrogate
        >>> X = np.array([[1.0] * 4 + [0.0] * 12, [0.0] * 12 + [1.0] * 4] * 5)  # 4 x 4 images, bright corners
        >>> inner = TreeSurrogate(max_depth=1).fit(patch_features(X, (1, 4, 4), 2), np.array([0, 1] * 5))
        >>> model = PatchSurrogate(inner, (1, 4, 4), patch=2)
        >>> model.predict_proba(X[:2]).argmax(1).tolist(), model.feature_names()[0]
        ([0, 1], 'mean[0,0]')
    """

    native_decomposition = "image_features"  # interpret_distill.attribution.native: the inner one, on pixels

    def __init__(self, surrogate: Any, image_shape: Sequence[int], patch: int, contrast: bool = False):
        self.surrogate = surrogate
        self.image_shape = tuple(int(s) for s in image_shape)
        self.patch = int(patch)
        self.contrast = bool(contrast)

    @property
    def classes_(self) -> np.ndarray:
        return self.surrogate.classes_

    @property
    def complexity_(self) -> dict[str, int]:
        return self.surrogate.complexity_

    @property
    def complexity_score_(self) -> float:
        return self.surrogate.complexity_score_

    @property
    def grid(self) -> tuple[int, int]:
        """Rows and columns of the patch grid."""
        return patch_grid(self.image_shape, self.patch)

    def features(self, X: np.ndarray) -> np.ndarray:
        """The patch features the inner surrogate reads.

        Args:
            X: ``(n, channels * height * width)`` flat images.

        Returns:
            Their :func:`patch_features`.
        """
        return patch_features(X, self.image_shape, self.patch, self.contrast)

    def feature_names(self) -> list[str]:
        """Names of the inner surrogate's input columns (``mean[r,c]``, ``contrast[r,c]``)."""
        return patch_feature_names(self.image_shape, self.patch, self.contrast)

    def to_inputs(self, attributions: np.ndarray) -> np.ndarray:
        """Attributions of the patch features as attributions of the pixels.

        Args:
            attributions: ``(n, features)`` attributions of the inner surrogate's columns.

        Returns:
            ``(n, pixels)`` attributions (:func:`patch_attributions_to_pixels`).
        """
        return patch_attributions_to_pixels(attributions, self.image_shape, self.patch)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities of flat pixel rows: the inner surrogate's on their patch features.

        Args:
            X: ``(n, channels * height * width)`` flat images.

        Returns:
            ``(n, k)`` probabilities.
        """
        return self.surrogate.predict_proba(self.features(X))

    def __repr__(self) -> str:
        return f"PatchSurrogate({self.surrogate!r}, image_shape={self.image_shape}, patch={self.patch}, " \
               f"contrast={self.contrast})"
