"""Regression teachers: task detection, the standardised target, regression metrics, teachers and students with one
output, and the one-line errors of bad regression input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from interpret_distill.config import DataConfig, ExperimentConfig, StudentConfig, TeacherConfig
from interpret_distill.data import load_dataset, raw_features
from interpret_distill.errors import ConfigError, DataError, TeacherError
from interpret_distill.metrics import evaluate_regression, mae, r2, rmse
from interpret_distill.models import predict_outputs
from interpret_distill.students import distill_student, train_scratch_student
from interpret_distill.targets import MANY_VALUES, TargetScaling, resolve_task
from interpret_distill.teachers import resolve_teacher, train_teacher


def _csv(tmp_path, target, name="data.csv", rows=60):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    frame["y"] = target(frame) if callable(target) else target
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


# ---- task detection ----

def test_auto_reads_many_float_values_as_regression_and_integers_or_few_whole_floats_as_classes():
    assert resolve_task(np.linspace(0, 1, MANY_VALUES), "auto") == "regression"
    assert resolve_task(np.arange(MANY_VALUES * 2), "auto") == "classification"  # integers: class labels
    assert resolve_task(np.array([0.0, 1.0, 2.0] * 10), "auto") == "classification"  # labels saved as floats
    assert resolve_task(np.array(["a", "b"]), "auto") == "classification"
    assert resolve_task(np.arange(5), "regression") == "regression"  # an explicit task is kept


def test_auto_refuses_a_few_fractional_values_and_states_the_rule():
    with pytest.raises(DataError, match=r"ambiguous \(data.task auto reads a float target with at least 20 "
                                        r"distinct values as regression.*set data.task: regression"):
        resolve_task(np.array([0.5, 1.5, 2.5] * 10), "auto")


def test_diabetes_is_a_regression_with_the_target_standardised_on_train():
    ds = load_dataset(DataConfig(name="diabetes"))
    assert ds.task == "regression" and ds.n_outputs == 1 and ds.class_names == []
    assert ds.y_train.dtype == np.float32
    assert abs(float(ds.y_train.mean())) < 1e-5 and abs(float(ds.y_train.std()) - 1) < 1e-5
    from sklearn.datasets import load_diabetes

    target = load_diabetes().target
    # the recorded scaling gives back the original values of the train rows
    assert np.isin(np.round(ds.target_scaling.original(ds.y_train), 3), target).all()
    assert ds.summary()["task"] == "regression" and ds.summary()["target_scaling"]["scale"] > 1
    assert len(ds.y_train) + len(ds.y_val) + len(ds.y_test) == len(target)


def test_target_scaling_round_trips():
    scaling = TargetScaling.fit(np.array([2.0, 4.0, 6.0]))
    assert scaling.offset == 4.0
    assert np.allclose(scaling.original(scaling.standardise(np.array([1.0, 9.0]))), [1.0, 9.0])


def test_a_csv_with_a_float_target_is_a_regression_and_raw_features_give_its_values(tmp_path):
    path = _csv(tmp_path, lambda f: 3 * f.a + 0.5)
    spec = DataConfig(source="csv", path=str(path), target="y")
    assert load_dataset(spec).task == "regression"
    X, y, names, classes = raw_features(spec)
    assert classes == [] and y.dtype == np.float32 and np.allclose(y, 3 * X[:, 0] + 0.5, atol=1e-5)


def test_a_declared_split_of_a_regression_carves_validation_unstratified(tmp_path):
    path = _csv(tmp_path, lambda f: f.a * 10)
    frame = pd.read_csv(path)
    frame["split"] = ["train"] * 45 + ["test"] * 15
    frame.to_csv(path, index=False)
    ds = load_dataset(DataConfig(source="csv", path=str(path), target="y"))
    assert ds.split_origin == "declared" and ds.val_origin == "carved" and len(ds.y_test) == 15


# ---- bad input: one line each ----

def test_a_text_target_on_a_regression_config_is_one_line(tmp_path):
    path = _csv(tmp_path, ["low", "high"] * 30)
    with pytest.raises(DataError) as caught:
        load_dataset(DataConfig(source="csv", path=str(path), target="y", task="regression"))
    message = str(caught.value)
    assert "\n" not in message and "data.task is regression but the target holds text" in message
    assert "'low'" in message or "'high'" in message


def test_a_constant_target_is_one_line(tmp_path):
    path = _csv(tmp_path, 7.5)
    with pytest.raises(DataError, match=r"the regression target is constant \(7.5 in all 60 rows\)") as caught:
        load_dataset(DataConfig(source="csv", path=str(path), target="y", task="regression"))
    assert "\n" not in str(caught.value)


def test_a_teacher_with_more_than_one_output_on_a_regression_is_one_line():
    ds = load_dataset(DataConfig(name="diabetes"))
    with pytest.raises(TeacherError, match="outputs 3 values per row but the data has a regression target") as caught:
        resolve_teacher(ds, TeacherConfig(), teacher=nn.Linear(ds.n_features, 3))
    assert "\n" not in str(caught.value)


def test_classification_settings_on_a_regression_config_are_refused():
    cfg = ExperimentConfig(name="x", data={"name": "diabetes"}, student={"loss": "kd"})
    with pytest.raises(ConfigError, match="student.loss: unknown regression loss 'kd'"):
        cfg.for_task("regression")
    cfg = ExperimentConfig(name="x", data={"name": "diabetes"}, regimes=["hard", "soft"])
    with pytest.raises(ConfigError, match="argmax class, which a regression teacher does not have"):
        cfg.for_task("regression")
    cfg = ExperimentConfig(name="x", data={"name": "diabetes"}, surrogates=[{"kind": "tree", "features": "patches"}])
    with pytest.raises(ConfigError, match="surrogates.0.features is patches, which only classification surrogates"):
        cfg.for_task("regression")
    cfg = ExperimentConfig(name="x", data={"name": "diabetes"}, surrogates=[{"kind": "naive_bayes"}])
    with pytest.raises(ConfigError, match=r"surrogates.0.params \(naive_bayes\) for a regression: unknown"):
        cfg.for_task("regression")
    for classifying in ({"student": {"arch": "soft_tree"}}, {"student": {"born_again": {"generations": 1}}},
                        {"teacher": [{"hidden": [4]}, {"hidden": [8]}]}):
        cfg = ExperimentConfig(name="x", data={"name": "diabetes"}, **classifying)
        with pytest.raises(ConfigError, match="distils classifiers only; remove it for a regression run"):
            cfg.for_task("regression")


def test_the_regression_defaults_of_a_config():
    cfg = ExperimentConfig(name="x", data={"name": "diabetes"}, transfer={"augmentation": "mixup", "n_synthetic": 10})
    resolved = cfg.for_task("regression")
    assert resolved.student.loss == "mse" and resolved.data.task == "regression"
    assert [s.kind for s in resolved.surrogates] == ["tree", "linear", "additive"]
    assert resolved.fitted_regimes() == ["ground_truth", "soft", "soft+transfer"]
    assert cfg.for_task("classification").surrogates == cfg.surrogates  # a classification keeps its defaults


# ---- metrics, computed by hand ----

def test_regression_metrics_by_hand():
    predictions, reference = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 4.0])
    # SS_res = 1, SS_tot = (1 - 7/3)^2 + (2 - 7/3)^2 + (4 - 7/3)^2 = 14/3
    assert r2(predictions, reference) == pytest.approx(1 - 3 / 14)
    assert rmse(predictions, reference) == pytest.approx(np.sqrt(1 / 3))
    assert mae(predictions, reference, scale=3.0) == pytest.approx(1.0)
    assert r2(reference, reference) == 1.0
    assert r2(np.full(3, reference.mean()), reference) == pytest.approx(0.0)  # the mean explains nothing
    metrics = evaluate_regression(predictions[:, None], reference[:, None], predictions, scale=2.0)
    assert metrics["accuracy"] == 1.0 and metrics["rmse"] == 0.0
    assert metrics["fidelity"] == pytest.approx(1 - 3 / 14)
    assert metrics["rmse_teacher"] == pytest.approx(2 * np.sqrt(1 / 3))


def test_regression_metrics_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match="one value per row"):
        r2(np.zeros((3, 2)), np.zeros(3))


# ---- networks with one output ----

def test_a_regression_teacher_and_students_train_on_the_mean_squared_error():
    ds = load_dataset(DataConfig(name="diabetes"))
    teacher, info = train_teacher(ds, TeacherConfig(hidden=[16], epochs=15, patience=15, batch_size=32),
                                  use_cache=False, progress=False)
    out = predict_outputs(teacher, ds.X_test)
    assert out.shape == (len(ds.X_test), 1)
    assert r2(out, ds.y_test) > 0.2  # diabetes: a linear model reaches about 0.45
    assert info["log"]["best_val_score"] <= 0  # minus the validation MSE
    cfg = StudentConfig(hidden=[4], epochs=15, patience=15, batch_size=32, loss="mse")
    student, log = distill_student(ds, teacher, cfg, progress=False, )
    scratch, _ = train_scratch_student(ds, cfg, progress=False)
    teacher_val = predict_outputs(teacher, ds.X_val)
    assert r2(predict_outputs(student, ds.X_val), teacher_val) > 0.5
    assert log.best_score == pytest.approx(-np.mean((predict_outputs(student, ds.X_val) - teacher_val) ** 2), rel=1e-5)
    assert predict_outputs(scratch, ds.X_val).shape == (len(ds.X_val), 1)


def test_function_matching_of_a_regression_uses_the_teachers_value_as_label():
    ds = load_dataset(DataConfig(name="diabetes"))
    torch.manual_seed(0)
    teacher = nn.Linear(ds.n_features, 1).eval()
    cfg = StudentConfig(hidden=[8], epochs=25, patience=25, batch_size=32, loss="mse", loss_params={"alpha": 0.5},
                        function_matching=True)
    student, _ = distill_student(ds, teacher, cfg, progress=False)
    # half the loss pulls to the teacher's value on the mixed rows, half to the same value as the label
    assert r2(predict_outputs(student, ds.X_test), predict_outputs(teacher, ds.X_test)) > 0.8


# ---- end to end (slow): hidden structure, the diabetes pipeline, load_run ----

def _hidden_structure_data(tmp_path) -> str:
    """300 rows of 4 standard-normal features and a float target (the teachers below ignore it)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    path = tmp_path / "hidden.npz"
    np.savez(path, X=X, y=X @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.3, size=300))
    return str(path)


def _hidden_structure_config(tmp_path, surrogates, inputs="raw") -> ExperimentConfig:
    return ExperimentConfig(name="hidden", data={"source": "npz", "path": _hidden_structure_data(tmp_path)},
                            teacher={"inputs": inputs}, student={"hidden": [2], "epochs": 2, "batch_size": 64},
                            surrogates=surrogates, attribution={"methods": []}, n_jobs=1, progress=False)


class _Step(nn.Module):
    """A step function of the first feature: 1 below 0.3, 4 above."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 1.0 + 3.0 * (x[:, :1] > 0.3).float()


# a brought teacher on a split drawn here is warned about; these teachers are defined on every row
DRAWN_SPLIT = "ignore:hidden. The test split was drawn here:UserWarning"


@pytest.mark.slow
@pytest.mark.filterwarnings(DRAWN_SPLIT)
def test_an_exactly_linear_teacher_is_matched_by_the_linear_surrogate(tmp_path):
    from interpret_distill.experiment import run_experiment
    from interpret_distill.runs import load_run

    teacher = nn.Linear(4, 1)
    with torch.no_grad():  # a linear teacher of the raw features, in the target's units
        teacher.weight.copy_(torch.tensor([[2.0, -1.0, 0.0, 3.0]]))
        teacher.bias.fill_(5.0)
    cfg = _hidden_structure_config(tmp_path, [{"kind": "linear", "grid": [{"penalty": "ridge", "alpha": 1e-4}]}])
    run = load_run(run_experiment(cfg, tmp_path / "runs", teacher=teacher, report=False))
    metrics = run.metrics.set_index("model")
    assert run.task == "regression"
    assert metrics.loc["linear:soft", "fidelity"] >= 0.999  # R² to the teacher, test split
    assert metrics.loc["linear:soft", "rmse_teacher"] < 0.05 * metrics.loc["teacher", "rmse"]


@pytest.mark.slow
@pytest.mark.filterwarnings(DRAWN_SPLIT)
def test_a_step_function_teacher_is_matched_by_a_depth_one_tree(tmp_path):
    from interpret_distill.experiment import run_experiment
    from interpret_distill.runs import load_run

    cfg = _hidden_structure_config(tmp_path, [{"kind": "tree", "grid": [{"max_depth": d} for d in (1, 2, 3, 4)]}],
                                   inputs="scaled")
    run = load_run(run_experiment(cfg, tmp_path / "runs", teacher=_Step(), report=False))
    tree = run.metrics.set_index("model").loc["tree:soft"]
    assert tree.role == "distilled" and tree.fidelity >= 0.999  # R² to the teacher, test split
    assert tree.complexity_score == 2  # two leaves: one split, chosen on validation among depths 1 to 4
    assert run.model("tree:soft").complexity_["depth"] == 1


@pytest.mark.slow
def test_a_tiny_diabetes_run_writes_a_regression_report_and_reads_back(tmp_path):
    from interpret_distill.experiment import run_experiment
    from interpret_distill.report import render_index
    from interpret_distill.runs import load_run

    cfg = ExperimentConfig(
        name="diabetes_tiny", data={"name": "diabetes", "task": "regression"},
        teacher={"hidden": [16], "epochs": 20, "patience": 20, "batch_size": 32},
        transfer={"augmentation": "mixup", "n_synthetic": 200},
        student={"hidden": [4], "epochs": 10, "batch_size": 32},
        surrogates=[{"kind": "tree", "grid": [{"max_depth": 2}, {"max_depth": 3}]},
                    {"kind": "linear", "grid": [{"penalty": "lasso", "alpha": 0.01}]},
                    {"kind": "additive", "grid": [{"n_knots": 6}]}],
        attribution={"methods": ["integrated_gradients", "feature_ablation", "native"], "examples": 8},
        n_jobs=1, progress=False)
    run_dir = run_experiment(cfg, tmp_path)
    run = load_run(run_dir)
    assert run.config["data"]["task"] == "regression" and run.config["student"]["loss"] == "mse"
    assert run.headline().columns.tolist() == ["model", "role", "accuracy", "fidelity", "rmse_teacher",
                                               "complexity", "size_bytes"]
    regimes = set(run.metrics.regime[run.metrics.family == "surrogate"])
    assert regimes == {"ground_truth", "soft", "soft+transfer"}
    assert run.test_probs["teacher"].shape == (len(run.y_test), 1)
    assert not run.agreement.empty and set(run.agreement.model) >= {"student"}
    html = (run_dir / "report.html").read_text()
    for text in ("Each surrogate beside the same kind fitted on the ground truth", "R² to teacher",
                 "Predictions against the teacher", "share of the teacher&#39;s test variance explained",
                 "Additive model"):
        assert text in html, text
    index = render_index(tmp_path).read_text()
    assert "Regression experiments" in index and "diabetes_tiny" in index
