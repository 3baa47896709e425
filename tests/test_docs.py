"""Every example in the package's docstrings runs and prints what it shows.

Examples that need a run directory on disk or minutes of training are marked ``+SKIP``; the rest are real.
"""

import doctest
import importlib
import pkgutil

import pytest

import interpret_distill

MODULES = sorted(m.name for m in pkgutil.walk_packages(interpret_distill.__path__, "interpret_distill."))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that saves a file saves it here, not in the checkout
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_the_examples_are_not_all_skipped():
    attempted = sum(doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE,
                                    report=False).attempted
                    for name in ("interpret_distill.surrogates", "interpret_distill.surrogates.tree",
                                 "interpret_distill.surrogates._export", "interpret_distill.sweep",
                                 "interpret_distill.metrics"))
    assert attempted >= 20
