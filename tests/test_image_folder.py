"""Image folders (data.source: image_folder): generated PNG / JPEG files in class folders, resized, grey or RGB,
scaled to [0, 1]; a declared train / test split as subfolders; one line naming the file or folder for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from interpret_distill.cli import main
from interpret_distill.config import DataConfig, parse_config
from interpret_distill.data import load_dataset, raw_features
from interpret_distill.errors import ConfigError, DataError
from interpret_distill.image_folder import list_image_folder, read_images

CLASSES = ("circle", "square")


def _picture(kind: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """A bright disc or square at a random place on a dark noisy background, as 8-bit grey pixels."""
    yy, xx = np.mgrid[:size, :size]
    cy, cx = rng.integers(size // 3, 2 * size // 3, size=2)
    radius = size // 4
    inside = (np.hypot(yy - cy, xx - cx) <= radius) if kind == "circle" else \
        ((abs(yy - cy) <= radius) & (abs(xx - cx) <= radius))
    pixels = 0.15 * rng.random((size, size)) + 0.8 * inside
    return (255 * np.clip(pixels, 0, 1)).astype(np.uint8)


def make_image_folder(root, n_per_class: int = 12, size: int = 20, seed: int = 0, splits=(None,),
                      suffix: str = ".png", mode: str = "L"):
    """Write ``root[/<split>]/<class>/<i>.png`` files; returns ``root``."""
    rng = np.random.default_rng(seed)
    for split in splits:
        for kind in CLASSES:
            folder = root / split / kind if split else root / kind
            folder.mkdir(parents=True)
            for i in range(n_per_class):
                Image.fromarray(_picture(kind, size, rng)).convert(mode).save(folder / f"{i:03d}{suffix}")
    return root


def _spec(root, **settings) -> DataConfig:
    return DataConfig(source="image_folder", path=str(root), **settings)


def test_a_folder_of_pngs_loads_as_flat_grey_images_in_0_1_with_folder_names_as_classes(tmp_path):
    root = make_image_folder(tmp_path / "shapes")
    X, y, names, classes = raw_features(_spec(root))
    assert X.shape == (24, 400) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    assert classes == list(CLASSES) and np.bincount(y).tolist() == [12, 12]
    expected = np.asarray(Image.open(root / "square" / "003.png"), dtype=np.float32).reshape(-1) / 255
    np.testing.assert_allclose(X[12 + 3], expected)  # sorted: class, then file
    assert names[:2] == ["pixel_0_0", "pixel_0_1"]
    ds = load_dataset(_spec(root), seed=0)
    assert ds.image_shape == (1, 20, 20) and ds.name == "shapes" and ds.split_origin == "drawn"


def test_resize_and_rgb(tmp_path):
    root = make_image_folder(tmp_path / "shapes", size=30, suffix=".jpg", mode="RGB")
    ds = load_dataset(_spec(root, image_size=[16, 12], color="rgb"), seed=0)
    assert ds.image_shape == (3, 16, 12) and ds.n_features == 3 * 16 * 12
    assert ds.feature_names[-1] == "pixel_15_11_blue"


def test_train_and_test_subfolders_are_a_declared_split(tmp_path):
    root = make_image_folder(tmp_path / "shapes", splits=("train", "test"), n_per_class=10)
    ds = load_dataset(_spec(root), seed=0)
    assert (ds.split_origin, ds.val_origin) == ("declared", "carved")
    assert len(ds.y_test) == 20 and len(ds.y_train) + len(ds.y_val) == 20
    X_test, _, _, _ = raw_features(_spec(root), split="test")
    assert X_test.shape == (20, 400)
    assert load_dataset(_spec(root), seed=0).summary()["split"] == "declared"


def test_max_rows_draws_files_before_decoding_them(tmp_path, monkeypatch):
    import interpret_distill.data as data

    root = make_image_folder(tmp_path / "shapes")
    decoded = []
    monkeypatch.setattr(data, "read_images", lambda paths, *a: decoded.append(len(paths)) or read_images(paths, *a))
    ds = load_dataset(_spec(root, max_rows=10), seed=3)
    assert decoded == [10] and len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == 10
    again = load_dataset(_spec(root, max_rows=10), seed=3)
    np.testing.assert_array_equal(again.X_test, ds.X_test)


def test_files_are_listed_in_a_fixed_order_and_other_files_are_skipped(tmp_path):
    root = make_image_folder(tmp_path / "shapes", n_per_class=3)
    (root / "circle" / "notes.txt").write_text("not an image")
    (root / "circle" / ".hidden.png").write_bytes(b"junk")
    (root / ".cache").mkdir()
    files = list_image_folder(root)
    assert [p.name for p in files.paths] == ["000.png", "001.png", "002.png"] * 2
    assert files.labels.tolist() == [0, 0, 0, 1, 1, 1] and files.split is None


# --------------------------------------------------------------------------------------------- bad input

def _one_line(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    return message


def test_an_unreadable_image_is_named(tmp_path):
    root = make_image_folder(tmp_path / "shapes", n_per_class=3)
    (root / "square" / "001.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not a picture")
    with pytest.raises(DataError) as excinfo:
        load_dataset(_spec(root))
    assert "square/001.png is not a readable image" in _one_line(excinfo)
    assert "replace or remove the file" in str(excinfo.value)


def test_a_class_folder_without_images_is_named(tmp_path):
    root = make_image_folder(tmp_path / "shapes", n_per_class=3)
    (root / "triangle").mkdir()
    (root / "triangle" / "readme.txt").write_text("to do")
    with pytest.raises(DataError) as excinfo:
        load_dataset(_spec(root))
    assert f"class folder {root / 'triangle'} holds no image files" in _one_line(excinfo)


def test_mixed_sizes_without_a_resize_name_the_file_and_the_setting(tmp_path):
    root = make_image_folder(tmp_path / "shapes", n_per_class=8)
    Image.fromarray(np.zeros((24, 20), dtype=np.uint8)).save(root / "square" / "002.png")
    with pytest.raises(DataError) as excinfo:
        load_dataset(_spec(root))
    message = _one_line(excinfo)
    assert "square/002.png is 24x20 pixels (height x width) but" in message and "circle/000.png is 20x20" in message
    assert "data.image_size: [height, width]" in message
    assert load_dataset(_spec(root, image_size=[20, 20])).image_shape == (1, 20, 20)


@pytest.mark.parametrize("layout, message", [
    (lambda root: None, "image folder not found"),
    (lambda root: root.mkdir(), "has no class folders"),
    (lambda root: (root.mkdir(), (root / "train").mkdir()), "has a train folder but no test folder"),
    (lambda root: make_image_folder(root, n_per_class=1, splits=("train", "test", "extra")),
     "mixes the split folders train, test with other folders (extra)"),
])
def test_folder_layout_problems(tmp_path, layout, message):
    root = tmp_path / "images"
    layout(root)
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(_spec(root))


def test_a_folder_too_big_for_memory_names_max_rows(tmp_path):
    root = make_image_folder(tmp_path / "shapes", n_per_class=2)
    with pytest.raises(DataError, match="set data.max_rows to load a random subset"):
        read_images(list_image_folder(root).paths, available=1000)


@pytest.mark.parametrize("data, message", [
    ({"source": "image_folder"}, "data.path is required when data.source is 'image_folder'"),
    ({"source": "image_folder", "path": "x", "image_size": [0, 28]}, "data.image_size must be [height, width]"),
    ({"source": "npz", "path": "x.npz", "color": "rgb"}, "data.color is read only for data.source image_folder"),
    ({"source": "image_folder", "path": {"train": "a", "test": "b"}}, "an image folder with subfolders train/"),
])
def test_config_errors_at_load(data, message):
    with pytest.raises(ConfigError) as excinfo:
        parse_config({"name": "x", "data": data})
    assert message in _one_line(excinfo)


def test_the_cli_prints_one_line_for_an_unreadable_image(tmp_path, capsys):
    root = make_image_folder(tmp_path / "shapes", n_per_class=3)
    (root / "circle" / "002.png").write_bytes(b"garbage")
    config = tmp_path / "shapes.yaml"
    config.write_text(f"name: shapes\ndata: {{source: image_folder, path: '{root}'}}\n")
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "circle/002.png is not a readable image" in err


def test_decoding_holds_about_the_final_array_not_a_list_of_images(tmp_path):
    import tracemalloc

    from interpret_distill.image_folder import write_image_folder

    X = np.random.default_rng(0).random((400, 28 * 28))
    paths = list_image_folder(write_image_folder(tmp_path / "noise", X, ["a", "b"] * 200, (1, 28, 28))).paths
    tracemalloc.start()
    images, _ = read_images(paths)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert images.nbytes == 400 * 784 * 4
    assert peak < 1.5 * images.nbytes, peak  # a list of decoded images first would need twice the array
