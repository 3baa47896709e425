"""Bad input through the CLI: exit code 2, one line naming the problem and the fix, no traceback, nothing written.

Every case fails before any network is trained, so the whole file runs in seconds.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from interpret_distill.cli import main
from interpret_distill.config import load_config
from interpret_distill.errors import DataError, UserInputError

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


def _table(n_per_class: int = 10, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    labels = np.repeat(["setosa", "versicolor", "virginica"], n_per_class)
    return pd.DataFrame({"f1": rng.normal(size=len(labels)), "f2": rng.normal(size=len(labels)), "label": labels})


def _config(data: dict, **sections) -> dict:
    return {"name": "bad", "data": data, "progress": False, "n_jobs": 1,
            "teacher": {"hidden": [4], "epochs": 1}, "student": {"hidden": [2], "epochs": 1}, **sections}


def _csv(tmp_path, frame=None, name="data.csv", **data) -> dict:
    path = tmp_path / name
    (_table() if frame is None else frame).to_csv(path, index=False)
    return {"source": "csv", "path": str(path), "target": "label", **data}


def _torchscript(tmp_path, n_in: int, n_out: int) -> str:
    path = tmp_path / "teacher.ts"
    torch.jit.save(torch.jit.script(torch.nn.Linear(n_in, n_out)), str(path))
    return str(path)


# ---------------------------------------------------------------------------- one builder per bad-input case
# Each returns the raw config and (optionally) writes the files it names; the second item is a fragment the
# one-line message must contain (the problem), the third a fragment naming the fix.

def case_missing_file(tmp_path):
    return _config({"source": "csv", "path": str(tmp_path / "nope.csv"), "target": "label"})


def case_unknown_key(tmp_path):
    cfg = _config(_csv(tmp_path))
    cfg["data"]["targte"] = cfg["data"].pop("target")
    return cfg


def case_misspelled_top_level_key(tmp_path):
    cfg = _config(_csv(tmp_path))
    cfg["sede"] = 3
    return cfg


def case_wrong_value_type(tmp_path):
    cfg = _config(_csv(tmp_path))
    cfg["teacher"]["epochs"] = "many"
    return cfg


def case_wrong_surrogate_param_type(tmp_path):
    return _config(_csv(tmp_path), surrogates=[{"kind": "tree", "params": {"max_depth": "three"}}])


def case_nan_values(tmp_path):
    frame = _table()
    frame.loc[3, "f1"] = np.nan
    return _config(_csv(tmp_path, frame))


def case_infinite_values(tmp_path):
    frame = _table()
    frame["f2"] = frame["f2"].astype(object)
    frame.loc[5, "f2"] = "inf"
    return _config(_csv(tmp_path, frame))


def case_one_class(tmp_path):
    frame = _table()
    frame["label"] = "setosa"
    return _config(_csv(tmp_path, frame))


def case_too_few_rows_of_a_class(tmp_path):
    frame = pd.concat([_table(), pd.DataFrame({"f1": [0.1, 0.2], "f2": [0.3, 0.4], "label": ["rare", "rare"]})])
    return _config(_csv(tmp_path, frame))


def case_non_numeric_not_categorical(tmp_path):
    frame = _table()
    frame["colour"] = np.resize(["red", "green", "blue"], len(frame))
    return _config(_csv(tmp_path, frame))


def case_teacher_output_width(tmp_path):
    cfg = _config(_csv(tmp_path))
    cfg["teacher"] = {"checkpoint": _torchscript(tmp_path, n_in=2, n_out=4)}
    return cfg


def case_state_dict_output_width(tmp_path):
    path = tmp_path / "teacher.pt"
    net = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 5))
    torch.save(net.state_dict(), path)
    cfg = _config(_csv(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path), "arch": "mlp", "hidden": [4]}
    return cfg


def case_image_shape_mismatch(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "images.npz"
    np.savez(path, X=rng.normal(size=(30, 10)), y=np.repeat([0, 1, 2], 10), image_shape=np.array([1, 3, 3]))
    return _config({"source": "npz", "path": str(path)})


def case_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    return _config({"source": "csv", "path": str(path), "target": "label"})


def case_not_utf8(tmp_path):
    path = tmp_path / "cafe.csv"
    frame = _table()
    frame["label"] = np.resize(["café", "crème", "brûlée"], len(frame))
    path.write_bytes(frame.to_csv(index=False).encode("cp1252"))
    return _config({"source": "csv", "path": str(path), "target": "label"})


def case_corrupt_checkpoint(tmp_path):
    path = tmp_path / "teacher.pt"
    torch.save(torch.nn.Sequential(torch.nn.Linear(2, 3)).state_dict(), path)
    path.write_bytes(path.read_bytes()[:200])  # truncated download
    cfg = _config(_csv(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path), "hidden": []}
    return cfg


def case_garbage_checkpoint(tmp_path):
    path = tmp_path / "teacher.pt"
    path.write_bytes(np.random.default_rng(0).bytes(500))
    cfg = _config(_csv(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path)}
    return cfg


def case_pickled_whole_model(tmp_path):
    path = tmp_path / "teacher.pt"
    with open(path, "wb") as handle:  # what torch.save(model) writes: a pickle of the class, not just tensors
        pickle.dump(torch.nn.Linear(2, 3), handle)
    cfg = _config(_csv(tmp_path))
    cfg["teacher"] = {"checkpoint": str(path)}
    return cfg


def case_missing_checkpoint(tmp_path):
    cfg = _config(_csv(tmp_path))
    cfg["teacher"] = {"checkpoint": str(tmp_path / "teacher.pt")}
    return cfg


def case_corrupt_parquet(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_text("f1,f2,label\n1,2,a\n")
    return _config({"source": "parquet", "path": str(path), "target": "label"})


def case_npz_with_pickled_objects(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, X=np.array([{"a": 1}] * 30, dtype=object), y=np.repeat([0, 1, 2], 10))
    return _config({"source": "npz", "path": str(path)})


def case_missing_target_column(tmp_path):
    return _config(_csv(tmp_path, target="species"))


def case_factory_raises(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text("def build():\n    raise RuntimeError('weights server down')\n")
    monkeypatch.chdir(tmp_path)
    cfg = _config(_csv(tmp_path))
    cfg["teacher"] = {"factory": "my_models:build"}
    return cfg


def case_npz_that_is_a_csv(tmp_path):
    _csv(tmp_path, name="data.npz")
    return _config({"source": "npz", "path": str(tmp_path / "data.npz")})


def case_npy_single_array(tmp_path):
    path = tmp_path / "data.npz"
    with open(path, "wb") as file:  # numpy.save appends .npy to a bare path: write through a file object
        np.save(file, np.zeros((30, 2)))
    return _config({"source": "npz", "path": str(path)})


def _npz(tmp_path, **arrays) -> dict:
    path = tmp_path / "data.npz"
    np.savez(path, **{"X": np.arange(60.0).reshape(30, 2), "y": np.repeat([0, 1, 2], 10), **arrays})
    return _config({"source": "npz", "path": str(path)})


def case_npz_class_names_too_few(tmp_path):
    return _npz(tmp_path, class_names=np.array(["a", "b"]))


def case_npz_five_dimensional(tmp_path):
    return _npz(tmp_path, X=np.zeros((30, 2, 2, 2, 2)))


def case_cnn_student_on_a_table(tmp_path):
    return _config(_csv(tmp_path), student={"arch": "cnn", "epochs": 1})


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
    "npz 5-D X": (case_npz_five_dimensional, "(rows, channels, height, width)", "got float64 with shape (30, 2, 2, 2, 2)"),
    "cnn student on a table": (case_cnn_student_on_a_table, "student.arch: arch 'cnn' needs image data",
                               "use arch 'mlp'"),
}


def _run_cli(tmp_path, raw: dict, *extra: str) -> tuple[int, object]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = tmp_path / "reports"
    return main(["run", str(config), "--out", str(out), "--no-progress", *extra]), out


def _assert_nothing_written(out):
    leftovers = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert leftovers == [], f"run folders (or hidden temp folders) left behind: {leftovers}"


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_without_traceback(case, tmp_path, capsys, monkeypatch):
    build, problem, fix = CASES[case]
    raw = build(tmp_path, monkeypatch) if case == "factory raises" else build(tmp_path)
    code, out = _run_cli(tmp_path, raw)
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
    _assert_nothing_written(out)


def test_missing_config_file_and_unknown_preset(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no config file or preset named" in err and "iris" in err and "Traceback" not in err
    _assert_nothing_written(tmp_path / "o")


def test_invalid_yaml_and_non_utf8_config(tmp_path, capsys):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("name: x\ndata: [unclosed\n")
    assert main(["run", str(bad_yaml), "--out", str(tmp_path / "o")]) == 2
    assert "not valid YAML at line" in capsys.readouterr().err
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: café\n".encode("latin-1"))
    assert main(["run", str(latin), "--out", str(tmp_path / "o")]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    _assert_nothing_written(tmp_path / "o")


def test_second_config_is_checked_before_the_first_runs(tmp_path, capsys):
    good = _config(_csv(tmp_path))
    good_path = tmp_path / "good.yaml"
    good_path.write_text(yaml.safe_dump(good))
    bad = _config({"source": "csv", "path": str(tmp_path / "missing.csv"), "target": "label"}, name="second")
    bad_path = tmp_path / "bad.yaml"
    bad_path.write_text(yaml.safe_dump(bad))
    out = tmp_path / "reports"
    assert main(["run", str(good_path), str(bad_path), "--out", str(out), "--no-progress"]) == 2
    assert "second: data file not found" in capsys.readouterr().err
    _assert_nothing_written(out)


@pytest.mark.parametrize("position", ["before", "after"])
def test_debug_shows_the_traceback(tmp_path, position):
    raw = case_missing_file(tmp_path)
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))
    argv = ["run", str(config), "--out", str(tmp_path / "o")]
    argv = ["--debug", *argv] if position == "before" else [*argv, "--debug"]
    with pytest.raises(DataError, match="data file not found"):
        main(argv)


def test_unexpected_errors_are_one_line_too(tmp_path, capsys, monkeypatch):
    """A failure that is not the user's fault still ends in one line (exit 1), the traceback behind --debug."""
    import interpret_distill.experiment as experiment

    def broken(*args, **kwargs):
        raise ZeroDivisionError("something internal\nwith a second line")

    monkeypatch.setattr(experiment, "load_dataset", broken)
    code, out = _run_cli(tmp_path, _config(_csv(tmp_path)))
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "ZeroDivisionError: something internal" in err and "--debug" in err
    _assert_nothing_written(out)
    with pytest.raises(ZeroDivisionError):
        _run_cli(tmp_path, _config(_csv(tmp_path)), "--debug")


def test_a_folder_that_is_not_a_run_is_never_replaced(tmp_path, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    monkeypatch.setattr(experiment, "resolve_teacher", lambda *a, **k: pytest.fail("trained before checking"))
    out = tmp_path / "reports"
    (out / "bad").mkdir(parents=True)
    (out / "bad" / "notes.txt").write_text("my only copy")
    code, _ = _run_cli(tmp_path, _config(_csv(tmp_path)))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "is not a run folder" in err and "another name" in err
    assert (out / "bad" / "notes.txt").read_text() == "my only copy"
    with pytest.raises(UserInputError, match="not a run folder"):  # the Python API checks too
        experiment.run_experiment(load_config(tmp_path / "config.yaml"), out)
    assert sorted(p.name for p in out.iterdir()) == ["bad"]


def test_two_configs_with_one_name_are_refused_before_running(tmp_path, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: pytest.fail("ran before checking names"))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_config(_csv(tmp_path))))
    assert main(["run", str(config), str(config), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "two configs share the name 'bad'" in capsys.readouterr().err
    _assert_nothing_written(tmp_path / "o")


def test_a_swap_cut_short_keeps_the_previous_run(tmp_path, monkeypatch):
    from interpret_distill.experiment import atomic_run_dir

    out = tmp_path / "o"
    (out / "a").mkdir(parents=True)
    (out / "a" / "run.json").write_text("previous")
    rename = Path.rename

    def interrupted(self, target):  # Ctrl-C between moving the previous run aside and moving the new one in
        if self.name.startswith(".a.tmp-"):
            raise KeyboardInterrupt
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", interrupted)
    with pytest.raises(KeyboardInterrupt), atomic_run_dir(out, "a") as tmp:
        (tmp / "run.json").write_text("new")
    assert (out / "a" / "run.json").read_text() == "previous" and [p.name for p in out.iterdir()] == ["a"]
    monkeypatch.undo()

    rename(out / "a", out / ".a.old")  # a hard kill at that moment: the next run puts the previous one back first
    with pytest.raises(RuntimeError), atomic_run_dir(out, "a"):
        raise RuntimeError("the next run fails too")
    assert (out / "a" / "run.json").read_text() == "previous" and [p.name for p in out.iterdir()] == ["a"]


def test_index_is_refreshed_when_a_later_config_fails(tmp_path, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    def fake_run(cfg, out_root, **kwargs):
        if cfg.name == "second":
            raise UserInputError("second failed")
        (Path(out_root) / cfg.name).mkdir()
        return Path(out_root) / cfg.name

    monkeypatch.setattr(experiment, "run_experiment", fake_run)
    paths = []
    for name in ("first", "second"):
        paths.append(tmp_path / f"{name}.yaml")
        paths[-1].write_text(yaml.safe_dump(_config(_csv(tmp_path), name=name)))
    out = tmp_path / "o"
    assert main(["run", *map(str, paths), "--out", str(out), "--no-progress"]) == 2
    assert "second failed" in capsys.readouterr().err
    assert (out / "index.html").is_file()


def test_out_that_cannot_be_written_fails_before_any_training(tmp_path, capsys, monkeypatch):
    import interpret_distill.cli as cli
    import interpret_distill.experiment as experiment

    def read_only(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: pytest.fail("ran before checking --out"))
    monkeypatch.setattr(cli.tempfile, "TemporaryDirectory", read_only)
    code, _ = _run_cli(tmp_path, _config(_csv(tmp_path)))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot write there (Operation not permitted)" in err


def test_sigterm_cleans_up_like_ctrl_c(tmp_path, capsys, monkeypatch):
    import os
    import signal
    import time

    import interpret_distill.experiment as experiment

    def terminated_mid_run(cfg, out_root, **kwargs):
        with experiment.atomic_run_dir(Path(out_root), cfg.name) as run_dir:
            (run_dir / "half.txt").write_text("written before the signal")
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises before this ends
        pytest.fail("the run went on after SIGTERM")

    before = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr(experiment, "run_experiment", terminated_mid_run)
    code, out = _run_cli(tmp_path, _config(_csv(tmp_path)))
    assert code == 130 and "interrupted" in capsys.readouterr().err
    _assert_nothing_written(out)
    assert signal.getsignal(signal.SIGTERM) is before  # the caller's handler is back


def test_report_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_load_run_on_the_reports_folder_points_at_the_runs_inside(tmp_path):
    from interpret_distill import load_run

    for name in ("digits", "iris", ".iris.tmp-x"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text("{}")
    with pytest.raises(UserInputError, match=r"did you mean .*digits\? \(runs inside: digits, iris\)$"):
        load_run(tmp_path)
    with pytest.raises(UserInputError, match="run `interpret-distill run` first"):
        load_run(tmp_path / "digits" / "missing")


def test_package_lists_its_lazy_exports_for_completion():
    import interpret_distill

    assert {"load_run", "load_config", "run_experiment", "Run", "ExperimentConfig"} <= set(dir(interpret_distill))


def test_user_input_errors_share_one_base_class():
    assert issubclass(DataError, UserInputError)


def test_out_below_a_file_fails_before_any_training(tmp_path, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: pytest.fail("ran before checking --out"))
    (tmp_path / "afile").write_text("")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(_config(_csv(tmp_path))))
    assert main(["run", str(config), "--out", str(tmp_path / "afile" / "sub"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "cannot create the folder" in err


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


@pytest.mark.parametrize("argv, message", [
    (["run", "iris", "--default"], "pass config names or --default, not both"),
    (["run", "iris", "--out", " "], "--out is empty"),
])
def test_ambiguous_run_arguments_are_refused(argv, message, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: pytest.fail("ran despite the bad arguments"))
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_a_checkpoint_folder_is_named_as_a_folder(tmp_path, capsys):
    (tmp_path / "weights").mkdir()
    code, out = _run_cli(tmp_path, _config(_csv(tmp_path), teacher={"checkpoint": str(tmp_path / "weights")}))
    assert code == 2 and "is a folder; name the TorchScript or state_dict file" in capsys.readouterr().err
    _assert_nothing_written(out)


def test_the_cli_runs_off_the_main_thread_too(capsys):
    """A notebook or a worker thread may call main(): only the main thread may set the SIGTERM handler."""
    import threading

    codes = []
    worker = threading.Thread(target=lambda: codes.append(main(["list"])))
    worker.start()
    worker.join()
    assert codes == [0] and "digits" in capsys.readouterr().out
