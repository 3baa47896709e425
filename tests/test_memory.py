"""The big-allocation estimate: sizes as computed by hand, and a run that would not fit refused before training."""

import pytest

from interpret_distill import memory
from interpret_distill.cli import main
from interpret_distill.config import load_config
from interpret_distill.errors import ConfigError


def test_transfer_set_bytes_by_hand():
    cfg = load_config("iris", {"transfer": {"augmentation": "kde", "n_synthetic": 900, "params": {"bandwidth": 0.3},
                                            "candidates": []},
                               "surrogates": [{"kind": "tree"}], "regimes": ["soft", "soft+transfer"]})
    allocations = {a.knob: a for a in memory.run_allocations(cfg, n_train=100, n_features=4, n_classes=3)}
    # 1,000 rows x (4 float32 features + 3 float64 soft labels); only soft+transfer, so no one-hot copy
    assert allocations["transfer.n_synthetic"].nbytes == 1_000 * (4 * 4 + 3 * 8)
    # every explained model (teacher, student, one surrogate) x method x example x feature, float64
    assert allocations["attribution.examples"].nbytes == 3 * 4 * 50 * 4 * 8


def test_linear_fits_count_one_copy_of_x_per_class_and_worker():
    cfg = load_config("iris", {"transfer": {"augmentation": "kde", "n_synthetic": 900, "params": {"bandwidth": 0.3},
                                            "candidates": []},
                               "surrogates": [{"kind": "linear"}], "n_jobs": 2})
    fits = [a for a in memory.run_allocations(cfg, 100, 4, 3) if a.what.startswith("linear")]
    assert [a.nbytes for a in fits] == [2 * 1_000 * 3 * 4 * 4]


def test_too_large_transfer_set_is_refused_with_its_knob():
    cfg = load_config("iris", {"transfer": {"candidates": [{"augmentation": "kde", "n_synthetic": 1_000_000,
                                                            "params": {"bandwidth": 0.3}}]}})
    knob = r"transfer\.candidates\[0\]\.n_synthetic or the linear surrogate's fit_rows"
    with pytest.raises(ConfigError, match=rf"sized by {knob}\): lower it$"):
        memory.check_memory(cfg, 100, 784, 10, available=500_000_000)
    assert memory.check_memory(cfg, 100, 4, 3, available=10**12) > 0
    capped = cfg.model_copy(update={"surrogates": [s.model_copy(update={"fit_rows": 1_000}) for s in cfg.surrogates]})
    fits = [a for a in memory.run_allocations(capped, 100, 784, 10) if a.what.startswith("linear")]
    assert "1,000 rows" in fits[0].what


def test_cli_refuses_before_the_teacher_trains(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(memory, "available_bytes", lambda: 50_000_000)

    def no_training(*args, **kwargs):
        raise AssertionError("the teacher was trained before the memory check")

    monkeypatch.setattr("interpret_distill.experiment.resolve_teacher", no_training)
    config = tmp_path / "big.yaml"
    config.write_text("name: big\ndata: {name: digits}\n"
                      "transfer: {augmentation: kde, n_synthetic: 1000000, params: {bandwidth: 0.5}}\n")
    assert main(["run", str(config), "--out", str(tmp_path / "out"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "transfer.n_synthetic" in err and "usable" in err
    assert not (tmp_path / "out" / "big").exists()
