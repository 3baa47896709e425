"""The distillation sections of a config: the teacher-labelled transfer sets and the student (its architecture,
sizes, loss, candidates, born-again generations and hints). Re-exported by :mod:`interpret_distill.config`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from ._config_base import LayerWidths, StrictSection, SurrogateKind, epoch_rows_field
from .data_config import MAX_SYNTHETIC


def _check_augmentation(name: str | None, params: dict[str, float]) -> None:
    if name is None:
        return
    from .transfer import check_augmentation  # late: keeps torch out of a plain config import

    check_augmentation(name, params)


class TransferRecipe(StrictSection):
    """Synthetic inputs drawn near the training rows, to be labelled by the teacher."""

    augmentation: str = Field(..., description="mixup / noise / neighbours / kde / local_kde")
    n_synthetic: int = Field(..., ge=0, le=MAX_SYNTHETIC)
    params: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _known(self) -> TransferRecipe:
        _check_augmentation(self.augmentation, self.params)
        return self


class TransferCandidate(TransferRecipe):
    """One more transfer-set recipe to try; each surrogate kind keeps the one with the best validation fidelity."""

    kinds: list[SurrogateKind] | None = Field(
        None, description="surrogate kinds that try this set (null: all); e.g. big sets for trees only"
    )
    temperature: float | None = Field(
        None, gt=0, description="soft-label temperature of this set (null: transfer.temperature)"
    )


class TransferConfig(StrictSection):
    """Teacher soft labels and the teacher-queried transfer set(s), chosen on validation data."""

    temperature: float = Field(1.0, gt=0)
    soft_temperatures: list[Annotated[float, Field(gt=0)]] = Field(
        default_factory=list,
        description="more temperatures for the soft regime on the training rows; each kind keeps its validation-best",
    )
    augmentation: str | None = Field(None, description="mixup / noise / neighbours / kde / local_kde, or null")
    n_synthetic: int = Field(0, ge=0, le=MAX_SYNTHETIC)
    params: dict[str, float] = Field(default_factory=dict)
    candidates: list[TransferCandidate] = Field(
        default_factory=list,
        description="more transfer sets to try besides `augmentation`; the validation-best one is kept per kind",
    )

    @model_validator(mode="after")
    def _known(self) -> TransferConfig:
        _check_augmentation(self.augmentation, self.params)
        if self.augmentation is None and (self.n_synthetic or self.params):
            raise ValueError("transfer.n_synthetic and transfer.params need transfer.augmentation")
        return self

    def recipes(self) -> list[TransferCandidate]:
        """Every transfer set to try: ``augmentation`` (for all kinds, if set), then ``candidates``."""
        if self.augmentation is None:
            return list(self.candidates)
        main = TransferCandidate(augmentation=self.augmentation, n_synthetic=self.n_synthetic, params=self.params)
        return [main, *self.candidates]


# The size each student architecture sweeps (`student.grid` points set this key only): the config's list of student
# architectures. Their builders are `models.ARCHITECTURES` (torch; this module stays importable without it).
STUDENT_SIZES = {"mlp": "hidden", "cnn": "channels", "resnet": "channels", "soft_tree": "depth"}
StudentArch = Literal[tuple(STUDENT_SIZES)]


class StudentSize(StrictSection):
    """One point of the student's size grid: the layer widths (or the tree depth) its architecture uses."""

    hidden: LayerWidths | None = Field(None, description="mlp: hidden layer widths")
    channels: LayerWidths | None = Field(None, description="cnn: convolution channels; resnet: stage widths")
    depth: int | None = Field(None, gt=0, le=12, description="soft_tree: depth of the tree")

    @model_validator(mode="after")
    def _some_width(self) -> StudentSize:
        if self.hidden is None and self.channels is None and self.depth is None:
            raise ValueError("a student.grid point needs hidden (mlp), channels (cnn, resnet) or depth (soft_tree), "
                             "e.g. {hidden: [8]}")
        return self


class BornAgainConfig(StrictSection):
    """Born-again networks (Furlanello et al. 2018): the student takes the teacher's own architecture."""

    generations: int = Field(1, ge=1, le=5, description="1: distilled from the teacher; 2: a second generation "
                                                       "distilled from the first, and so on")


class StudentCandidate(StrictSection):
    """One more variant of the distilled student to try: a partial override of the ``student`` section.

    Fields left null take the student section's value. Every candidate is trained at every width of the grid; the
    distilled student shipped is the one most faithful on validation (``student_selection.select_student``).
    """

    loss_params: dict[str, float] | None = Field(None, description="the loss's hyper-parameters (replacing the "
                                                                     "section's), e.g. {temperature: 1, alpha: 1}")
    transfer_set: TransferRecipe | None = Field(None, description="a teacher-labelled transfer set to train on")
    function_matching: bool | None = Field(None, description="mixup inputs, teacher queried every step")


class StudentConfig(StrictSection):
    """The compact neural student and its distillation loss."""

    arch: StudentArch = Field("mlp", description="resnet: one residual block per stage; soft_tree: a soft decision "
                                                 "tree (Frosst & Hinton 2017)")
    hidden: LayerWidths = Field(default_factory=lambda: [16])
    channels: LayerWidths = Field(default_factory=lambda: [4, 8])
    depth: int = Field(4, gt=0, le=12, description="soft_tree: depth (2**depth leaves)")
    beta: float = Field(1.0, gt=0, description="soft_tree: inverse temperature of the gates")
    penalty: float = Field(0.1, ge=0, description="soft_tree: strength of the penalty that keeps each node's "
                                                  "routing balanced (decays as 2**-depth of the node)")
    born_again: BornAgainConfig | None = Field(
        None, description="train the teacher's own architecture instead of arch/hidden/channels (born-again "
                          "networks), optionally for several generations, each distilled from the one before")
    centre_inputs: bool = Field(
        True, description="mlp: subtract the training mean first (keeps narrow ReLU layers alive on [0, 1] pixels)"
    )
    loss: str = "kd"
    loss_params: dict[str, float] = Field(
        default_factory=dict, description="the loss's hyper-parameters; those left out take the loss function's "
                                          "defaults (kd: temperature 4, alpha 0.9)")
    function_matching: bool = Field(False, description="mixup inputs, teacher queried every step")
    transfer_set: TransferRecipe | None = Field(
        None, description="train on the training rows plus these synthetic rows, all labelled once by the teacher"
    )
    mixup_alpha: float = Field(1.0, gt=0, description="Beta(α, α) mixing weights of function matching")
    epochs: int = Field(80, gt=0)
    batch_size: int = Field(64, gt=0)
    lr: float = Field(3e-3, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    patience: int = Field(15, gt=0)
    epoch_rows: int = epoch_rows_field()
    num_threads: int = Field(
        1, ge=0, description="torch CPU threads while training (0: leave torch's setting); small nets are fastest on 1"
    )
    grid: list[StudentSize] | None = Field(
        None, min_length=1,
        description="widths to sweep (replacing hidden/channels), e.g. [{hidden: [4]}, {hidden: [16]}]: each is "
                    "distilled and trained from scratch; the distilled student is chosen on validation fidelity",
    )
    budget: float | None = Field(None, gt=0, description="max parameters of the selected student")
    teacher_layer: str | None = Field(None, description="loss hint: the teacher's named module whose output is the "
                                                        "hint, e.g. features.2 (names as in named_modules())")
    student_layer: str | None = Field(None, description="loss hint: the student's named module regressed onto it")
    hint_epochs: int = Field(0, ge=0, description="loss hint: epochs of the FitNets first stage (the student up to "
                                                  "student_layer and the regressor trained on the hint alone)")
    candidates: list[StudentCandidate] | None = Field(
        None, description="more variants of the distilled student, each trained at every width; the one most "
                          "faithful on validation ships. null: a small default list (student_selection."
                          "default_candidates) when loss_params, transfer_set and function_matching are all unset, "
                          "none otherwise; []: only the section itself"
    )
    keep_scratch: bool = Field(
        True, description="ship the scratch twin as the student when it is more faithful on validation than every "
                          "distilled candidate (the report's summary says so)"
    )

    @model_validator(mode="after")
    def _known_loss(self) -> StudentConfig:
        from .losses import get_loss  # late: keeps torch out of a plain config import

        get_loss(self.loss, **self.loss_params)  # unknown loss or parameter names fail before any training
        layers = self.teacher_layer is not None and self.student_layer is not None
        if self.loss == "hint" and not layers:
            raise ValueError("student.loss hint needs student.teacher_layer and student.student_layer (module names "
                             "as in named_modules(), e.g. features.2 and features.1)")
        if self.loss == "hint" and (self.function_matching or self.transfer_set is not None):
            raise ValueError("student.loss hint queries the teacher's layer on every batch, so it takes neither "
                             "function_matching nor transfer_set; remove them")
        if self.loss != "hint" and (self.teacher_layer or self.student_layer or self.hint_epochs):
            raise ValueError("student.teacher_layer, student_layer and hint_epochs are read only with student.loss: "
                             "hint; set loss: hint or remove them")
        if self.function_matching and self.transfer_set is not None:
            raise ValueError("student.function_matching and student.transfer_set are both set; keep one of them "
                             "(the first mixes each batch on the fly, the second labels a fixed set once)")
        if self.born_again is not None:
            # a saved config writes arch: mlp, grid: null and budget: null; anything else would be ignored
            extra = [key for key, unread in (("arch", self.arch != "mlp"), ("grid", self.grid is not None),
                                             ("budget", self.budget is not None)) if unread]
            if extra:
                raise ValueError(f"student.born_again trains the teacher's own architecture, so student.{extra[0]} "
                                 "would be ignored; drop it")
        width = STUDENT_SIZES[self.arch]
        example = {"hidden": "[8]", "channels": "[8]", "depth": "4"}[width]
        for i, point in enumerate(self.grid or []):
            # a saved config writes the unused widths as null: only a value there is a mistake
            others = [key for key in set(STUDENT_SIZES.values()) - {width} if getattr(point, key) is not None]
            if getattr(point, width) is None or others:
                raise ValueError(f"student.grid.{i} must set {width} only (the width of arch {self.arch!r}), "
                                 f"e.g. {{{width}: {example}}}")
        for i, candidate in enumerate(self.candidates or []):
            try:
                self.with_candidate(candidate)
            except ValidationError as exc:  # the section's own checks, on the candidate's settings
                raise ValueError(f"student.candidates.{i}: {exc.errors()[0]['msg'].removeprefix('Value error, ')}") \
                    from None
        return self

    def with_candidate(self, candidate: StudentCandidate) -> StudentConfig:
        """This section with ``candidate``'s settings in place of its own (and no candidates of its own).

        Example:
            >>> base = StudentConfig(loss_params={"temperature": 4.0})
            >>> base.with_candidate(StudentCandidate(loss_params={"temperature": 1.0, "alpha": 1.0})).loss_params
            {'temperature': 1.0, 'alpha': 1.0}
        """
        return StudentConfig.model_validate({**self.model_dump(exclude={"candidates"}), "candidates": [],
                                             **candidate.model_dump(exclude_none=True)})

    def sizes(self) -> list[StudentConfig]:
        """This config once per grid point, with that point's widths (just itself without a grid).

        Example:
            >>> [s.hidden for s in StudentConfig(hidden=[64], grid=[{"hidden": [4]}, {"hidden": [8]}]).sizes()]
            [[4], [8]]
        """
        width = STUDENT_SIZES[self.arch]
        return [self.model_copy(update={width: getattr(point, width)}) for point in self.grid or []] or [self]
