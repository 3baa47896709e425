"""Reading a run folder back (interpret_distill.runs): tables, models and arrays, runs written by earlier versions
included; damaged runs through the CLI: integration/test_bad_input.py."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from interpret_distill import load_run
from interpret_distill.errors import UserInputError
from interpret_distill.surrogates import LinearSurrogate, NaiveBayesSurrogate, TreeSurrogate

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def test_load_run_on_the_reports_folder_points_at_the_runs_inside(tmp_path):
    for name in ("digits", "iris", ".iris.tmp-x"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "run.json").write_text("{}")
    with pytest.raises(UserInputError, match=r"did you mean .*digits\? \(runs inside: digits, iris\)$"):
        load_run(tmp_path)
    with pytest.raises(UserInputError, match="run `interpret-distill run` first"):
        load_run(tmp_path / "digits" / "missing")


# ------------------------------------------------------------------------------- a run written by version 0.1.0

@pytest.fixture
def run_0_1_0(tmp_path):
    """The iris run saved by 0.1.0 (surrogates.py still a module; report.html left out), unpacked."""
    with zipfile.ZipFile(FIXTURES / "run_0.1.0_iris.zip") as archive:
        archive.extractall(tmp_path)
    return tmp_path / "iris"


SURROGATE_CLASSES = {"tree": TreeSurrogate, "linear": LinearSurrogate, "naive_bayes": NaiveBayesSurrogate}
REGIMES = ("ground_truth", "hard", "hard+transfer", "soft", "soft+transfer")


def test_a_run_saved_by_0_1_0_loads(run_0_1_0):
    run = load_run(run_0_1_0)
    assert run.name == "iris"
    expected = {"teacher", "student", "student_scratch"} | {f"{kind}:{regime}" for kind in SURROGATE_CLASSES
                                                            for regime in REGIMES}
    assert set(run.metrics.model) == expected
    families = run.metrics.set_index("model").family
    assert families["teacher"] == "teacher" and families["student"] == "student"
    assert (families[[name for name in expected if ":" in name]] == "surrogate").all()
    assert len(run.sweep) and set(run.sweep.kind) >= set(SURROGATE_CLASSES)
    assert run.attributions and not run.agreement.empty


@pytest.mark.parametrize("kind", SURROGATE_CLASSES)
@pytest.mark.parametrize("regime", REGIMES)
def test_a_0_1_0_surrogate_file_loads_and_predicts_as_it_did(run_0_1_0, kind, regime):
    # the skops files name interpret_distill.surrogates.TreeSurrogate etc., the classes' paths before the move
    run = load_run(run_0_1_0)
    name = f"{kind}:{regime}"
    model = run.model(name)
    assert type(model) is SURROGATE_CLASSES[kind]
    np.testing.assert_allclose(model.predict_proba(run.X_test), run.test_probs[name], rtol=1e-6, atol=1e-9)


def test_0_1_0_networks_load_and_predict_as_they_did(run_0_1_0):
    run = load_run(run_0_1_0)
    for name in ("teacher", "student", "student_scratch"):
        module = run.model(name)
        with torch.no_grad():
            probs = torch.softmax(module(torch.as_tensor(run.X_test)), dim=1).numpy()
        np.testing.assert_allclose(probs, run.test_probs[name], atol=1e-5)


def test_the_report_of_a_0_1_0_run_renders(run_0_1_0):
    from interpret_distill.report import render_report

    page = render_report(run_0_1_0)
    assert page == run_0_1_0 / "report.html" and page.is_file()
    html = page.read_text(encoding="utf-8")
    for section in ("Model comparison", "Rules as text", "Fidelity vs complexity", "Attributions"):
        assert section in html


# ------------------------------------------------------------------------------- test inputs kept or reloaded

def test_large_test_inputs_are_not_copied_but_reloaded_from_the_data(tmp_path, tiny_config, monkeypatch):
    from interpret_distill import artifacts
    from interpret_distill.experiment import run_experiment

    monkeypatch.setattr(artifacts, "MAX_SAVED_TEST_BYTES", 0)  # every test split counts as large
    run_dir = run_experiment(tiny_config, tmp_path)
    with np.load(run_dir / "predictions.npz") as saved:
        assert "X_test" not in saved.files and "y_test" in saved.files
    run = load_run(run_dir)
    from interpret_distill.data import load_dataset

    np.testing.assert_array_equal(run.X_test, load_dataset(tiny_config.data, tiny_config.seed).X_test)
    np.testing.assert_array_equal(run.attribution_inputs, run.X_test[run.attribution_examples])
    model = run.model("student")
    np.testing.assert_allclose(torch.softmax(model(torch.as_tensor(run.X_test)), 1).detach().numpy(),
                               run.test_probs["student"], rtol=1e-5, atol=1e-7)


def test_a_run_whose_data_changed_says_so(tmp_path, tiny_run, monkeypatch):
    import json
    import shutil

    run_dir = Path(shutil.copytree(tiny_run, tmp_path / "copy"))
    with np.load(run_dir / "predictions.npz") as saved:
        arrays = {k: saved[k] for k in saved.files if k != "X_test"}
    np.savez_compressed(run_dir / "predictions.npz", **arrays)
    info = json.loads((run_dir / "run.json").read_text())
    info["config"]["seed"] += 1  # another seed draws another split: the labels no longer match
    (run_dir / "run.json").write_text(json.dumps(info))
    from interpret_distill.errors import RunFileError

    with pytest.raises(RunFileError, match="has changed since the run"):
        _ = load_run(run_dir).X_test
    # the attribution section reads the inputs kept beside the attributions, not the reloaded split
    assert load_run(run_dir).attribution_inputs.shape[0] == len(load_run(run_dir).attribution_examples)
