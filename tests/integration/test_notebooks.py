"""The notebooks in ``notebooks/`` run top to bottom in the venv's own kernel and are committed without outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = ("explore_results.ipynb", "surrogate_builders.ipynb")


def _execute(name: str) -> object:
    """Run a notebook in the kernelspec "python3" from the notebooks folder; return it executed.

    nbclient's per-cell timeout makes a hung notebook fail; how fast the notebooks run is for benchmarks, not tests.

    A last cell prints the kernel's interpreter: jupyter_client starts the "python3" kernelspec with this process's
    ``sys.executable``, so running the tests with the venv's python makes the notebooks use the venv too.
    """
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable); print(sys.prefix)"))
    client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=120,
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()
    executable, prefix = nb.cells[-1].outputs[0]["text"].split()
    assert (executable, prefix) == (sys.executable, sys.prefix), "the notebook ran in another Python than the tests"
    return nb


def _outputs(nb) -> str:
    """Every text and HTML output of an executed notebook, joined (for assertions)."""
    parts = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def _images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))


def test_notebooks_are_committed_without_outputs():
    found = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert set(EXPECTED) <= {p.name for p in found}
    for path in found:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.get("kernelspec", {}).get("name") == "python3", path.name
        assert "widgets" not in nb.metadata, f"{path.name}: widget state in the metadata"
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            assert cell.outputs == [], f"{path.name} cell {i} has outputs: clear them before committing"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"
            assert "execution" not in cell.metadata, f"{path.name} cell {i} has execution timings"


@pytest.mark.notebook
@pytest.mark.slow
def test_explore_results_notebook_on_a_tiny_run(tiny_run, monkeypatch):
    monkeypatch.setenv("INTERPRET_DISTILL_REPORTS", str(tiny_run.parent))  # the kernel inherits the environment
    nb = _execute("explore_results.ipynb")
    text = _outputs(nb)
    assert "1 run(s) under" in text and "No runs under" not in text
    assert "tiny</b>: iris" in text, "Run._repr_html_ shows the headline"
    assert "disagrees with the teacher on" in text
    assert "Test row" in text, "tabular data: the explained rows are shown as feature tables"
    assert _images(nb) >= 4, "the fidelity-complexity plot and the report's figures are displayed"


@pytest.mark.notebook
@pytest.mark.slow
def test_explore_results_notebook_runs_its_own_tiny_experiment_when_there_are_no_runs(tmp_path, monkeypatch):
    empty, scratch = tmp_path / "reports", tmp_path / "tmp"
    empty.mkdir()
    scratch.mkdir()
    monkeypatch.setenv("INTERPRET_DISTILL_REPORTS", str(empty))
    monkeypatch.setenv("TMPDIR", str(scratch))  # where the kernel's tempfile puts the fallback run
    nb = _execute("explore_results.ipynb")
    text = _outputs(nb)
    assert "No runs under" in text and "1 run(s) under" in text and "iris_tiny" in text
    assert not any(empty.iterdir()), "the fallback run goes to a temporary folder, not into the reports folder"
    assert list(scratch.glob("interpret_distill_*/iris_tiny/run.json"))


@pytest.mark.notebook
@pytest.mark.slow
def test_surrogate_builders_notebook():
    nb = _execute("surrogate_builders.ipynb")
    text = _outputs(nb)
    assert "fidelity to the teacher on the test rows" in text
    assert "class: malignant" in text or "class: benign" in text, "the tree's rules are printed as text"
    assert "TreeSurrogate" in text, "the surrogate displays itself as an HTML table"
    assert _images(nb) >= 2
