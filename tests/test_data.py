"""Your own data: CSV and Parquet with categorical columns and feature subsets, NumPy .npz with image shapes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from interpret_distill.config import DataConfig
from interpret_distill.data import existing_data_file, guess_encoding, load_dataset
from interpret_distill.errors import DataError
from tests._payload import Payload


def _frame(n_per_class: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.repeat(["cat", "dog", "eel"], n_per_class)
    return pd.DataFrame({
        "age": rng.integers(1, 15, len(labels)).astype(float),
        "city": np.resize(["Paris", "Oslo", "Rome", "Oslo"], len(labels)),
        "weight": rng.normal(10, 3, len(labels)),
        "id": np.arange(len(labels)),
        "label": labels,
    })


def test_csv_with_categorical_and_feature_subset(tmp_path):
    path = tmp_path / "pets.csv"
    _frame().to_csv(path, index=False)
    spec = DataConfig(source="csv", path=str(path), target="label", features=["age", "city", "weight"],
                      categorical=["city"])
    ds = load_dataset(spec, seed=0)
    assert ds.name == "pets"
    assert ds.feature_names == ["age", "city=Oslo", "city=Paris", "city=Rome", "weight"]
    assert ds.group_names == ["age", "city", "weight"]
    assert ds.feature_groups.tolist() == [0, 1, 1, 1, 2]
    assert ds.feature_groups.dtype == np.int64
    assert ds.class_names == ["cat", "dog", "eel"]
    assert ds.X_train.dtype == np.float32 and ds.X_train.shape[1] == 5
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 36
    for split in ("train", "val", "test"):  # stratified: every class in every split
        assert set(ds.split(split)[1]) == {0, 1, 2}
    # the scaling is fitted on train and undoes exactly: raw one-hot values come back as 0 / 1
    raw = ds.X_test * ds.scale + ds.offset
    np.testing.assert_allclose(np.sort(np.unique(raw[:, 1:4].round(5))), [0.0, 1.0])
    summary = ds.summary()
    assert summary["feature_groups"] == [0, 1, 1, 1, 2] and summary["group_names"] == ["age", "city", "weight"]


def test_all_columns_but_the_target_by_default_and_no_groups_without_categoricals(tmp_path):
    path = tmp_path / "pets.csv"
    _frame().drop(columns="city").to_csv(path, index=False)
    ds = load_dataset(DataConfig(source="csv", path=str(path), target="label"))
    assert ds.feature_names == ["age", "weight", "id"]
    assert ds.feature_groups is None and ds.group_names == []


def test_parquet_matches_csv(tmp_path):
    pytest.importorskip("pyarrow")
    frame = _frame()
    frame.to_csv(tmp_path / "pets.csv", index=False)
    frame.to_parquet(tmp_path / "pets.parquet")
    common = {"target": "label", "features": ["age", "city", "weight"], "categorical": ["city"]}
    from_csv = load_dataset(DataConfig(source="csv", path=str(tmp_path / "pets.csv"), **common))
    from_parquet = load_dataset(DataConfig(source="parquet", path=str(tmp_path / "pets.parquet"), **common))
    np.testing.assert_allclose(from_csv.X_train, from_parquet.X_train, rtol=1e-6)
    assert from_csv.feature_names == from_parquet.feature_names
    assert from_csv.fingerprint() == from_parquet.fingerprint()


def test_npz_with_image_shape_and_names(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "tiles.npz"
    np.savez(path, X=rng.random((30, 2, 3, 3)), y=np.repeat([0, 1, 2], 10), image_shape=np.array([2, 3, 3]),
             class_names=np.array(["a", "b", "c"]))
    ds = load_dataset(DataConfig(source="npz", path=str(path)))
    assert ds.image_shape == (2, 3, 3) and ds.n_features == 18
    assert ds.class_names == ["a", "b", "c"] and ds.feature_names[0] == "x0"
    # image scaling uses one range for all pixels
    assert np.unique(ds.scale).size == 1


def test_npz_image_shape_inferred_from_a_stack_of_images(tmp_path):
    path = tmp_path / "digits.npz"
    np.savez(path, X=np.random.default_rng(2).random((30, 4, 4)), y=np.repeat([0, 1, 2], 10))
    assert load_dataset(DataConfig(source="npz", path=str(path))).image_shape == (1, 4, 4)


def test_npz_image_shape_from_config(tmp_path):
    path = tmp_path / "flat.npz"
    np.savez(path, X=np.random.default_rng(3).random((30, 16)), y=np.repeat([0, 1, 2], 10))
    assert load_dataset(DataConfig(source="npz", path=str(path), image_shape=(4, 4))).image_shape == (1, 4, 4)


@pytest.mark.parametrize("arrays, message", [
    ({"X": np.zeros((30, 4))}, "must contain arrays named 'X' and 'y'"),
    ({"X": np.zeros((30, 4)), "y": np.zeros(29)}, "one label per row of X"),
    ({"X": np.array(["a"] * 30), "y": np.zeros(30)}, "X must be a numeric array"),
    ({"X": np.zeros((30, 4)), "y": np.repeat([0.0, np.nan], 15)}, "NaN or infinite labels"),
    ({"X": np.zeros((30, 4)), "y": np.repeat([0, 1, 2], 10), "feature_names": np.array(["a", "b"])},
     "feature_names has 2 entries but X has 4"),
])
def test_npz_problems(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_dataset(DataConfig(source="npz", path=str(path)))


def test_encodings(tmp_path):
    frame = _frame()
    frame["label"] = np.repeat(["café", "crème", "brûlée"], 12)
    cp1252 = tmp_path / "cp1252.csv"
    cp1252.write_bytes(frame.to_csv(index=False).encode("cp1252"))
    assert guess_encoding(cp1252) == "cp1252"
    with pytest.raises(DataError, match="encoding: cp1252"):
        load_dataset(DataConfig(source="csv", path=str(cp1252), target="label", categorical=["city"]))
    ds = load_dataset(DataConfig(source="csv", path=str(cp1252), target="label", categorical=["city"],
                                 encoding="cp1252"))
    assert ds.class_names == ["brûlée", "café", "crème"]
    # Excel's UTF-8 with a byte-order mark: the first column keeps its plain name
    bom = tmp_path / "bom.csv"
    bom.write_bytes(frame.to_csv(index=False).encode("utf-8-sig"))
    assert load_dataset(DataConfig(source="csv", path=str(bom), target="label", categorical=["city"])
                        ).feature_names[0] == "age"
    utf16 = tmp_path / "utf16.csv"
    utf16.write_bytes(frame.to_csv(index=False).encode("utf-16"))
    with pytest.raises(DataError, match="encoding: utf-16"):
        load_dataset(DataConfig(source="csv", path=str(utf16), target="label"))
    binary = tmp_path / "image.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    with pytest.raises(DataError, match="binary file"):
        load_dataset(DataConfig(source="csv", path=str(binary), target="label"))


def test_header_only_and_folder(tmp_path):
    header = tmp_path / "header.csv"
    header.write_text("a,b,label\n")
    with pytest.raises(DataError, match="no data rows"):
        load_dataset(DataConfig(source="csv", path=str(header), target="label"))
    with pytest.raises(DataError, match="is a folder"):
        load_dataset(DataConfig(source="csv", path=str(tmp_path), target="label"))


def test_max_rows_subsamples_reproducibly(tmp_path):
    path = tmp_path / "pets.csv"
    _frame(n_per_class=40).to_csv(path, index=False)
    spec = DataConfig(source="csv", path=str(path), target="label", categorical=["city"], max_rows=60)
    first, second = load_dataset(spec, seed=4), load_dataset(spec, seed=4)
    assert len(first.y_train) + len(first.y_val) + len(first.y_test) == 60
    assert first.fingerprint() == second.fingerprint()


def test_stratified_split_too_small_is_a_clean_error(tmp_path):
    frame = pd.DataFrame({"a": np.arange(8.0), "label": ["x"] * 4 + ["y"] * 4})
    path = tmp_path / "small.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match="stratified train/val/test split of 8 rows and 2 classes"):
        load_dataset(DataConfig(source="csv", path=str(path), target="label", test_size=0.1, val_size=0.1))


def test_mixed_type_labels_become_strings(tmp_path):
    frame = pd.DataFrame({"a": np.arange(30.0), "label": pd.Series([1, "two", 3.5] * 10, dtype=object)})
    path = tmp_path / "mixed.csv"
    frame.to_csv(path, index=False)
    assert load_dataset(DataConfig(source="csv", path=str(path), target="label")).class_names == ["1", "3.5", "two"]


def test_npz_with_object_arrays_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "data.npz"
    np.savez(path, X=np.array([Payload(marker)] * 3, dtype=object), y=np.zeros(3))
    with pytest.raises(DataError, match="pickled objects"):
        load_dataset(DataConfig(source="npz", path=str(path)))
    assert not marker.exists()


def test_existing_data_file_names_a_missing_file_and_a_folder(tmp_path):
    with pytest.raises(DataError, match="data file not found: .*check data.path"):
        existing_data_file(tmp_path / "nope.csv", "csv")
    with pytest.raises(DataError, match="is a folder, not a file; point data.path at the csv file itself"):
        existing_data_file(tmp_path, "csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataError, match="data file is empty"):
        existing_data_file(tmp_path / "empty.csv", "csv")
    (tmp_path / "d.csv").write_text("a,label\n1,x\n")
    assert existing_data_file(tmp_path / "d.csv", "csv") == tmp_path / "d.csv"
