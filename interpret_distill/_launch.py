"""The ``interpret-distill`` console script: imports the CLI inside the Ctrl-C handling.

Importing the CLI pulls in pydantic and YAML (and a run later torch); a Ctrl-C during that first second would
otherwise print Python's traceback instead of the CLI's one line.
"""

from __future__ import annotations

import sys

INTERRUPTED = 130  # the shell's code for a process ended by SIGINT


def main(argv: list[str] | None = None) -> int:
    """Run the CLI (:func:`interpret_distill.cli.main`); a Ctrl-C while it loads exits quietly with 130."""
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return INTERRUPTED
    return cli_main(argv)
