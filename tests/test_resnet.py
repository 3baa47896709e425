"""The residual teacher (teacher.arch: resnet), rebuilt from a state_dict and its spec, and brought residual networks
that take images (teacher.input_layout: image): a TorchScript export and a factory, as a torchvision model would be."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from interpret_distill.artifacts import load_network, save_network
from interpret_distill.config import DataConfig, StudentConfig, TeacherConfig
from interpret_distill.data import Dataset, load_dataset
from interpret_distill.errors import ConfigError, TeacherError
from interpret_distill.models import ResNet, build_network, count_parameters, predict_logits
from interpret_distill.students import build_student
from interpret_distill.teachers import resolve_teacher, train_teacher

pytestmark = pytest.mark.filterwarnings("ignore:.*torch.jit.*deprecated:DeprecationWarning")


class ImageResNet(nn.Module):
    """A residual network that takes (n, channels, height, width) images, as torchvision's do."""

    def __init__(self, n_classes: int = 10):
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.block = nn.Sequential(nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1))
        self.fc = nn.Linear(4, n_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.stem(images))
        x = torch.relu(x + self.block(x))
        return self.fc(x.mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def digits():
    return load_dataset(DataConfig(name="digits", max_rows=400), seed=0)


@pytest.mark.parametrize("blocks, depth", [(1, 8), (3, 20)])
def test_depth_is_two_plus_two_convolutions_per_block(blocks, depth):
    net = ResNet((3, 32, 32), 10, channels=[16, 32, 64], blocks=blocks)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(convs) + 1 == depth  # 3x3 convolutions plus the linear layer (shortcuts are 1x1)
    assert net(torch.zeros(2, 3 * 32 * 32)).shape == (2, 10)
    assert net.stages[-1].conv2.out_channels == 64


def test_a_trained_resnet_teacher_learns_and_is_rebuilt_from_its_state_dict_and_spec(digits, tmp_path):
    cfg = TeacherConfig(arch="resnet", channels=[8, 16], blocks=1, epochs=6, patience=6, batch_size=32)
    teacher, info = train_teacher(digits, cfg, seed=0, use_cache=False, progress=False)
    accuracy = (predict_logits(teacher, digits.X_test).argmax(1) == digits.y_test).mean()
    assert accuracy > 0.6, accuracy  # chance is 0.1
    entry = save_network(teacher, tmp_path, "teacher", digits.X_train[:2])
    assert entry["format"] == "state_dict" and entry["spec"]["arch"] == "resnet"
    assert entry["spec"]["channels"] == [8, 16] and entry["spec"]["blocks"] == 1
    rebuilt = load_network(tmp_path, entry)
    np.testing.assert_allclose(predict_logits(rebuilt, digits.X_test), predict_logits(teacher, digits.X_test),
                               rtol=1e-5, atol=1e-5)  # batch-norm statistics came back too


def test_a_resnet_state_dict_checkpoint_loads_with_its_sizes(digits, tmp_path):
    net = build_network("resnet", 64, 10, (1, 8, 8), channels=[4, 8], blocks=2)
    torch.save(net.state_dict(), tmp_path / "resnet.pt")
    cfg = TeacherConfig(checkpoint=str(tmp_path / "resnet.pt"), arch="resnet", channels=[4, 8], blocks=2,
                        inputs="scaled")
    module, info = resolve_teacher(digits, cfg)
    assert info["kind"] == "resnet" and info["n_params"] == count_parameters(net)
    wrong = cfg.model_copy(update={"blocks": 1})
    with pytest.raises(Exception, match="teacher.arch / hidden / channels / blocks"):
        resolve_teacher(digits, wrong)


def test_a_scripted_residual_net_taking_images_is_a_teacher_with_input_layout_image(digits, tmp_path):
    torch.manual_seed(0)
    net = ImageResNet().eval()
    path = tmp_path / "resnet.ts"
    torch.jit.save(torch.jit.script(net), str(path))
    teacher, info = resolve_teacher(digits, TeacherConfig(checkpoint=str(path), input_layout="image"))
    assert info["kind"] == "torchscript"
    raw_images = torch.as_tensor(digits.X_test[:5] * digits.scale + digits.offset, dtype=torch.float32)
    with torch.no_grad():
        expected = net(raw_images.reshape(-1, 1, 8, 8)).double().numpy()  # the teacher sees the data's own pixels
    np.testing.assert_allclose(predict_logits(teacher, digits.X_test[:5]), expected, rtol=1e-5, atol=1e-5)
    with pytest.raises(TeacherError, match="failed on inputs with 64 features"):
        resolve_teacher(digits, TeacherConfig(checkpoint=str(path)))  # flat rows: the layout must be said


def test_a_factory_returning_an_image_resnet(digits, tmp_path, monkeypatch):
    (tmp_path / "my_resnets.py").write_text(
        "import torch\nfrom torch import nn\n\n"
        "def build():\n"
        "    torch.manual_seed(0)\n"
        "    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),\n"
        "                         nn.Linear(4, 10))\n")
    monkeypatch.chdir(tmp_path)
    teacher, info = resolve_teacher(digits, TeacherConfig(factory="my_resnets:build", input_layout="image"))
    assert info["source"] == "factory:my_resnets:build" and predict_logits(teacher, digits.X_test).shape[1] == 10


def test_layout_and_arch_need_image_data():
    X, y = np.eye(4, dtype=np.float32), np.array([0, 1, 0, 1])
    table = Dataset("toy", X, y, X, y, X, y, list("abcd"), ["no", "yes"], np.zeros(4), np.ones(4))
    with pytest.raises(ConfigError, match="teacher.input_layout is image but dataset 'toy' is a table"):
        resolve_teacher(table, TeacherConfig(factory="torch.nn:Identity", input_layout="image"))
    with pytest.raises(TeacherError, match="arch 'resnet' needs image data"):
        resolve_teacher(table, TeacherConfig(arch="resnet"))


def test_a_resnet_student(digits):
    student = build_student(digits, StudentConfig(arch="resnet", channels=[4]), seed=0)
    assert isinstance(student, ResNet) and student(torch.as_tensor(digits.X_test[:3])).shape == (3, 10)
