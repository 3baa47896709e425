"""A folder of PNG files, the way users have images, through `interpret-distill run` end to end: a residual teacher,
pixel- and patch-level surrogates side by side, and patch heatmaps in the report."""

from __future__ import annotations

import numpy as np
import pytest

from interpret_distill import load_run
from interpret_distill.cli import main
from interpret_distill.image_features import PatchSurrogate, patch_feature_mask
from interpret_distill.image_folder import write_image_folder
from interpret_distill.synthetic import DIGITS28_SHAPE, make_digits28

pytestmark = pytest.mark.slow
CLASSES = (0, 1, 7)

CONFIG = """
name: png_digits
seed: 0
data: {{source: image_folder, path: '{root}'}}
teacher: {{arch: resnet, channels: [4, 8], epochs: 12, patience: 12, batch_size: 16}}
transfer: {{augmentation: mixup, n_synthetic: 200}}
student: {{arch: mlp, hidden: [8], epochs: 15, patience: 15}}
patches: {{size: 7, contrast: true}}
surrogates:
  - {{kind: tree, grid: [{{max_depth: 2}}, {{max_depth: 4}}]}}
  - {{kind: tree, features: patches, grid: [{{max_depth: 2}}, {{max_depth: 4}}]}}
  - {{kind: linear, features: patches, params: {{C: 1.0}}}}
attribution: {{methods: [integrated_gradients, feature_ablation, native], examples: 8}}
n_jobs: 1
"""


@pytest.fixture(scope="module")
def png_run(tmp_path_factory):
    """Three digit classes as 28x28 PNG files in root/train/<class>/ and root/test/<class>/, run through the CLI."""
    tmp = tmp_path_factory.mktemp("images")
    X, y = make_digits28(600, seed=1)
    rows = np.concatenate([np.flatnonzero(y == c)[:36] for c in CLASSES])
    split = np.where(np.arange(len(rows)) % 4 == 0, "test", "train")
    write_image_folder(tmp / "digits", X[rows], [f"digit_{c}" for c in y[rows]], DIGITS28_SHAPE, split)
    config = tmp / "png_digits.yaml"
    config.write_text(CONFIG.format(root=tmp / "digits"))
    assert main(["run", str(config), "--out", str(tmp / "reports"), "--no-progress"]) == 0
    return load_run(tmp / "reports" / "png_digits")


def test_the_folder_is_read_with_its_declared_split_and_the_resnet_teacher_learns(png_run):
    data = png_run.dataset
    assert data["image_shape"] == [1, 28, 28] and data["class_names"] == [f"digit_{c}" for c in CLASSES]
    assert data["split"] == "declared" and data["n_test"] == 27
    teacher = png_run.metrics.set_index("model").loc["teacher"]
    assert teacher.kind == "resnet" and teacher.accuracy > 0.5  # chance is 1/3


def test_pixel_and_patch_surrogates_sit_side_by_side(png_run):
    distilled = png_run.metrics[png_run.metrics.role == "distilled"]
    assert {"tree", "tree@patches", "linear@patches"} <= set(distilled.kind)
    name = distilled.set_index("kind").loc["tree@patches", "model"]
    model = png_run.model(name)
    assert isinstance(model, PatchSurrogate) and model.grid == (4, 4)
    np.testing.assert_allclose(model.predict_proba(png_run.X_test), png_run.test_probs[name])


def test_perturbation_attributions_are_per_patch_and_the_report_shows_them(png_run):
    assert png_run.info["attribution"]["perturbation_patch"] == 7
    groups = patch_feature_mask(DIGITS28_SHAPE, 7)
    ablation = png_run.attributions[("teacher", "feature_ablation")]
    for g in range(16):
        block = ablation[:, groups == g]
        np.testing.assert_allclose(block, block[:, :1].repeat(block.shape[1], 1))
    html = (png_run.path / "report.html").read_text()
    assert "Heatmaps on test examples" in html and "Perturbation methods perturbed 7x7-pixel patches" in html
    assert 'id="patches"' in html and "Pixels or patches: what readability costs" in html
    assert 'id="surrogate-tree_patches"' in html and "mean[" in html  # the rules name patches
