"""Safety: model and data files never run code when loaded, and user-provided names never become markup."""

from __future__ import annotations

import base64
import html
import os
import pickle
import re
import warnings
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import torch
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from interpret_distill import load_run
from interpret_distill.artifacts import TRUSTED_TYPES, load_surrogate, safe_filename, save_surrogate
from interpret_distill.cli import main
from interpret_distill.config import DataConfig, TeacherConfig
from interpret_distill.data import load_dataset
from interpret_distill.errors import DataError, ModelFileError
from interpret_distill.surrogates import build_surrogate
from interpret_distill.teachers import load_checkpoint

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


class _Payload:
    """Unpickling this would create ``marker``: the proof that a loader ran code from a file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _small_dataset(tmp_path) -> object:
    rng = np.random.default_rng(0)
    path = tmp_path / "d.npz"
    np.savez(path, X=rng.normal(size=(30, 2)), y=np.repeat([0, 1, 2], 10))
    return load_dataset(DataConfig(source="npz", path=str(path)))


# ------------------------------------------------------------------------------------------- teacher files

@pytest.mark.parametrize("writer", ["torch.save", "pickle protocol 2", "pickle default protocol"])
def test_malicious_teacher_checkpoint_is_refused_and_never_executed(tmp_path, writer):
    marker = tmp_path / "pwned"
    path = tmp_path / "teacher.pt"
    payload = {"state_dict": {"0.weight": _Payload(marker)}}
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload, protocol=2 if writer.endswith("2") else None))
    with pytest.raises(ModelFileError, match="could run code, so it was refused"):
        load_checkpoint(path, TeacherConfig(hidden=[]), _small_dataset(tmp_path))
    assert not marker.exists(), "loading the checkpoint executed code"


def test_malicious_checkpoint_through_the_cli(tmp_path, capsys):
    marker = tmp_path / "pwned"
    checkpoint = tmp_path / "teacher.pt"
    torch.save(_Payload(marker), checkpoint)
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.normal(size=(30, 2)), y=np.repeat([0, 1, 2], 10))
    config = tmp_path / "c.yaml"
    config.write_text(yaml.safe_dump({"name": "evil", "progress": False,
                                      "data": {"source": "npz", "path": str(tmp_path / "d.npz")},
                                      "teacher": {"checkpoint": str(checkpoint)}}))
    out = tmp_path / "reports"
    assert main(["run", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "refused" in err and "Traceback" not in err
    assert not marker.exists()
    assert not out.exists() or not any(out.iterdir())


# ----------------------------------------------------------------------------------------- surrogate files

def _fake_run(tmp_path, file_name: str) -> Path:
    run_dir = tmp_path / "run"
    (run_dir / "models").mkdir(parents=True)
    (run_dir / "run.json").write_text('{"name": "run", "config": {}, "dataset": {}, "created": ""}')
    (run_dir / "models" / "manifest.json").write_text(
        '{"tree:soft": {"format": "skops", "file": "%s"}}' % file_name)
    return run_dir


def test_malicious_pickle_in_place_of_a_surrogate_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    run_dir = _fake_run(tmp_path, "tree_soft.skops")
    (run_dir / "models" / "tree_soft.skops").write_bytes(pickle.dumps(_Payload(marker)))
    with pytest.raises(ModelFileError, match="not a skops model file.*nothing in it was executed"):
        load_run(run_dir).model("tree:soft")
    assert not marker.exists(), "loading the surrogate executed code"


@pytest.mark.parametrize("function", [os.system, eval], ids=["os.system", "builtins.eval"])
def test_skops_file_naming_a_dangerous_function_is_refused(tmp_path, function):
    path = tmp_path / "tree.skops"
    sio.dump(build_surrogate("tree", random_state=function), path)  # a real skops file smuggling a function
    with pytest.raises(ModelFileError, match="not trusted"):
        load_surrogate(path)


@settings(max_examples=12, deadline=None)
@given(kind=st.sampled_from(["tree", "linear", "naive_bayes"]), n=st.integers(6, 40), d=st.integers(1, 5),
       k=st.integers(2, 4), soft=st.booleans(), string_labels=st.booleans(), seed=st.integers(0, 2**16))
def test_property_every_surrogate_round_trips_through_the_trusted_type_list(tmp_path_factory, kind, n, d, k, soft,
                                                                            string_labels, seed):
    """Whatever shape, class count or target the surrogate was fitted on, its file needs only the trusted types."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    labels = np.resize(np.arange(k), n)
    y = rng.dirichlet(np.ones(k), size=n) if soft else (np.array(list("abcd"))[labels] if string_labels else labels)
    params = {"l1_ratio": 0.5} if kind == "linear" and seed % 2 else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on random draws
        model = build_surrogate(kind, **params).fit(X, y)
    path = tmp_path_factory.mktemp("skops") / "m.skops"
    save_surrogate(model, path)
    assert set(sio.get_untrusted_types(file=path)) <= TRUSTED_TYPES
    loaded = load_surrogate(path)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    np.testing.assert_array_equal(loaded.classes_, model.classes_)


def test_npz_with_object_arrays_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "data.npz"
    np.savez(path, X=np.array([_Payload(marker)] * 3, dtype=object), y=np.zeros(3))
    with pytest.raises(DataError, match="pickled objects"):
        load_dataset(DataConfig(source="npz", path=str(path)))
    assert not marker.exists()


def test_safe_filename():
    assert safe_filename("tree:soft+transfer") == "tree_soft_transfer"
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("<script>alert(1)</script>") == "script_alert_1_script"
    assert safe_filename("..") == "model" and safe_filename("") == "model"
    assert "/" not in safe_filename("a/b\\c") and "\\" not in safe_filename("a/b\\c")


# ----------------------------------------------------------------------------------- names in the HTML report

COLUMN = '<script>alert("col")</script>'
LEVEL = "<img src=x onerror=alert(2)>"
NUMERIC = "x<b>bold</b>&amp;"
CLASSES = ["<script>alert(1)</script>", "<i>b</i>", "c&d\"'"]
DATA_NAME = "<img src=x onerror=alert(3)>"


class _Page(HTMLParser):
    """Collects the tags, attributes and text of a page as a browser would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    return page


def _svgs(text: str) -> list[str]:
    encoded = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text)
    return [base64.b64decode(b).decode("utf-8") for b in encoded]


@pytest.fixture(scope="module")
def html_run(tmp_path_factory):
    """A CSV whose column, category and class names (and file name) are HTML, with a TorchScript teacher."""
    tmp = tmp_path_factory.mktemp("html")
    rng = np.random.default_rng(0)
    n = 60
    frame = pd.DataFrame({
        NUMERIC: rng.normal(size=n),
        "plain": rng.normal(size=n),
        COLUMN: np.resize([LEVEL, "v2"], n),
        "label": np.resize(CLASSES, n),
    })
    csv = tmp / f"{DATA_NAME}.csv"
    frame.to_csv(csv, index=False)
    teacher = torch.nn.Linear(4, 3)
    with torch.no_grad():
        teacher.weight.copy_(torch.tensor([[2.0, 0, 1, -1], [-2.0, 1, 0, 0], [0.0, -1, -1, 1]]))
    torch.jit.save(torch.jit.script(teacher), str(tmp / "teacher.ts"))
    config = tmp / "html.yaml"
    config.write_text(yaml.safe_dump({
        "name": "html", "seed": 0, "progress": False, "n_jobs": 1,
        "data": {"source": "csv", "path": str(csv), "target": "label", "categorical": [COLUMN]},
        "teacher": {"checkpoint": str(tmp / "teacher.ts")},
        "student": {"hidden": [4], "epochs": 2, "batch_size": 16},
        "surrogates": [{"kind": "tree", "params": {"max_depth": 2}}, {"kind": "linear"}],
        "regimes": ["hard", "soft"],
        "attribution": {"methods": ["integrated_gradients", "feature_ablation", "native"], "examples": 6},
    }, allow_unicode=True), encoding="utf-8")
    out = tmp / "reports"
    assert main(["run", str(config), "--out", str(out), "--no-progress"]) == 0
    return out / "html"


def test_html_names_are_text_not_markup_in_the_report(html_run):
    source = (html_run / "report.html").read_text(encoding="utf-8")
    page = _parse(source)
    assert page.tags.count("script") == 1, "only the report's own inline script"
    assert not [name for name, _ in page.attributes if name.startswith("on")], "no event-handler attributes"
    assert "<script>alert" not in source and "<img src=x" not in source and "<b>bold" not in source
    text = "".join(page.text)
    for name in (COLUMN, NUMERIC, *CLASSES, DATA_NAME):
        assert name in text, f"{name!r} should be shown as text"
    assert html.escape(CLASSES[0]) in source


def test_html_names_in_the_figures_are_escaped_svg_text(html_run):
    source = (html_run / "report.html").read_text(encoding="utf-8")
    svgs = _svgs(source)
    assert svgs
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML: no name broke out of its text node or comment
        for element in root.iter():
            assert not element.tag.lower().endswith(("script", "foreignobject"))
            assert not [a for a in element.attrib if a.lower().startswith("on")]
        assert "<script>alert" not in svg and "<img src=x" not in svg


def test_top_features_chart_shows_original_columns(html_run):
    source = (html_run / "report.html").read_text(encoding="utf-8")
    start = source.index("Top features per model")
    svg = _svgs(source[start:])[0]
    labels = {html.unescape(t.strip()) for t in re.findall(r"<!-- (.*?) -->", svg, flags=re.S)}
    assert {COLUMN, "plain", NUMERIC} <= labels, "one bar per original column"
    assert not [label for label in labels if label.startswith(f"{COLUMN}=")], "no one-hot column bars"


def test_one_hot_columns_share_one_attribution_end_to_end(html_run):
    run = load_run(html_run)
    groups = np.asarray(run.dataset["feature_groups"])
    assert run.dataset["group_names"] == [NUMERIC, "plain", COLUMN]
    assert run.dataset["feature_names"][2:] == [f"{COLUMN}={LEVEL}", f"{COLUMN}=v2"]
    assert groups.tolist() == [0, 1, 2, 2]
    for (model, method), values in run.attributions.items():
        np.testing.assert_allclose(values[:, 2], values[:, 3], err_msg=f"{model}/{method}")


def test_index_and_repr_html_escape_names(html_run):
    index = (html_run.parent / "index.html").read_text(encoding="utf-8")
    page = _parse(index)
    assert page.tags.count("script") == 1 and "img" not in page.tags
    assert DATA_NAME in "".join(page.text)
    fragment = load_run(html_run)._repr_html_()
    assert "<img" not in fragment and html.escape(DATA_NAME) in fragment
    assert _parse(fragment).tags.count("script") == 0


def test_run_records_the_user_teacher(html_run):
    run = load_run(html_run)
    assert run.info["teacher"]["source"].startswith("checkpoint:")
    assert run.metrics.set_index("model").loc["teacher", "kind"] == "torchscript"
    teacher = run.model("teacher")  # saved as TorchScript, loads back without unpickling
    assert teacher(torch.zeros(1, 4)).shape == (1, 3)
