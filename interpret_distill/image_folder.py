"""Read (and write) a folder of image files with Pillow (no torchvision).

The ``root/<class>/<image>`` layout of torchvision's ``ImageFolder``, or a declared split ``root/train/<class>/…``,
``root/test/<class>/…`` (``root/val/`` optional).

Listing (:func:`list_image_folder`) and decoding (:func:`read_images`) are separate, so a random subset of the files
(``data.max_rows``) is drawn before any image is decoded; decoding writes each image straight into one preallocated
float32 array, so a folder of 70,000 images needs about the final array's memory, not a list of decoded images.
Every problem (a missing or empty class folder, an unreadable file, mixed sizes without ``data.image_size``, more
images than memory holds) is a :class:`~interpret_distill.errors.DataError` naming the file or folder and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import DataError, first_line

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")
SPLIT_FOLDERS = ("train", "val", "test")
COLOR_MODES = {"grayscale": "L", "rgb": "RGB"}  # data.color -> Pillow's mode
MEMORY_SHARE = 0.5  # the decoded images may take at most this share of the memory free now


@dataclass(frozen=True)
class ImageFiles:
    """The image files of a folder, in a fixed order (split, class, path), and what each one is.

    Attributes:
        paths: every image file.
        labels: ``(n,)`` index of each file's class into ``class_names``.
        class_names: the class folders' names, sorted (the union over splits).
        split: ``(n,)`` each file's declared split (``"train"``, ``"val"``, ``"test"``), or None without one.
    """

    paths: tuple[Path, ...]
    labels: np.ndarray
    class_names: list[str]
    split: np.ndarray | None = None

    def subset(self, rows: np.ndarray) -> ImageFiles:
        """The files at ``rows`` (indices), with their labels and splits; the class names stay all of them."""
        return ImageFiles(tuple(self.paths[i] for i in rows), self.labels[rows], self.class_names,
                          None if self.split is None else self.split[rows])


def _class_images(folder: Path) -> list[Path]:
    """The image files anywhere below a class folder, sorted; a folder without any is refused."""
    images = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                    and not any(part.startswith(".") for part in p.relative_to(folder).parts))
    if not images:
        raise DataError(f"class folder {folder} holds no image files ({', '.join(IMAGE_SUFFIXES)}); add its images "
                        "or remove the folder")
    return images


def _class_folders(root: Path) -> list[Path]:
    folders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not folders:
        raise DataError(f"{root} has no class folders; put each class's images in {root}/<class name>/ (or declare a "
                        f"split: {root}/train/<class name>/ and {root}/test/<class name>/)")
    return folders


def list_image_folder(root: str | Path) -> ImageFiles:
    """Every image file of an image folder and its class (and declared split).

    ``root`` holding both ``train`` and ``test`` folders (and optionally ``val``, nothing else) declares the split;
    otherwise every folder in ``root`` is a class. Image files are found at any depth below a class folder (by
    suffix, :data:`IMAGE_SUFFIXES`); hidden files and folders are skipped.

    Args:
        root: the image folder.

    Returns:
        The :class:`ImageFiles`.

    Raises:
        DataError: the folder is missing, has no class folders, a class folder has no image, or a split folder is
            missing beside the others; the message names it.

    Example:
        >>> files = list_image_folder("data/shapes")  # doctest: +SKIP
        >>> files.class_names, len(files.paths)  # doctest: +SKIP
        (['circle', 'square'], 200)
    """
    root = Path(root)
    if not root.exists():
        raise DataError(f"image folder not found: {root}; check data.path (relative paths start at the current folder)")
    if not root.is_dir():
        raise DataError(f"data.path {root} is a file; for data.source image_folder point it at the folder holding "
                        "one folder of images per class")
    folders = {p.name: p for p in _class_folders(root)}
    splits = [s for s in SPLIT_FOLDERS if s in folders]
    if not splits:
        by_class = {name: _class_images(folder) for name, folder in folders.items()}
        return _files({None: by_class})
    if not {"train", "test"} <= set(splits):
        lacking = "test" if "train" in splits else "train"
        raise DataError(f"{root} has a {splits[0]} folder but no {lacking} folder; a declared split needs "
                        f"{root}/train/<class name>/ and {root}/test/<class name>/ ({root}/val/ optional)")
    others = sorted(set(folders) - set(SPLIT_FOLDERS))
    if others:
        raise DataError(f"{root} mixes the split folders {', '.join(splits)} with other folders ({', '.join(others)}); "
                        "keep only train, val (optional) and test, each holding one folder per class")
    return _files({s: {p.name: _class_images(p) for p in _class_folders(folders[s])} for s in splits})


def _files(images: dict[str | None, dict[str, list[Path]]]) -> ImageFiles:
    """split (None: no split) -> class -> files, as one :class:`ImageFiles`."""
    class_names = sorted({name for by_class in images.values() for name in by_class})
    index = {name: i for i, name in enumerate(class_names)}
    paths, labels, splits = [], [], []
    for split, by_class in images.items():
        for name, files in by_class.items():
            paths += files
            labels += [index[name]] * len(files)
            splits += [split] * len(files)
    split = None if None in images else np.array(splits)
    return ImageFiles(tuple(paths), np.array(labels, dtype=np.int64), class_names, split)


def read_images(paths: Sequence[Path], size: tuple[int, int] | None = None, color: str = "grayscale",
                available: int | None = None) -> tuple[np.ndarray, tuple[int, int, int]]:
    """Decode image files into one float32 array of flat rows scaled to [0, 1].

    Args:
        paths: the files, in row order.
        size: ``(height, width)`` every image is resized to (bilinear, antialiased); None: every image must have the
            first one's size.
        color: ``"grayscale"`` (one channel) or ``"rgb"`` (three); any file is converted (alpha dropped).
        available: bytes of memory free (default: what the system reports now); the decoded array may take half.

    Returns:
        ``(X, image_shape)``: ``X`` ``(n, channels * height * width)`` float32, 8-bit values divided by 255;
        ``image_shape`` ``(channels, height, width)``.

    Raises:
        DataError: a file is not a readable image, its size differs from the first one's without ``size``, or the
            array would not fit in memory; the message names the file or the setting.

    Example:
        >>> X, shape = read_images(sorted(Path("data/shapes/circle").glob("*.png")), size=(28, 28))  # doctest: +SKIP
        >>> shape, float(X.max()) <= 1.0  # doctest: +SKIP
        ((1, 28, 28), True)
    """
    if not paths:
        raise DataError("no image files to read; check data.path")
    mode = COLOR_MODES[color]
    first = _decode(paths[0], mode, size)
    shape = (len(mode), *first.shape[:2])
    _check_memory(len(paths), shape, available)
    X = np.empty((len(paths), int(np.prod(shape))), dtype=np.float32)
    for row, path in enumerate(paths):
        pixels = first if row == 0 else _decode(path, mode, size)
        if pixels.shape[:2] != shape[1:]:
            raise DataError(f"{path} is {pixels.shape[0]}x{pixels.shape[1]} pixels (height x width) but {paths[0]} "
                            f"is {shape[1]}x{shape[2]}; set data.image_size: [height, width] to resize every image")
        X[row] = np.moveaxis(pixels.reshape(*shape[1:], len(mode)), -1, 0).reshape(-1)
    X /= 255.0
    return X, shape


def _decode(path: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """One image as a ``(height, width[, channels])`` uint8 array, converted to ``mode`` and resized to ``size``."""
    from PIL import Image  # imported here: only image folders need Pillow

    try:
        with Image.open(path) as image:
            image = image.convert(mode)  # decodes the whole file: a truncated one fails here
            if size is not None:
                image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            return np.asarray(image, dtype=np.uint8)
    except Exception as exc:  # Pillow raises many types for a damaged or foreign file
        raise DataError(f"{path} is not a readable image ({type(exc).__name__}: {first_line(exc, 120)}); replace or "
                        "remove the file") from None


def write_image_folder(root: str | Path, X: np.ndarray, labels: Sequence[str], image_shape: Sequence[int],
                       split: Sequence[str] | None = None) -> Path:
    """Write flat images in [0, 1] as 8-bit PNG files in the layout :func:`list_image_folder` reads.

    For trying ``data.source: image_folder`` on generated images (``synthetic.make_digits28``), or exporting an array
    of images for other tools. Files are ``root[/<split>]/<label>/<row>.png``.

    Args:
        root: the folder to write (created; existing files of the same names are replaced).
        X: ``(n, channels * height * width)`` images in [0, 1]; 1 or 3 channels.
        labels: each image's class name.
        image_shape: ``(channels, height, width)``.
        split: each image's split (``train``, ``val``, ``test``), or None for no declared split.

    Returns:
        ``root``.

    Example:
        >>> import tempfile
        >>> root = write_image_folder(Path(tempfile.mkdtemp()), np.zeros((2, 4)), ["a", "b"], (1, 2, 2))
        >>> list_image_folder(root).class_names
        ['a', 'b']
    """
    from PIL import Image

    root, (channels, height, width) = Path(root), (int(s) for s in image_shape)
    if channels not in (1, 3):
        raise ValueError(f"PNG files hold 1 (grey) or 3 (RGB) channels, not {channels}")
    for row, (pixels, label) in enumerate(zip(np.asarray(X), labels)):
        folder = root / (split[row] if split is not None else "") / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        image = np.rint(255 * np.clip(pixels, 0, 1)).astype(np.uint8).reshape(channels, height, width)
        Image.fromarray(image[0] if channels == 1 else np.moveaxis(image, 0, -1)).save(folder / f"{row:06d}.png")
    return root


def _check_memory(n_images: int, shape: tuple[int, int, int], available: int | None) -> None:
    from .memory import available_bytes

    needed = n_images * int(np.prod(shape)) * 4
    free = available_bytes() if available is None else available
    if needed > MEMORY_SHARE * free:
        raise DataError(f"{n_images:,} images of {shape[0]}x{shape[1]}x{shape[2]} (channels x height x width) would "
                        f"take {needed / 1e9:.1f} GB as float32, more than half of the {free / 1e9:.1f} GB free; set "
                        "data.max_rows to load a random subset, or a smaller data.image_size")
