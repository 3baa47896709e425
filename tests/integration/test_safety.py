"""Safety end to end: a teacher file that would run code stops the CLI, and user-provided names never become
markup anywhere in a report (the loaders' own refusals: test_artifacts.py, test_teachers.py, test_data.py)."""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from interpret_distill import load_run
from interpret_distill.cli import main
from tests._payload import Payload

# test helpers script and save TorchScript teachers; torch marks torch.jit as deprecated
pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


# ------------------------------------------------------------------------------------------- teacher files

def test_malicious_checkpoint_through_the_cli(tmp_path, capsys):
    marker = tmp_path / "pwned"
    checkpoint = tmp_path / "teacher.pt"
    torch.save(Payload(marker), checkpoint)
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


@pytest.mark.slow  # a whole run
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


@pytest.mark.slow  # a whole run
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


@pytest.mark.slow  # a whole run
def test_top_features_chart_shows_original_columns(html_run):
    source = (html_run / "report.html").read_text(encoding="utf-8")
    start = source.index("Top features per model")
    svg = _svgs(source[start:])[0]
    labels = {html.unescape(t.strip()) for t in re.findall(r"<!-- (.*?) -->", svg, flags=re.S)}
    assert {COLUMN, "plain", NUMERIC} <= labels, "one bar per original column"
    assert not [label for label in labels if label.startswith(f"{COLUMN}=")], "no one-hot column bars"


@pytest.mark.slow  # a whole run
def test_one_hot_columns_share_one_attribution_end_to_end(html_run):
    run = load_run(html_run)
    groups = np.asarray(run.dataset["feature_groups"])
    assert run.dataset["group_names"] == [NUMERIC, "plain", COLUMN]
    assert run.dataset["feature_names"][2:] == [f"{COLUMN}={LEVEL}", f"{COLUMN}=v2"]
    assert groups.tolist() == [0, 1, 2, 2]
    for (model, method), values in run.attributions.items():
        np.testing.assert_allclose(values[:, 2], values[:, 3], err_msg=f"{model}/{method}")


@pytest.mark.slow  # a whole run
def test_index_and_repr_html_escape_names(html_run):
    index = (html_run.parent / "index.html").read_text(encoding="utf-8")
    page = _parse(index)
    assert page.tags.count("script") == 1 and "img" not in page.tags
    assert DATA_NAME in "".join(page.text)
    fragment = load_run(html_run)._repr_html_()
    assert "<img" not in fragment and html.escape(DATA_NAME) in fragment
    assert _parse(fragment).tags.count("script") == 0


@pytest.mark.slow  # a whole run
def test_run_records_the_user_teacher(html_run):
    run = load_run(html_run)
    assert run.info["teacher"]["source"].startswith("checkpoint:")
    assert run.metrics.set_index("model").loc["teacher", "kind"] == "torchscript"
    teacher = run.model("teacher")  # saved as TorchScript, loads back without unpickling
    assert teacher(torch.zeros(1, 4)).shape == (1, 3)
