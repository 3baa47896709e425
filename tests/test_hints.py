"""Hint (feature) distillation: named layers through hooks (and through TorchScript), the regressor, the two stages."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill.config import StudentConfig, TeacherConfig, parse_config
from interpret_distill.data import Dataset
from interpret_distill.errors import ConfigError, TeacherError
from interpret_distill.hints import (
    HintRegressor,
    build_hinted,
    find_layer,
    hint_distance_score_fn,
    hint_steps,
    layer_reader,
)
from interpret_distill.losses import feature_l2, get_loss
from interpret_distill.models import SmallCNN, predict_logits
from interpret_distill.students import check_students, distill_student, torch_threads
from interpret_distill.teachers import resolve_teacher
from interpret_distill.training import train_network

SHAPE = (1, 4, 4)


def _images(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, 16)).astype(np.float32)


def _dataset() -> Dataset:
    X, Xv, Xt = _images(96, 0), _images(32, 1), _images(32, 2)
    y, yv, yt = ((rows[:, :8].sum(1) > 0).astype(int) for rows in (X, Xv, Xt))
    return Dataset("toy", X, y, Xv, yv, Xt, yt, [f"p{i}" for i in range(16)], ["a", "b"], np.zeros(16),
                   np.ones(16), image_shape=SHAPE)


def _teacher() -> nn.Module:
    torch.manual_seed(1)
    return SmallCNN(SHAPE, 2, channels=[4, 6]).eval()


def _linear_fit_residual(student_features: torch.Tensor, teacher_features: torch.Tensor) -> float:
    """The share of the teacher's feature variance that no 1×1 linear map of the student's features explains."""
    def per_position(maps: torch.Tensor) -> torch.Tensor:  # (n, c, h, w) -> (n h w, c)
        return maps.permute(0, 2, 3, 1).reshape(-1, maps.shape[1]).double()

    S, T = per_position(student_features), per_position(teacher_features)
    S = torch.cat([S, torch.ones(len(S), 1, dtype=S.dtype)], dim=1)
    solution = torch.linalg.lstsq(S, T, driver="gelsd").solution  # exact also when a channel is all zero
    return float(((S @ solution - T) ** 2).sum() / ((T - T.mean(0)) ** 2).sum())


def test_hint_loss_in_the_registry_takes_its_weight_and_features_per_batch():
    loss = get_loss("hint", alpha=1.0, hint_weight=2.0)
    logits = torch.tensor([[1.0, -1.0]])
    assert loss(logits, logits, None).item() == 0.0  # no features: the KD term alone
    features = loss(logits, logits, None, student_features=torch.zeros(1, 3), teacher_features=torch.ones(1, 3))
    assert features.item() == pytest.approx(2.0 * 0.5)
    with pytest.raises(ValueError, match="student_features"):  # given per batch, never in loss_params
        get_loss("hint", student_features=1.0)
    with pytest.raises(ValueError, match="hint_weight must be >= 0"):
        get_loss("hint", hint_weight=-1.0)


def test_hint_config_needs_both_layers_and_refuses_them_for_other_losses():
    assert StudentConfig(loss="hint", teacher_layer="features.2", student_layer="features.1").hint_epochs == 0
    with pytest.raises(ValueError, match="needs student.teacher_layer"):
        StudentConfig(loss="hint", teacher_layer="features.2")
    with pytest.raises(ValueError, match="read only with student.loss: hint"):
        StudentConfig(loss="kd", student_layer="features.1")
    with pytest.raises(ConfigError, match="takes neither function_matching"):
        parse_config({"name": "x", "data": {"name": "iris"},
                      "student": {"loss": "hint", "teacher_layer": "0", "student_layer": "0",
                                  "function_matching": True}})


def test_a_missing_layer_fails_before_training_with_the_names_there_are():
    dataset = _dataset()
    cfg = StudentConfig(arch="cnn", channels=[2], loss="hint", teacher_layer="features.2", student_layer="feature.1")
    with pytest.raises(ConfigError, match=r"student.student_layer 'feature.1' is not a module of the student; its "
                                          r"modules: features, features.0, features.1, features.2, head"):
        check_students(cfg, dataset, seed=0)
    cfg = cfg.model_copy(update={"student_layer": "features.1", "teacher_layer": "features.9"})
    check_students(cfg, dataset, seed=0)  # the teacher's name waits for the teacher
    with pytest.raises(ConfigError, match="student.teacher_layer 'features.9' is not a module of the teacher"):
        check_students(cfg, dataset, seed=0, teacher=_teacher())


def test_the_regressor_maps_feature_maps_by_1x1_convolution_and_pools_to_the_teachers_resolution():
    regressor = HintRegressor((2, 4, 4), (6, 2, 2))
    assert isinstance(regressor.map, nn.Conv2d) and regressor.map.kernel_size == (1, 1)
    assert regressor(torch.zeros(3, 2, 4, 4)).shape == (3, 6, 2, 2)


def test_on_a_toy_pair_the_hint_loss_falls_and_the_students_features_move_towards_the_teachers():
    teacher = _teacher()
    torch.manual_seed(0)
    student = SmallCNN(SHAPE, 2, channels=[2])
    X, X_val = _images(96, 0), _images(32, 1)
    pair, read_teacher = build_hinted(student, teacher, "features.3", "features.1", X)
    x_val = torch.as_tensor(X_val)
    with torch.no_grad():
        before_hint = -hint_distance_score_fn(X_val, read_teacher, teacher)(pair)
        before_fit = _linear_fit_residual(layer_reader(student, "features.1")(x_val), read_teacher(x_val))
    stage_one, _ = hint_steps(read_teacher, teacher, "hint", {})
    with torch_threads(1):
        log = train_network(pair, X, np.zeros(len(X), dtype=int), stage_one,
                            hint_distance_score_fn(X_val, read_teacher, teacher), epochs=30, batch_size=16, lr=1e-2,
                            weight_decay=0.0, patience=30, seed=0, progress=False)
    with torch.no_grad():
        after_hint = -hint_distance_score_fn(X_val, read_teacher, teacher)(pair)
        after_fit = _linear_fit_residual(layer_reader(student, "features.1")(x_val), read_teacher(x_val))
    assert log.train_losses[-1] < 0.5 * log.train_losses[0]
    assert after_hint < 0.5 * before_hint  # validation split
    # measured without the learned regressor: the best linear map from the student's hooked features explains more
    # of the teacher's (2 student channels cannot carry all 6 teacher channels, so it does not reach 0)
    assert after_fit < 0.8 * before_fit


def test_distilling_with_hints_trains_the_student_only_and_keeps_the_plain_network():
    dataset, teacher = _dataset(), _teacher()
    cfg = StudentConfig(arch="cnn", channels=[2], loss="hint", teacher_layer="features.3", student_layer="features.1",
                        hint_epochs=5, epochs=5, batch_size=32)
    student, log = distill_student(dataset, teacher, cfg, progress=False)
    assert isinstance(student, SmallCNN) and log.epochs_run == 5
    assert predict_logits(student, dataset.X_test).shape == (32, 2)
    again, _ = distill_student(dataset, teacher, cfg, progress=False)
    assert torch.equal(again.features[0].weight, student.features[0].weight)  # deterministic given the seed


def _scripted_image_teacher() -> torch.jit.ScriptModule:
    torch.manual_seed(2)
    features = nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 5, 3, padding=1), nn.ReLU())
    net = nn.Sequential(OrderedDict(features=features, head=nn.Sequential(nn.Flatten(), nn.Linear(5 * 16, 2))))
    return torch.jit.script(net.eval())


def test_a_brought_torchscript_teacher_with_named_modules_gives_its_layer(tmp_path):
    path = tmp_path / "teacher.ts"
    torch.jit.save(_scripted_image_teacher(), str(path))
    dataset = _dataset()
    teacher, info = resolve_teacher(dataset, TeacherConfig(checkpoint=str(path), input_layout="image",
                                                           inputs="scaled"))
    assert info["kind"] == "torchscript"
    scripted = teacher.network  # ImageInput around the loaded archive
    with pytest.raises((RuntimeError, NotImplementedError)):  # why the layer is not read with a hook
        scripted.features.register_forward_hook(lambda *_: None)
    x = torch.as_tensor(dataset.X_val[:5])
    layers = dict(scripted.features.named_children())
    expected = layers["1"](layers["0"](x.reshape(-1, *SHAPE)))
    assert find_layer(teacher, "features.1", "teacher") == "network.features.1"
    assert torch.equal(layer_reader(teacher, "features.1")(x), expected)
    assert torch.equal(teacher(x), scripted(x.reshape(-1, *SHAPE)))  # the teacher is left as it was

    cfg = StudentConfig(arch="cnn", channels=[2], loss="hint", teacher_layer="features.1", student_layer="features.1",
                        hint_epochs=20, epochs=3, batch_size=32, lr=1e-2)
    student, _ = distill_student(dataset, teacher, cfg, progress=False)
    pair, read_teacher = build_hinted(SmallCNN(SHAPE, 2, channels=[2]), teacher, "features.1", "features.1",
                                      dataset.X_train)
    with torch.no_grad():
        untrained = _linear_fit_residual(layer_reader(pair.student, "features.1")(x), read_teacher(x))
        trained = _linear_fit_residual(layer_reader(student, "features.1")(x), read_teacher(x))
    assert trained < untrained


def test_a_torchscript_teacher_whose_forward_is_not_its_chain_of_children_is_refused(tmp_path):
    path = tmp_path / "cnn.ts"
    torch.jit.save(torch.jit.script(SmallCNN(SHAPE, 2, channels=[3])), str(path))  # folds flat rows in forward
    teacher, _ = resolve_teacher(_dataset(), TeacherConfig(checkpoint=str(path), inputs="scaled"))
    with pytest.raises(TeacherError, match="the network itself is not the chain of its children; bring the teacher "
                                           "as a state_dict or a factory"):
        layer_reader(teacher, "features.1")(torch.zeros(2, 16))


def test_feature_l2_is_half_the_mean_squared_difference():
    assert feature_l2(torch.zeros(2, 2), torch.full((2, 2), 2.0)).item() == pytest.approx(2.0)
