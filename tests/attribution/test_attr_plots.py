"""Plots return Agg-safe Figures with the promised layout, and never register pyplot figures."""

import io

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from interpret_distill.attribution import faithfulness_plot, heatmap_grid, top_features_bars

matplotlib.use("Agg")


@pytest.fixture
def maps():
    rng = np.random.default_rng(0)
    return {"teacher": rng.normal(size=(5, 16)), "student": 1e3 * rng.normal(size=(5, 16)),
            "tree": np.zeros((5, 16))}


def _renders(fig):
    fig.savefig(io.BytesIO(), format="png")


def _open_pyplot_figures():
    import matplotlib.pyplot as plt

    return plt.get_fignums()


def test_heatmap_grid_layout_symmetric_scale(maps):
    X = np.random.default_rng(1).normal(size=(5, 16))
    fig = heatmap_grid(X, maps, (1, 4, 4), examples=[0, 3])
    assert isinstance(fig, Figure)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2 * 4  # rows x (input + 3 models)
    assert [ax.get_title() for ax in images[:4]] == ["input", "teacher", "student", "tree"]
    heat = [ax.images[0] for ax in images if ax.get_title() != "input" and ax.images[0].cmap.name == "RdBu_r"]
    assert len(heat) == 6
    assert {im.get_clim() for im in heat} == {(-1.0, 1.0)}  # one symmetric scale for the normalised maps
    assert len(fig.axes) == len(images) + 1  # one colourbar
    assert "each map scaled to its own max |attribution|" in fig.get_suptitle()
    _renders(fig)
    robust = heatmap_grid(X, maps, (1, 4, 4), examples=[0, 3], map_percentile=90)
    assert "90th percentile of |attribution|" in robust.get_suptitle()


def test_heatmap_grid_scales_every_map_to_its_own_max():
    # Example 1 is 100x larger: a per-model scale would leave example 0's maps at |value| <= 0.01 (blank).
    rng = np.random.default_rng(2)
    base = rng.normal(size=(2, 2, 8))  # (examples, channels, pixels): channels are summed before scaling
    attributions = {"teacher": (base * np.array([1.0, 100.0])[:, None, None]).reshape(2, 16),
                    "linear:soft+transfer": -3.0 * base.reshape(2, 16), "tree": np.zeros((2, 16))}
    fig = heatmap_grid(np.zeros((2, 16)), attributions, (2, 2, 4), examples=[0, 1])
    heat = {(ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start):
            np.asarray(ax.images[0].get_array()) for ax in fig.axes if ax.images and ax.images[0].cmap.name == "RdBu_r"}
    for (row, col), values in heat.items():
        if col < 3:  # every non-zero map reaches |1| on its own, whatever its example's magnitude
            assert np.abs(values).max() == pytest.approx(1.0), (row, col)
    summed = base.sum(axis=1).reshape(2, 2, 4)
    np.testing.assert_allclose(heat[(0, 1)], summed[0] / np.abs(summed[0]).max())  # sign kept
    np.testing.assert_allclose(heat[(1, 2)], -summed[1] / np.abs(summed[1]).max())
    assert not heat[(0, 3)].any()  # an all-zero map stays zero instead of dividing by 0
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert "linear\nsoft+transfer" in titles  # long "kind:regime" names wrap instead of overlapping


def test_top_features_bars_uses_real_names(maps):
    names = [f"feat_{j}" for j in range(16)]
    fig = top_features_bars(maps, names, top=3)
    assert len(fig.axes) == 3
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    top = np.argsort(-np.abs(maps["teacher"]).mean(0))[:3]
    assert labels[::-1] == [names[j] for j in top]  # largest on top
    with pytest.raises(ValueError, match="feature names"):
        top_features_bars(maps, names[:3])
    _renders(fig)


def test_top_features_bars_wraps_to_three_panels_per_row():
    rng = np.random.default_rng(3)
    five = {f"model {i}": rng.normal(size=(4, 6)) for i in range(5)}
    fig = top_features_bars(five, [f"f{j}" for j in range(6)], top=4)
    rows = [ax.get_subplotspec().rowspan.start for ax in fig.axes]
    cols = [ax.get_subplotspec().colspan.start for ax in fig.axes]
    assert len(fig.axes) == 5 and rows == [0, 0, 0, 1, 1] and max(cols) == 2  # no empty sixth panel
    assert [ax.get_title() for ax in fig.axes] == list(five)
    assert fig.get_figwidth() <= 3 * 4.2
    _renders(fig)


def test_faithfulness_plot_accepts_arrays_and_pairs():
    frac = np.linspace(0, 1, 5)
    curves = {"teacher": {"fractions": frac, "deletion": 1 - frac, "insertion": frac, "random": 1 - frac / 2},
              "tree": {"deletion": (frac, 1 - frac ** 0.5), "insertion": frac ** 2, "random": 1 - frac / 2}}
    fig = faithfulness_plot(curves)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 2
    texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert texts[0] == "teacher: deletion AUC 0.500 (random 0.750), insertion AUC 0.500"
    assert len(texts) == 3 and "random feature order" in texts[-1]  # one entry per model plus the dashed key
    _renders(fig)


def test_faithfulness_legend_is_below_the_panels():
    frac = np.linspace(0, 1, 11)
    curves = {f"model {i}": {"fractions": frac, "deletion": 1 - frac, "insertion": frac, "random": 1 - frac / 2,
                             "random_insertion": frac / 2} for i in range(5)}
    fig = faithfulness_plot(curves)
    assert all(ax.get_legend() is None for ax in fig.axes) and len(fig.legends) == 1
    FigureCanvasAgg(fig).draw()
    legend = fig.legends[0].get_window_extent()
    for ax in fig.axes:  # the legend hides no curve: it overlaps no panel and lies below them
        assert not legend.overlaps(ax.get_window_extent()) and legend.y1 <= ax.get_window_extent().y0


def test_no_pyplot_state(maps):
    before = _open_pyplot_figures()
    heatmap_grid(np.zeros((5, 16)), maps, (4, 4))
    assert _open_pyplot_figures() == before
