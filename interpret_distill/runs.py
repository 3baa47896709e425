"""Read a run directory back: metrics as pandas, models, predictions and attributions."""

from __future__ import annotations

import html
import json
import zipfile
from functools import cached_property
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import artifacts
from .errors import RunFileError, UserInputError

HEADLINE_COLUMNS = ["model", "role", "accuracy", "fidelity", "kl", "complexity", "size_bytes"]
# a regression's: R² to the truth (accuracy), R² to the teacher (fidelity), RMSE to the teacher in the target's units
REGRESSION_HEADLINE_COLUMNS = ["model", "role", "accuracy", "fidelity", "rmse_teacher", "complexity", "size_bytes"]


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_table(path: Path) -> pd.DataFrame:
    # an empty table is written as one newline, which read_csv refuses ("no columns to parse")
    return pd.read_csv(path) if path.stat().st_size > 1 else pd.DataFrame()


# the columns every reader of a run's tables relies on (an attribution table may be written empty)
REQUIRED_COLUMNS = {
    "metrics": {"model", "family", "kind", "regime", "role", "accuracy", "fidelity", "complexity_score"},
    "sweep": {"kind", "regime", "transfer", "params", "complexity_score", "val_fidelity", "test_fidelity"},
    "agreement": {"model", "method", "reference_method"},
    "faithfulness": {"model", "method"},
    "faithfulness_curves": {"model", "method"},
    "members": {"model", "role", "accuracy", "fidelity"},
}


def _unreadable(path: Path, detail: str) -> RunFileError:
    return RunFileError(f"{path} cannot be read ({detail}); re-run the experiment with `interpret-distill run` "
                        "to write it again")


class Run:
    """One experiment's results, loaded lazily from its run directory.

    Args:
        path: the run directory; only ``run.json`` is read at once, every other file when first used.

    Attributes:
        path: the run directory.
        info: ``run.json`` (resolved config, seed, versions, timings, dataset and training logs).

    Raises:
        UserInputError: ``path`` has no ``run.json``.
        RunFileError: ``run.json`` (or, later, another file of the run) cannot be read or lacks required keys.

    Example:
        >>> run = load_run("reports/digits")  # doctest: +SKIP
        >>> run.metrics[["model", "accuracy", "fidelity"]]  # doctest: +SKIP
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        info_path = self.path / "run.json"
        if not info_path.is_file():
            inside = sorted(p.parent.name for p in self.path.glob("*/run.json") if not p.parent.name.startswith("."))
            hint = (f"did you mean {self.path / inside[0]}? (runs inside: {', '.join(inside)})" if inside
                    else "run `interpret-distill run` first")
            raise UserInputError(f"{self.path} is not a run directory (no run.json); {hint}")
        self.info: dict = self._read("run.json", _read_json)
        required = {"name", "config", "dataset", "created"}
        if not isinstance(self.info, dict) or not required <= set(self.info):
            raise _unreadable(info_path, f"it does not hold the keys {', '.join(sorted(required))}")

    def _read(self, relative: str, reader: Callable[[Path], Any]) -> Any:
        """``reader(path)`` of a file in the run, with a one-line error naming the file when it cannot be read."""
        path = self.path / relative
        try:
            return reader(path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise _unreadable(path, f"{type(exc).__name__}: {exc}") from exc

    @property
    def name(self) -> str:
        """The experiment's name (the config's ``name``)."""
        return self.info["name"]

    @property
    def config(self) -> dict:
        """The resolved experiment config, as a plain dict."""
        return self.info["config"]

    @property
    def dataset(self) -> dict:
        """Dataset summary: split sizes, feature and class names, image shape, the scaling fitted on train."""
        return self.info["dataset"]

    @property
    def task(self) -> str:
        """``"classification"`` or ``"regression"`` (runs saved before regression existed are classifications)."""
        return self.dataset.get("task", "classification")

    @cached_property
    def metrics(self) -> pd.DataFrame:
        """One row per model; metric columns are on the held-out test split unless prefixed ``val_``."""
        table = self._csv("metrics")
        if not {"teacher", "student"} <= set(table.model):
            raise _unreadable(self.path / "metrics.csv", "it lacks the teacher's or the student's row")
        return table

    @cached_property
    def sweep(self) -> pd.DataFrame:
        """Every surrogate grid point and student width of the complexity sweeps, with validation and test fidelity."""
        return self._csv("sweep")

    @cached_property
    def members(self) -> pd.DataFrame:
        """An ensemble teacher's members: their test accuracy, and every model's test fidelity to the ensemble and to
        each member (``fidelity_member_<i>``); empty for a run with a single teacher.

        Example:
            >>> load_run("reports/ensemble").members[["model", "accuracy", "fidelity_member_0"]]  # doctest: +SKIP
        """
        ensemble = self.info.get("teacher", {}).get("kind") == "ensemble"
        return self._csv("members") if ensemble else pd.DataFrame()

    @property
    def _has_attributions(self) -> bool:
        """Whether the run computed attributions (its config lists methods), so their files must be there."""
        return bool(self.config.get("attribution", {}).get("methods"))

    def _csv(self, name: str, may_be_empty: bool = False) -> pd.DataFrame:
        table = self._read(f"{name}.csv", _read_table)
        missing = REQUIRED_COLUMNS[name] - set(table.columns)
        if missing and not (may_be_empty and table.columns.empty):
            raise _unreadable(self.path / f"{name}.csv", f"it lacks the column(s) {', '.join(sorted(missing))}")
        return table

    def _table(self, name: str) -> pd.DataFrame:
        # absent when the run computed no attributions; missing otherwise means the run folder was damaged
        present = (self.path / f"{name}.csv").is_file()
        return self._csv(name, may_be_empty=True) if present or self._has_attributions else pd.DataFrame()

    @cached_property
    def agreement(self) -> pd.DataFrame:
        """Attribution agreement of each model with the teacher (mean ± std over test examples)."""
        return self._table("agreement")

    @cached_property
    def faithfulness(self) -> pd.DataFrame:
        """Deletion / insertion / random areas and infidelity of each model's own attributions."""
        return self._table("faithfulness")

    @cached_property
    def faithfulness_curves(self) -> pd.DataFrame:
        """Deletion, insertion and random curves of each model's own attribution method (long format)."""
        return self._table("faithfulness_curves")

    def faithfulness_curves_methods(self) -> dict[str, str]:
        """The method behind each model's faithfulness curves.

        Returns:
            Model name -> attribution method (e.g. ``"integrated_gradients"``); empty without curves.

        Example:
            >>> load_run("reports/digits").faithfulness_curves_methods()["teacher"]  # doctest: +SKIP
            'integrated_gradients'
        """
        curves = self.faithfulness_curves
        return {} if curves.empty else dict(curves.groupby("model", sort=False).method.first())

    @cached_property
    def _predictions(self) -> dict[str, np.ndarray]:
        return self._read("predictions.npz", artifacts.load_npz)

    @cached_property
    def X_test(self) -> np.ndarray:
        """The test split's inputs, as every model saw them (scaled with the training split's statistics).

        A run keeps them only when they are small (``artifacts.MAX_SAVED_TEST_BYTES``); larger ones are loaded again
        from the data the run's config names, with its seed, and must match the saved labels.
        """
        if "X_test" in self._predictions:
            return self._predictions["X_test"]
        from .config import DataConfig  # late: a run that kept its inputs needs neither the config nor the loader
        from .data import load_dataset

        try:
            dataset = load_dataset(DataConfig.model_validate(self.config["data"]), self.config.get("seed", 0))
        except UserInputError as exc:
            raise RunFileError(f"{self.path} keeps no copy of its test inputs and its data cannot be loaded again "
                               f"({exc}); restore the data at the path in the run's config") from None
        if not np.array_equal(dataset.y_test, self.y_test):
            raise RunFileError(f"{self.path}: the data its config names has changed since the run (its test labels "
                               "differ); re-run the experiment")
        return dataset.X_test

    @property
    def y_test(self) -> np.ndarray:
        """The test split's labels (class indices into ``dataset["class_names"]``)."""
        return self._predictions["y_test"]

    @cached_property
    def test_probs(self) -> dict[str, np.ndarray]:
        """Each model's class probabilities on the test split."""
        p = self._predictions
        return {str(name): probs for name, probs in zip(p["model_names"], p["probs"])}

    @cached_property
    def _attribution_arrays(self) -> dict[str, np.ndarray]:
        present = (self.path / "attributions.npz").is_file()
        return self._read("attributions.npz", artifacts.load_npz) if present or self._has_attributions else {}

    @cached_property
    def attributions(self) -> dict[tuple[str, str], np.ndarray]:
        """``(model, method) -> (n_examples, n_features)`` attributions for the teacher's predicted class."""
        a = self._attribution_arrays
        if not a:
            return {}
        return {tuple(str(k).split("|", 1)): v for k, v in zip(a["keys"], a["values"])}

    @property
    def attribution_examples(self) -> np.ndarray:
        """Indices into the test split of the explained examples."""
        return self._attribution_arrays.get("examples", np.array([], dtype=int))

    @property
    def attribution_inputs(self) -> np.ndarray:
        """The explained examples' inputs (rows of :attr:`X_test`; older runs kept only their indices)."""
        a = self._attribution_arrays
        return a["inputs"] if "inputs" in a else self.X_test[self.attribution_examples]

    @cached_property
    def manifest(self) -> dict[str, dict]:
        """Each saved model's file and format (``models/manifest.json``), by model name."""
        manifest = self._read("models/manifest.json", _read_json)
        # every run saves at least the teacher, and every entry names its format
        if not isinstance(manifest, dict) or not manifest or not all(
                isinstance(entry, dict) and "format" in entry for entry in manifest.values()):
            raise _unreadable(self.path / "models" / "manifest.json", "it is not a manifest of the run's models")
        return manifest

    def model(self, name: str) -> Any:
        """Load one model back: a torch module (eval mode) or a scikit-learn surrogate.

        Networks come back from ``state_dict`` files with ``torch.load(weights_only=True)`` (or TorchScript),
        surrogates from skops files with an explicit list of trusted types: nothing is unpickled.

        Args:
            name: a model name of ``metrics.model``, e.g. ``"student"`` or ``"tree:soft"``.

        Returns:
            The model.

        Raises:
            KeyError: no model of that name was saved with the run.

        Example:
            >>> run = load_run("reports/digits")  # doctest: +SKIP
            >>> run.model("tree:soft+transfer").predict_proba(run.X_test[:1]).shape  # doctest: +SKIP
            (1, 10)
        """
        if name not in self.manifest:
            raise KeyError(f"no model {name!r} in {self.path}; available: {', '.join(self.manifest)}")
        entry = self.manifest[name]
        folder = self.path / "models"
        if entry["format"] == "skops":
            return artifacts.load_surrogate(folder / entry["file"])
        return artifacts.load_network(folder, entry)

    def models(self) -> dict[str, Any]:
        """Every model of the run, by name (each loaded with :meth:`model`).

        Returns:
            Model name -> torch module (eval mode) or scikit-learn surrogate, in manifest order.

        Example:
            >>> list(load_run("reports/digits").models())[:2]  # doctest: +SKIP
            ['teacher', 'student']
        """
        return {name: self.model(name) for name in self.manifest}

    def headline(self) -> pd.DataFrame:
        """The comparison table without timing and bookkeeping columns.

        Returns:
            :attr:`metrics` restricted to ``model, role, accuracy, fidelity, kl, complexity, size_bytes`` (a
            regression: ``rmse_teacher`` in place of ``kl``; ``fidelity`` is R² to the teacher, ``accuracy`` R² to
            the truth).

        Example:
            >>> load_run("reports/digits").headline().columns.tolist()  # doctest: +SKIP
            ['model', 'role', 'accuracy', 'fidelity', 'kl', 'complexity', 'size_bytes']
        """
        return self.metrics[REGRESSION_HEADLINE_COLUMNS if self.task == "regression" else HEADLINE_COLUMNS]

    def _repr_html_(self) -> str:
        data = self.dataset
        title = (f"<b>{html.escape(self.name)}</b>: {html.escape(str(data['name']))}, "
                 f"{data['n_train']}/{data['n_val']}/{data['n_test']} train/val/test rows, "
                 f"{'a regression' if self.task == 'regression' else str(data['n_classes']) + ' classes'}, "
                 f"seed {self.info['seed']}")
        table = self.headline().to_html(index=False, float_format=lambda v: f"{v:.3f}", escape=True)
        return f"<div><p>{title} (metrics on the test split)</p>{table}</div>"

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, models={len(self.metrics)})"


def load_run(path: str | Path) -> Run:
    """Open a run directory written by ``interpret-distill run``.

    Args:
        path: the run directory (e.g. ``reports/digits``).

    Returns:
        A :class:`Run`; ``run.metrics`` is a pandas DataFrame with accuracy and fidelity columns.

    Example:
        >>> run = load_run("reports/digits")  # doctest: +SKIP
        >>> run.metrics.set_index("model")["fidelity"]  # doctest: +SKIP
    """
    return Run(path)
