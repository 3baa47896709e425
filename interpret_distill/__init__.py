"""interpret_distill: distil a PyTorch teacher into compact students and interpretable surrogates.

The main entry points:

- :func:`run_experiment` runs one config end to end into a run directory with an HTML report;
- :func:`load_run` reads a run directory back (``run.metrics`` is a pandas DataFrame);
- :mod:`interpret_distill.surrogates` holds the scikit-learn surrogate builders;
- :func:`interpret_distill.attribution.attribute` explains any model on any data.
"""

from importlib import metadata as _metadata

try:
    __version__ = _metadata.version("interpret_distill")
except _metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


_EXPORTS = {
    "ExperimentConfig": "config",
    "load_config": "config",
    "Run": "runs",
    "load_run": "runs",
    "run_experiment": "experiment",
}


def __getattr__(name: str):
    # Lazy: `import interpret_distill.metrics` (e.g. in a joblib worker) must not pay for torch, skops, captum.
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'interpret_distill' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})  # so tab completion offers the lazy exports too


__all__ = ["ExperimentConfig", "Run", "load_config", "load_run", "run_experiment", "__version__"]
