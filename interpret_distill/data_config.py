"""The ``data`` section of an experiment config: where the data comes from, its task and how it is split.

Its own module (like ``compression_config.py``) so ``config.py`` stays one screenful per section; ``config``
re-exports everything here.
"""

from __future__ import annotations

import codecs
from typing import Literal

from pydantic import Field, StrictInt, field_validator, model_validator

from ._config_base import StrictSection, did_you_mean

SKLEARN_DATASETS = ("digits", "breast_cancer", "wine", "iris", "diabetes")
SYNTHETIC_DATASETS = ("digits28",)  # generated at run time (interpret_distill.synthetic)
# the data sources that read each optional data key: set for any other source it would be silently ignored
SOURCE_KEYS = {"path": ("csv", "parquet", "npz", "torchvision", "image_folder"), "target": ("csv", "parquet"),
               "features": ("csv", "parquet"), "categorical": ("csv", "parquet"),
               "image_shape": ("csv", "parquet", "npz"), "encoding": ("csv",), "split_column": ("csv", "parquet"),
               "max_test_overlap": ("csv", "parquet", "npz", "image_folder"), "image_size": ("image_folder",),
               "color": ("image_folder",), "n_rows": ("synthetic",)}
# the sources whose data.path may be a mapping of split -> file (image folders declare theirs as subfolders)
SPLIT_FILE_SOURCES = ("csv", "parquet")
SPLITS = ("train", "val", "test")
DEFAULT_SPLIT_COLUMN = "split"
MAX_SYNTHETIC = 1_000_000


class DataConfig(StrictSection):
    """Where the data comes from and how it is split."""

    source: Literal["sklearn", "csv", "parquet", "npz", "torchvision", "image_folder", "synthetic"] = "sklearn"
    name: str | None = Field(None, description="built-in dataset name (source: sklearn / torchvision / synthetic)")
    path: str | dict[str, str] | None = Field(
        None, description="file path (source: csv / parquet / npz), or for csv / parquet a declared split as a "
                          "mapping {train: file, val: file (optional), test: file}; image_folder: the folder"
    )
    target: str | None = Field(None, description="target column (csv / parquet)")
    task: Literal["auto", "classification", "regression"] = Field(
        "auto", description="classification (classes) or regression (a number); auto: a float target with many "
                            "distinct values is regression (interpret_distill.targets)")
    features: list[str] | None = Field(None, description="feature subset (csv / parquet)")
    categorical: list[str] = Field(default_factory=list, description="columns to one-hot encode")
    image_shape: tuple[StrictInt, ...] | None = Field(
        None, strict=False, description="(channels, height, width) or (height, width) of flat image rows"
    )  # not strict: YAML and run.json give a list
    image_size: tuple[StrictInt, StrictInt] | None = Field(
        None, strict=False, description="image_folder: [height, width] every image is resized to (null: every image "
                                        "must have the first one's size)"
    )  # not strict: YAML and run.json give a list
    color: Literal["grayscale", "rgb"] = Field("grayscale", description="image_folder: one channel or three")
    n_rows: int | None = Field(None, gt=0, description="synthetic: how many images to generate (default 5,000)")
    encoding: str = Field("utf-8", description="text encoding of a CSV file, e.g. latin-1 or cp1252")
    split_column: str | None = Field(
        DEFAULT_SPLIT_COLUMN, description="csv / parquet: the column declaring each row's split (train / val / "
                                          "test), used when the file has it; null: no such column"
    )
    test_size: float = Field(0.25, gt=0, lt=1, description="share of rows drawn for test; ignored with a declared "
                                                           "split (its test rows are the test split)")
    val_size: float = Field(0.15, gt=0, lt=1, description="share of rows drawn for validation; with a declared "
                                                          "split and no val rows: the share carved from its train rows")
    max_test_overlap: float = Field(
        0.01, ge=0, le=1, description="declared splits: the largest share of test rows that may equal a train row "
                                      "exactly (more is refused; any is warned about)"
    )
    max_rows: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _source_fields(self) -> DataConfig:
        if self.source in ("sklearn", "torchvision", "synthetic") and not self.name:
            raise ValueError(f"data.name is required when data.source is {self.source!r}")
        builtin = {"sklearn": SKLEARN_DATASETS, "synthetic": SYNTHETIC_DATASETS}.get(self.source)
        if builtin and self.name not in builtin:
            raise ValueError(f"data.name: unknown {'built-in' if self.source == 'sklearn' else self.source} dataset "
                             f"{self.name!r}{did_you_mean(self.name, builtin)}; choose one of: {', '.join(builtin)}")
        for key, sources in SOURCE_KEYS.items():
            # a resolved config (run.json) sets every key: only a value other than the default was chosen
            default = type(self).model_fields[key].get_default(call_default_factory=True)
            given = key in self.model_fields_set and getattr(self, key) not in (None, default)
            if given and self.source not in sources:
                raise ValueError(f"data.{key} is read only for data.source {' / '.join(sources)}, not "
                                 f"{self.source!r}; remove it or change data.source")
        if isinstance(self.path, dict):
            _check_split_files(self.path, self.source)
        if self.source in ("csv", "parquet", "npz", "image_folder") and not self.path:
            raise ValueError(f"data.path is required when data.source is {self.source!r}")
        if self.source in ("csv", "parquet") and not self.target:
            raise ValueError(f"data.target (the label column) is required when data.source is {self.source!r}")
        if self.test_size + self.val_size >= 0.9:
            raise ValueError("data.test_size + data.val_size must leave at least 10% of rows for training")
        if self.target and self.features and self.target in self.features:
            raise ValueError(f"data.features lists the target column {self.target!r}; remove it from data.features")
        if self.features is not None:
            if not self.features:
                raise ValueError("data.features is empty; list the feature columns or leave it out to use all")
            repeated = sorted({f for f in self.features if self.features.count(f) > 1})
            if repeated:
                raise ValueError(f"data.features lists {repeated} more than once; list each column once")
            outside = [c for c in self.categorical if c not in self.features]
            if outside:
                raise ValueError(f"data.categorical names {outside}, which are not in data.features; add them there")
        if self.target and self.target in self.categorical:
            raise ValueError(f"data.categorical lists the target column {self.target!r}; "
                             "targets are never one-hot encoded")
        if self.split_column and self.split_column in [self.target, *(self.features or []), *self.categorical]:
            raise ValueError(f"data.split_column {self.split_column!r} is also the target or a feature; a column "
                             "declaring the split cannot be either: rename one, or set data.split_column: null if "
                             "the file declares no split")
        return self

    def files(self) -> dict[str, str]:
        """The data files by split (``{"": path}`` for a single file; empty for built-in datasets).

        Example:
            >>> DataConfig(source="csv", path={"train": "a.csv", "test": "b.csv"}, target="y").files()
            {'train': 'a.csv', 'test': 'b.csv'}
            >>> DataConfig(source="npz", path="d.npz").files()
            {'': 'd.npz'}
        """
        if isinstance(self.path, dict):
            return dict(self.path)
        return {"": self.path} if self.path and self.source in ("csv", "parquet", "npz") else {}

    def location(self) -> str:
        """Where the data comes from, for messages: the file, the split files joined by ``+``, or the name.

        Example:
            >>> DataConfig(source="csv", path={"train": "a.csv", "test": "b.csv"}, target="y").location()
            'a.csv + b.csv'
        """
        return " + ".join(self.files().values()) or str(self.path or self.name)

    @field_validator("image_shape")
    @classmethod
    def _image_shape(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is None:
            return None
        if len(value) not in (2, 3) or any(s <= 0 for s in value):
            raise ValueError(f"data.image_shape must be [channels, height, width] or [height, width] of positive "
                             f"sizes, got {list(value)}")
        return (1, *value) if len(value) == 2 else value

    @field_validator("image_size")
    @classmethod
    def _image_size(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and min(value) <= 0:
            raise ValueError(f"data.image_size must be [height, width] of positive sizes, got {list(value)}")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r}; use e.g. utf-8, latin-1 or cp1252") from None
        return value


def _check_split_files(files: dict[str, str], source: str) -> None:
    """A ``data.path`` mapping names a train and a test file (val optional), for a source that reads such files."""
    if source not in SPLIT_FILE_SOURCES:
        raise ValueError(f"data.path as a mapping of split -> file is read only for data.source "
                         f"{' / '.join(SPLIT_FILE_SOURCES)}, not {source!r}; give one file (an .npz declares its "
                         "split with arrays X_train, y_train, X_test, y_test and optionally X_val, y_val; an image "
                         "folder with subfolders train/ and test/)")
    unknown = [key for key in files if key not in SPLITS]
    if unknown:
        raise ValueError(f"data.path: unknown split {unknown[0]!r}{did_you_mean(unknown[0], SPLITS)}; name the "
                         "files train, val (optional) and test")
    if not {"train", "test"} <= set(files) or not all(files.values()):
        raise ValueError("data.path as a mapping needs a train and a test file, e.g. {train: data/train.csv, "
                         "test: data/test.csv} (val is optional: it is carved from train when left out)")
