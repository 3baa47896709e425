"""The command line (interpret_distill.cli): files checked before any run, one-line errors (the traceback behind
--debug), nothing half-written, signals, the index, `list` and `report`. Bad configs and data end to end:
integration/test_bad_input.py."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from interpret_distill.cli import check_files, main
from interpret_distill.config import load_config, parse_config
from interpret_distill.errors import DataError, ModelFileError, UserInputError
from tests._cli_helpers import assert_nothing_written, csv_data, raw_config, run_cli


def test_list_shows_default_presets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "digits" in out and "breast_cancer" in out and "(default)" in out


def test_check_files_names_the_config_and_the_file(tmp_path):
    check_files(parse_config(raw_config(csv_data(tmp_path))))  # all there: nothing raised
    missing = parse_config(raw_config({"source": "csv", "path": str(tmp_path / "nope.csv"), "target": "label"}))
    with pytest.raises(DataError, match=r"^bad: data file not found: .*nope\.csv"):
        check_files(missing)
    (tmp_path / "weights").mkdir()
    folder = parse_config(raw_config(csv_data(tmp_path), teacher={"checkpoint": str(tmp_path / "weights")}))
    with pytest.raises(ModelFileError, match=r"^bad: .*is a folder; name the TorchScript or state_dict file"):
        check_files(folder)


def test_missing_config_file_and_unknown_preset(tmp_path, capsys):
    assert main(["run", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no config file or preset named" in err and "iris" in err and "Traceback" not in err
    assert_nothing_written(tmp_path / "o")


def test_invalid_yaml_and_non_utf8_config(tmp_path, capsys):
    bad_yaml = tmp_path / "bad.yaml"
    bad_yaml.write_text("name: x\ndata: [unclosed\n")
    assert main(["run", str(bad_yaml), "--out", str(tmp_path / "o")]) == 2
    assert "not valid YAML at line" in capsys.readouterr().err
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: café\n".encode("latin-1"))
    assert main(["run", str(latin), "--out", str(tmp_path / "o")]) == 2
    assert "not UTF-8" in capsys.readouterr().err
    assert_nothing_written(tmp_path / "o")


def test_second_config_is_checked_before_the_first_runs(tmp_path, capsys):
    good = raw_config(csv_data(tmp_path))
    good_path = tmp_path / "good.yaml"
    good_path.write_text(yaml.safe_dump(good))
    bad = raw_config({"source": "csv", "path": str(tmp_path / "missing.csv"), "target": "label"}, name="second")
    bad_path = tmp_path / "bad.yaml"
    bad_path.write_text(yaml.safe_dump(bad))
    out = tmp_path / "reports"
    assert main(["run", str(good_path), str(bad_path), "--out", str(out), "--no-progress"]) == 2
    assert "second: data file not found" in capsys.readouterr().err
    assert_nothing_written(out)


@pytest.mark.parametrize("position", ["before", "after"])
def test_debug_shows_the_traceback(tmp_path, position):
    raw = raw_config({"source": "csv", "path": str(tmp_path / "nope.csv"), "target": "label"})
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
    code, out = run_cli(tmp_path, raw_config(csv_data(tmp_path)))
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "ZeroDivisionError: something internal" in err and "--debug" in err
    assert_nothing_written(out)
    with pytest.raises(ZeroDivisionError):
        run_cli(tmp_path, raw_config(csv_data(tmp_path)), "--debug")


def test_a_folder_that_is_not_a_run_is_never_replaced(tmp_path, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    monkeypatch.setattr(experiment, "resolve_teacher", lambda *a, **k: pytest.fail("trained before checking"))
    out = tmp_path / "reports"
    (out / "bad").mkdir(parents=True)
    (out / "bad" / "notes.txt").write_text("my only copy")
    code, _ = run_cli(tmp_path, raw_config(csv_data(tmp_path)))
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
    config.write_text(yaml.safe_dump(raw_config(csv_data(tmp_path))))
    assert main(["run", str(config), str(config), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "two configs share the name 'bad'" in capsys.readouterr().err
    assert_nothing_written(tmp_path / "o")


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
        paths[-1].write_text(yaml.safe_dump(raw_config(csv_data(tmp_path), name=name)))
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
    code, _ = run_cli(tmp_path, raw_config(csv_data(tmp_path)))
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "cannot write there (Operation not permitted)" in err


def test_out_below_a_file_fails_before_any_training(tmp_path, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: pytest.fail("ran before checking --out"))
    (tmp_path / "afile").write_text("")
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw_config(csv_data(tmp_path))))
    assert main(["run", str(config), "--out", str(tmp_path / "afile" / "sub"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "cannot create the folder" in err


@pytest.mark.parametrize("argv, message", [
    (["run", "iris", "--default"], "pass config names or --default, not both"),
    (["run", "iris", "--out", " "], "--out is empty"),
])
def test_ambiguous_run_arguments_are_refused(argv, message, capsys, monkeypatch):
    import interpret_distill.experiment as experiment

    monkeypatch.setattr(experiment, "run_experiment", lambda *a, **k: pytest.fail("ran despite the bad arguments"))
    assert main(argv) == 2
    assert message in capsys.readouterr().err


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
    code, out = run_cli(tmp_path, raw_config(csv_data(tmp_path)))
    assert code == 130 and "interrupted" in capsys.readouterr().err
    assert_nothing_written(out)
    assert signal.getsignal(signal.SIGTERM) is before  # the caller's handler is back


def test_report_of_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_the_cli_runs_off_the_main_thread_too(capsys):
    """A notebook or a worker thread may call main(): only the main thread may set the SIGTERM handler."""
    import threading

    codes = []
    worker = threading.Thread(target=lambda: codes.append(main(["list"])))
    worker.start()
    worker.join()
    assert codes == [0] and "digits" in capsys.readouterr().out
