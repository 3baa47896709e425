"""Load a dataset, split it (stratified, seeded) and scale it with statistics fitted on train only."""

from __future__ import annotations

import codecs
import hashlib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .data_config import DEFAULT_SPLIT_COLUMN, SPLITS, DataConfig
from .errors import DataError, first_line
from .image_folder import list_image_folder, read_images
from .splits import count_shared_rows, declared_split, drawn_split, overlap_note
from .synthetic import DIGITS28_SHAPE, make_digits28
from .targets import TargetScaling, regression_values, resolve_task

MIN_ROWS_PER_CLASS = 3  # one per split, so every split sees every class
NPZ_SPLIT_ARRAYS = "X_train, y_train, X_test, y_test (and optionally X_val, y_val)"
SYNTHETIC_ROWS = 5000  # images generated when data.n_rows is not set
SYNTHETIC_SEED = 0  # a synthetic dataset is the same for every run seed; the run's seed draws its split


@dataclass
class Dataset:
    """Train / validation / test splits plus everything needed to explain them.

    ``X_*`` are scaled ``float32`` matrices; images are flattened (``image_shape`` says how to fold
    them back). ``offset`` and ``scale`` undo the scaling: ``raw = X * scale + offset``.
    ``feature_groups`` maps each column to an original feature (one-hot columns share a group), so
    attributions can be summed back per original column.

    ``split_origin`` says where the train / test split came from: ``"declared"`` with the data (the split a
    brought teacher was trained on) or ``"drawn"`` here; ``val_origin`` is ``"declared"``, ``"carved"`` (from
    the declared train rows) or ``"drawn"``. ``test_rows_in_train`` counts the test rows that equal a row of the
    declared train split exactly (None for a drawn split). ``notes`` are the caveats warned about while loading.

    ``task`` is ``"classification"`` (``y_*`` int64 class indices into ``class_names``) or ``"regression"``
    (``y_*`` float32 targets standardised on train, ``target_scaling`` undoes it; ``class_names`` is empty and the
    networks have one output, ``n_outputs``).
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: list[str]
    class_names: list[str]
    offset: np.ndarray
    scale: np.ndarray
    image_shape: tuple[int, ...] | None = None
    feature_groups: np.ndarray | None = None
    group_names: list[str] = field(default_factory=list)
    split_origin: str = "drawn"
    val_origin: str = "drawn"
    test_rows_in_train: int | None = None
    notes: list[str] = field(default_factory=list)
    task: str = "classification"
    target_scaling: TargetScaling | None = None

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Outputs of the networks: one per class, or one predicted value for regression."""
        return 1 if self.task == "regression" else self.n_classes

    @property
    def train_mean(self) -> np.ndarray:
        return self.X_train.mean(axis=0)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(X, y)`` of the split called ``train``, ``val`` or ``test``."""
        return getattr(self, f"X_{name}"), getattr(self, f"y_{name}")

    def fingerprint(self) -> str:
        """A hash of the data and its splits: the teacher cache key depends on it."""
        digest = hashlib.sha256()
        for array in (self.X_train, self.y_train, self.X_val, self.y_val):
            digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:16]

    def summary(self) -> dict:
        """JSON-ready description recorded in the run directory."""
        return {
            "name": self.name,
            "n_train": len(self.y_train),
            "n_val": len(self.y_val),
            "n_test": len(self.y_test),
            "n_features": self.n_features,
            "n_classes": self.n_classes,
            "feature_names": self.feature_names,
            "class_names": self.class_names,
            "image_shape": list(self.image_shape) if self.image_shape else None,
            "scaling": {"offset": self.offset.tolist(), "scale": self.scale.tolist()},
            "feature_groups": self.feature_groups.tolist() if self.feature_groups is not None else None,
            "group_names": self.group_names,
            "split": self.split_origin,
            "val_split": self.val_origin,
            "test_rows_in_train": self.test_rows_in_train,
            "task": self.task,
            **({"target_scaling": {"offset": self.target_scaling.offset, "scale": self.target_scaling.scale}}
               if self.target_scaling else {}),
        }


@dataclass
class _Table:
    """Raw features and labels before splitting.

    ``split`` is each row's declared split (``"train"``, ``"val"`` or ``"test"``), or None when the data declares
    none: every loader that can read a declared split (npz arrays, a split column, split files, image folders with
    train / test subfolders) fills it, and :func:`load_dataset` then keeps that split.
    """

    X: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    image_shape: tuple[int, ...] | None = None
    class_names: list[str] | None = None
    feature_groups: np.ndarray | None = None
    group_names: list[str] = field(default_factory=list)
    split: np.ndarray | None = None


def pixel_names(image_shape: tuple[int, int, int]) -> list[str]:
    """Names of the columns of flat images: ``pixel_<row>_<column>``, with the channel appended for colour images.

    Args:
        image_shape: ``(channels, height, width)``.

    Returns:
        One name per column, in the flat (channel-first) order.

    Example:
        >>> pixel_names((1, 2, 2)), pixel_names((3, 1, 1))
        (['pixel_0_0', 'pixel_0_1', 'pixel_1_0', 'pixel_1_1'], ['pixel_0_0_red', 'pixel_0_0_green', 'pixel_0_0_blue'])
    """
    channels, height, width = image_shape
    if channels == 1:
        return [f"pixel_{r}_{c}" for r in range(height) for c in range(width)]
    suffixes = ("red", "green", "blue") if channels == 3 else [f"channel{i}" for i in range(channels)]
    return [f"pixel_{r}_{c}_{suffix}" for suffix in suffixes for r in range(height) for c in range(width)]


def _load_sklearn(spec: DataConfig) -> _Table:
    from sklearn import datasets

    loaders = {
        "digits": datasets.load_digits,
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
        "diabetes": datasets.load_diabetes,  # a regression target: disease progression after one year
    }
    bunch = loaders[spec.name]()
    image_shape = (1, 8, 8) if spec.name == "digits" else None
    names = pixel_names(image_shape) if image_shape else [str(n) for n in bunch.feature_names]
    class_names = [str(n) for n in bunch.target_names] if "target_names" in bunch else None
    return _Table(bunch.data.astype(np.float64), bunch.target, names, image_shape, class_names)


def _load_synthetic(spec: DataConfig) -> _Table:
    """A generated image set (``data.name``: ``digits28``, :mod:`interpret_distill.synthetic`), the same every run."""
    X, y = make_digits28(spec.n_rows or SYNTHETIC_ROWS, seed=SYNTHETIC_SEED)
    return _Table(X, y, pixel_names(DIGITS28_SHAPE), DIGITS28_SHAPE, [str(c) for c in range(10)])


def _load_image_folder(spec: DataConfig, seed: int | None = None) -> _Table:
    """An image folder's images as flat float32 rows in [0, 1], their classes and declared split.

    With a ``seed`` and ``data.max_rows``, that many files are drawn (:func:`_kept_rows`) before any is decoded.
    """
    files = list_image_folder(spec.path)
    keep = None if seed is None else _kept_rows(len(files.paths), spec.max_rows, seed)
    files = files if keep is None else files.subset(keep)
    X, image_shape = read_images(files.paths, spec.image_size, spec.color)
    labels = np.asarray(files.class_names)[files.labels]
    return _Table(X, labels, pixel_names(image_shape), image_shape, files.class_names, split=files.split)


def existing_data_file(path: str | Path, source: str) -> Path:
    """A data file, after checking it exists, is a file and is not empty (the CLI checks it before any run too).

    Raises:
        DataError: naming the problem and the fix.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: {path}; check data.path (relative paths start at the current folder)")
    if not path.is_file():
        raise DataError(f"data.path {path} is a folder, not a file; point data.path at the {source} file itself")
    if path.stat().st_size == 0:
        raise DataError(f"data file is empty: {path}; it needs a header row and at least one data row")
    return path


def guess_encoding(path: Path) -> str | None:
    """A likely text encoding of a file that is not UTF-8: ``utf-16`` (with a BOM), ``cp1252`` or ``latin-1``.

    Returns None when the file looks binary (NUL bytes without a UTF-16 byte-order mark).

    Example:
        >>> guess_encoding(Path("exported_from_excel.csv"))  # doctest: +SKIP
        'cp1252'
    """
    with open(path, "rb") as handle:
        raw = handle.read(1 << 20)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in raw:
        return None
    try:
        raw.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"  # decodes any byte sequence


def _read_frame(spec: DataConfig, path: str) -> pd.DataFrame:
    path = existing_data_file(path, spec.source)
    # utf-8-sig also reads UTF-8 files that start with a byte-order mark (Excel writes one)
    encoding = "utf-8-sig" if codecs.lookup(spec.encoding).name == "utf-8" else spec.encoding
    try:
        if spec.source == "parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, encoding=encoding)
    except UnicodeError as exc:
        guess = guess_encoding(path)
        if guess is None:
            raise DataError(f"{path} looks like a binary file, not CSV text; export it as CSV "
                            "(or use data.source: parquet / npz for those formats)") from None
        where = f" (byte {exc.object[exc.start]:#04x} at offset {exc.start})" if isinstance(
            exc, UnicodeDecodeError) else ""
        raise DataError(
            f"{path} is not valid {spec.encoding} text{where}; it looks like {guess}: "
            f"set `encoding: {guess}` under data in the config (or re-save the file as UTF-8)"
        ) from None
    except ImportError:
        raise DataError("reading Parquet needs pyarrow: pip install 'interpret_distill[parquet]'") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"data file has no columns: {path}; it needs a header row and data rows") from None
    except (pd.errors.ParserError, ValueError, OSError) as exc:
        raise DataError(f"cannot read {path} as {spec.source}: {first_line(exc)}; check the file's format") from None


def _split_files_frame(spec: DataConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """The split files of a ``data.path`` mapping as one frame, and each row's split.

    Read as one frame so a categorical column gets the same one-hot columns in every split.
    """
    frames = {split: _read_frame(spec, path) for split, path in spec.files().items()}
    train_file, columns = spec.path["train"], list(frames["train"].columns)
    if spec.split_column in columns:
        raise DataError(f"{train_file} has a split column {spec.split_column!r} and data.path maps each split to "
                        "a file; keep one way of declaring the split (drop the column, or give data.path one file)")
    for split, frame in frames.items():
        extra = [str(c) for c in frame.columns if c not in columns]
        lacking = [str(c) for c in columns if c not in frame.columns]
        if extra or lacking:
            detail = "; ".join(part for part in (f"extra: {', '.join(extra)}" if extra else "",
                                                 f"missing: {', '.join(lacking)}" if lacking else "") if part)
            raise DataError(f"{spec.path[split]} does not have the columns of the train file {train_file} "
                            f"({detail}); give every split file the same columns")
    split = np.concatenate([np.full(len(frame), name) for name, frame in frames.items()])
    return pd.concat([frame[columns] for frame in frames.values()], ignore_index=True), split


def _split_column(frame: pd.DataFrame, spec: DataConfig) -> np.ndarray:
    """Each row's split from the ``data.split_column`` column: train, val or test (case and spaces ignored)."""
    values = frame[spec.split_column]
    split = values.astype(str).str.strip().str.lower().to_numpy()
    unknown = sorted({str(v) for v, s in zip(values, split) if s not in SPLITS})  # an empty cell shows as 'nan'
    if unknown:
        shown = ", ".join(repr(v) for v in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        raise DataError(f"column {spec.split_column!r} of {spec.path} declares each row's split but holds {shown}; "
                        "mark every row train, val or test (or set data.split_column: null if that column is not "
                        "a split)")
    return split


def _load_frame(spec: DataConfig) -> _Table:
    if isinstance(spec.path, dict):
        frame, split = _split_files_frame(spec)
    else:
        frame = _read_frame(spec, spec.path)
        split = _split_column(frame, spec) if spec.split_column in frame.columns else None
    if frame.empty:
        raise DataError(f"{spec.location()} has a header but no data rows")
    if spec.target not in frame.columns:
        raise DataError(f"target column {spec.target!r} not in {spec.location()}; columns are: "
                        f"{', '.join(map(str, frame.columns))}")
    if split is None and spec.split_column not in (None, DEFAULT_SPLIT_COLUMN):
        raise DataError(f"data.split_column {spec.split_column!r} is not a column of {spec.path}; name the column "
                        "that marks each row train / val / test, or leave data.split_column out")
    features = spec.features or [c for c in frame.columns if c not in (spec.target, spec.split_column)]
    missing = [c for c in [*features, *spec.categorical] if c not in frame.columns]
    if missing:
        raise DataError(f"columns {missing} not in {spec.location()}; fix data.features / data.categorical")
    labels = frame[spec.target]
    if labels.isna().any():
        raise DataError(f"target column {spec.target!r} has {int(labels.isna().sum())} empty values; drop those rows")
    if labels.dtype == object:
        labels = labels.astype(str)  # mixed ints and strings cannot be sorted into classes otherwise

    columns, names, groups, group_names = [], [], [], []
    for group, column in enumerate(features):
        values = frame[column]
        group_names.append(str(column))
        if column in spec.categorical:
            dummies = pd.get_dummies(values.astype(str), prefix=str(column), prefix_sep="=", dtype=float)
            columns.append(dummies.to_numpy())
            names.extend(dummies.columns.astype(str))
            groups.extend([group] * dummies.shape[1])
            continue
        numeric = pd.to_numeric(values, errors="coerce")
        bad = numeric.isna() & values.notna()
        if bad.any():
            example = values[bad].iloc[0]
            raise DataError(
                f"column {column!r} is not numeric (e.g. {example!r}); list it in data.categorical to one-hot encode it"
            )
        columns.append(numeric.to_numpy(dtype=np.float64)[:, None])
        names.append(str(column))
        groups.append(group)
    X = np.hstack(columns) if columns else np.empty((len(frame), 0))
    grouped = any(c in spec.categorical for c in features)
    return _Table(
        X,
        labels.to_numpy(),
        names,
        image_shape=spec.image_shape,
        feature_groups=np.asarray(groups, dtype=np.int64) if grouped else None,
        group_names=group_names if grouped else [],
        split=split,
    )


def _npz_parts(arrays: dict[str, np.ndarray], path: Path) -> list[tuple[str | None, np.ndarray, np.ndarray]]:
    """``(split, X, y)`` per part of an archive: ``X``/``y`` (split None), or the declared splits' arrays."""
    declared = [s for s in SPLITS if f"X_{s}" in arrays or f"y_{s}" in arrays]
    if "X" in arrays and "y" in arrays and not declared:
        return [(None, arrays["X"], arrays["y"])]
    if not declared:
        raise DataError(f"{path} must contain arrays named 'X' and 'y' (or, for a declared split, "
                        f"{NPZ_SPLIT_ARRAYS}); found: {', '.join(arrays) or 'none'}")
    if "X" in arrays or "y" in arrays:
        raise DataError(f"{path} holds both X / y and split arrays ({', '.join(f'X_{s}' for s in declared)}); keep "
                        "one layout: the whole data as X and y, or the declared split as " + NPZ_SPLIT_ARRAYS)
    lacking = [name for s in {"train", "test", *declared} for name in (f"X_{s}", f"y_{s}") if name not in arrays]
    if lacking:
        raise DataError(f"{path} declares a split but lacks {', '.join(sorted(lacking))}; save "
                        f"numpy.savez(path, X_train=..., y_train=..., X_test=..., y_test=...) (X_val, y_val optional)")
    return [(s, arrays[f"X_{s}"], arrays[f"y_{s}"]) for s in SPLITS if s in {"train", "test", *declared}]


def _check_npz_part(X: np.ndarray, y: np.ndarray, path: Path, suffix: str) -> None:
    """One ``X`` / ``y`` pair of an archive (``suffix``: ``""`` or ``"_train"``, ...) is usable."""
    if not 2 <= X.ndim <= 4 or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise DataError(f"{path}: X{suffix} must be a numeric array of shape (rows, features), (rows, height, width) "
                        f"or (rows, channels, height, width), got {X.dtype} with shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"{path}: y{suffix} must be one label per row of X{suffix} ({len(X)} rows), got shape "
                        f"{y.shape}")
    if np.issubdtype(y.dtype, np.floating) and not np.isfinite(y).all():
        raise DataError(f"{path}: y{suffix} has NaN or infinite labels; drop those rows")


def _load_npz(spec: DataConfig) -> _Table:
    path = existing_data_file(spec.path, spec.source)
    with open(path, "rb") as head:
        magic = head.read(4)
    if magic.startswith(b"\x93NUM"):
        raise DataError(f"{path} holds a single array (numpy.save), not an .npz archive; save the arrays with "
                        "numpy.savez(path, X=features, y=labels)")
    if magic != b"PK\x03\x04":
        raise DataError(f"{path} is not an .npz archive (numpy.savez writes a zip file); save the arrays with "
                        "numpy.savez(path, X=features, y=labels)")
    try:
        # allow_pickle=False: an .npz must never run code when loaded
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower():
            raise DataError(f"{path} holds pickled objects, which are refused because loading them can run code; "
                            "save plain numeric arrays with numpy.savez") from None
        raise DataError(f"{path} is not a readable .npz archive ({first_line(exc)}); "
                        "re-save it with numpy.savez") from None
    except Exception as exc:  # zipfile.BadZipFile, EOFError, OSError, ...: a corrupt or foreign file
        raise DataError(f"{path} is not a readable .npz archive ({type(exc).__name__}); "
                        "re-save it with numpy.savez") from None
    parts = _npz_parts(arrays, path)
    for split, X, y in parts:
        _check_npz_part(X, y, path, f"_{split}" if split else "")
    first_split, first = parts[0][0], parts[0][1]
    for split, X, _ in parts[1:]:
        if X.shape[1:] != first.shape[1:]:
            raise DataError(f"{path}: X_{split} rows have shape {X.shape[1:]} but X_{first_split} rows "
                            f"{first.shape[1:]}; every split needs the same features")
    X = np.concatenate([X for _, X, _ in parts])
    y = np.concatenate([y for _, _, y in parts])
    split = None if first_split is None else np.concatenate([np.full(len(y), s) for s, _, y in parts])
    shape = spec.image_shape
    if "image_shape" in arrays:
        stored = arrays["image_shape"]
        integers = np.issubdtype(stored.dtype, np.integer)
        if stored.ndim != 1 or len(stored) not in (2, 3) or not integers or (stored <= 0).any():
            raise DataError(f"{path}: image_shape must be [channels, height, width] or [height, width] of positive "
                            f"integers, got {stored.tolist()}")
        shape = tuple(int(s) for s in stored)
        shape = (1, *shape) if len(shape) == 2 else shape
    elif shape is None and X.ndim in (3, 4):
        shape = (1, *X.shape[1:]) if X.ndim == 3 else tuple(X.shape[1:])  # (n, H, W) or (n, C, H, W) images
    X = X.reshape(len(X), -1).astype(np.float64)
    names = ([str(n) for n in arrays["feature_names"]] if "feature_names" in arrays
             else [f"x{i}" for i in range(X.shape[1])])
    if len(names) != X.shape[1]:
        raise DataError(f"{path}: feature_names has {len(names)} entries but X has {X.shape[1]} features")
    classes = [str(n) for n in arrays["class_names"]] if "class_names" in arrays else None
    n_labels = len(np.unique(y))
    if classes is not None and len(classes) != n_labels:
        raise DataError(f"{path}: class_names has {len(classes)} entries but y has {n_labels} classes; give one "
                        "name per class, in the sorted order of the labels")
    return _Table(X, y, names, shape, classes, split=split)


def _load_torchvision(spec: DataConfig) -> _Table:
    try:
        import torchvision  # optional extra, imported only here
    except Exception:
        raise DataError(
            "data.source 'torchvision' needs the optional extra: pip install 'interpret_distill[vision]'"
        ) from None
    root = Path(spec.path or "data")
    try:
        ds = getattr(torchvision.datasets, spec.name)(root=str(root), train=True, download=False)
    except (AttributeError, RuntimeError) as exc:
        raise DataError(f"torchvision dataset {spec.name!r} not found under {root}: {exc}") from None
    images = np.asarray(ds.data, dtype=np.float64)
    if images.ndim == 3:
        images = images[:, None]
    elif images.ndim == 4 and images.shape[-1] in (1, 3):
        images = images.transpose(0, 3, 1, 2)
    shape = tuple(images.shape[1:])
    names = [f"pixel_{i}" for i in range(int(np.prod(shape)))]
    return _Table(images.reshape(len(images), -1), np.asarray(ds.targets), names, shape, list(map(str, ds.classes)))


_LOADERS = {
    "sklearn": _load_sklearn,
    "csv": _load_frame,
    "parquet": _load_frame,
    "npz": _load_npz,
    "torchvision": _load_torchvision,
    "image_folder": _load_image_folder,
    "synthetic": _load_synthetic,
}


def _kept_rows(n_rows: int, max_rows: int | None, seed: int) -> np.ndarray | None:
    """Sorted indices of a seeded random ``max_rows`` of ``n_rows`` rows, or None when all are kept.

    Example:
        >>> _kept_rows(10, 3, seed=0).tolist(), _kept_rows(10, None, seed=0)
        ([5, 6, 9], None)
    """
    if max_rows is None or n_rows <= max_rows:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_rows, replace=False))


def _read_table(spec: DataConfig, seed: int) -> _Table:
    """The source's rows; ``data.max_rows`` of them drawn at random when set (image files before they are decoded).

    Each kept row keeps its declared split.
    """
    if spec.source == "image_folder":
        return _load_image_folder(spec, seed)
    table = _LOADERS[spec.source](spec)
    keep = _kept_rows(len(table.labels), spec.max_rows, seed)
    if keep is not None:
        table.X, table.labels = table.X[keep], np.asarray(table.labels)[keep]
        table.split = None if table.split is None else table.split[keep]
    return table


def _check_table(table: _Table, spec: DataConfig, task: str) -> None:
    X = table.X
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"dataset has {X.shape[0]} rows and {X.shape[1]} feature columns; it needs both")
    if not np.isfinite(X).all():
        bad = np.where(~np.isfinite(X).all(axis=0))[0]
        cols = ", ".join(repr(table.feature_names[i]) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
        rows = int((~np.isfinite(X).all(axis=1)).sum())
        raise DataError(f"features contain NaN or infinite values in {rows} row{'s' if rows > 1 else ''} "
                        f"(columns: {cols}); impute or drop those rows first")
    if table.image_shape is not None and int(np.prod(table.image_shape)) != X.shape[1]:
        raise DataError(
            f"image_shape {list(table.image_shape)} has {int(np.prod(table.image_shape))} pixels "
            f"but the data has {X.shape[1]} features per row; fix image_shape (its product must equal {X.shape[1]})"
        )
    if task == "regression":
        return
    classes, counts = np.unique(table.labels, return_counts=True)
    if len(classes) < 2:
        value = classes[0].item() if hasattr(classes[0], "item") else classes[0]
        raise DataError(f"the target has a single class ({value!r}) in all {len(table.labels)} rows; "
                        "a classifier needs at least two classes: check data.target")
    few = [f"{c} ({n} rows)" for c, n in zip(classes, counts) if n < MIN_ROWS_PER_CLASS]
    if few:
        numeric = spec.task == "auto" and np.issubdtype(np.asarray(table.labels).dtype, np.number)
        raise DataError(
            f"class(es) {', '.join(few[:5])}{', ...' if len(few) > 5 else ''} have fewer than {MIN_ROWS_PER_CLASS} "
            "rows, too few for a stratified train/val/test split; add rows or drop those classes"
            + ("; if the target is a number to predict, set data.task: regression" if numeric else "")
        )


def raw_features(spec: DataConfig, split: str | None = None) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The data as a teacher with ``teacher.inputs: raw`` sees it: encoded but not scaled; all rows or one split.

    Use it to train your own teacher on exactly the columns the pipeline will give it: numeric columns as they are,
    each categorical column replaced in place by one 0/1 column per level (``colour=blue``, ``colour=green``, ...,
    levels sorted), in the order of ``data.features`` (default: the file's columns without the target and the split
    column). With a declared split, ``split="train"`` gives the rows to train it on.

    Args:
        spec: the ``data`` section of an experiment config.
        split: None for every row; ``"train"``, ``"val"`` or ``"test"`` for the rows of that declared split.

    Returns:
        ``(X, y, feature_names, class_names)``: ``X`` float32 ``(n, d)``; ``y`` int64 class indices into
        ``class_names`` (sorted labels of the whole data), which is the order of the teacher's output columns; for
        a regression target ``y`` is float32 in the target's own units and ``class_names`` is empty.

    Raises:
        DataError: ``split`` is given but the data declares no split.

    Example:
        >>> X, y, names, classes = raw_features(load_config("shop.yaml").data, split="train")  # doctest: +SKIP
        >>> names  # doctest: +SKIP
        ['basket', 'visits', 'channel=app', 'channel=store', 'channel=web']
    """
    if split not in (None, *SPLITS):
        raise ValueError(f"split must be None or one of {', '.join(SPLITS)}, got {split!r}")
    table = _LOADERS[spec.source](spec)
    y, class_names, task = _checked_labels(table, spec)
    rows = np.ones(len(y), dtype=bool)
    if split is not None:
        if table.split is None:
            raise DataError(f"{spec.location()} declares no split, so it has no {split} rows; declare one (see "
                            "docs/bring_your_own.md) or call raw_features without split")
        rows = table.split == split
    y = y[rows].astype(np.float32 if task == "regression" else np.int64)
    return table.X[rows].astype(np.float32), y, list(table.feature_names), class_names


def _checked_labels(table: _Table, spec: DataConfig) -> tuple[np.ndarray, list[str], str]:
    """Validate the table, then its labels: indices into the sorted class names, or a regression's float64 values.

    Returns:
        ``(y, class_names, task)``; ``class_names`` is empty for regression.
    """
    try:
        task = resolve_task(table.labels, spec.task)
        _check_table(table, spec, task)
        if task == "regression":
            return regression_values(table.labels), [], task
    except DataError as exc:
        raise DataError(f"{spec.location()}: {exc}") from None
    classes, y = np.unique(table.labels, return_inverse=True)
    class_names = table.class_names if table.class_names and len(table.class_names) == len(classes) else [
        str(c) for c in classes
    ]
    return y, class_names, task


def _scaling(X_train: np.ndarray, image: bool) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale fitted on the training split only."""
    if image:
        # one range for all pixels keeps images comparable and zero a meaningful "black" baseline
        low, high = float(X_train.min()), float(X_train.max())
        return np.full(X_train.shape[1], low), np.full(X_train.shape[1], max(high - low, 1e-12))
    scale = X_train.std(axis=0)
    return X_train.mean(axis=0), np.where(scale > 1e-12, scale, 1.0)


def load_dataset(spec: DataConfig, seed: int = 0) -> Dataset:
    """Load the data named by ``spec``, keep its declared split or draw a stratified one, scale on train statistics.

    A regression target (``data.task``, :mod:`interpret_distill.targets`) is standardised on the train rows too, and
    its split is drawn unstratified.

    A declared split (npz arrays, a split column, split files, an image folder's train / test subfolders) keeps its
    test rows exactly; validation is its val rows or is carved from its train rows. Test rows equal to declared train
    rows are warned about, and refused above ``spec.max_test_overlap`` of the test rows.

    Args:
        spec: the ``data`` section of an experiment config.
        seed: seed of the train / validation / test split (or of the validation carve).

    Returns:
        The :class:`Dataset`.

    Raises:
        DataError: the data or its declared split cannot be used; the message names the fix.

    Example:
        >>> ds = load_dataset(DataConfig(source="sklearn", name="iris"))
        >>> ds.n_classes, ds.X_train.dtype
        (3, dtype('float32'))
    """
    table = _read_table(spec, seed)
    y, class_names, task = _checked_labels(table, spec)
    shared, notes = None, []
    if table.split is None:
        train, val, test = drawn_split(y, len(class_names), spec, seed, stratified=task == "classification")
        split_origin, val_origin = "drawn", "drawn"
    else:
        train, val, test, val_origin = declared_split(table.split, y, class_names, spec, seed)
        split_origin = "declared"
        declared_train = table.split == "train"
        shared = count_shared_rows(table.X[declared_train], table.X[test])
        note = overlap_note(shared, len(test), spec)
        if note:
            warnings.warn(note, stacklevel=2)
            notes.append(note)
    offset, scale = _scaling(table.X[train], image=table.image_shape is not None)

    def scaled(rows: np.ndarray) -> np.ndarray:
        return ((table.X[rows] - offset) / scale).astype(np.float32)

    target_scaling = TargetScaling.fit(y[train]) if task == "regression" else None

    def targets(rows: np.ndarray) -> np.ndarray:
        return target_scaling.standardise(y[rows]) if target_scaling else y[rows].astype(np.int64)

    name = spec.name or Path(spec.path["train"] if isinstance(spec.path, dict) else spec.path).stem
    return Dataset(
        name=name,
        X_train=scaled(train),
        y_train=targets(train),
        X_val=scaled(val),
        y_val=targets(val),
        X_test=scaled(test),
        y_test=targets(test),
        feature_names=table.feature_names,
        class_names=class_names,
        offset=offset,
        scale=scale,
        image_shape=tuple(table.image_shape) if table.image_shape else None,
        feature_groups=table.feature_groups,
        group_names=table.group_names,
        split_origin=split_origin,
        val_origin=val_origin,
        test_rows_in_train=shared,
        notes=notes,
        task=task,
        target_scaling=target_scaling,
    )
