"""Report figures accept any user-provided name (matplotlib would parse ``$...$`` as maths)."""

from __future__ import annotations

import numpy as np

from interpret_distill.report import figures
from interpret_distill.surrogates import LinearSurrogate, NaiveBayesSurrogate, TreeSurrogate

NAMES = [r"price $\frac$", "<b>bold</b>", "cost ($)"]
CLASSES = [r"$\alpha", "plain"]


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(int)


def test_plot_text_escapes_mathtext_dollars():
    assert figures.plot_text("cost ($)") == r"cost (\$)"


def test_surrogate_figures_render_hostile_names():
    X, y = _data()
    rendered = [
        figures.tree_diagram(TreeSurrogate(max_depth=2).fit(X, y), NAMES, CLASSES),
        figures.linear_coefficients(LinearSurrogate().fit(X, y), NAMES, CLASSES),
        figures.naive_bayes_means(NaiveBayesSurrogate().fit(X, y), NAMES, CLASSES),
    ]
    for fig in rendered:
        uri = figures.to_data_uri(fig)
        assert uri.startswith("data:image/svg+xml;base64,") and len(uri) > 1000
