"""Experiment configuration: YAML → validated, typed config (unknown keys rejected)."""

from __future__ import annotations

import difflib
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ConfigError, UserInputError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataConfig(_Strict):
    """Where the data comes from and how it is split."""

    source: Literal["sklearn", "csv", "parquet", "npz", "torchvision"] = "sklearn"
    name: str | None = Field(None, description="built-in dataset name (source: sklearn / torchvision)")
    path: str | None = Field(None, description="file path (source: csv / parquet / npz)")
    target: str | None = Field(None, description="target column (csv / parquet)")
    features: list[str] | None = Field(None, description="feature subset (csv / parquet)")
    categorical: list[str] = Field(default_factory=list, description="columns to one-hot encode")
    image_shape: tuple[int, ...] | None = None
    encoding: str = "utf-8"
    test_size: float = Field(0.25, gt=0, lt=1)
    val_size: float = Field(0.15, gt=0, lt=1)
    max_rows: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _source_fields(self) -> "DataConfig":
        if self.source in ("sklearn", "torchvision") and not self.name:
            raise ValueError(f"data.name is required when data.source is {self.source!r}")
        if self.source in ("csv", "parquet", "npz") and not self.path:
            raise ValueError(f"data.path is required when data.source is {self.source!r}")
        if self.source in ("csv", "parquet") and not self.target:
            raise ValueError(f"data.target (the label column) is required when data.source is {self.source!r}")
        if self.test_size + self.val_size >= 0.9:
            raise ValueError("data.test_size + data.val_size must leave at least 10% of rows for training")
        return self


class TeacherConfig(_Strict):
    """The network to explain: trained here, or the user's own."""

    arch: Literal["mlp", "cnn"] = "mlp"
    hidden: list[int] = Field(default_factory=lambda: [128, 64])
    channels: list[int] = Field(default_factory=lambda: [16, 32])
    dropout: float = Field(0.1, ge=0, lt=1)
    epochs: int = Field(60, gt=0)
    batch_size: int = Field(64, gt=0)
    lr: float = Field(3e-3, gt=0)
    weight_decay: float = Field(1e-4, ge=0)
    patience: int = Field(10, gt=0)
    checkpoint: str | None = Field(
        None, description="user teacher: a TorchScript file, or a state_dict file for `arch`"
    )
    factory: str | None = Field(
        None, description="user teacher: 'package.module:function' returning an nn.Module (runs that code)"
    )


class TransferConfig(_Strict):
    """Teacher soft labels and the teacher-queried transfer set."""

    temperature: float = Field(1.0, gt=0)
    augmentation: str | None = Field(None, description="mixup / noise / neighbours, or null")
    n_synthetic: int = Field(0, ge=0)
    params: dict[str, float] = Field(default_factory=dict)


class StudentConfig(_Strict):
    """The compact neural student and its distillation loss."""

    arch: Literal["mlp", "cnn"] = "mlp"
    hidden: list[int] = Field(default_factory=lambda: [16])
    channels: list[int] = Field(default_factory=lambda: [4, 8])
    loss: str = "kd"
    loss_params: dict[str, float] = Field(default_factory=lambda: {"temperature": 4.0, "alpha": 0.7})
    function_matching: bool = Field(False, description="mixup inputs, teacher queried every step")
    epochs: int = Field(80, gt=0)
    batch_size: int = Field(64, gt=0)
    lr: float = Field(3e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    patience: int = Field(15, gt=0)


class SurrogateConfig(_Strict):
    """One interpretable surrogate kind and its hyper-parameters (or a grid to sweep)."""

    kind: Literal["tree", "linear", "naive_bayes"]
    params: dict[str, Any] = Field(default_factory=dict)
    grid: list[dict[str, Any]] | None = Field(None, description="hyper-parameter grid for the sweep")
    budget: float | None = Field(None, gt=0, description="max complexity score of the selected model")


class AttributionConfig(_Strict):
    """Which explanations to compute and on how many test examples."""

    methods: list[str] = Field(
        default_factory=lambda: ["integrated_gradients", "saliency", "feature_ablation", "native"]
    )
    examples: int = Field(200, ge=1)
    baseline: Literal["zeros", "mean"] = "zeros"
    top_k: int = Field(5, ge=1)


class ExperimentConfig(_Strict):
    """One experiment: data → teacher → student + surrogates → evaluation → report."""

    name: str = Field(..., pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    seed: int = 0
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
    regimes: list[str] = Field(default_factory=lambda: ["ground_truth", "hard", "soft", "soft+transfer"])
    n_jobs: int = Field(-1, description="joblib workers for the surrogate sweep (-1: all cores)")
    progress: bool = True

    @field_validator("surrogates")
    @classmethod
    def _unique_kinds(cls, value: list[SurrogateConfig]) -> list[SurrogateConfig]:
        kinds = [s.kind for s in value]
        if len(set(kinds)) != len(kinds):
            raise ValueError(f"each surrogate kind may appear once, got {kinds}")
        return value


def _allowed_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names accepted at a location of the config tree."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        inner = getattr(annotation, "__args__", (annotation,))
        model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), model)
    return sorted(model.model_fields)


def _describe(error: dict) -> str:
    loc = error["loc"]
    where = ".".join(str(p) for p in loc) or "config"
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(ExperimentConfig, loc)
        guess = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f" (did you mean {guess[0]!r}?)" if guess else ""
        return f"unknown key {where!r}{hint}; allowed here: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"missing required key {where!r}"
    return f"{where}: {error['msg']} (got {error.get('input')!r})"


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
        overrides: top-level keys to replace after reading (e.g. ``{"seed": 1}``).

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
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}: not valid YAML{where}; check the indentation and colons") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the config as UTF-8") from None
    if raw is None:
        raise ConfigError(f"{path}: the file is empty; see the README for a config example")
    if overrides:
        raw = {**raw, **overrides}
    return parse_config(raw, origin=str(path))
