"""What every benchmark's results.md records about where it ran, and how it prints a mean with its spread."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pandas as pd
import torch

from interpret_distill.provenance import library_versions


def machine() -> dict:
    """The CPU model, the cores this process may use, the load when it started, torch's threads and the versions."""
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpu": model, "cores": cores, "platform": platform.platform(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "torch_threads": torch.get_num_threads(), **library_versions()}


def plus_minus(mean: float, std: float | None, spec: str = "{:.3f}") -> str:
    """``mean ± std`` in ``spec``'s format; the mean alone without a spread, nothing for a missing mean."""
    if pd.isna(mean):
        return ""
    return spec.format(mean) + ("" if std is None or pd.isna(std) else " ± " + spec.format(std))


def section_markers(name: str) -> tuple[str, str]:
    """The HTML comments that fence a section one benchmark writes into another's results.md."""
    return f"<!-- {name}: written by another benchmark -->", f"<!-- /{name} -->"


def fenced_section(path: Path, name: str) -> str:
    """The fenced section ``name`` of ``path`` with its markers, or an empty string (no file, no section)."""
    begin, end = section_markers(name)
    text = path.read_text() if path.exists() else ""
    if begin not in text or end not in text:
        return ""
    return text[text.index(begin):text.index(end) + len(end)]


def write_fenced_section(path: Path, name: str, body: str) -> None:
    """Put ``body`` in ``path``'s section ``name``, replacing the previous one or appended at the end."""
    begin, end = section_markers(name)
    text = path.read_text() if path.exists() else ""
    section = f"{begin}\n{body.strip()}\n{end}"
    old = fenced_section(path, name)
    text = text.replace(old, section) if old else text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text)
