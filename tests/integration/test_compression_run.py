"""A tiny run with compression on: metrics.csv with a route column, load_run, the report's section, the index."""

from __future__ import annotations

import copy
import re

import numpy as np
import pandas as pd
import pytest
import torch

from interpret_distill import load_run
from interpret_distill.config import parse_config
from interpret_distill.experiment import run_experiment
from interpret_distill.report import render, render_index
from interpret_distill.results import TIMING_COLUMNS
from tests.conftest import TINY  # the shared tiny config

pytestmark = pytest.mark.slow

ROUTES = ["distillation", "pruning", "pruning+distillation", "quantization", "distillation+quantization"]


RAW = {**copy.deepcopy(TINY), "name": "tiny_compression",
       "compression": {"pruning": {"sparsities": [0.5, 0.9], "finetune_steps": 10},
                       "quantization": {"schemes": ["int8_dynamic"]}, "latency_repeats": 2}}


@pytest.fixture(scope="module")
def compression_run(tmp_path_factory):
    torch.set_num_threads(1)
    return run_experiment(parse_config(copy.deepcopy(RAW)), tmp_path_factory.mktemp("runs"))


def test_the_same_config_and_seed_give_identical_compression_metrics(compression_run, tmp_path):
    again = run_experiment(parse_config(copy.deepcopy(RAW)), tmp_path, report=False)
    first, second = (pd.read_csv(path / "metrics.csv").drop(columns=list(TIMING_COLUMNS)) for path in
                     (compression_run, again))
    pd.testing.assert_frame_equal(first, second)


def test_metrics_have_a_route_for_the_teacher_and_every_compressed_model(compression_run):
    metrics = pd.read_csv(compression_run / "metrics.csv")
    rows = metrics[metrics.route.notna()]
    assert rows.route.iloc[0] == "none" and rows.model.iloc[0] == "teacher"
    assert list(dict.fromkeys(rows.route[1:])) == ROUTES
    students = rows[rows.route == "distillation"].model.tolist()  # the selected width first, then the other one
    assert students[0] == "student" and students[1:] in (["student:hidden=[2]"], ["student:hidden=[4]"])
    pruned = rows[rows.route.str.startswith("pruning")]
    assert len(pruned) == 4 and (pruned.role == "compressed").all()
    assert pruned.sparse_bytes.notna().all() and rows[~rows.route.str.startswith("pruning")].sparse_bytes.isna().all()
    quantized = rows[rows.route.str.endswith("quantization")]
    assert quantized.model.tolist() == ["teacher:int8_dynamic", "student:int8_dynamic"]
    assert (quantized.stayed_float == "none").all()  # MLPs: every weight layer quantized
    for column in ("attribution_spearman", "attribution_topk", "latency_ms_per_1k_1thread", "file_bytes"):
        assert rows[column].notna().any(), column
    # surrogates and the scratch student are not part of the comparison
    assert metrics[metrics.family == "surrogate"].route.isna().all()
    assert np.isnan(metrics.set_index("model").loc["student_scratch", "route"])


def test_load_run_reads_every_model_back_and_sizes_are_those_of_the_run_files(compression_run):
    run = load_run(compression_run)
    assert "route" in run.metrics.columns
    X = run.X_test
    for row in run.metrics[run.metrics.route.notna()].itertuples():
        model = run.model(row.model)  # quantized ones too: weights_only, rebuilt from architecture + recipe
        probs = torch.softmax(model(torch.as_tensor(X)), 1).detach().double().numpy()
        assert np.allclose(probs, run.test_probs[row.model], atol=1e-6), row.model
        assert row.file_bytes == (compression_run / "models" / run.manifest[row.model]["file"]).stat().st_size
    assert run.info["compression"]["quantization_backend"].startswith("torchao")


def test_the_report_has_a_compression_section_and_the_index_shows_it(compression_run):
    html = (compression_run / "report.html").read_text()
    assert '<a href="#compression">Compression</a>' in html
    section = html.split('<section id="compression">')[1].split("</section>")[0]
    text = " ".join(re.sub(r"<[^>]+>", " ", section).split())
    assert "no smaller than the teacher's" in text and "teacher:pruned90+kd" in text and "route" in text
    assert "data:image/svg+xml;base64" in section
    comparison = html.split('<section id="comparison">')[1].split("</section>")[0]
    assert "teacher:pruned50" not in comparison  # compressed models have their own section
    index = render_index(compression_run.parent).read_text()
    assert "compression: most faithful per route" in index
    assert re.search(r"pruning\+distillation \d\.\d{3}", " ".join(re.sub(r"<[^>]+>", " ", index).split()))


def test_terms_explain_the_compressed_role_its_regimes_and_routes(compression_run):
    terms = (render.TEMPLATES / "report.html").read_text().split('<details class="terms">')[1].split("</details>")[0]
    metrics = pd.read_csv(compression_run / "metrics.csv")
    compressed = metrics[metrics.family == "compressed"]
    names = set(compressed.role) | set(compressed.regime) | set(metrics.route.dropna())
    assert {name: f"<b>{name}</b>" in terms for name in names} == dict.fromkeys(names, True)
