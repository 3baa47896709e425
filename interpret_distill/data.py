"""Load a dataset, split it (stratified, seeded) and scale it with statistics fitted on train only."""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .config import DataConfig
from .errors import DataError, first_line

MIN_ROWS_PER_CLASS = 3  # one per split, so every split sees every class


@dataclass
class Dataset:
    """Train / validation / test splits plus everything needed to explain them.

    ``X_*`` are scaled ``float32`` matrices; images are flattened (``image_shape`` says how to fold
    them back). ``offset`` and ``scale`` undo the scaling: ``raw = X * scale + offset``.
    ``feature_groups`` maps each column to an original feature (one-hot columns share a group), so
    attributions can be summed back per original column.
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

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

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
        }


@dataclass
class _Table:
    """Raw features and labels before splitting."""

    X: np.ndarray
    labels: np.ndarray
    feature_names: list[str]
    image_shape: tuple[int, ...] | None = None
    class_names: list[str] | None = None
    feature_groups: np.ndarray | None = None
    group_names: list[str] = field(default_factory=list)


def _load_sklearn(spec: DataConfig) -> _Table:
    from sklearn import datasets

    loaders = {
        "digits": datasets.load_digits,
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
    }
    bunch = loaders[spec.name]()
    image_shape = (1, 8, 8) if spec.name == "digits" else None
    if spec.name == "digits":
        names = [f"pixel_{r}_{c}" for r in range(8) for c in range(8)]
    else:
        names = [str(n) for n in bunch.feature_names]
    class_names = [str(n) for n in bunch.target_names]
    return _Table(bunch.data.astype(np.float64), bunch.target, names, image_shape, class_names)


def existing_data_file(spec: DataConfig) -> Path:
    """The data file, after checking it exists, is a file and is not empty (the CLI checks it before any run too).

    Raises:
        DataError: naming the problem and the fix.
    """
    path = Path(spec.path)
    if not path.exists():
        raise DataError(f"data file not found: {path}; check data.path (relative paths start at the current folder)")
    if not path.is_file():
        raise DataError(f"data.path {path} is a folder, not a file; point data.path at the {spec.source} file itself")
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


def _read_frame(spec: DataConfig) -> pd.DataFrame:
    path = existing_data_file(spec)
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


def _load_frame(spec: DataConfig) -> _Table:
    frame = _read_frame(spec)
    if frame.empty:
        raise DataError(f"{spec.path} has a header but no data rows")
    if spec.target not in frame.columns:
        raise DataError(
            f"target column {spec.target!r} not in {spec.path}; columns are: {', '.join(map(str, frame.columns))}"
        )
    features = spec.features or [c for c in frame.columns if c != spec.target]
    missing = [c for c in [*features, *spec.categorical] if c not in frame.columns]
    if missing:
        raise DataError(f"columns {missing} not in {spec.path}; fix data.features / data.categorical")
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
    )


def _load_npz(spec: DataConfig) -> _Table:
    path = existing_data_file(spec)
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
    if "X" not in arrays or "y" not in arrays:
        raise DataError(f"{path} must contain arrays named 'X' and 'y'; found: {', '.join(arrays) or 'none'}")
    X, y = arrays["X"], arrays["y"]
    if not 2 <= X.ndim <= 4 or not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise DataError(f"{path}: X must be a numeric array of shape (rows, features), (rows, height, width) or "
                        f"(rows, channels, height, width), got {X.dtype} with shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"{path}: y must be one label per row of X ({len(X)} rows), got shape {y.shape}")
    if np.issubdtype(y.dtype, np.floating) and not np.isfinite(y).all():
        raise DataError(f"{path}: y has NaN or infinite labels; drop those rows")
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
    return _Table(X, y, names, shape, classes)


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
}


def _check_table(table: _Table, spec: DataConfig) -> None:
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
    classes, counts = np.unique(table.labels, return_counts=True)
    if len(classes) < 2:
        value = classes[0].item() if hasattr(classes[0], "item") else classes[0]
        raise DataError(f"the target has a single class ({value!r}) in all {len(table.labels)} rows; "
                        "a classifier needs at least two classes: check data.target")
    few = [f"{c} ({n} rows)" for c, n in zip(classes, counts) if n < MIN_ROWS_PER_CLASS]
    if few:
        raise DataError(
            f"class(es) {', '.join(few[:5])}{', ...' if len(few) > 5 else ''} have fewer than {MIN_ROWS_PER_CLASS} "
            "rows, too few for a stratified train/val/test split; add rows or drop those classes"
        )


def raw_features(spec: DataConfig) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """The whole file as a teacher with ``teacher.inputs: raw`` sees it: encoded but neither split nor scaled.

    Use it to train your own teacher on exactly the columns the pipeline will give it: numeric columns as they are,
    each categorical column replaced in place by one 0/1 column per level (``colour=blue``, ``colour=green``, ...,
    levels sorted), in the order of ``data.features`` (default: the file's columns without the target).

    Args:
        spec: the ``data`` section of an experiment config.

    Returns:
        ``(X, y, feature_names, class_names)``: ``X`` float32 ``(n, d)``; ``y`` int64 class indices into
        ``class_names`` (sorted labels), which is the order of the teacher's output columns.

    Example:
        >>> X, y, names, classes = raw_features(load_config("shop.yaml").data)  # doctest: +SKIP
        >>> names  # doctest: +SKIP
        ['basket', 'visits', 'channel=app', 'channel=store', 'channel=web']
    """
    table = _LOADERS[spec.source](spec)
    y, class_names = _checked_labels(table, spec)
    return table.X.astype(np.float32), y.astype(np.int64), list(table.feature_names), class_names


def _checked_labels(table: _Table, spec: DataConfig) -> tuple[np.ndarray, list[str]]:
    """Validate the table, then encode its labels as indices into the sorted class names."""
    try:
        _check_table(table, spec)
    except DataError as exc:
        raise DataError(f"{spec.path or spec.name}: {exc}") from None
    classes, y = np.unique(table.labels, return_inverse=True)
    class_names = table.class_names if table.class_names and len(table.class_names) == len(classes) else [
        str(c) for c in classes
    ]
    return y, class_names


def _scaling(X_train: np.ndarray, image: bool) -> tuple[np.ndarray, np.ndarray]:
    """Offset and scale fitted on the training split only."""
    if image:
        # one range for all pixels keeps images comparable and zero a meaningful "black" baseline
        low, high = float(X_train.min()), float(X_train.max())
        return np.full(X_train.shape[1], low), np.full(X_train.shape[1], max(high - low, 1e-12))
    scale = X_train.std(axis=0)
    return X_train.mean(axis=0), np.where(scale > 1e-12, scale, 1.0)


def load_dataset(spec: DataConfig, seed: int = 0) -> Dataset:
    """Load the data named by ``spec``, split it stratified and scale it on train statistics.

    Args:
        spec: the ``data`` section of an experiment config.
        seed: seed of the train / validation / test split.

    Returns:
        The :class:`Dataset`.

    Example:
        >>> ds = load_dataset(DataConfig(source="sklearn", name="iris"))
        >>> ds.n_classes, ds.X_train.dtype
        (3, dtype('float32'))
    """
    table = _LOADERS[spec.source](spec)
    if spec.max_rows is not None and len(table.labels) > spec.max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(table.labels), size=spec.max_rows, replace=False))
        table.X, table.labels = table.X[keep], np.asarray(table.labels)[keep]
    y, class_names = _checked_labels(table, spec)
    index = np.arange(len(y))
    try:
        rest, test = train_test_split(index, test_size=spec.test_size, stratify=y, random_state=seed)
        val_share = spec.val_size / (1 - spec.test_size)
        train, val = train_test_split(rest, test_size=val_share, stratify=y[rest], random_state=seed)
    except ValueError as exc:
        raise DataError(
            f"cannot make a stratified train/val/test split of {len(y)} rows and {len(class_names)} classes "
            f"({first_line(exc)}); every split needs a row of each class: add rows or adjust data.test_size / "
            "data.val_size"
        ) from None
    offset, scale = _scaling(table.X[train], image=table.image_shape is not None)

    def scaled(rows: np.ndarray) -> np.ndarray:
        return ((table.X[rows] - offset) / scale).astype(np.float32)

    name = spec.name or Path(spec.path).stem
    return Dataset(
        name=name,
        X_train=scaled(train),
        y_train=y[train].astype(np.int64),
        X_val=scaled(val),
        y_val=y[val].astype(np.int64),
        X_test=scaled(test),
        y_test=y[test].astype(np.int64),
        feature_names=table.feature_names,
        class_names=class_names,
        offset=offset,
        scale=scale,
        image_shape=tuple(table.image_shape) if table.image_shape else None,
        feature_groups=table.feature_groups,
        group_names=table.group_names,
    )
