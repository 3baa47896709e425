"""Command line: ``interpret-distill run / report / list``.

Bad input (a missing file, a misspelled config key, data that cannot be used, an unsafe model file) ends with exit
code 2 and one line on stderr naming the problem and the fix; any other failure with exit code 1 and one line.
``--debug`` shows the full traceback instead. Runs are written atomically: a failed or interrupted run leaves no
half-written folder and the previous report of the experiment intact.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import threading
import warnings
from pathlib import Path

from .config import DEFAULT_EXPERIMENTS, ExperimentConfig, load_config, shipped_configs
from .errors import UserInputError, first_line


def _run(args: argparse.Namespace) -> int:
    from .experiment import check_run_target, run_experiment
    from .report import render_index

    if args.configs and args.default:
        raise UserInputError("pass config names or --default, not both; `interpret-distill run --default` runs "
                             f"{', '.join(DEFAULT_EXPERIMENTS)}")
    if not args.out.strip():
        raise UserInputError("--out is empty; name the folder for the run directories, e.g. --out reports")
    targets = list(args.configs) or (list(DEFAULT_EXPERIMENTS) if args.default else [])
    if not targets:
        raise UserInputError("name a config (file or preset) to run, or pass --default; see `interpret-distill list`")
    overrides = {}
    if args.seed is not None:
        overrides["seed"] = args.seed
    if args.no_progress:
        overrides["progress"] = False
    # validate every config before running any, so a typo in the second does not waste the first's minutes
    configs = [load_config(t, overrides) for t in targets]
    names = [cfg.name for cfg in configs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UserInputError(f"two configs share the name {repeated[0]!r}, so the second run would replace the first's "
                             "folder; give each config its own name (name: in the config)")
    for cfg in configs:
        check_files(cfg)
        check_run_target(args.out, cfg.name)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserInputError(f"--out {out} is a file; pass a folder for the run directories")
    try:  # now, not after minutes of training
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"--out {out}: cannot create the folder ({exc.strerror}); pass a folder you can "
                             "write to") from None
    try:  # runs are written to a temporary folder inside --out first
        tempfile.TemporaryDirectory(dir=out).cleanup()
    except OSError as exc:
        raise UserInputError(f"--out {out}: cannot write there ({exc.strerror}); pass a folder you can "
                             "write to") from None
    finished = 0
    try:
        for cfg in configs:
            run_dir = run_experiment(cfg, args.out, use_cache=not args.no_cache)
            finished += 1
            print(f"{cfg.name}: {run_dir / 'report.html'}")
    finally:  # a later config failing must not leave the index describing the earlier ones' previous runs
        if finished:
            _refresh_index(render_index, args.out)
    return 0


def _refresh_index(render_index, out: str) -> None:
    try:
        print(f"index: {render_index(out)}")
    except Exception as exc:  # never hides the run's own outcome (or the failure that brought us here)
        warnings.warn(f"the index was not refreshed: {type(exc).__name__}: {first_line(exc)}", stacklevel=2)


def check_files(cfg: ExperimentConfig) -> None:
    """Fail before any work when a file the config names is missing, a folder or empty."""
    from .data import existing_data_file
    from .teachers import existing_checkpoint

    try:
        for path in cfg.data.files().values():
            existing_data_file(path, cfg.data.source)
        for teacher in cfg.teacher.members or [cfg.teacher]:  # every member of an ensemble
            if teacher.checkpoint:
                existing_checkpoint(teacher.checkpoint)
    except UserInputError as exc:
        raise type(exc)(f"{cfg.name}: {exc}") from None


def _report(args: argparse.Namespace) -> int:
    from .report import render_index, render_report

    run_dir = Path(args.run_dir)
    if not (run_dir / "run.json").is_file():
        raise UserInputError(f"{run_dir} is not a run directory (no run.json); pass a folder written by `interpret-distill run`")
    print(render_report(run_dir))
    print(render_index(run_dir.resolve().parent))  # resolved: the parent of "." is "." itself
    return 0


def _list(args: argparse.Namespace) -> int:
    import yaml

    for name, path in sorted(shipped_configs().items()):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = raw.get("data", {})
        marker = " (default)" if name in DEFAULT_EXPERIMENTS else ""
        print(f"{name:16s} {data.get('source', 'sklearn')}:{data.get('name') or data.get('path')}{marker}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="interpret-distill", description=__doc__)
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run experiments (config files or preset names) into run directories")
    run.add_argument("configs", nargs="*", help="YAML config paths or preset names (see `list`)")
    run.add_argument("--default", action="store_true", help=f"run the default set: {', '.join(DEFAULT_EXPERIMENTS)}")
    run.add_argument("--out", default="reports", help="folder for run directories (default: reports)")
    run.add_argument("--seed", type=int, help="override the config's seed")
    run.add_argument("--no-progress", action="store_true", help="no progress bars")
    run.add_argument("--no-cache", action="store_true", help="retrain the teacher even if a cached one exists")
    # default=SUPPRESS: `--debug run ...` must not be reset to False by the subcommand's own default
    run.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    run.set_defaults(handler=_run)

    report = commands.add_parser("report", help="re-render a run directory's report.html and the index")
    report.add_argument("run_dir", help="a run directory written by `interpret-distill run`, e.g. reports/digits")
    report.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    report.set_defaults(handler=_report)

    listing = commands.add_parser("list", help="list the shipped experiment presets")
    listing.set_defaults(handler=_list)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``interpret-distill`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    # `timeout` or a CI cancel: clean up as for Ctrl-C (only the main thread may set a signal handler)
    in_main_thread = threading.current_thread() is threading.main_thread()
    on_sigterm = signal.signal(signal.SIGTERM, _interrupt) if in_main_thread else None
    try:
        with warnings.catch_warnings():  # restores the usual warning printer afterwards
            if not args.debug:
                warnings.showwarning = _print_warning
            return args.handler(args)
    except UserInputError as exc:
        if args.debug:
            raise
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("interrupted: nothing half-written was kept; earlier reports were left as they were", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an unforeseen failure: still one line, the traceback behind --debug
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {first_line(exc)} (re-run with --debug for the traceback)",
              file=sys.stderr)
        return 1
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, on_sigterm)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {_one_line(str(message))}", file=sys.stderr)


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "invalid input"


if __name__ == "__main__":
    sys.exit(main())
