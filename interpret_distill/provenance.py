"""What a run records about how it ran: library versions and wall-clock seconds per stage."""

from __future__ import annotations

import platform
import time
from contextlib import contextmanager
from importlib import metadata

VERSIONED_PACKAGES = ("interpret_distill", "torch", "scikit-learn", "captum", "numpy", "pandas", "skops", "matplotlib",
                       "torchao")


class Timer:
    """Collects wall-clock seconds per pipeline stage."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        yield
        self.seconds[name] = round(time.perf_counter() - start, 3)


def library_versions() -> dict[str, str]:
    """Python's and each of :data:`VERSIONED_PACKAGES`' installed version ("not installed" when absent)."""
    versions = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions
