"""Engines: the same results in the same order on loky and on a Dask cluster, a lost worker retried, and a whole
run's metrics identical on both."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pandas as pd
import pytest

from interpret_distill.config import parse_config
from interpret_distill.parallel import Engine, open_engine

pytest.importorskip("dask.distributed")


def _square(x: int) -> int:
    return x * x


def _dies_once(x: int, marker_dir: str) -> int:
    """Kill the worker process the first time task 2 runs (a machine lost mid-sweep), then answer normally."""
    marker = Path(marker_dir) / f"{x}.started"
    if x == 2 and not marker.exists():
        marker.touch()
        os._exit(1)
    return x * 10


@pytest.mark.slow  # starts a local Dask cluster
def test_engines_agree_in_order():
    tasks = [(i,) for i in range(12)]
    local = list(Engine("loky", 2).map(_square, tasks))
    with open_engine("dask", n_jobs=2) as engine:
        assert engine.backend == "dask"
        remote = list(engine.map(_square, tasks, shared=[list(range(5000))]))
    assert local == remote == [i * i for i in range(12)]


@pytest.mark.slow  # starts a local Dask cluster
def test_a_lost_worker_is_retried_without_changing_the_results(tmp_path):
    with open_engine("dask", n_jobs=2) as engine:
        results = list(engine.map(_dies_once, [(i, str(tmp_path)) for i in range(6)]))
    assert (tmp_path / "2.started").exists()  # the worker really died once
    assert results == [i * 10 for i in range(6)]


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="not one of loky, dask"):
        with open_engine("spark"):
            pass


@pytest.mark.slow
def test_a_run_on_a_local_dask_cluster_gives_the_local_metrics(tiny_raw, tmp_path):
    from interpret_distill import load_run
    from interpret_distill.experiment import run_experiment
    from interpret_distill.results import TIMING_COLUMNS

    raw = {**copy.deepcopy(tiny_raw), "attribution": {"methods": []}, "n_jobs": 2}
    frames = {}
    for backend in ("loky", "dask"):
        cfg = parse_config({**raw, "name": backend, "parallel": {"backend": backend}})
        run = load_run(run_experiment(cfg, tmp_path, report=False))
        frames[backend] = (run.metrics.drop(columns=[c for c in TIMING_COLUMNS if c in run.metrics]),
                           run.sweep.drop(columns=["fit_seconds"]))
    pd.testing.assert_frame_equal(frames["loky"][0], frames["dask"][0])
    pd.testing.assert_frame_equal(frames["loky"][1], frames["dask"][1])


def test_scheduler_needs_the_dask_backend(tiny_raw):
    with pytest.raises(Exception, match="parallel.scheduler is read only with parallel.backend: dask"):
        parse_config({**tiny_raw, "parallel": {"scheduler": "tcp://127.0.0.1:8786"}})
