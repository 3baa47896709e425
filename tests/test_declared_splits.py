"""Bring your own split: npz arrays, a CSV / Parquet split column or split files keep the teacher's own test rows.

A teacher trained elsewhere must be scored on rows it never saw: with a declared split the test rows are exactly the
declared ones, validation comes from the declared train rows, and a teacher that only memorised its training rows
scores at chance; with a split drawn here the run says its numbers may be optimistic.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from torch import nn

from interpret_distill import load_run
from interpret_distill.cli import main
from interpret_distill.config import DataConfig, parse_config
from interpret_distill.data import load_dataset, raw_features
from interpret_distill.errors import ConfigError, DataError
from interpret_distill.experiment import run_experiment
from interpret_distill.splits import count_shared_rows

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")

CLASSES = 3
CAVEAT = "The test split was drawn here by the workbench"


def _rows(n_per_class: int, seed: int, d: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Distinct integer-valued rows (they survive the scaling round trip exactly) and balanced labels."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(CLASSES), n_per_class)
    X = rng.choice(10**6, size=len(y) * d, replace=False).reshape(len(y), d) % 1000 + 1000 * np.arange(d)
    return X.astype(np.float64), y


def _declared(n_train_per_class: int = 16, n_test_per_class: int = 4, seed: int = 0):
    """(X_train, y_train, X_test, y_test) with no row in common."""
    X, y = _rows(n_train_per_class + n_test_per_class, seed)
    test = np.zeros(len(y), dtype=bool)
    for c in range(CLASSES):
        test[np.flatnonzero(y == c)[:n_test_per_class]] = True
    return X[~test], y[~test], X[test], y[test]


def _frame(X: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({**{f"f{i}": X[:, i] for i in range(X.shape[1])}, "label": np.array(["a", "b", "c"])[y]})


def _npz(tmp_path, name: str = "data.npz", **arrays) -> str:
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def _raw(ds, X: np.ndarray) -> np.ndarray:
    """The data's own values of standardised rows."""
    return X * ds.scale + ds.offset


def _same_rows(a: np.ndarray, b: np.ndarray) -> bool:
    """The same rows as ``b``, in any order, up to float32 round-off of the scaling."""
    return a.shape == b.shape and np.allclose(np.sort(np.rint(a), axis=0), np.sort(b, axis=0))


# --------------------------------------------------------------------------------------------- pure functions

def test_count_shared_rows_counts_each_test_row_once():
    train = np.array([[0.0, 1.0], [2.0, 3.0], [2.0, 3.0], [-0.0, 5.0]])
    test = np.array([[2.0, 3.0], [3.0, 2.0], [2.0, 3.0], [0.0, 5.0], [7.0, 7.0]])
    assert count_shared_rows(train, test) == 3  # both copies of (2, 3), and (0, 5) whatever the sign of zero
    assert count_shared_rows(train, test[[1, 4]]) == 0
    assert count_shared_rows(train, np.empty((0, 2))) == 0


# ------------------------------------------------------------------------------------------------ each form

def test_npz_train_and_test_arrays_carve_validation_from_train(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    spec = DataConfig(source="npz", path=_npz(tmp_path, X_train=X_train, y_train=y_train, X_test=X_test,
                                              y_test=y_test), val_size=0.25, test_size=0.5)
    ds = load_dataset(spec, seed=3)
    # the test split is the declared one, row for row and in order; test_size is ignored
    np.testing.assert_allclose(_raw(ds, ds.X_test), X_test, atol=1e-3)
    np.testing.assert_array_equal(ds.y_test, y_test)
    # validation is val_size of the declared train rows, stratified; train is the rest of them
    assert len(ds.y_val) == math.ceil(0.25 * len(y_train)) and set(ds.y_val) == set(range(CLASSES))
    assert _same_rows(_raw(ds, np.concatenate([ds.X_train, ds.X_val])), X_train)
    # scaling statistics come from the training rows only
    np.testing.assert_allclose(ds.offset, _raw(ds, ds.X_train).mean(axis=0), rtol=1e-6)
    summary = ds.summary()
    assert (summary["split"], summary["val_split"], summary["test_rows_in_train"]) == ("declared", "carved", 0)
    assert (summary["n_train"], summary["n_val"], summary["n_test"]) == (36, 12, 12)
    again, other_seed = load_dataset(spec, seed=3), load_dataset(spec, seed=4)
    assert again.fingerprint() == ds.fingerprint() != other_seed.fingerprint()  # the carve is seeded
    np.testing.assert_allclose(_raw(other_seed, other_seed.X_test), X_test, atol=1e-3)  # whatever the carve


def test_npz_declared_validation_is_kept(tmp_path):
    X_train, y_train, X_rest, y_rest = _declared(n_test_per_class=6)
    val = np.arange(len(y_rest)) % 2 == 0
    path = _npz(tmp_path, X_train=X_train, y_train=y_train, X_val=X_rest[val], y_val=y_rest[val],
                X_test=X_rest[~val], y_test=y_rest[~val])
    ds = load_dataset(DataConfig(source="npz", path=path))
    assert _same_rows(_raw(ds, ds.X_train), X_train) and _same_rows(_raw(ds, ds.X_val), X_rest[val])
    assert ds.summary()["val_split"] == "declared"


@pytest.mark.parametrize("column, values", [("split", ["train", "test"]), ("fold", [" Train", "TEST "])])
def test_csv_split_column(tmp_path, column, values):
    X_train, y_train, X_test, y_test = _declared()
    frame = pd.concat([_frame(X_train, y_train).assign(**{column: values[0]}),
                       _frame(X_test, y_test).assign(**{column: values[1]})]).sample(frac=1, random_state=0)
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    extra = {} if column == "split" else {"split_column": column}
    ds = load_dataset(DataConfig(source="csv", path=str(path), target="label", **extra))
    assert ds.feature_names == ["f0", "f1", "f2", "f3"]  # the split column is not a feature
    assert _same_rows(_raw(ds, ds.X_test), X_test) and ds.summary()["split"] == "declared"
    # the split column is the only way this file declares a split: without it the split is drawn here
    assert load_dataset(DataConfig(source="csv", path=str(path), target="label", split_column=None,
                                   features=["f0", "f1", "f2", "f3"])).summary()["split"] == "drawn"


@pytest.mark.parametrize("source", ["csv", "parquet"])
def test_split_files(tmp_path, source):
    if source == "parquet":
        pytest.importorskip("pyarrow")
    X_train, y_train, X_test, y_test = _declared()
    colours = np.resize(["red", "blue"], len(y_train))
    files = {}
    for split, frame in (("train", _frame(X_train, y_train).assign(colour=colours)),
                         ("test", _frame(X_test, y_test).assign(colour="green"))):  # a level seen in test only
        files[split] = str(tmp_path / f"shop_{split}.{source}")
        frame.to_csv(files[split], index=False) if source == "csv" else frame.to_parquet(files[split])
    ds = load_dataset(DataConfig(source=source, path=files, target="label", categorical=["colour"]))
    assert ds.name == "shop_train" and ds.summary()["split"] == "declared"
    assert ds.feature_names[-3:] == ["colour=blue", "colour=green", "colour=red"]  # one encoding for all splits
    assert _same_rows(_raw(ds, ds.X_test)[:, :4], X_test)


def test_raw_features_of_one_declared_split(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    path = _npz(tmp_path, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    X, y, _, _ = raw_features(DataConfig(source="npz", path=path), split="train")
    np.testing.assert_array_equal(X, X_train.astype(np.float32))
    np.testing.assert_array_equal(y, y_train)
    assert len(raw_features(DataConfig(source="npz", path=path))[1]) == len(y_train) + len(y_test)
    whole = _npz(tmp_path, "whole.npz", X=X_train, y=y_train)
    with pytest.raises(DataError, match="declares no split, so it has no train rows"):
        raw_features(DataConfig(source="npz", path=whole), split="train")


def test_max_rows_keeps_each_rows_declared_split(tmp_path):
    X_train, y_train, X_test, y_test = _declared(n_train_per_class=40, n_test_per_class=20)
    path = _npz(tmp_path, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    ds = load_dataset(DataConfig(source="npz", path=path, max_rows=120))
    test_rows = {tuple(row) for row in X_test}
    assert all(tuple(row) in test_rows for row in np.rint(_raw(ds, ds.X_test)))
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 120


def test_a_split_drawn_here_says_so():
    summary = load_dataset(DataConfig(name="iris")).summary()
    assert (summary["split"], summary["val_split"], summary["test_rows_in_train"]) == ("drawn", "drawn", None)


# ------------------------------------------------------------------------------------------- overlapping rows

def test_a_few_test_rows_equal_to_train_rows_are_warned_about_and_recorded(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    X_test[0] = X_train[5]  # one of 12 test rows: 8.3 %
    path = _npz(tmp_path, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    with pytest.warns(UserWarning, match=r"1 of the 12 declared test rows \(8.3%\) equal a row of the declared "
                                         r"train split exactly \(within data.max_test_overlap, 10.0%\)"):
        ds = load_dataset(DataConfig(source="npz", path=path, max_test_overlap=0.1))
    assert ds.summary()["test_rows_in_train"] == 1 and len(ds.notes) == 1
    with pytest.raises(DataError, match=r"more than data.max_test_overlap \(1.0% of test rows\); drop those rows"):
        load_dataset(DataConfig(source="npz", path=path))  # the default limit: 1 % of test rows


# ----------------------------------------------------------------------------------------------- config keys

@pytest.mark.parametrize("data, expected", [
    ({"source": "npz", "path": {"train": "a.npz", "test": "b.npz"}},
     "data.path as a mapping of split -> file is read only for data.source csv / parquet, not 'npz'"),
    ({"source": "csv", "target": "y", "path": {"train": "a.csv"}}, "needs a train and a test file"),
    ({"source": "csv", "target": "y", "path": {"train": "a.csv", "valid": "v.csv", "test": "b.csv"}},
     "data.path: unknown split 'valid' (did you mean 'val'?)"),
    ({"source": "npz", "path": "a.npz", "split_column": "fold"}, "data.split_column is read only for data.source csv"),
    ({"source": "csv", "path": "a.csv", "target": "split"}, "data.split_column 'split' is also the target"),
    ({"source": "sklearn", "name": "iris", "max_test_overlap": 0.1}, "data.max_test_overlap is read only for"),
    ({"source": "csv", "path": "a.csv", "target": "y", "max_test_overlap": 2}, "less than or equal to 1"),
])
def test_declared_split_config_errors(data, expected):
    with pytest.raises(ConfigError) as info:
        parse_config({"name": "x", "data": data}, origin="exp.yaml")
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_a_resolved_config_with_split_files_loads_back():
    raw = {"name": "x", "data": {"source": "csv", "target": "y", "path": {"train": "a.csv", "test": "b.csv"}},
           "teacher": {"checkpoint": "t.ts", "trained_on": "declared_train"}}
    cfg = parse_config(raw)
    assert parse_config(json.loads(json.dumps(cfg.model_dump(mode="json")))) == cfg
    iris = parse_config({"name": "x", "data": {"name": "iris"}})  # defaults written out must load for sklearn too
    assert parse_config(iris.model_dump(mode="json")) == iris


# ------------------------------------------------------------------------------------- bad input via the CLI

def _csv_with_split(tmp_path, frame: pd.DataFrame | None = None) -> dict:
    if frame is None:
        X_train, y_train, X_test, y_test = _declared()
        frame = pd.concat([_frame(X_train, y_train).assign(split="train"), _frame(X_test, y_test).assign(split="test")])
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    return {"source": "csv", "path": str(path), "target": "label"}


def case_class_missing_from_train(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    keep = y_train != 2
    frame = pd.concat([_frame(X_train[keep], y_train[keep]).assign(split="train"),
                       _frame(X_test, y_test).assign(split="test")])
    return _csv_with_split(tmp_path, frame)


def case_too_many_test_rows_in_train(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    X_test[:2] = X_train[:2]
    return {"source": "npz", "path": _npz(tmp_path, X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)}


def case_split_files_with_other_columns(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    files = {"train": str(tmp_path / "train.csv"), "test": str(tmp_path / "test.csv")}
    _frame(X_train, y_train).to_csv(files["train"], index=False)
    _frame(X_test, y_test).rename(columns={"f3": "f3_new"}).to_csv(files["test"], index=False)
    return {"source": "csv", "path": files, "target": "label"}


def case_unknown_split_value(tmp_path):
    data = _csv_with_split(tmp_path)
    frame = pd.read_csv(data["path"])
    frame.loc[3, "split"] = "holdout"
    frame.to_csv(data["path"], index=False)
    return data


def case_npz_without_test_arrays(tmp_path):
    X_train, y_train, _, _ = _declared()
    return {"source": "npz", "path": _npz(tmp_path, X_train=X_train, y_train=y_train)}


def case_npz_with_both_layouts(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    return {"source": "npz", "path": _npz(tmp_path, X=X_train, y=y_train, X_train=X_train, y_train=y_train,
                                          X_test=X_test, y_test=y_test)}


def case_too_few_train_rows_to_carve_validation(tmp_path):
    X_train, y_train, X_test, y_test = _declared()
    rare = np.flatnonzero(y_train == 2)[1:]  # one train row of class c, its other rows in test
    frame = pd.concat([_frame(np.delete(X_train, rare, axis=0), np.delete(y_train, rare)).assign(split="train"),
                       _frame(np.concatenate([X_test, X_train[rare]]),
                              np.concatenate([y_test, y_train[rare]])).assign(split="test")])
    return _csv_with_split(tmp_path, frame)


def case_split_column_not_in_file(tmp_path):
    return {**_csv_with_split(tmp_path), "split_column": "fold"}


BAD = {
    # case: (builder, the problem, the fix)
    "class missing from train": (case_class_missing_from_train,
                                 "class(es) 'c' have no rows in the declared train split",
                                 "move some of their rows into the train split"),
    "test rows equal to train rows": (case_too_many_test_rows_in_train,
                                      "2 of the 12 declared test rows (16.7%) equal a row of the declared train split",
                                      "drop those rows from the test split"),
    "split files with other columns": (case_split_files_with_other_columns,
                                       "does not have the columns of the train file",
                                       "extra: f3_new; missing: f3); give every split file the same columns"),
    "unknown split value": (case_unknown_split_value, "holds 'holdout'", "mark every row train, val or test"),
    "npz without test arrays": (case_npz_without_test_arrays, "declares a split but lacks X_test, y_test",
                                "numpy.savez(path, X_train="),
    "npz with both layouts": (case_npz_with_both_layouts, "holds both X / y and split arrays", "keep one layout"),
    "too few train rows to carve validation": (case_too_few_train_rows_to_carve_validation,
                                               "cannot carve a stratified validation split", "declare val rows"),
    "split column not in the file": (case_split_column_not_in_file, "data.split_column 'fold' is not a column",
                                     "name the column that marks each row"),
}


def _write_config(tmp_path, data: dict, **sections) -> str:
    raw = {"name": "byo", "data": data, "progress": False, "n_jobs": 1, "teacher": {"hidden": [4], "epochs": 1},
           "student": {"hidden": [2], "epochs": 1}, **sections}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return str(config)


@pytest.mark.parametrize("case", list(BAD))
def test_bad_declared_split_is_one_line_naming_the_fix(case, tmp_path, capsys):
    build, problem, fix = BAD[case]
    out = tmp_path / "reports"
    code = main(["run", _write_config(tmp_path, build(tmp_path)), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    assert problem in lines[0] and fix in lines[0], lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_trained_on_declared_train_needs_a_declared_split(tmp_path, capsys):
    X, y, _, _ = _declared()
    teacher = tmp_path / "teacher.ts"
    torch.jit.save(torch.jit.script(nn.Linear(4, 3)), str(teacher))
    data = {"source": "npz", "path": _npz(tmp_path, X=X, y=y)}
    config = _write_config(tmp_path, data, teacher={"checkpoint": str(teacher), "trained_on": "declared_train"})
    assert main(["run", config, "--out", str(tmp_path / "reports"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "teacher.trained_on is declared_train but dataset 'data' declares no split" in err
    assert "or set teacher.trained_on: unknown" in err


# ------------------------------------------------------------------------------------------------ end to end

def _tiny(name: str, data: dict, **sections) -> dict:
    return {"name": name, "seed": 0, "progress": False, "n_jobs": 1, "data": data,
            "student": {"hidden": [2], "epochs": 2, "batch_size": 16},
            "surrogates": [{"kind": "tree", "params": {"max_depth": 2}}], "regimes": ["hard", "soft"],
            "attribution": {"methods": []}, **sections}


def _declared_forms(tmp_path) -> dict[str, dict]:
    """The same declared split (48 train rows, 12 test rows, no val rows) in each file form."""
    X_train, y_train, X_test, y_test = _declared()
    csv = tmp_path / "column.csv"
    pd.concat([_frame(X_train, y_train).assign(split="train"),
               _frame(X_test, y_test).assign(split="test")]).to_csv(csv, index=False)
    files = {"train": str(tmp_path / "train.csv"), "test": str(tmp_path / "test.csv")}
    _frame(X_train, y_train).to_csv(files["train"], index=False)
    _frame(X_test, y_test).to_csv(files["test"], index=False)
    return {
        "npz arrays": {"source": "npz", "path": _npz(tmp_path, X_train=X_train, y_train=y_train, X_test=X_test,
                                                     y_test=y_test)},
        "csv split column": {"source": "csv", "path": str(csv), "target": "label"},
        "csv split files": {"source": "csv", "path": files, "target": "label"},
    }


@pytest.mark.slow  # whole runs
@pytest.mark.parametrize("form", ["npz arrays", "csv split column", "csv split files"])
def test_each_declared_form_runs_end_to_end(form, tmp_path, capsys):
    teacher = tmp_path / "teacher.ts"
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(nn.Linear(4, 3)), str(teacher))
    data = _declared_forms(tmp_path)[form]
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_tiny("declared", data, teacher={"checkpoint": str(teacher)})))
    assert main(["run", str(config), "--out", str(tmp_path / "reports")]) == 0
    assert "warning" not in capsys.readouterr().err  # a declared split: nothing to warn about
    run = load_run(tmp_path / "reports" / "declared")
    assert run.info["warnings"] == [] and run.config["teacher"]["trained_on"] == "unknown"
    assert (run.dataset["split"], run.dataset["n_test"]) == ("declared", 12)
    html = (run.path / "report.html").read_text(encoding="utf-8")
    assert "declared split: 40 train / 8 validation (carved from train) / 12 test rows" in html
    assert CAVEAT not in html


class MemorisingTeacher:
    """Logits that reproduce the label of every row it was trained on (looked up by value), and class 0 elsewhere.

    Off its training rows it is at chance on a balanced test set: its accuracy there is 1 / 3 exactly.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.labels = {row.tobytes(): int(label) for row, label in zip(np.rint(X).astype(np.int64), y)}

    def __call__(self, x: torch.Tensor) -> np.ndarray:
        rows = np.rint(x.numpy()).astype(np.int64)  # the raw values, up to float32 round-off of the scaling
        return 10.0 * np.eye(CLASSES)[[self.labels.get(row.tobytes(), 0) for row in rows]]


@pytest.mark.slow  # whole runs
def test_a_memorising_teacher_is_at_chance_on_a_declared_split_and_flagged_on_a_drawn_one(tmp_path):
    X_train, y_train, X_test, y_test = _declared(n_train_per_class=32, n_test_per_class=8)
    teacher = MemorisingTeacher(X_train, y_train)
    declared = _npz(tmp_path, "declared.npz", X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    whole = _npz(tmp_path, "whole.npz", X=np.concatenate([X_train, X_test]), y=np.concatenate([y_train, y_test]))
    out = tmp_path / "reports"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        declared_run = load_run(run_experiment(parse_config(_tiny("declared", {"source": "npz", "path": declared})),
                                               out, teacher=teacher))
    assert not [w for w in caught if CAVEAT in str(w.message)]
    with pytest.warns(UserWarning, match=f"drawn: {CAVEAT}"):
        drawn_run = load_run(run_experiment(parse_config(_tiny("drawn", {"source": "npz", "path": whole})),
                                            out, teacher=teacher))

    accuracy = {name: run.metrics.set_index("model").loc["teacher", "accuracy"]
                for name, run in (("declared", declared_run), ("drawn", drawn_run))}
    print(f"memorising teacher, test accuracy: declared split {accuracy['declared']:.3f}, "
          f"drawn split {accuracy['drawn']:.3f}")
    assert accuracy["declared"] == pytest.approx(1 / 3)  # chance: it knows none of the declared test rows
    assert accuracy["drawn"] > 0.7  # most of a drawn test split are rows it memorised
    assert declared_run.info["warnings"] == [] and CAVEAT not in (declared_run.path / "report.html").read_text()

    assert len(drawn_run.info["warnings"]) == 1 and drawn_run.info["warnings"][0].startswith(CAVEAT)
    html = (drawn_run.path / "report.html").read_text(encoding="utf-8")
    assert f"<b>Caution:</b> {CAVEAT}" in html and "split drawn here: " in html


def test_transfer_sets_and_students_draw_only_from_the_declared_train_rows(tmp_path, monkeypatch):
    """Train, validation and test rows lie far apart: every row anything is fitted on lies near the train rows."""
    from interpret_distill import students, surrogate_stage

    rng = np.random.default_rng(0)
    y = np.tile(np.arange(CLASSES), 12)
    arrays = {f"X_{split}": rng.random((len(y), 2)) + offset for split, offset in (("train", 0), ("val", 10),
                                                                                   ("test", 20))}
    path = _npz(tmp_path, **arrays, y_train=y, y_val=y, y_test=y)
    fitted_on = []
    real_sweep, real_train = surrogate_stage.sweep_surrogates, students._train

    def sweep_spy(grids, regimes, *args, **kwargs):
        for sets in regimes.values():
            fitted_on.extend(fit_set.X for fit_set in (sets if isinstance(sets, list) else [sets]))
        return real_sweep(grids, regimes, *args, **kwargs)

    def train_spy(module, X, *args, **kwargs):
        fitted_on.append(X)
        return real_train(module, X, *args, **kwargs)

    monkeypatch.setattr(surrogate_stage, "sweep_surrogates", sweep_spy)
    monkeypatch.setattr(students, "_train", train_spy)
    cfg = parse_config(_tiny("far", {"source": "npz", "path": path},
                             transfer={"augmentation": "mixup", "n_synthetic": 60,
                                       "candidates": [{"augmentation": "kde", "n_synthetic": 60}]},
                             regimes=["hard", "soft", "soft+transfer", "hard+transfer"],
                             student={"hidden": [2], "epochs": 2, "batch_size": 16,
                                      "transfer_set": {"augmentation": "mixup", "n_synthetic": 60}}))
    run = load_run(run_experiment(cfg, tmp_path, teacher=nn.Linear(2, CLASSES), report=False))

    scaled = run.dataset["scaling"]
    far = {split: (offset - np.asarray(scaled["offset"])) / np.asarray(scaled["scale"])
           for split, offset in (("val", 10), ("test", 20))}
    assert min(far["val"]) > 20 and min(far["test"]) > 50  # validation and test rows sit far from train
    assert len(fitted_on) >= 6 and any(len(X) > len(y) for X in fitted_on)  # synthetic rows were drawn
    for X in fitted_on:
        assert np.abs(X).max() < 5, "a model was fitted on rows near the validation or test rows"
