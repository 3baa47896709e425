"""Patch features (image_features.py): means and contrast on a patch grid, their names, the pixel mapping back, and
the wrapper that lets a surrogate fitted on patch features take pixel rows."""

from __future__ import annotations

import numpy as np
import pytest

from interpret_distill.artifacts import TRUSTED_TYPES, load_surrogate, save_surrogate
from interpret_distill.attribution import attribute, native_attribution
from interpret_distill.image_features import (
    PatchSurrogate,
    patch_attributions_to_pixels,
    patch_feature_mask,
    patch_feature_names,
    patch_features,
    patch_grid,
)
from interpret_distill.surrogates import LinearSurrogate, TreeSurrogate


def _images(n: int, shape=(1, 6, 6), seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, int(np.prod(shape)))).astype(np.float32)


@pytest.mark.parametrize("shape, patch", [((1, 6, 6), 2), ((1, 7, 5), 3), ((3, 4, 6), 4), ((2, 5, 5), 1)])
def test_patch_features_are_the_means_and_stds_of_each_patch_over_its_pixels_and_channels(shape, patch):
    X = _images(5, shape)
    features = patch_features(X, shape, patch, contrast=True)
    groups = patch_feature_mask(shape, patch)
    n_patches = int(np.prod(patch_grid(shape, patch)))
    assert features.shape == (5, 2 * n_patches) and features.dtype == np.float32
    for g in range(n_patches):
        block = X[:, groups == g].astype(np.float64)
        np.testing.assert_allclose(features[:, g], block.mean(1), atol=1e-6)
        np.testing.assert_allclose(features[:, n_patches + g], block.std(1), atol=1e-5)
    np.testing.assert_array_equal(patch_features(X, shape, patch), features[:, :n_patches])


def test_patch_features_in_chunks_equal_one_pass(monkeypatch):
    import interpret_distill.image_features as image_features

    X = _images(50)
    whole = patch_features(X, (1, 6, 6), 3, contrast=True)
    monkeypatch.setattr(image_features, "CHUNK_ROWS", 7)
    np.testing.assert_array_equal(patch_features(X, (1, 6, 6), 3, contrast=True), whole)


def test_names_follow_the_grid_row_major():
    names = patch_feature_names((1, 7, 5), 3, contrast=True)
    assert names == ["mean[0,0]", "mean[0,1]", "mean[1,0]", "mean[1,1]", "mean[2,0]", "mean[2,1]",
                     "contrast[0,0]", "contrast[0,1]", "contrast[1,0]", "contrast[1,1]", "contrast[2,0]",
                     "contrast[2,1]"]


def test_wrong_width_is_refused():
    with pytest.raises(ValueError, match=r"\(n, 36\) flat images"):
        patch_features(np.zeros((2, 35)), (1, 6, 6), 2)


def test_attributions_to_pixels_share_each_patch_equally_and_keep_the_total():
    shape, patch = (1, 5, 5), 2  # border patches of 2 and 1 pixels
    n_patches = int(np.prod(patch_grid(shape, patch)))
    patch_attr = np.random.default_rng(1).normal(size=(3, 2 * n_patches))
    pixels = patch_attributions_to_pixels(patch_attr, shape, patch)
    groups = patch_feature_mask(shape, patch)
    np.testing.assert_allclose(pixels.sum(1), patch_attr.sum(1))
    for g in range(n_patches):
        block = pixels[:, groups == g]
        np.testing.assert_allclose(block, block[:, :1].repeat(block.shape[1], 1))
        np.testing.assert_allclose(block.sum(1), patch_attr[:, g] + patch_attr[:, n_patches + g])


@pytest.mark.parametrize("surrogate", [TreeSurrogate(max_depth=3), LinearSurrogate(C=1.0)])
def test_a_patch_surrogate_takes_pixel_rows_explains_on_pixels_and_saves_with_skops(surrogate, tmp_path):
    shape, patch = (1, 8, 8), 4
    X = _images(300, shape)
    y = (X[:, patch_feature_mask(shape, patch) == 0].mean(1) > 0.5).astype(int)  # the top-left patch decides
    model = PatchSurrogate(surrogate.fit(patch_features(X, shape, patch, True), y), shape, patch, contrast=True)
    assert model.predict_proba(X).shape == (300, 2) and model.complexity_score_ == surrogate.complexity_score_
    target = model.predict_proba(X[:4]).argmax(1)
    native = native_attribution(model, X[:4], target, np.zeros(64))
    inner = native_attribution(surrogate, model.features(X[:4]), target, model.features(np.zeros((1, 64))))
    np.testing.assert_allclose(native.sum(1), inner.sum(1))  # spread over pixels, the total is kept
    ablation = attribute(model, X[:4], target, "feature_ablation", feature_mask=patch_feature_mask(shape, patch))
    assert ablation.shape == (4, 64)
    save_surrogate(model, tmp_path / "m.skops")
    assert f"{PatchSurrogate.__module__}.PatchSurrogate" in TRUSTED_TYPES
    loaded = load_surrogate(tmp_path / "m.skops")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.image_shape == shape and loaded.feature_names() == model.feature_names()


# --------------------------------------------------------------------------------------------- in the pipeline

def _digits28(n_rows: int = 300):
    from interpret_distill.config import DataConfig
    from interpret_distill.data import load_dataset

    return load_dataset(DataConfig(source="synthetic", name="digits28", n_rows=n_rows), seed=0)


def test_a_kind_may_be_listed_once_per_feature_set():
    from interpret_distill.config import parse_config
    from interpret_distill.errors import ConfigError

    cfg = parse_config({"name": "x", "data": {"name": "digits"},
                        "surrogates": [{"kind": "tree"}, {"kind": "tree", "features": "patches"}]})
    assert [s.label() for s in cfg.surrogates] == ["tree", "tree@patches"]
    with pytest.raises(ConfigError, match="each surrogate kind may appear once per feature set"):
        parse_config({"name": "x", "data": {"name": "digits"},
                      "surrogates": [{"kind": "tree", "features": "patches"}] * 2})


def test_patches_the_data_cannot_have_stop_the_run_before_training():
    from interpret_distill.config import parse_config
    from interpret_distill.errors import ConfigError
    from interpret_distill.surrogate_stage import check_patch_features

    on_patches = parse_config({"name": "x", "data": {"name": "digits"}, "patches": {"size": 9},
                               "surrogates": [{"kind": "linear", "features": "patches"}]})
    with pytest.raises(ConfigError, match="surrogates.0.features is patches but the data is a table"):
        check_patch_features(on_patches, None)
    with pytest.raises(ConfigError, match="patches.size 9 is larger than the 8x8 images"):
        check_patch_features(on_patches, (1, 8, 8))
    check_patch_features(on_patches, (1, 28, 28))


@pytest.mark.parametrize("setting, shape, expected", [("auto", (1, 28, 28), 4), ("auto", (1, 16, 16), None),
                                                      (True, (1, 8, 8), 4), (False, (1, 28, 28), None),
                                                      (True, None, None)])
def test_which_runs_explain_patch_by_patch(setting, shape, expected):
    from interpret_distill.attribution_stage import perturbation_patch
    from interpret_distill.config import parse_config

    cfg = parse_config({"name": "x", "data": {"name": "digits"}, "attribution": {"patches": setting}})
    assert perturbation_patch(cfg, shape) == expected


def test_perturbation_methods_run_on_patches_and_gradient_methods_stay_per_pixel():
    import torch

    from interpret_distill.attribution import attribute_many

    shape, patch = (1, 8, 8), 4
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(64, 3))
    X, target = _images(3, shape), np.array([0, 1, 2])
    result = attribute_many({"net": net}, X, target, ["integrated_gradients", "feature_ablation"], progress=False,
                            perturbation_mask=patch_feature_mask(shape, patch))
    groups = patch_feature_mask(shape, patch)
    ablation, gradients = result[("net", "feature_ablation")], result[("net", "integrated_gradients")]
    assert all(len(np.unique(ablation[:, groups == g].round(9), axis=1).T) == 1 for g in range(4))  # one per patch
    assert len(np.unique(gradients[0].round(9))) > 4


def test_the_surrogate_stage_fits_a_kind_on_pixels_and_on_patches_side_by_side():
    import torch

    from interpret_distill.config import parse_config
    from interpret_distill.models import predict_proba
    from interpret_distill.surrogate_stage import fit_surrogates

    ds = _digits28()
    torch.manual_seed(0)
    teacher = torch.nn.Linear(784, 10).eval()  # any network: the stage only queries it
    cfg = parse_config({"name": "x", "data": {"source": "synthetic", "name": "digits28"}, "n_jobs": 1,
                        "progress": False, "regimes": ["hard", "soft"], "patches": {"size": 7, "contrast": True},
                        "surrogates": [{"kind": "tree", "params": {"max_depth": 3}},
                                       {"kind": "tree", "features": "patches", "params": {"max_depth": 3}}]})
    val, test = (predict_proba(teacher, ds.X_val), predict_proba(teacher, ds.X_test))
    models, sweep = fit_surrogates(cfg, ds, teacher, val, test)
    assert sweep.kind.tolist() == ["tree", "tree", "tree@patches", "tree@patches"]
    by_name = {m.name: m for m in models}
    assert set(by_name) == {"tree:hard", "tree:soft", "tree@patches:hard", "tree@patches:soft"}
    patches = by_name["tree@patches:soft"]
    assert patches.role == "distilled" and by_name["tree:soft"].role == "distilled"
    assert isinstance(patches.model, PatchSurrogate) and patches.model.surrogate.n_features_in_ == 32  # 16 + 16
    # scored on the patch features of validation: the wrapped model on pixel rows gives the same fidelity
    agreement = (patches.model.predict_proba(ds.X_val).argmax(1) == val.argmax(1)).mean()
    assert agreement == pytest.approx(sweep.set_index(["kind", "regime"]).loc[("tree@patches", "soft"),
                                                                                "val_fidelity"])
