"""Train / validation / test rows: a split drawn here (stratified, seeded) or one declared with the data.

A declared split keeps its test rows exactly; validation is the declared one or is carved from the declared train
rows. Test rows equal to a declared train row are counted by hashing rows (memory and time grow with the row
counts, not their product) and refused above ``data.max_test_overlap``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from .data_config import SPLITS, DataConfig
from .errors import DataError, first_line


def drawn_split(y: np.ndarray, n_classes: int, spec: DataConfig, seed: int,
                stratified: bool = True) -> tuple[np.ndarray, ...]:
    """Row indices of a seeded train / validation / test split drawn here, stratified by class unless not
    ``stratified`` (a regression target: plain random rows)."""
    index = np.arange(len(y))
    try:
        rest, test = train_test_split(index, test_size=spec.test_size, stratify=y if stratified else None,
                                      random_state=seed)
        val_share = spec.val_size / (1 - spec.test_size)
        train, val = train_test_split(rest, test_size=val_share, stratify=y[rest] if stratified else None,
                                      random_state=seed)
    except ValueError as exc:
        raise DataError(
            f"cannot make a stratified train/val/test split of {len(y)} rows and {n_classes} classes "
            f"({first_line(exc)}); every split needs a row of each class: add rows or adjust data.test_size / "
            "data.val_size"
        ) from None
    return train, val, test


def declared_split(split: np.ndarray, y: np.ndarray, class_names: list[str], spec: DataConfig,
                    seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """Row indices of the declared train / validation / test split, and where validation came from.

    The test rows are kept exactly as declared. Without declared val rows, validation is carved from the declared
    train rows (stratified, seeded, ``data.val_size`` of them): early stopping and every choice then use rows the
    teacher may have been trained on, never test rows. With no ``class_names`` (a regression target) the carve is
    not stratified.
    """
    train, val, test = (np.flatnonzero(split == name) for name in SPLITS)
    where = spec.location()
    for name, rows in (("train", train), ("test", test)):
        if not len(rows):
            raise DataError(f"{where}: the declared split has no {name} rows; mark the rows the teacher was trained "
                            "on as train and rows it never saw as test")
    absent = [class_names[c] for c in np.setdiff1d(np.arange(len(class_names)), y[train])]  # none for regression
    if absent:
        listed = ", ".join(map(repr, absent[:5])) + (", ..." if len(absent) > 5 else "")
        raise DataError(f"{where}: class(es) {listed} have no rows in the declared train split, so no model could "
                        "learn them; move some of their rows into the train split, or drop those rows")
    if len(val):
        return train, val, test, "declared"
    try:
        train, val = train_test_split(train, test_size=spec.val_size, stratify=y[train] if class_names else None,
                                      random_state=seed)
    except ValueError as exc:
        raise DataError(f"{where}: cannot carve a stratified validation split (data.val_size {spec.val_size:g}) "
                        f"from the {len(train)} declared train rows ({first_line(exc)}); declare val rows, or add "
                        "train rows of the rarest classes") from None
    return np.sort(train), np.sort(val), test, "carved"


def row_hashes(X: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row's values: equal rows hash equal (``-0.0`` and ``0.0`` count as equal).

    Args:
        X: ``(n, d)`` numeric matrix.

    Returns:
        ``(n,)`` uint64 hashes.

    Example:
        >>> h = row_hashes(np.array([[1.0, 2.0], [1.0, 2.0], [-0.0, 2.0], [0.0, 2.0]]))
        >>> bool(h[0] == h[1]), bool(h[2] == h[3]), bool(h[0] == h[2])
        (True, True, False)
    """
    # pandas hashes each column and combines them in column order; it maps -0.0 to the bits of 0.0 first
    return pd.util.hash_pandas_object(pd.DataFrame(np.asarray(X, dtype=np.float64)), index=False).to_numpy()


def count_shared_rows(X_train: np.ndarray, X_test: np.ndarray) -> int:
    """How many rows of ``X_test`` equal a row of ``X_train`` exactly (each such test row counted once).

    Rows are compared by 64-bit hashes (:func:`row_hashes`): memory and time grow with ``n_train + n_test``, not
    with their product; two different rows share a hash with negligible probability (about ``n_train * n_test /
    2**64``).

    Args:
        X_train: ``(m, d)`` rows.
        X_test: ``(n, d)`` rows with the same columns.

    Returns:
        The number of test rows that also occur in ``X_train``.

    Example:
        >>> count_shared_rows(np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([[2.0, 3.0], [4.0, 5.0], [2.0, 3.0]]))
        2
    """
    return int(np.isin(row_hashes(X_test), row_hashes(X_train)).sum())


def overlap_note(shared: int, n_test: int, spec: DataConfig) -> str | None:
    """A warning when test rows equal declared train rows; a DataError above ``data.max_test_overlap`` of test rows.

    Such rows measure what the teacher remembers rather than how it generalises.
    """
    if not shared:
        return None
    share, limit = shared / n_test, spec.max_test_overlap
    counted = (f"{spec.location()}: {shared:,} of the {n_test:,} declared test rows ({share:.1%}) equal a row of the "
               "declared train split exactly")
    if share > limit:
        raise DataError(f"{counted}, more than data.max_test_overlap ({limit:.1%} of test rows); drop those rows from "
                        "the test split and export it again, or raise data.max_test_overlap if the duplicates are "
                        "genuine (features with few distinct values)")
    return (f"{counted} (within data.max_test_overlap, {limit:.1%}); their test numbers measure what the teacher "
            "remembers, so drop them from the test split to measure held-out rows only")
