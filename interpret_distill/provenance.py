"""What a run records about how it ran: library versions, and wall-clock seconds and spans per stage."""

from __future__ import annotations

import platform
import time
from contextlib import contextmanager
from importlib import metadata

VERSIONED_PACKAGES = ("interpret_distill", "torch", "scikit-learn", "captum", "numpy", "pandas", "skops", "matplotlib",
                       "torchao")


class Timer:
    """Collects wall-clock seconds per pipeline stage, and when each ran (so memory samples can be matched to it).

    Example:
        >>> timer = Timer()
        >>> with timer.stage("data"):
        ...     pass
        >>> list(timer.seconds), timer.spans["data"][0] <= timer.spans["data"][1]
        (['data'], True)
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.spans: dict[str, tuple[float, float]] = {}  # stage -> (start, end), seconds since the epoch

    @contextmanager
    def stage(self, name: str):
        start, wall = time.perf_counter(), time.time()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)
        self.spans[name] = (wall, time.time())


def library_versions() -> dict[str, str]:
    """Python's and each of :data:`VERSIONED_PACKAGES`' installed version ("not installed" when absent)."""
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
