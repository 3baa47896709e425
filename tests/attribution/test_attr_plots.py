"""Plots return Agg-safe Figures with the promised layout, and never register pyplot figures."""

import io

import matplotlib
import numpy as np
import pytest
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


def test_heatmap_grid_layout_shared_symmetric_scale(maps):
    X = np.random.default_rng(1).normal(size=(5, 16))
    fig = heatmap_grid(X, maps, (1, 4, 4), examples=[0, 3])
    assert isinstance(fig, Figure)
    images = [ax for ax in fig.axes if ax.images]
    assert len(images) == 2 * 4  # rows x (input + 3 models)
    assert [ax.get_title() for ax in images[:4]] == ["input", "teacher", "student", "tree"]
    heat = [ax.images[0] for ax in images if ax.get_title() != "input" and ax.images[0].cmap.name == "RdBu_r"]
    assert len(heat) == 6
    limits = {im.get_clim() for im in heat}
    assert len(limits) == 1 and limits.pop()[0] < 0  # one shared, symmetric scale
    lo, hi = heat[0].get_clim()
    assert lo == -hi and hi <= 1.0  # per-model normalisation: |value| <= 1 before the shared scale
    assert len(fig.axes) == len(images) + 1  # one colourbar
    assert "max |attribution|" in fig.get_suptitle()
    _renders(fig)
    robust = heatmap_grid(X, maps, (1, 4, 4), examples=[0, 3], model_percentile=90)
    assert "90th percentile of |attribution|" in robust.get_suptitle()


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


def test_faithfulness_plot_accepts_arrays_and_pairs():
    frac = np.linspace(0, 1, 5)
    curves = {"teacher": {"fractions": frac, "deletion": 1 - frac, "insertion": frac, "random": 1 - frac / 2},
              "tree": {"deletion": (frac, 1 - frac ** 0.5), "insertion": frac ** 2, "random": 1 - frac / 2}}
    fig = faithfulness_plot(curves)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 4 and len(fig.axes[1].lines) == 2
    assert any("AUC 0.500" in t.get_text() for t in fig.axes[0].get_legend().get_texts())
    _renders(fig)


def test_no_pyplot_state(maps):
    before = _open_pyplot_figures()
    heatmap_grid(np.zeros((5, 16)), maps, (4, 4))
    assert _open_pyplot_figures() == before
