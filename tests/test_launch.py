"""The console script: a Ctrl-C while the CLI is still being imported ends with one line, not a traceback."""

import sys

from interpret_distill import _launch


class _InterruptingFinder:
    """A meta-path finder that raises KeyboardInterrupt when interpret_distill.cli is imported (a Ctrl-C then)."""

    def find_spec(self, name, path=None, target=None):
        if name == "interpret_distill.cli":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_importing_the_cli_exits_130_with_one_line(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "interpret_distill.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_InterruptingFinder(), *sys.meta_path])
    assert _launch.main(["list"]) == _launch.INTERRUPTED
    assert capsys.readouterr().err.strip() == "interrupted"


def test_the_launcher_runs_the_cli(capsys):
    assert _launch.main(["list"]) == 0
    assert "digits" in capsys.readouterr().out
