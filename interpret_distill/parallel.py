"""Where independent fits run: joblib's loky workers on this machine, or a Dask cluster when one is not enough.

A sweep is a list of independent tasks ``(recipe, seed) -> row``; an :class:`Engine` only maps them and yields the
results in submission order. Big arrays go to the workers once: loky memory-maps them, Dask scatters the ``shared``
objects to every worker before the first task. Every task is seeded by its arguments, so the numbers do not depend
on the engine or the number of workers.

Example:
    >>> with open_engine("loky", n_jobs=2) as engine:
    ...     list(engine.map(pow, [(2, 3), (3, 2)]))
    [8, 9]
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

from joblib import Parallel, delayed, parallel_config

from .progress import progress_bar

BACKENDS = ("loky", "dask")


@dataclass(frozen=True)
class Engine:
    """A joblib backend and its worker count (and, for Dask, the connected client).

    Attributes:
        backend: ``"loky"`` or ``"dask"``.
        n_jobs: joblib workers (``-1``: every core of this machine, or of the Dask cluster).
        client: the ``dask.distributed.Client`` with ``backend="dask"``.
    """

    backend: str = "loky"
    n_jobs: int = 1
    client: Any = None

    def map(self, fn: Callable, arg_tuples: Iterable[Sequence], *, shared: Sequence = (), progress: bool = False,
            desc: str = "") -> Iterator:
        """``fn(*args)`` for each tuple, results in submission order.

        Args:
            fn: a module-level function (workers import it by name).
            arg_tuples: one tuple of positional arguments per task.
            shared: objects several tasks take (big arrays, a dict of evaluation splits): Dask sends each to every
                worker once; loky memory-maps big arrays by itself.
            progress: show a progress bar.
            desc: the bar's label.

        Returns:
            An iterator over the results.
        """
        tasks = [delayed(fn)(*args) for args in arg_tuples]
        config = (parallel_config(backend="dask", client=self.client, scatter=list(shared))
                  if self.backend == "dask" else nullcontext())
        with config:
            # return_as="generator" yields in submission order, so a progress bar ticks without reordering results
            results = Parallel(n_jobs=self.n_jobs, return_as="generator")(tasks)
            yield from progress_bar(results, enabled=progress, total=len(tasks), desc=desc)


@contextmanager
def open_engine(backend: str = "loky", n_jobs: int = 1, scheduler: str | None = None) -> Iterator[Engine]:
    """An :class:`Engine` for the block; with Dask, a client connected for the block's duration.

    Args:
        backend: ``"loky"`` (this machine) or ``"dask"``.
        n_jobs: workers: loky processes, or the workers of the local Dask cluster started when no ``scheduler``
            is given (``-1``: one per core).
        scheduler: address of a running Dask scheduler (``"tcp://host:8786"``); ``None`` with ``"dask"`` starts a
            ``LocalCluster`` on the loopback interface.

    Returns:
        A context manager yielding the engine.

    Raises:
        ValueError: an unknown backend, or ``"dask"`` without the ``distributed`` package installed.
    """
    if backend not in BACKENDS:
        raise ValueError(f"parallel.backend {backend!r} is not one of {', '.join(BACKENDS)}")
    if backend == "loky":
        yield Engine("loky", n_jobs)
        return
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("parallel.backend 'dask' needs dask.distributed: pip install "
                         "'interpret_distill[dask]'") from None
    if scheduler:
        client, cluster = Client(scheduler, set_as_default=False), None
    else:
        import os

        workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None)
        client = Client(cluster, set_as_default=False)
    try:
        yield Engine("dask", n_jobs, client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
