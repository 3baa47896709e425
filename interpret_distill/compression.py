"""The compression stage: distillation beside pruning and quantization of the same teacher, on the same metrics.

Each **route** is one function in :data:`ROUTES` that returns the models it makes from the teacher or the
distilled students (:class:`CompressionInputs`); adding a route is one function plus one registry line:

* ``distillation``: the distilled students of the width sweep, as trained by the student stage;
* ``pruning``: the teacher globally magnitude-pruned at each of ``pruning.sparsities`` (and, with
  ``match_student``, to as many non-zero parameters as the distilled student), each fine-tuned on the labels of the
  training rows for the same number of optimiser steps, zeros made permanent;
* ``pruning+distillation``: the same with the teacher's soft labels as the fine-tuning target;
* ``quantization``: the teacher quantized to int8 after training (torchao), once per scheme;
* ``distillation+quantization``: the distilled student quantized the same way.

:func:`compression_table` then measures, for the teacher and every model of the routes, what no compression
library reports beside size and speed: how faithfully each follows the teacher (from the metrics table) and whether
it still *explains* like the teacher. Every model is explained with ``feature_ablation`` (:data:`ATTRIBUTION_METHOD`):
gradients do not flow through int8 activations, and one model-agnostic method explains every model alike. Size
and latency are measured on the saved artifact: each model is written as the run directory stores it, its file's
bytes are counted, and the model read back from that file is the one timed.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from functools import partial
from importlib import metadata
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn import functional as F

from .artifacts import load_network, network_spec, save_network
from .compression_config import CompressionConfig
from .data import Dataset
from .errors import ConfigError
from .losses import kd_loss
from .metrics import latency_ms_per_1k
from .models import predict_logits, predict_proba
from .pruning import (
    count_nonzero_parameters,
    csr_bytes,
    finetune,
    prune_globally,
    sparsity_for_nonzero,
)
from .quantization import check_available, float_layers, quantize, quantized_share
from .results import FittedModel
from .students import torch_threads

ATTRIBUTION_METHOD = "feature_ablation"
COMPRESSED = "compressed"  # the metrics table's role (and family) of every model a route makes from the teacher or student


@dataclass
class CompressionInputs:
    """What every route may compress.

    Attributes:
        cfg: the ``compression`` config section.
        dataset: the splits (routes fine-tune on the training rows only).
        teacher: the teacher's :class:`~interpret_distill.results.FittedModel`.
        students: the distilled students of every width, the validation-selected one (``"student"``) first.
        seed: seeds fine-tuning.
    """

    cfg: CompressionConfig
    dataset: Dataset
    teacher: FittedModel
    students: list[FittedModel]
    seed: int


Route = Callable[[CompressionInputs], list[FittedModel]]


def distillation(inputs: CompressionInputs) -> list[FittedModel]:
    """The distilled students of the width sweep, as the student stage trained them (nothing new is made).

    Args:
        inputs: what the routes compress.

    Returns:
        ``inputs.students``, the selected width first.

    Example:
        >>> student = FittedModel("student", "student", "mlp", "kd", "distilled", nn.Linear(2, 2))
        >>> [m.name for m in distillation(CompressionInputs(CompressionConfig(), None, None, [student], 0))]
        ['student']
    """
    return list(inputs.students)


def pruning(inputs: CompressionInputs) -> list[FittedModel]:
    """The teacher pruned at every level of :func:`pruning_levels`, each fine-tuned on the training labels.

    Args:
        inputs: the teacher, the distilled student (for the matched level), the data and the ``pruning`` settings.

    Returns:
        One model per level, named ``teacher:pruned<percent>`` (and ``teacher:pruned-as-student``).
    """
    return _pruned_teachers(inputs, soft_labels=False)


def pruning_with_distillation(inputs: CompressionInputs) -> list[FittedModel]:
    """The teacher pruned at every level of :func:`pruning_levels`, each fine-tuned on its own soft labels.

    Args:
        inputs: the teacher, the distilled student (for the matched level), the data and the ``pruning`` settings.

    Returns:
        One model per level, named ``teacher:pruned<percent>+kd`` (and ``teacher:pruned-as-student+kd``).
    """
    return _pruned_teachers(inputs, soft_labels=True)


def quantization(inputs: CompressionInputs) -> list[FittedModel]:
    """The teacher quantized to int8 after training, once per configured scheme.

    Args:
        inputs: the teacher and the ``quantization`` settings.

    Returns:
        One model per scheme, named ``teacher:<scheme>``, with the recipe its saved file is rebuilt with.
    """
    return _quantized(inputs.teacher, inputs.cfg.quantization.schemes)


def distillation_with_quantization(inputs: CompressionInputs) -> list[FittedModel]:
    """The distilled (validation-selected) student quantized to int8, once per configured scheme.

    Args:
        inputs: the distilled students (the first is quantized) and the ``quantization`` settings.

    Returns:
        One model per scheme, named ``student:<scheme>``.
    """
    return _quantized(inputs.students[0], inputs.cfg.quantization.schemes)


ROUTES: dict[str, Route] = {
    "distillation": distillation,
    "pruning": pruning,
    "pruning+distillation": pruning_with_distillation,
    "quantization": quantization,
    "distillation+quantization": distillation_with_quantization,
}


def pruning_levels(inputs: CompressionInputs) -> dict[str, float]:
    """Name suffix -> sparsity of every pruning level: the configured ones, then the one matched to the student.

    Args:
        inputs: the teacher, the distilled student and the ``pruning`` settings.

    Returns:
        E.g. ``{"pruned50": 0.5, "pruned90": 0.9, "pruned-as-student": 0.937}``; the matched level is left out when
        the student has at least as many parameters as the teacher.

    Example:
        >>> cfg = CompressionConfig(pruning={"sparsities": [0.5]})
        >>> teacher = FittedModel("teacher", "teacher", "mlp", "reference", "reference", nn.Linear(10, 10))
        >>> student = FittedModel("student", "student", "mlp", "kd", "distilled", nn.Linear(10, 5))
        >>> pruning_levels(CompressionInputs(cfg, None, teacher, [student], 0))  # 55 of 110 parameters: prune 55 of 100
        {'pruned50': 0.5, 'pruned-as-student': 0.55}
    """
    cfg = inputs.cfg.pruning
    levels = {f"pruned{100 * s:g}": s for s in cfg.sparsities}
    if cfg.match_student and inputs.students:
        matched = sparsity_for_nonzero(inputs.teacher.model, count_nonzero_parameters(inputs.students[0].model))
        if 0.0 < matched < 1.0:
            levels["pruned-as-student"] = round(matched, 6)
    return levels


def _pruned_teachers(inputs: CompressionInputs, soft_labels: bool) -> list[FittedModel]:
    """The teacher pruned at each level of :func:`pruning_levels`, fine-tuned on labels or its own soft labels."""
    cfg, data, teacher = inputs.cfg.pruning, inputs.dataset, inputs.teacher
    if soft_labels:
        targets = predict_logits(teacher.model, data.X_train).astype(np.float32)
        loss = partial(_soft_label_loss, temperature=cfg.temperature)
        target_text, suffix = f"teacher soft labels (T={cfg.temperature:g})", "+kd"
    else:
        targets, loss, target_text, suffix = data.y_train, _label_loss, "labels", ""
    tune = partial(finetune, X=data.X_train, targets=targets, loss=loss, steps=cfg.finetune_steps,
                   batch_size=cfg.batch_size, lr=cfg.lr, seed=inputs.seed)
    models = []
    for label, sparsity in pruning_levels(inputs).items():
        start = time.perf_counter()
        module = prune_globally(teacher.model, sparsity, tune)
        params = {"sparsity": sparsity, "finetune_steps": cfg.finetune_steps, "finetune_target": target_text}
        if label == "pruned-as-student":
            params["matched_to"] = inputs.students[0].name
        models.append(FittedModel(f"teacher:{label}{suffix}", COMPRESSED, teacher.kind,
                                  "finetune_kd" if soft_labels else "finetune_labels", COMPRESSED, module, params,
                                  time.perf_counter() - start, "train"))
    return models


def _label_loss(module: nn.Module, xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(module(xb), yb)


def _soft_label_loss(module: nn.Module, xb: torch.Tensor, teacher_logits: torch.Tensor,
                     temperature: float) -> torch.Tensor:
    return kd_loss(module(xb), teacher_logits, None, temperature=temperature, alpha=1.0)


def _quantized(source: FittedModel, schemes: list[str]) -> list[FittedModel]:
    """``source`` quantized once per scheme (post-training: no data, no fine-tune)."""
    models = []
    for scheme in schemes:
        start = time.perf_counter()
        module = quantize(source.model, scheme)
        models.append(FittedModel(f"{source.name}:{scheme}", COMPRESSED, source.kind, "post_training", COMPRESSED, module,
                                  {"scheme": scheme, "of": source.name, "backend": _torchao_version()},
                                  time.perf_counter() - start, "none", recipe={"quantization": scheme}))
    return models


def _torchao_version() -> str:
    return f"torchao {metadata.version('torchao')}"


def check_compressible(teacher: nn.Module, cfg: CompressionConfig) -> None:
    """Fail before any training unless the configured routes can run on this teacher and this installation.

    Args:
        teacher: the teacher module: it must be a built-in architecture, which pruned and quantized copies are saved as.
        cfg: the ``compression`` config section (quantization routes need torchao).

    Raises:
        ConfigError: a user's own teacher (TorchScript, a factory, raw-input wrapping); the message names the fix.
        UserInputError: a quantization route without torchao installed.

    Example:
        >>> from interpret_distill.models import MLP
        >>> check_compressible(MLP(4, 2, hidden=[3]), CompressionConfig())
    """
    if any(route.endswith("quantization") for route in cfg.routes):
        check_available()
    if network_spec(teacher) is None:
        raise ConfigError(f"compression: the teacher ({type(teacher).__name__}) is not a built-in architecture "
                          "(mlp or cnn on scaled inputs), so its pruned and quantized copies could not be saved; "
                          "remove the compression section or let the run train the teacher")


def compress(cfg: CompressionConfig, dataset: Dataset, teacher: FittedModel, students: list[FittedModel],
             seed: int) -> dict[str, list[FittedModel]]:
    """Run every configured route: route name -> its models (the distillation route returns ``students``).

    Args:
        cfg: the ``compression`` config section.
        dataset: the splits.
        teacher: the teacher's fitted model (its module must be a built-in architecture).
        students: the distilled students of every width, the selected one first.
        seed: seeds fine-tuning.

    Returns:
        ``{route: [FittedModel, ...]}`` in the order of ``cfg.routes``. Fine-tunes run at one torch thread.

    Raises:
        ConfigError: the teacher is not a built-in architecture (:func:`check_compressible`).

    Example:
        >>> routes = compress(CompressionConfig(), dataset, teacher, students, seed=0)  # doctest: +SKIP
        >>> [m.name for m in routes["quantization"]]  # doctest: +SKIP
        ['teacher:int8_dynamic', 'teacher:int8_weight_only']
    """
    check_compressible(teacher.model, cfg)
    inputs = CompressionInputs(cfg, dataset, teacher, students, seed)
    with torch_threads(1):
        return {route: ROUTES[route](inputs) for route in cfg.routes}


def compression_table(teacher: FittedModel, routes: dict[str, list[FittedModel]], dataset: Dataset,
                      examples: np.ndarray, baseline: str = "zeros", top_k: int = 5, repeats: int = 5,
                      seed: int = 0) -> pd.DataFrame:
    """One row per model of the comparison (the teacher first): route, sizes, latency and attribution agreement.

    Accuracy, fidelity and KL are the metrics table's; these are the columns the metrics table gets beside them.

    Args:
        teacher: the teacher's fitted model (route ``none``).
        routes: :func:`compress`'s result.
        dataset: the splits (test rows for latency and explanations, the training mean for a mean baseline).
        examples: indices of the explained test rows (the run's attribution examples).
        baseline: the attribution baseline (``"zeros"`` or ``"mean"``).
        top_k: size of the top-k agreement.
        repeats: timed predictions per model; the median is reported.
        seed: seeds the attribution.

    Returns:
        Columns ``model, route, nonzero_params, file_bytes, sparse_bytes`` (pruned models: the file with its weight
        matrices in CSR, computed, not stored), ``latency_ms_per_1k_1thread``, ``attribution_spearman``,
        ``attribution_topk`` (means over the explained examples where defined), ``quantized_share`` and
        ``stayed_float`` (quantized models: weight layers left float, ``"none"`` when all were quantized).

    Example:
        >>> table = compression_table(teacher, compress(cfg, dataset, teacher, students, 0), dataset,
        ...                           examples)  # doctest: +SKIP
        >>> table.set_index("model").loc["teacher:int8_dynamic", "stayed_float"]  # doctest: +SKIP
        'features.0 (Conv2d); features.2 (Conv2d)'
    """
    from .attribution import (  # Captum: imported when a table is made
        attribute,
        resolve_baseline,
    )
    from .attribution.agreement import agreement

    X = dataset.X_test[examples]
    base = resolve_baseline(baseline, X, dataset.train_mean)
    with torch_threads(1):
        targets = predict_proba(teacher.model, X).argmax(1)
        explain = partial(attribute, target=targets, method=ATTRIBUTION_METHOD, baseline=base,
                          feature_mask=dataset.feature_groups, seed=seed)
        teacher_attr = explain(teacher.model, X)
        rows = []
        with tempfile.TemporaryDirectory() as folder:
            for route, model in [("none", teacher), *((r, m) for r, models in routes.items() for m in models)]:
                loaded, size = saved_and_loaded(model, Path(folder), dataset.X_train[:2])
                scores = agreement(explain(loaded, X), teacher_attr, k=top_k)
                rows.append({
                    "model": model.name, "route": route,
                    "nonzero_params": count_nonzero_parameters(loaded), "file_bytes": size,
                    "sparse_bytes": csr_bytes(loaded) if route.startswith("pruning") else np.nan,
                    "latency_ms_per_1k_1thread": latency_ms_per_1k(partial(predict_proba, loaded), dataset.X_test,
                                                                   repeats=repeats, summary=statistics.median),
                    "attribution_spearman": _nanmean(scores["spearman"]),
                    "attribution_topk": _nanmean(scores["topk_agreement"]),
                    "quantized_share": quantized_share(loaded) if model.recipe else np.nan,
                    "stayed_float": ("; ".join(float_layers(loaded)) or "none") if model.recipe else np.nan,
                })
    return pd.DataFrame(rows)


def compression_info(cfg: CompressionConfig, n_examples: int) -> dict:
    """How the compression table was measured, as recorded in ``run.json``.

    Example:
        >>> print(compression_info(CompressionConfig(), 200)["attribution"])
        feature_ablation on 200 test examples, agreement with the teacher's feature_ablation
    """
    return {
        "routes": list(cfg.routes),
        "attribution": f"{ATTRIBUTION_METHOD} on {n_examples} test examples, agreement with the teacher's "
                       f"{ATTRIBUTION_METHOD}",
        "latency": f"median of {cfg.latency_repeats} predictions of the test split at 1 torch thread, each model "
                   "read back from its saved file",
        "size": "bytes of the file the run directory stores (pruned networks dense; sparse_bytes: with CSR weights, "
                "computed, not stored)",
        "quantization_backend": _torchao_version(),
    }


def saved_and_loaded(model: FittedModel, folder: Path, example: np.ndarray) -> tuple[nn.Module, int]:
    """Save a network as the run directory stores it, read it back, and check it predicts as before.

    Args:
        model: a fitted network.
        folder: where to write its file.
        example: rows a user's module would be traced on.

    Returns:
        The network read back from its file, and the file's size in bytes.

    Raises:
        RuntimeError: the network read back predicts differently (its saved file would not be what was measured).

    Example:
        >>> from interpret_distill.models import MLP
        >>> model = FittedModel("net", "student", "mlp", "kd", "distilled", MLP(2, 2, hidden=[2]))
        >>> loaded, size = saved_and_loaded(model, Path(tempfile.mkdtemp()), np.ones((2, 2), np.float32))
        >>> size > 1000, type(loaded).__name__
        (True, 'MLP')
    """
    entry = save_network(model.model, folder, model.name, example, model.recipe)
    loaded = load_network(folder, entry)
    probe = np.asarray(example, dtype=np.float32)
    if not np.array_equal(predict_logits(loaded, probe), predict_logits(model.model, probe)):
        raise RuntimeError(f"{model.name} read back from its saved file predicts differently; its size and latency "
                           "would not describe it")
    return loaded, (folder / entry["file"]).stat().st_size


def _nanmean(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
