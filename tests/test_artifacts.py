"""Saving and loading what a run holds (interpret_distill.artifacts): skops surrogates limited to trusted types,
files that would run code refused, safe file names."""

from __future__ import annotations

import json
import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from hypothesis import given, settings
from hypothesis import strategies as st

from interpret_distill import load_run
from interpret_distill.artifacts import TRUSTED_TYPES, load_npz, load_surrogate, safe_filename, save_surrogate
from interpret_distill.errors import ModelFileError
from interpret_distill.surrogates import SURROGATES, build_surrogate
from tests._payload import Payload


def test_trusted_types_name_every_registered_surrogate_under_its_new_and_its_0_1_0_path():
    for cls in SURROGATES.values():
        assert f"{cls.__module__}.{cls.__name__}" in TRUSTED_TYPES  # e.g. interpret_distill.surrogates.tree
        assert f"interpret_distill.surrogates.{cls.__name__}" in TRUSTED_TYPES  # surrogates.py before 0.2
    assert "interpret_distill.surrogates.tree.TreeSurrogate" in TRUSTED_TYPES
    assert not [t for t in TRUSTED_TYPES if t.startswith(("builtins.", "os.", "posix.", "subprocess."))]


def _fake_run(tmp_path, file_name: str) -> Path:
    run_dir = tmp_path / "run"
    (run_dir / "models").mkdir(parents=True)
    (run_dir / "run.json").write_text('{"name": "run", "config": {}, "dataset": {}, "created": ""}')
    (run_dir / "models" / "manifest.json").write_text(json.dumps({"tree:soft": {"format": "skops", "file": file_name}}))
    return run_dir


def test_malicious_pickle_in_place_of_a_surrogate_is_refused_and_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    run_dir = _fake_run(tmp_path, "tree_soft.skops")
    (run_dir / "models" / "tree_soft.skops").write_bytes(pickle.dumps(Payload(marker)))
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
@given(kind=st.sampled_from(sorted(SURROGATES)), n=st.integers(6, 40), d=st.integers(1, 5),
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


def test_safe_filename():
    assert safe_filename("tree:soft+transfer") == "tree_soft_transfer"
    assert safe_filename("../../etc/passwd") == "etc_passwd"
    assert safe_filename("<script>alert(1)</script>") == "script_alert_1_script"
    assert safe_filename("..") == "model" and safe_filename("") == "model"
    assert "/" not in safe_filename("a/b\\c") and "\\" not in safe_filename("a/b\\c")


def test_npz_files_are_read_without_unpickling(tmp_path):
    marker = tmp_path / "pwned"
    np.savez(tmp_path / "ok.npz", a=np.arange(3))
    assert load_npz(tmp_path / "ok.npz")["a"].tolist() == [0, 1, 2]
    np.savez(tmp_path / "evil.npz", a=np.array([Payload(marker)], dtype=object))
    with pytest.raises(ValueError, match="pickled data is never loaded") as refused:
        load_npz(tmp_path / "evil.npz")
    assert "allow_pickle" not in str(refused.value)  # numpy's advice to unpickle must not reach the user
    assert not marker.exists()
