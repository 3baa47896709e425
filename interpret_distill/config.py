"""Experiment configuration: YAML → validated, typed config (unknown keys rejected)."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from ._config_base import LayerWidths, StrictSection, SurrogateKind, did_you_mean, epoch_rows_field
from .compression_config import CompressionConfig
from .data_config import DataConfig  # re-exported with the distillation sections: every section is imported from config
from .distillation_config import (  # noqa: F401  (re-exported)
    STUDENT_SIZES, BornAgainConfig, StudentCandidate, StudentConfig, StudentSize, TransferCandidate, TransferConfig,
    TransferRecipe,
)
from .errors import ConfigError, UserInputError


FACTORY_PATTERN = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$")
DEVICE_PATTERN = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
REGIMES = ("ground_truth", "hard", "hard+transfer", "soft", "soft+transfer")
DISTILLED_REGIMES = ("soft", "soft+transfer")  # the others are baselines
# a regression teacher has no argmax: its surrogates fit the truth, or its values on training or transfer rows
REGRESSION_REGIMES = ("ground_truth", "soft", "soft+transfer")
REGRESSION_STUDENT_LOSS = "mse"  # a regression student's default loss: MSE to the teacher (alpha mixes in labels)


class TeacherConfig(StrictSection):
    """The network to explain: trained here, or the user's own."""

    arch: Literal["mlp", "cnn", "resnet"] = "mlp"
    hidden: LayerWidths = Field(default_factory=lambda: [128, 64])
    channels: LayerWidths = Field(default_factory=lambda: [16, 32],
                                  description="cnn: channels of each convolution; resnet: width of each stage")
    blocks: int = Field(1, gt=0, description="resnet: residual blocks per stage (channels [16, 32, 64] with 1 block "
                                             "is ResNet-8, with 3 ResNet-20)")
    dropout: float = Field(0.1, ge=0, lt=1)
    epochs: int = Field(60, gt=0)
    batch_size: int = Field(64, gt=0)
    lr: float = Field(3e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    patience: int = Field(10, gt=0)
    epoch_rows: int = epoch_rows_field()
    checkpoint: str | None = Field(
        None, description="user teacher: a TorchScript file, or a state_dict file for `arch`"
    )
    factory: str | None = Field(
        None, description="user teacher: 'package.module:function' returning an nn.Module (runs that code)"
    )
    inputs: Literal["raw", "scaled"] = Field(
        "raw", description="what a user teacher was trained on: the file's raw feature values (one-hot columns as "
                           "0/1), or the standardised features of a run of this tool"
    )
    trained_on: Literal["declared_train", "unknown"] = Field(
        "unknown", description="which rows a user teacher was trained on: the data's declared train split (the run "
                               "then requires one), or unknown"
    )
    input_layout: Literal["flat", "image"] = Field(
        "flat", description="what a user teacher takes: flat rows (n, d), or images (n, channels, height, width) "
                            "such as a torchvision model; the pipeline folds its flat rows for it"
    )
    members: list["TeacherConfig"] | None = Field(
        None, description="an ensemble teacher: these teachers' averaged outputs are the teacher (teacher: [a, b] is "
                          "short for teacher: {members: [a, b]})")
    combine: Literal["probabilities", "logits"] = Field(
        "probabilities", description="ensemble: average the members' probabilities or their logits")

    @model_validator(mode="before")
    @classmethod
    def _list_is_an_ensemble(cls, value: Any) -> Any:
        return {"members": value} if isinstance(value, list) else value

    @model_validator(mode="after")
    def _one_source(self) -> "TeacherConfig":
        if self.members is not None:
            return self._ensemble()
        if "combine" in self.model_fields_set and self.combine != "probabilities":
            raise ValueError("teacher.combine is read only for an ensemble (teacher.members, or a list of teachers)")
        if self.checkpoint and self.factory:
            raise ValueError("teacher.checkpoint and teacher.factory are both set; keep one of them")
        if self.factory is not None and not FACTORY_PATTERN.match(self.factory):
            raise ValueError(f"teacher.factory {self.factory!r} must look like 'package.module:function'")
        return self

    def _ensemble(self) -> "TeacherConfig":
        if len(self.members) < 2:
            raise ValueError(f"teacher.members lists {len(self.members)} teacher; an ensemble needs two or more")
        if any(member.members is not None for member in self.members):
            raise ValueError("teacher.members may not be ensembles themselves; list all their members in one list")
        # a resolved config (run.json) writes every key: only a value other than the default was set beside members
        beside = sorted(key for key in self.model_fields_set - {"members", "combine"}
                        if getattr(self, key) != type(self).model_fields[key].get_default(call_default_factory=True))
        if beside:
            raise ValueError(f"teacher.{beside[0]} is set beside teacher.members; an ensemble's settings belong to "
                             "each member (only combine sits beside them)")
        return self




class SurrogateConfig(StrictSection):
    """One interpretable surrogate kind and its hyper-parameters (or a grid to sweep)."""

    kind: SurrogateKind = Field(..., description="a key of interpret_distill.surrogates.SURROGATES")
    params: dict[str, Any] = Field(default_factory=dict)
    grid: list[dict[str, Any]] | None = Field(None, description="hyper-parameter grid for the sweep")
    budget: float | None = Field(None, gt=0, description="max complexity score of the selected model")
    fit_rows: int | None = Field(
        None, gt=0, description="the most rows one fit sees: larger fitting sets (transfer sets) are subsampled, "
                                "stratified by the teacher's class; validation and test are always scored whole")
    features: Literal["pixels", "patches"] = Field(
        "pixels", description="what the kind is fitted on: the input columns (pixels, or a table's columns), or the "
                              "patch features of images (the `patches` grid's means, and contrast if set), labelled "
                              "<kind>@patches; list a kind twice to fit it on both"
    )

    def label(self) -> str:
        """How metrics, sweeps and reports name this entry: its kind, or ``<kind>@patches``.

        Example:
            >>> SurrogateConfig(kind="tree", features="patches").label()
            'tree@patches'
        """
        from .surrogates import kind_label

        return kind_label(self.kind, self.features)


class AttributionConfig(StrictSection):
    """Which explanations to compute and on how many test examples."""

    methods: list[str] = Field(
        default_factory=lambda: ["integrated_gradients", "saliency", "feature_ablation", "native"]
    )
    examples: int = Field(200, ge=1)
    baseline: Literal["zeros", "mean"] = "zeros"
    top_k: int = Field(5, ge=1)
    patches: Literal["auto"] | bool = Field(
        "auto", description="image data: perturbation methods perturb whole patches of the grid `patches` (their cost "
                            "grows with patches, not pixels); auto: for images larger than 16x16; false: pixels"
    )
    chunk_mb: float = Field(256, gt=0, description="memory one model call may take while explaining (MiB): rows per "
                                                   "call follow from the model's activations per row")


class PatchConfig(StrictSection):
    """The patch grid of image data: patch-level attributions and surrogates with ``features: patches`` use it."""

    size: int = Field(4, gt=0, description="side of the square patches in pixels (border patches are cut)")
    contrast: bool = Field(False, description="surrogates with features: patches also read each patch's contrast "
                                              "(the standard deviation of its pixels), after its mean")


class ParallelConfig(StrictSection):
    """Where the independent fits of the sweeps run (the worker count is the top-level ``n_jobs``)."""

    backend: Literal["loky", "dask"] = Field("loky", description="loky: processes on this machine; dask: a cluster")
    scheduler: str | None = Field(
        None, description="dask: address of a running scheduler, e.g. tcp://host:8786 (null: a local cluster of "
                          "n_jobs workers on the loopback interface)"
    )

    @model_validator(mode="after")
    def _scheduler_needs_dask(self) -> "ParallelConfig":
        if self.scheduler is not None and self.backend != "dask":
            raise ValueError("parallel.scheduler is read only with parallel.backend: dask")
        return self


class ExperimentConfig(StrictSection):
    """One experiment: data → teacher → student + surrogates → evaluation → report."""

    name: str = Field(..., description="names the run folder: letters, digits, '_', '.', '-'")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="numpy and torch seeds take 0 .. 2**32 - 1")
    data: DataConfig
    teacher: TeacherConfig = TeacherConfig()
    transfer: TransferConfig = TransferConfig()
    student: StudentConfig = StudentConfig()
    surrogates: list[SurrogateConfig] = Field(
        default_factory=lambda: [
            SurrogateConfig(kind="tree", params={"max_depth": 6}),
            SurrogateConfig(kind="linear", params={"C": 1.0}),
            SurrogateConfig(kind="naive_bayes"),
        ]
    )
    attribution: AttributionConfig = AttributionConfig()
    compression: CompressionConfig | None = Field(
        None, description="compare the distilled students with pruned and quantized teachers (off when absent)")
    patches: PatchConfig = PatchConfig()
    regimes: list[str] = Field(default_factory=lambda: list(REGIMES),
                               description="surrogate fitting regimes; soft and soft+transfer are distilled, the "
                                           "others baselines (hard+transfer: the transfer rows, hard labels)")
    n_jobs: int = Field(-1, description="workers for the surrogate sweep (-1: all cores)")
    parallel: ParallelConfig = ParallelConfig()
    device: str = Field("auto", description="where networks train and run: auto (CUDA when available, else CPU), cpu, cuda, "
                                    "cuda:N or mps")
    progress: bool = True

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not DEVICE_PATTERN.match(value):
            raise ValueError(f"device {value!r} is not one of auto, cpu, cuda, cuda:N, mps")
        return value

    @field_validator("n_jobs")
    @classmethod
    def _workers(cls, value: int) -> int:
        if value == 0:
            raise ValueError("n_jobs must be a number of workers (1, 2, ...) or -1 for all cores, not 0")
        return value

    @field_validator("surrogates")
    @classmethod
    def _unique_kinds(cls, value: list[SurrogateConfig]) -> list[SurrogateConfig]:
        labels = [s.label() for s in value]
        if len(set(labels)) != len(labels):
            raise ValueError(f"each surrogate kind may appear once per feature set (features: pixels / patches), "
                             f"got {labels}")
        return value

    @field_validator("name")
    @classmethod
    def _folder_name(cls, value: str) -> str:
        if not NAME_PATTERN.match(value):
            raise ValueError(f"name {value!r} names the run folder, so it must start with a letter or digit and "
                             "use only letters, digits, '_', '.' and '-'")
        if value == "index.html":
            raise ValueError("name 'index.html' is the index page beside the run folders; choose another name")
        return value

    @field_validator("regimes")
    @classmethod
    def _known_regimes(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in REGIMES]
        if unknown:
            raise ValueError(f"unknown regime(s) {unknown}{did_you_mean(unknown[0], REGIMES)}; "
                             f"allowed: {', '.join(REGIMES)}")
        return value

    def fitted_regimes(self) -> list[str]:
        """The regimes the surrogates are fitted in: ``regimes`` less the transfer ones when there is no transfer set.

        Example:
            >>> ExperimentConfig(name="x", data={"name": "iris"}).fitted_regimes()
            ['ground_truth', 'hard', 'soft']
        """
        has_transfer = bool(self.transfer.recipes())
        allowed = REGRESSION_REGIMES if self.data.task == "regression" else REGIMES
        return [r for r in self.regimes if (has_transfer or not r.endswith("+transfer")) and r in allowed]

    def for_task(self, task: str) -> "ExperimentConfig":
        """This config for the dataset's task: ``data.task`` resolved, and for regression its own defaults.

        A regression run's student loss defaults to ``mse`` (MSE to the teacher) and its surrogates to the
        regression registry's kinds with their default grids, unless the config set them; the ``hard`` regimes (the
        teacher's argmax) do not exist for a regression and are left out unless the config named them.

        Args:
            task: the dataset's task, ``"classification"`` or ``"regression"``.

        Returns:
            A validated copy (``self`` unchanged).

        Raises:
            ConfigError: a setting that only a classification has (a ``kd`` loss, a ``hard`` regime, the
                ``compression`` section, surrogates on patch features, a classification-only surrogate kind or
                parameter).

        Example:
            >>> cfg = ExperimentConfig(name="x", data={"name": "diabetes"}).for_task("regression")
            >>> cfg.data.task, cfg.student.loss, cfg.fitted_regimes()
            ('regression', 'mse', ['ground_truth', 'soft'])
        """
        data = self.data.model_copy(update={"task": task})
        if task != "regression":
            if self.data.task == "auto":  # checked against both tasks at load time
                try:
                    _check_surrogates(self.surrogates)
                except ValueError as exc:
                    raise ConfigError(str(exc)) from None
            return self.model_copy(update={"data": data})
        student = self.student
        if "loss" not in student.model_fields_set:
            student = student.model_copy(update={"loss": REGRESSION_STUDENT_LOSS})
        from .losses import get_loss  # late: keeps torch out of a plain config import

        try:
            get_loss(student.loss, "regression", **student.loss_params)
        except ValueError as exc:
            raise ConfigError(f"student.loss: {exc} (data {data.location()} is a regression)") from None
        hard = [r for r in self.regimes if r.startswith("hard")]
        if hard and "regimes" in self.model_fields_set:
            raise ConfigError(f"regimes {hard} fit the teacher's argmax class, which a regression teacher does not "
                              f"have; use {', '.join(REGRESSION_REGIMES)}")
        if self.compression is not None:
            raise ConfigError("the compression section compares classifiers only; remove it for a regression run")
        # ensembles average class probabilities, a soft tree's leaves hold class distributions, born-again students
        # are compared on accuracy: classification schemes
        classifying = [name for name, used in (("teacher.members (an ensemble teacher)", self.teacher.members),
                                               ("student.arch: soft_tree", student.arch == "soft_tree"),
                                               ("student.born_again", student.born_again)) if used]
        if classifying:
            raise ConfigError(f"{classifying[0]} distils classifiers only; remove it for a regression run")
        on_patches = [i for i, s in enumerate(self.surrogates) if s.features == "patches"]
        if on_patches:
            raise ConfigError(f"surrogates.{on_patches[0]}.features is patches, which only classification surrogates "
                              "read; set features: pixels for a regression run")
        surrogates = self.surrogates
        if "surrogates" not in self.model_fields_set:
            from .surrogates import surrogate_registry

            surrogates = [SurrogateConfig(kind=kind) for kind in surrogate_registry("regression")]
        try:
            _check_surrogates(surrogates, "regression")
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return self.model_copy(update={"data": data, "student": student, "surrogates": surrogates})

    @model_validator(mode="after")
    def _registered_names(self) -> "ExperimentConfig":
        """Names and hyper-parameters that only the pipeline's registries know: checked now, not mid-run."""
        if self.surrogates and not set(self.fitted_regimes()) & set(DISTILLED_REGIMES):
            raise ValueError(f"regimes {self.regimes} has no distilled regime, so no surrogate would be distilled; "
                             f"add {' or '.join(DISTILLED_REGIMES)}, or set surrogates: [] for a student-only run")
        if self.data.task == "classification":
            _check_surrogates(self.surrogates)
        elif self.data.task == "auto":  # for_task checks them again once the task is known
            _check_surrogates_either_task(self.surrogates)
        elif "surrogates" in self.model_fields_set:  # regression: its defaults come from for_task
            _check_surrogates(self.surrogates, "regression")
        _check_attribution_methods(self.attribution.methods)
        return self


def _check_surrogates(surrogates: list[SurrogateConfig], task: str = "classification") -> None:
    """Every grid point's names and values against its kind's parameter constraints, without fitting anything.

    Raises:
        ValueError: naming the entry, the grid point and the problem.
    """
    from .surrogates import check_surrogate_params

    for i, spec in enumerate(surrogates):
        for j, step in enumerate(spec.grid or [{}]):
            where = f"surrogates.{i}" + (f".grid.{j}" if spec.grid else ".params")
            try:
                check_surrogate_params(spec.kind, task=task, **{**spec.params, **step})
            except (ValueError, TypeError) as exc:
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ValueError(f"{where} ({spec.kind}){' for a regression' if task == 'regression' else ''}: "
                                 f"{detail}") from None


def _check_surrogates_either_task(surrogates: list[SurrogateConfig]) -> None:
    """``data.task: auto``: refuse only surrogates that fit neither task (with the classification message)."""
    try:
        _check_surrogates(surrogates)
    except ValueError as classification_error:
        try:
            _check_surrogates(surrogates, "regression")
        except ValueError:
            raise classification_error from None


def _check_attribution_methods(methods: list[str]) -> None:
    from .attribution.registry import METHODS  # plain data: no Captum or torch import

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown attribution.methods {unknown}{did_you_mean(unknown[0], METHODS)}; "
                         f"allowed: {', '.join(METHODS)}")


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names accepted at a location of the config tree."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        model = _section_model(model.model_fields[part].annotation) or model
    return sorted(model.model_fields)


def _section_model(annotation: Any) -> type[BaseModel] | None:
    """The config model inside an annotation such as ``StudentConfig``, ``list[StudentSize] | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((m for m in map(_section_model, get_args(annotation)) if m is not None), None)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(error: dict) -> str:
    """One clause per validation error: where, what is wrong, and what is allowed."""
    loc = error["loc"]
    where = ".".join(str(p) for p in loc) or "config"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(ExperimentConfig, loc)
        hint = did_you_mean(loc[-1], allowed)
        return f"unknown key {where!r}{hint}; allowed here: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"missing required key {where!r}"
    if error["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return (f"{where}: expected settings as key: value pairs, got {_short(error.get('input'))}; "
                "see the README's config example")
    message = str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if error["type"] == "value_error":
        # our own validators name the key themselves; the input is often a whole section
        return message if not loc or message.startswith(tuple(str(p) for p in loc[:1])) else f"{where}: {message}"
    return f"{where}: {message} (got {_short(error.get('input'))})"


def parse_config(raw: Any, origin: str = "config") -> ExperimentConfig:
    """Validate a raw mapping into an :class:`ExperimentConfig`.

    Args:
        raw: the mapping read from YAML.
        origin: where it came from, for error messages.

    Returns:
        The validated config.

    Raises:
        ConfigError: one line naming the bad key and what is allowed.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: expected a mapping of keys at the top level, got {type(raw).__name__}")
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{origin}: {problems}") from None


def shipped_configs() -> dict[str, Path]:
    """Names and paths of the experiment presets shipped inside the package."""
    folder = resources.files("interpret_distill") / "configs"
    return {Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".yaml")}


DEFAULT_EXPERIMENTS = ("digits", "breast_cancer")


def load_config(name_or_path: str | Path, overrides: dict | None = None) -> ExperimentConfig:
    """Load a shipped preset by name, or a YAML file by path, and validate it.

    Args:
        name_or_path: a preset name from ``interpret-distill list`` or a path to a YAML file.
        overrides: settings to change after reading, merged into the file's: nested mappings key by key
            (``{"teacher": {"epochs": 5}}`` keeps the preset's other teacher settings), anything else (values, lists
            such as a ``grid``) replaced whole; a new width drops the file's ``grid``, a new ``augmentation`` its
            ``params`` and ``n_synthetic``, a new ``loss`` its ``loss_params`` (:data:`RESET_BY`).

    Returns:
        The validated config.

    Example:
        >>> cfg = load_config("digits")
        >>> cfg.data.name
        'digits'
    """
    presets = shipped_configs()
    path = presets.get(str(name_or_path), Path(name_or_path))
    if not path.is_file():
        raise UserInputError(
            f"no config file or preset named {str(name_or_path)!r}; "
            f"pass a YAML path or one of: {', '.join(sorted(presets))}"
        )
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        where = f" at line {mark.line + 1}" if mark else ""
        what = f" ({problem})" if problem else ""
        fix = ("keep one document (no second ---)" if "document" in str(problem)
               else "check the indentation and colons")
        raise ConfigError(f"{path}: not valid YAML{where}{what}; {fix}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the config as UTF-8") from None
    if raw is None:
        raise ConfigError(f"{path}: the file is empty; see the README for a config example")
    if overrides and isinstance(raw, dict):  # anything else is refused, with its type named, by parse_config
        raw = _merged(raw, overrides)
    return parse_config(raw, origin=f"{path} with overrides {_short(overrides)}" if overrides else str(path))


# Setting one of these keys in an override also drops, from the file's section, the keys that only make sense
# with the old value: a new width replaces the file's width grid, a new augmentation its parameters.
RESET_BY = {"hidden": ("grid",), "channels": ("grid",), "augmentation": ("params", "n_synthetic"),
            "loss": ("loss_params",)}


def _merged(base: dict, overrides: dict) -> dict:
    """``base`` with ``overrides`` applied: mappings merged recursively, every other value replaced.

    Example:
        >>> _merged({"student": {"grid": [{"hidden": [4]}], "epochs": 9}}, {"student": {"hidden": [8]}})
        {'student': {'epochs': 9, 'hidden': [8]}}
    """
    reset = {dependent for key in overrides for dependent in RESET_BY.get(key, ())}  # replaced, never merged
    out = {key: value for key, value in base.items() if key not in reset}
    for key, value in overrides.items():
        both_mappings = isinstance(value, dict) and isinstance(out.get(key), dict)
        out[key] = _merged(out[key], value) if both_mappings else value
    return out
