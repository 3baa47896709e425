"""Neural architectures for teachers and students (MLP, small CNN, residual network), and batched prediction
helpers."""

from __future__ import annotations

import io
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from .compute import module_device, row_chunks, rows_per_call
from .probability import softmax
from .soft_tree import build_soft_tree


class Centre(nn.Module):
    """Subtracts a fixed input offset (a buffer, not a parameter): ``x - offset``.

    Args:
        n_features: length of the offset (initialised to zeros).

    Example:
        >>> centre = Centre(2); centre.offset.copy_(torch.tensor([1.0, 2.0]))
        tensor([1., 2.])
        >>> centre(torch.tensor([[1.0, 1.0]]))
        tensor([[ 0., -1.]])
    """

    def __init__(self, n_features: int):
        super().__init__()
        self.register_buffer("offset", torch.zeros(n_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Subtract the offset.

        Args:
            x: ``(n, n_features)`` inputs.

        Returns:
            ``x - offset``, same shape.

        Example:
            >>> Centre(2)(torch.ones(1, 2))  # the offset starts at zero
            tensor([[1., 1.]])
        """
        return x - self.offset


class MLP(nn.Sequential):
    """A fully connected classifier: ``(n, d)`` features → ``(n, k)`` logits.

    With ``centre=True`` the first layer is a :class:`Centre` whose offset the caller sets (e.g. to the
    training mean). Why: on non-negative inputs such as pixels in [0, 1], a narrow ReLU layer whose
    weights turn negative stops firing for good; an 8-unit digits student lost 3–4 of its units that way
    and its accuracy varied by 0.05 between seeds. Centred inputs have both signs, so units recover.

    Args:
        n_features: input width ``d``.
        n_classes: number of output logits ``k``.
        hidden: widths of the hidden ReLU layers.
        dropout: dropout probability after each hidden layer (``0``: no Dropout layers).
        centre: start with a :class:`Centre` layer.

    Example:
        >>> MLP(4, 3, hidden=[8])(torch.zeros(2, 4)).shape
        torch.Size([2, 3])
    """

    def __init__(self, n_features: int, n_classes: int, hidden: Sequence[int] = (64,), dropout: float = 0.0,
                 centre: bool = False):
        layers: list[nn.Module] = [Centre(n_features)] if centre else []
        width = n_features
        for size in hidden:
            layers += [nn.Linear(width, size), nn.ReLU()]
            if dropout:
                layers.append(nn.Dropout(dropout))
            width = size
        layers.append(nn.Linear(width, n_classes))
        super().__init__(*layers)


class SmallCNN(nn.Module):
    """A small CNN that takes *flat* rows and folds them into ``image_shape`` itself.

    Keeping every model's input flat lets surrogates, metrics and attributions share one data layout.
    Layers: a 3×3 convolution and ReLU per entry of ``channels``, one 2×2 max-pool, then a 64-unit dense layer.

    Args:
        image_shape: ``(channels, height, width)`` of one input.
        n_classes: number of output logits ``k``.
        channels: output channels of each convolution.
        dropout: dropout probability before the dense head.

    Example:
        >>> SmallCNN((1, 8, 8), 10, channels=[4, 8])(torch.zeros(2, 64)).shape
        torch.Size([2, 10])
    """

    def __init__(self, image_shape: Sequence[int], n_classes: int, channels: Sequence[int] = (16, 32),
                 dropout: float = 0.0):
        super().__init__()
        self.image_shape = tuple(image_shape)
        in_ch, height, width = self.image_shape
        blocks: list[nn.Module] = []
        for out_ch in channels:
            blocks += [nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1), nn.ReLU()]
            in_ch = out_ch
        blocks.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*blocks)
        flat = in_ch * (height // 2) * (width // 2)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(flat, 64), nn.ReLU(),
                                  nn.Linear(64, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Fold flat rows into images and return their logits.

        Args:
            x: ``(n, c * h * w)`` flat rows (anything reshapeable to ``(n, *image_shape)``).

        Returns:
            ``(n, n_classes)`` logits.

        Example:
            >>> SmallCNN((1, 4, 4), 3, channels=[2]).forward(torch.zeros(5, 16)).shape
            torch.Size([5, 3])
        """
        return self.head(self.features(x.reshape(-1, *self.image_shape)))


class ResidualBlock(nn.Module):
    """Two 3×3 convolutions with batch norm, added to a shortcut: ``relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))``.

    The shortcut is the identity, or a strided 1×1 convolution with batch norm where the block changes the width or
    the resolution (He et al. 2016's projection shortcut).

    Args:
        in_channels: channels coming in.
        out_channels: channels going out.
        stride: 2 halves the resolution (first block of a stage), 1 keeps it.

    Example:
        >>> ResidualBlock(4, 8, stride=2)(torch.zeros(1, 4, 6, 6)).shape
        torch.Size([1, 8, 3, 3])
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = nn.ReLU()  # a ReLU module per use: DeepLift hooks each one
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        projection = stride != 1 or in_channels != out_channels
        self.shortcut = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
        ) if projection else nn.Sequential()
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The block's output.

        Args:
            x: ``(n, in_channels, h, w)`` feature maps.

        Returns:
            ``(n, out_channels, h / stride, w / stride)`` feature maps (sizes rounded up).

        Example:
            >>> ResidualBlock(2, 2)(torch.zeros(1, 2, 4, 4)).shape
            torch.Size([1, 2, 4, 4])
        """
        inner = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(inner + self.shortcut(x))


class ResNet(nn.Module):
    """A residual network for small images (the CIFAR-style ResNet of He et al. 2016), taking *flat* rows.

    A 3×3 convolution to ``channels[0]``, then one stage per entry of ``channels``, each of ``blocks``
    :class:`ResidualBlock` s (the first block of every stage after the first halves the resolution), global average
    pooling, dropout and a linear layer. Depth ``2 + 2 * blocks * len(channels)``: ``channels=[16, 32, 64]`` is
    ResNet-8 with ``blocks=1`` and ResNet-20 with ``blocks=3``.

    Args:
        image_shape: ``(channels, height, width)`` of one input.
        n_classes: number of output logits ``k``.
        channels: width of each stage.
        blocks: residual blocks per stage.
        dropout: dropout probability before the linear layer.

    Example:
        >>> net = ResNet((1, 8, 8), 10, channels=[4, 8], blocks=1)
        >>> net(torch.zeros(2, 64)).shape, len(net.stages)
        (torch.Size([2, 10]), 2)
    """

    def __init__(self, image_shape: Sequence[int], n_classes: int, channels: Sequence[int] = (16, 32, 64),
                 blocks: int = 1, dropout: float = 0.0):
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        self.channels, self.blocks = [int(c) for c in channels], int(blocks)  # how to rebuild it (artifacts)
        width = channels[0]
        self.stem = nn.Sequential(nn.Conv2d(self.image_shape[0], width, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        stages: list[nn.Module] = []
        for stage, out_channels in enumerate(channels):
            for block in range(blocks):
                stages.append(ResidualBlock(width, out_channels, stride=2 if stage and not block else 1))
                width = out_channels
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout),
                                  nn.Linear(width, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Fold flat rows into images and return their logits.

        Args:
            x: ``(n, c * h * w)`` flat rows.

        Returns:
            ``(n, n_classes)`` logits.

        Example:
            >>> ResNet((1, 4, 4), 3, channels=[2]).forward(torch.zeros(5, 16)).shape
            torch.Size([5, 3])
        """
        channels, height, width = self.image_shape
        return self.head(self.stages(self.stem(x.reshape(-1, channels, height, width))))


class ImageInput(nn.Module):
    """Feeds a network that takes ``(n, channels, height, width)`` images the pipeline's flat rows, folded.

    For a brought teacher with ``teacher.input_layout: image`` (a torchvision model, or its TorchScript export). It
    stays differentiable; ``differentiable`` is copied from the wrapped network (True when it has no such attribute).

    Args:
        network: the network taking images.
        image_shape: ``(channels, height, width)``.

    Example:
        >>> ImageInput(nn.Flatten(), (1, 2, 2))(torch.arange(4.0).reshape(1, 4))
        tensor([[0., 1., 2., 3.]])
    """

    def __init__(self, network: nn.Module, image_shape: Sequence[int]):
        super().__init__()
        self.network = network
        self.image_shape = tuple(int(s) for s in image_shape)
        self.differentiable = bool(getattr(network, "differentiable", True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The wrapped network's output on ``x`` folded into images.

        Args:
            x: ``(n, c * h * w)`` flat rows.

        Returns:
            Whatever the network returns (logits ``(n, k)``).

        Example:
            >>> ImageInput(nn.Identity(), (1, 1, 2))(torch.ones(3, 2)).shape
            torch.Size([3, 1, 1, 2])
        """
        return self.network(x.reshape(-1, *self.image_shape))


def build_mlp(n_features: int, n_classes: int, image_shape, hidden=(64,), dropout=0.0, centre=False,
              **_) -> nn.Module:
    """The ``mlp`` entry of :data:`ARCHITECTURES`: an :class:`MLP` (``image_shape`` is ignored).

    Args:
        n_features: input width.
        n_classes: number of outputs.
        image_shape: unused (an image is taken as its flat pixels).
        hidden: hidden layer widths.
        dropout: dropout probability after each hidden layer.
        centre: start with a :class:`Centre` layer.
        **_: sizes of other architectures (e.g. ``channels``), ignored.

    Returns:
        The :class:`MLP`.

    Example:
        >>> build_mlp(4, 3, None, hidden=[5], channels=[8])[0]
        Linear(in_features=4, out_features=5, bias=True)
    """
    return MLP(n_features, n_classes, hidden, dropout, centre)


def build_cnn(n_features: int, n_classes: int, image_shape, channels=(16, 32), dropout=0.0, **_) -> nn.Module:
    """The ``cnn`` entry of :data:`ARCHITECTURES`: a :class:`SmallCNN` (``n_features`` is implied by the shape).

    Args:
        n_features: unused (``image_shape`` gives the input width).
        n_classes: number of outputs.
        image_shape: ``(channels, height, width)``.
        channels: output channels of each convolution.
        dropout: dropout probability before the dense head.
        **_: sizes of other architectures (e.g. ``hidden``), ignored.

    Returns:
        The :class:`SmallCNN`.

    Raises:
        ValueError: ``image_shape`` is None (tabular data).

    Example:
        >>> build_cnn(64, 10, (1, 8, 8), channels=[4])(torch.zeros(2, 64)).shape
        torch.Size([2, 10])
    """
    if image_shape is None:
        raise ValueError("arch 'cnn' needs image data (a dataset with image_shape); use arch 'mlp' for tables")
    return SmallCNN(image_shape, n_classes, channels, dropout)


def build_resnet(n_features: int, n_classes: int, image_shape, channels=(16, 32, 64), blocks=1, dropout=0.0,
                 **_) -> nn.Module:
    """The ``resnet`` entry of :data:`ARCHITECTURES`: a :class:`ResNet` (``n_features`` is implied by the shape).

    Args:
        n_features: unused (``image_shape`` gives the input width).
        n_classes: number of outputs.
        image_shape: ``(channels, height, width)``.
        channels: width of each stage.
        blocks: residual blocks per stage.
        dropout: dropout probability before the linear layer.
        **_: sizes of other architectures (e.g. ``hidden``), ignored.

    Returns:
        The :class:`ResNet`.

    Raises:
        ValueError: ``image_shape`` is None (tabular data).

    Example:
        >>> count_parameters(build_resnet(64, 10, (1, 8, 8), channels=[4], blocks=1))
        398
    """
    if image_shape is None:
        raise ValueError("arch 'resnet' needs image data (a dataset with image_shape); use arch 'mlp' for tables")
    return ResNet(image_shape, n_classes, channels, blocks, dropout)


ARCHITECTURES: dict[str, Callable[..., nn.Module]] = {"mlp": build_mlp, "cnn": build_cnn, "resnet": build_resnet,
                                                      "soft_tree": build_soft_tree}


def build_network(arch: str, n_features: int, n_classes: int, image_shape=None, **sizes) -> nn.Module:
    """Build a registered architecture (``mlp``, ``cnn``, ``resnet`` or ``soft_tree``) for the given data shape.

    Args:
        arch: a key of :data:`ARCHITECTURES`.
        n_features: input width ``d``.
        n_classes: number of output logits ``k``.
        image_shape: ``(channels, height, width)`` for image data, else None.
        **sizes: the architecture's keyword sizes (``hidden``, ``channels``, ``blocks``, ``dropout``, ``centre``,
            ``depth``, ``beta``, ``penalty``); sizes of the other architectures are ignored.

    Returns:
        The untrained network, ``(n, d)`` rows to ``(n, k)`` logits.

    Raises:
        ValueError: an unknown ``arch``, or ``cnn`` / ``resnet`` without ``image_shape``.

    Example:
        >>> build_network("mlp", 4, 3, hidden=[8], channels=[16])
        MLP(
          (0): Linear(in_features=4, out_features=8, bias=True)
          (1): ReLU()
          (2): Linear(in_features=8, out_features=3, bias=True)
        )
    """
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of: {', '.join(ARCHITECTURES)}")
    return ARCHITECTURES[arch](n_features, n_classes, image_shape, **sizes)


def count_parameters(module: nn.Module) -> int:
    """Number of parameters (frozen ones included: a frozen teacher is still that big).

    Args:
        module: any torch module.

    Returns:
        The total number of parameter entries (buffers such as :class:`Centre`'s offset are not counted).

    Example:
        >>> count_parameters(nn.Linear(4, 3))  # 4 * 3 weights + 3 biases
        15
    """
    return sum(p.numel() for p in module.parameters())


@contextmanager
def eval_mode(module: Any) -> Iterator[Any]:
    """Run the block with ``module`` in eval mode (no dropout), then restore the caller's mode.

    Args:
        module: the module to switch (in place); anything that is not an ``nn.Module`` (a fitted surrogate,
            a plain callable) passes through unchanged.

    Returns:
        A context manager yielding ``module``.

    Example:
        >>> net = nn.Dropout(0.5)
        >>> with eval_mode(net):
        ...     net.training
        False
        >>> net.training
        True
    """
    if not isinstance(module, nn.Module):
        yield module
        return
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


@torch.no_grad()
def predict_logits(module: nn.Module, X: np.ndarray, batch_size: int | None = None) -> np.ndarray:
    """Logits of ``module`` on ``X`` in eval mode, in chunks on the module's device, as float64 numpy.

    Runs without gradients; the module's train/eval mode is restored afterwards. Only one chunk of ``X`` is
    converted to float32 and moved to the device at a time, so memory grows with the chunk, not with ``X``.

    Args:
        module: a network taking ``(n, d)`` float32 tensors.
        X: ``(n, d)`` inputs (cast to float32 chunk by chunk).
        batch_size: rows per forward pass (default: as many as fit in ``compute.DEFAULT_CHUNK_MB`` of activations,
            :func:`~interpret_distill.compute.rows_per_call`).

    Returns:
        ``(n, k)`` float64 logits.

    Example:
        >>> predict_logits(nn.Identity(), np.eye(2)).tolist()
        [[1.0, 0.0], [0.0, 1.0]]
    """
    device = module_device(module)
    out = None
    batch_size = batch_size or rows_per_call(module, X.shape[1])
    with eval_mode(module):
        for rows in row_chunks(len(X), batch_size):
            chunk = torch.as_tensor(np.asarray(X[rows], dtype=np.float32)).to(device)
            logits = module(chunk).double().cpu().numpy()
            if out is None:
                out = np.empty((len(X), logits.shape[1]), dtype=np.float64)
            out[rows] = logits
    return out if out is not None else module(torch.empty((0, X.shape[1]))).double().numpy()


def predict_proba(module: nn.Module, X: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities of a torch classifier at a temperature.

    Args:
        module: a network returning logits.
        X: ``(n, d)`` inputs.
        temperature: softmax temperature.

    Returns:
        ``(n, k)`` float64 probabilities (:func:`predict_logits`, then :func:`softmax`).

    Example:
        >>> predict_proba(nn.Identity(), np.array([[0.0, np.log(3)]])).round(3).tolist()
        [[0.25, 0.75]]
    """
    return softmax(predict_logits(module, X), temperature)


def predict_outputs(module: nn.Module, X: np.ndarray) -> np.ndarray:
    """What the pipeline compares a network on: its class probabilities, or its value for a one-output network.

    A network with a single output is a regressor (a classifier has an output per class, two at least); its
    ``(n, 1)`` prediction is returned as it is, where a softmax would make it the constant 1.

    Args:
        module: a network returning logits or, with one output, a predicted value.
        X: ``(n, d)`` inputs.

    Returns:
        ``(n, k)`` float64 probabilities, or ``(n, 1)`` float64 predictions.

    Example:
        >>> predict_outputs(nn.Identity(), np.array([[3.0]])).tolist()  # one output: the value
        [[3.0]]
        >>> predict_outputs(nn.Identity(), np.zeros((1, 2))).tolist()  # two or more: probabilities
        [[0.5, 0.5]]
    """
    logits = predict_logits(module, X)
    return logits if logits.shape[1] == 1 else softmax(logits)


def state_dict_bytes(module: nn.Module) -> int:
    """Serialized size of the module's ``state_dict`` in bytes.

    Args:
        module: any torch module.

    Returns:
        The size of ``torch.save(module.state_dict())`` in memory (tensors plus the archive's overhead).

    Example:
        >>> state_dict_bytes(nn.Linear(100, 10)) > 4 * 1010  # 1,010 float32 values
        True
    """
    buffer = io.BytesIO()
    torch.save(module.state_dict(), buffer)
    return buffer.getbuffer().nbytes


def load_torchscript(path) -> torch.jit.ScriptModule:
    """A TorchScript archive on the CPU in eval mode, without torch.jit's deprecation notices.

    Args:
        path: the ``.ts`` / ``.pt`` file written by ``torch.jit.save``.

    Returns:
        The scripted module.

    Raises:
        Whatever torch's deserializer raises for a damaged file (callers name the fix).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.* deprecation notices
        return torch.jit.load(str(path), map_location="cpu").eval()
