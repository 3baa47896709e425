"""One experiment's run folder (interpret_distill.experiment): replaced atomically, never over something else.
Whole runs: integration/test_experiment.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from interpret_distill.errors import UserInputError
from interpret_distill.experiment import atomic_run_dir, check_run_target


def test_check_run_target_allows_nothing_an_empty_folder_or_a_run(tmp_path):
    check_run_target(tmp_path, "absent")
    (tmp_path / "empty").mkdir()
    check_run_target(tmp_path, "empty")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.json").write_text("{}")
    check_run_target(tmp_path, "run")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("my only copy")
    with pytest.raises(UserInputError, match=r"mine exists and is not a run folder \(no run.json\).*another name"):
        check_run_target(tmp_path, "mine")
    with pytest.raises(UserInputError, match="not a run folder"):
        with atomic_run_dir(tmp_path, "mine"):
            pytest.fail("a folder that is not a run was about to be replaced")
    assert (tmp_path / "mine" / "notes.txt").read_text() == "my only copy"


def test_a_finished_run_replaces_the_previous_one_and_a_failed_one_leaves_nothing(tmp_path):
    with atomic_run_dir(tmp_path, "a") as tmp:
        (tmp / "run.json").write_text("first")
    with atomic_run_dir(tmp_path, "a") as tmp:
        (tmp / "run.json").write_text("second")
    assert (tmp_path / "a" / "run.json").read_text() == "second" and [p.name for p in tmp_path.iterdir()] == ["a"]
    with pytest.raises(RuntimeError), atomic_run_dir(tmp_path, "a") as tmp:
        (tmp / "run.json").write_text("third")
        raise RuntimeError("failed half-way")
    assert (tmp_path / "a" / "run.json").read_text() == "second" and [p.name for p in tmp_path.iterdir()] == ["a"]


def test_a_swap_cut_short_keeps_the_previous_run(tmp_path, monkeypatch):
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
