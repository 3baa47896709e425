"""Bad input through the CLI: exit code 2, one line naming the problem and the fix, no traceback, nothing written.

Every bad config or data case fails before any network is trained, so those run in seconds; the damaged-run
cases read a whole tiny run (slow). The CLI's own behaviour: test_cli.py.
"""

from __future__ import annotations

import pickle
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from interpret_distill.cli import main
from tests._cli_helpers import assert_nothing_written, csv_data, raw_config, run_cli, table

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


def _torchscript(tmp_path, n_in: int, n_out: int) -> str:
    path = tmp_path / "teacher.ts"
    torch.jit.save(torch.jit.script(torch.nn.Linear(n_in, n_out)), str(path))
    return str(path)


# ---------------------------------------------------------------------------- one builder per bad-input case
# Each returns the raw config and (optionally) writes the files it names; the second item is a fragment the
# one-line message must contain (the problem), the third a fragment naming the fix.

def case_missing_file(tmp_path):
    return raw_config({"source": "csv", "path": str(tmp_path / "nope.csv"), "target": "label"})


def case_unknown_key(tmp_path):
    cfg = raw_config(csv_data(tmp_path))
    cfg["data"]["targte"] = cfg["data"].pop("target")
    return cfg


def case_misspelled_top_level_key(tmp_path):
    cfg = raw_config(csv_data(tmp_path))
    cfg["sede"] = 3
    return cfg


def case_wrong_value_type(tmp_path):
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"]["epochs"] = "many"
    return cfg


def case_wrong_surrogate_param_type(tmp_path):
    return raw_config(csv_data(tmp_path), surrogates=[{"kind": "tree", "params": {"max_depth": "three"}}])


def case_nan_values(tmp_path):
    frame = table()
    frame.loc[3, "f1"] = np.nan
    return raw_config(csv_data(tmp_path, frame))


def case_infinite_values(tmp_path):
    frame = table()
    frame["f2"] = frame["f2"].astype(object)
    frame.loc[5, "f2"] = "inf"
    return raw_config(csv_data(tmp_path, frame))


def case_one_class(tmp_path):
    frame = table()
    frame["label"] = "setosa"
    return raw_config(csv_data(tmp_path, frame))


def case_too_few_rows_of_a_class(tmp_path):
    frame = pd.concat([table(), pd.DataFrame({"f1": [0.1, 0.2], "f2": [0.3, 0.4], "label": ["rare", "rare"]})])
    return raw_config(csv_data(tmp_path, frame))


def case_non_numeric_not_categorical(tmp_path):
    frame = table()
    frame["colour"] = np.resize(["red", "green", "blue"], len(frame))
    return raw_config(csv_data(tmp_path, frame))


def case_teacher_output_width(tmp_path):
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"] = {"checkpoint": _torchscript(tmp_path, n_in=2, n_out=4)}
    return cfg


def case_state_dict_output_width(tmp_path):
    path = tmp_path / "teacher.pt"
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 5))
    torch.save(net.state_dict(), path)
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path), "arch": "mlp", "hidden": [4]}
    return cfg


def case_image_shape_mismatch(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npz"
    np.savez(path, X=rng.normal(size=(30, 10)), y=np.repeat([0, 1, 2], 10), image_shape=np.array([1, 3, 3]))
    return raw_config({"source": "npz", "path": str(path)})


def case_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    return raw_config({"source": "csv", "path": str(path), "target": "label"})


def case_not_utf8(tmp_path):
    path = tmp_path / "cafe.csv"
    frame = table()
    frame["label"] = np.resize(["café", "crème", "brûlée"], len(frame))
    path.write_bytes(frame.to_csv(index=False).encode("cp1252"))
    return raw_config({"source": "csv", "path": str(path), "target": "label"})


def case_corrupt_checkpoint(tmp_path):
    path = tmp_path / "teacher.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 3)).state_dict(), path)
    path.write_bytes(path.read_bytes()[:200])  # truncated download
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path), "hidden": []}
    return cfg


def case_garbage_checkpoint(tmp_path):
    path = tmp_path / "teacher.pt"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path)}
    return cfg


def case_pickled_whole_model(tmp_path):
    path = tmp_path / "teacher.pt"
    with open(path, "wb") as handle:  # what torch.save(model) writes: a pickle of the class, not just tensors
        pickle.dump(torch.nn.Linear(2, 3), handle)
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path)}
    return cfg


def case_missing_checkpoint(tmp_path):
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"] = {"checkpoint": str(tmp_path / "teacher.pt")}
    return cfg


def case_corrupt_parquet(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_text("f1,f2,label\n1,2,a\n")
    return raw_config({"source": "parquet", "path": str(path), "target": "label"})


def case_npz_with_pickled_objects(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, X=np.array([{"a": 1}] * 30, dtype=object), y=np.repeat([0, 1, 2], 10))
    return raw_config({"source": "npz", "path": str(path)})


def case_missing_target_column(tmp_path):
    return raw_config(csv_data(tmp_path, target="species"))


def case_factory_raises(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text("def build():\n    raise RuntimeError('weights server down')\n")
    monkeypatch.chdir(tmp_path)
    cfg = raw_config(csv_data(tmp_path))
    cfg["teacher"] = {"factory": "my_models:build"}
    return cfg


def case_npz_that_is_a_csv(tmp_path):
    csv_data(tmp_path, name="data.npz")
    return raw_config({"source": "npz", "path": str(tmp_path / "data.npz")})


def case_npy_single_array(tmp_path):
    path = tmp_path / "data.npz"
    with open(path, "wb") as file:  # numpy.save appends .npy to a bare path: write through a file object
        np.save(file, np.zeros((30, 2)))
    return raw_config({"source": "npz", "path": str(path)})


def _npz(tmp_path, **arrays) -> dict:
    path = tmp_path / "data.npz"
    np.savez(path, **{"X": np.arange(60.0).reshape(30, 2), "y": np.repeat([0, 1, 2], 10), **arrays})
    return raw_config({"source": "npz", "path": str(path)})


def case_npz_class_names_too_few(tmp_path):
    return _npz(tmp_path, class_names=np.array(["a", "b"]))


def case_npz_five_dimensional(tmp_path):
    return _npz(tmp_path, X=np.zeros((30, 2, 2, 2, 2)))


def case_cnn_student_on_a_table(tmp_path):
    return raw_config(csv_data(tmp_path), student={"arch": "cnn", "epochs": 1})


CASES = {
    # case: (builder, problem named in the message, fix named in the message)
    "missing file": (case_missing_file, "data file not found", "data.path"),
    "unknown key": (case_unknown_key, "unknown key 'data.targte'", "did you mean 'target'"),
    "misspelled top-level key": (case_misspelled_top_level_key, "unknown key 'sede'", "did you mean 'seed'"),
    "wrong value type": (case_wrong_value_type, "teacher.epochs", "valid integer"),
    "wrong surrogate param type": (case_wrong_surrogate_param_type, "surrogates.0.params (tree)", "max_depth"),
    "NaN feature values": (case_nan_values, "NaN or infinite", "impute or drop"),
    "infinite feature values": (case_infinite_values, "NaN or infinite", "'f2'"),
    "target with one class": (case_one_class, "single class", "at least two classes"),
    "too few rows of a class": (case_too_few_rows_of_a_class, "rare (2 rows)", "add rows"),
    "non-numeric column": (case_non_numeric_not_categorical, "'colour' is not numeric", "data.categorical"),
    "teacher output width": (case_teacher_output_width, "outputs 4 values per row but the data has 3 classes",
                             "3 outputs"),
    "state_dict output width": (case_state_dict_output_width, "outputs 5 values per row but the data has 3",
                                "trained for these 3 classes"),
    "image_shape mismatch": (case_image_shape_mismatch, "image_shape [1, 3, 3] has 9 pixels", "10 features"),
    "empty file": (case_empty_file, "empty", "header row"),
    "not UTF-8": (case_not_utf8, "not valid utf-8", "encoding: cp1252"),
    "corrupt checkpoint": (case_corrupt_checkpoint, "corrupt or not a PyTorch checkpoint", "re-save"),
    "garbage checkpoint": (case_garbage_checkpoint, "corrupt or not a PyTorch checkpoint", "re-save"),
    "pickled whole model": (case_pickled_whole_model, "could run code, so it was refused", "state_dict()"),
    "missing checkpoint": (case_missing_checkpoint, "teacher checkpoint not found", "teacher.checkpoint"),
    "corrupt parquet": (case_corrupt_parquet, "cannot read", "parquet"),
    "npz with pickled objects": (case_npz_with_pickled_objects, "pickled objects", "plain numeric arrays"),
    "missing target column": (case_missing_target_column, "target column 'species' not in", "columns are"),
    "factory raises": (case_factory_raises, "raised RuntimeError: weights server down", "teacher.factory"),
    "npz that is a CSV": (case_npz_that_is_a_csv, "is not an .npz archive", "numpy.savez"),
    "npy single array": (case_npy_single_array, "holds a single array (numpy.save)", "numpy.savez(path, X="),
    "npz class_names too few": (case_npz_class_names_too_few, "class_names has 2 entries but y has 3 classes",
                                "one name per class"),
    "npz 5-D X": (case_npz_five_dimensional, "(rows, channels, height, width)",
                  "got float64 with shape (30, 2, 2, 2, 2)"),
    "cnn student on a table": (case_cnn_student_on_a_table, "student.arch: arch 'cnn' needs image data",
                               "use arch 'mlp'"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_without_traceback(case, tmp_path, capsys, monkeypatch):
    build, problem, fix = CASES[case]
    raw = build(tmp_path, monkeypatch) if case == "factory raises" else build(tmp_path)
    code, out = run_cli(tmp_path, raw)
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert code == 2, captured.err
    assert len(lines) == 1, captured.err
    message = lines[0]
    assert message.startswith("error: ")
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    assert problem in message, message
    assert fix in message, message
    assert len(message) < 400, f"the message should be short: {message}"
    assert_nothing_written(out)


def _write(text: str):
    return lambda path: path.write_text(text)


def _delete(path):
    path.unlink()


# (file of a saved run, how it is damaged)
DAMAGE = [
    ("run.json", _write("{not json")),
    ("metrics.csv", _delete),
    ("metrics.csv", _write("x,y\n1,2\n")),
    ("metrics.csv", _write("model,family,kind,regime,role,accuracy,fidelity,complexity_score\n")),  # no rows
    ("sweep.csv", _write("a,b\n1\n2,3,4,5\n")),
    ("predictions.npz", _write("garbage")),
    ("models/manifest.json", _write("{}")),
    # the run computed attributions (its config lists methods), so their files are not optional
    ("attributions.npz", _delete),
    ("agreement.csv", _delete),
    ("faithfulness_curves.csv", _write("a,b\n")),
]


@pytest.mark.parametrize("damaged, damage", DAMAGE, ids=[f"{name}-{i}" for i, (name, _) in enumerate(DAMAGE)])
def test_a_damaged_run_is_named_in_one_line(damaged, damage, tiny_run, tmp_path, capsys):
    run_dir = tmp_path / "tiny"
    shutil.copytree(tiny_run, run_dir)
    report = (run_dir / "report.html").read_bytes()
    damage(run_dir / damaged)
    assert main(["report", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{run_dir / damaged} cannot be read" in err and "re-run the experiment" in err
    assert "allow_pickle" not in err  # numpy's advice to unpickle the file must not reach the user
    assert (run_dir / "report.html").read_bytes() == report, "the good report must not be replaced"


def test_one_damaged_run_does_not_break_the_index(tiny_run, tmp_path, capsys):
    """The index lists the readable runs and names the damaged one in a warning; the command still succeeds."""
    for name in ("good", "broken"):
        shutil.copytree(tiny_run, tmp_path / name)
    (tmp_path / "broken" / "run.json").write_text("{not json")
    assert main(["report", str(tmp_path / "good")]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("warning: the index leaves out") and "broken" in err
    index = (tmp_path / "index.html").read_text()
    assert "good/report.html" in index and "broken/report.html" not in index


def test_a_checkpoint_folder_is_named_as_a_folder(tmp_path, capsys):
    (tmp_path / "weights").mkdir()
    code, out = run_cli(tmp_path, raw_config(csv_data(tmp_path), teacher={"checkpoint": str(tmp_path / "weights")}))
    assert code == 2 and "is a folder; name the TorchScript or state_dict file" in capsys.readouterr().err
    assert_nothing_written(out)


