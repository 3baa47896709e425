"""Writing configs for the CLI tests and running ``interpret-distill run`` on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import yaml

from interpret_distill.cli import main


def table(n_per_class: int = 10, seed: int = 0) -> pd.DataFrame:
    """Two numeric features and three named classes, ``n_per_class`` rows each."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(["setosa", "versicolor", "virginica"], n_per_class)
    return pd.DataFrame({"f1": rng.normal(size=len(labels)), "f2": rng.normal(size=len(labels)), "label": labels})


def raw_config(data: dict, **sections) -> dict:
    """A raw config named "bad" with a tiny teacher and student (one epoch each) and the given sections."""
    return {"name": "bad", "data": data, "progress": False, "n_jobs": 1,
            "teacher": {"hidden": [4], "epochs": 1}, "student": {"hidden": [2], "epochs": 1}, **sections}


def csv_data(tmp_path, frame=None, name="data.csv", **data) -> dict:
    """Write ``frame`` (default :func:`table`) as a CSV file and return the ``data`` section that reads it."""
    path = tmp_path / name
    (table() if frame is None else frame).to_csv(path, index=False)
    return {"source": "csv", "path": str(path), "target": "label", **data}


def run_cli(tmp_path, raw: dict, *extra: str) -> tuple[int, object]:
    """``interpret-distill run config.yaml --out tmp_path/reports``: the exit code and the --out folder."""
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = tmp_path / "reports"
    return main(["run", str(path), "--out", str(out), "--no-progress", *extra]), out


def assert_nothing_written(out):
    leftovers = sorted(p.name for p in out.iterdir()) if out.exists() else []
    assert leftovers == [], f"run folders (or hidden temp folders) left behind: {leftovers}"
