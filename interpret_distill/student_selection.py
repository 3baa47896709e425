"""Which distilled students to train, what to call them, and which one ships: the student's candidate list.

A ``student`` section is trained as itself and as each of its ``candidates`` (partial overrides: loss parameters,
a teacher-labelled transfer set, function matching), at every width of its grid. The shipped student is the
candidate and width most faithful to the teacher on validation; with ``keep_scratch`` the scratch twin of that
width ships instead when it is more faithful on validation than every distilled candidate. Only validation columns
are read to choose.

A section that sets none of ``loss_params``, ``transfer_set``, ``function_matching`` and ``candidates`` gets
:func:`default_candidates`: the loss's defaults (kd: T = 4, α = 0.9), pure soft targets at T = 1, and pure soft
targets at T = 1 on a teacher-labelled mixup transfer set about as large as the training split. Per width that is
three distilled trainings and one scratch twin (four where the section alone trains two), the transfer-set one
over twice the rows per epoch and the twin with its step budget, plus one teacher pass over the synthetic rows:
the students stage of a 20,000-row generated table took 81-93 s and of 2,000 generated images 46-54 s on a shared
2-core AMD EPYC (``make bench-defaults``). There, on validation (mean of seeds 0-2), each candidate was the best
on one case or seed: table kd 0.860, T = 1 0.865, T = 1 + mixup 0.874 (scratch twin 0.845); images 0.916, 0.924,
0.914 (twin 0.921).
"""

from __future__ import annotations

import pandas as pd

from .config import StudentCandidate, StudentConfig
from .errors import ConfigError
from .selection import select_by_validation

# The default transfer set: as many mixup rows as training rows, at most this many (it is labelled once by the
# teacher and held in memory while the students train; 50,000 rows of 784 float32 pixels: 157 MB).
DEFAULT_TRANSFER_CAP = 50_000
# Short names of the loss parameters in a candidate's regime, e.g. kd(T=1,a=1).
SHORT_NAMES = {"temperature": "T", "alpha": "a"}


def uses_default_candidates(cfg: StudentConfig) -> bool:
    """Whether ``cfg`` leaves the choice of distillation settings to :func:`default_candidates`.

    True when ``candidates`` is null, the loss is ``kd`` (the candidates are KD settings) and none of
    ``loss_params``, ``transfer_set``, ``function_matching`` and ``born_again`` (a scheme of its own) is set.

    Args:
        cfg: the ``student`` config section.

    Returns:
        Whether the default candidates are trained besides ``cfg``.

    Example:
        >>> uses_default_candidates(StudentConfig()), uses_default_candidates(StudentConfig(candidates=[]))
        (True, False)
        >>> uses_default_candidates(StudentConfig(loss_params={"alpha": 0.5}))
        False
    """
    return (cfg.candidates is None and cfg.loss == "kd" and not cfg.loss_params and cfg.transfer_set is None
            and not cfg.function_matching and cfg.born_again is None)


def default_candidates(n_train: int) -> list[StudentCandidate]:
    """The candidates a section that chose no distillation settings gets, besides itself (the loss's defaults).

    Pure soft targets at T = 1 (α = 1) make the student match the teacher's probabilities as they are, which is
    what fidelity rewards; on a mixup transfer set of ``min(n_train, DEFAULT_TRANSFER_CAP)`` rows labelled by the
    teacher, the student also sees the teacher's function between training rows.

    Args:
        n_train: training rows.

    Returns:
        Two :class:`~interpret_distill.config.StudentCandidate`.

    Example:
        >>> [c.transfer_set.n_synthetic if c.transfer_set else None for c in default_candidates(1_000)]
        [None, 1000]
    """
    soft = {"temperature": 1.0, "alpha": 1.0}
    mixup = {"augmentation": "mixup", "n_synthetic": min(n_train, DEFAULT_TRANSFER_CAP)}
    return [StudentCandidate(loss_params=soft), StudentCandidate(loss_params=soft, transfer_set=mixup)]


def student_variants(cfg: StudentConfig, n_train: int) -> list[tuple[str, StudentConfig]]:
    """The distilled students to train (at each width): ``cfg`` itself, then each candidate, with their regimes.

    Args:
        cfg: the ``student`` config section.
        n_train: training rows (sizes the default transfer set).

    Returns:
        ``(regime, config)`` pairs, ``cfg``'s first; each config has no candidates of its own. A lone variant's
        regime is :func:`method_name` (e.g. ``"kd+fm"``); several are named by :func:`variant_name`.

    Raises:
        ConfigError: two candidates train the same student.

    Example:
        >>> [name for name, _ in student_variants(StudentConfig(), 500)]
        ['kd', 'kd(T=1,a=1)', 'kd(T=1,a=1)+mixup(n=500)']
        >>> [name for name, _ in student_variants(StudentConfig(function_matching=True), 500)]
        ['kd+fm']
    """
    candidates = default_candidates(n_train) if uses_default_candidates(cfg) else cfg.candidates or []
    base = cfg.model_copy(update={"candidates": []})
    variants = [base, *(cfg.with_candidate(c) for c in candidates)]
    if len(variants) == 1:
        return [(method_name(base), base)]
    names = [variant_name(v) for v in variants]
    for i, name in enumerate(names[1:]):
        if name in names[:i + 1]:
            raise ConfigError(f"student.candidates.{i} trains the same student as an earlier one ({name}); "
                              "remove it or change its settings")
    return list(zip(names, variants))


def method_name(cfg: StudentConfig) -> str:
    """How the student is distilled, e.g. ``"kd"``, ``"kd+fm"`` (function matching), ``"kd+transfer"``.

    Args:
        cfg: the ``student`` config section.

    Returns:
        The loss name, suffixed ``"+fm"`` with ``function_matching`` or ``"+transfer"`` with a ``transfer_set``.

    Example:
        >>> method_name(StudentConfig()), method_name(StudentConfig(function_matching=True))
        ('kd', 'kd+fm')
    """
    return cfg.loss + ("+fm" if cfg.function_matching else "+transfer" if cfg.transfer_set else "")


def variant_name(cfg: StudentConfig) -> str:
    """One candidate's regime in the sweep: the loss with its set parameters and the transfer set it trains on.

    Args:
        cfg: a student config (one variant).

    Returns:
        E.g. ``"kd"`` (the loss's defaults), ``"kd(T=1,a=1)+mixup(n=5000)"``, ``"kd(T=2)+fm"``.

    Example:
        >>> variant_name(StudentConfig(loss_params={"temperature": 2.0}, function_matching=True))
        'kd(T=2)+fm'
    """
    params = ",".join(f"{SHORT_NAMES.get(k, k)}={v:g}" for k, v in cfg.loss_params.items())
    name = cfg.loss + (f"({params})" if params else "")
    if cfg.function_matching:
        return f"{name}+fm"
    if cfg.transfer_set is not None:
        recipe = cfg.transfer_set
        extra = "".join(f", {k}={v:g}" for k, v in recipe.params.items())
        return f"{name}+{recipe.augmentation}(n={recipe.n_synthetic}{extra})"
    return name


def select_student(sweep: pd.DataFrame, budget: float | None = None,
                   keep_scratch: bool = True) -> tuple[int, int, bool]:
    """The distilled student's row of a student sweep, its scratch twin's, and whether the twin ships instead.

    The distilled student is the row (any candidate, any width within ``budget`` parameters) ranked first by
    :func:`~interpret_distill.selection.rank_by_validation` (validation fidelity, then validation KL, then fewer
    parameters). Its scratch twin is the scratch row of the same width. With ``keep_scratch`` the twin ships when
    its validation fidelity is strictly higher. Only ``regime``, ``params``, ``complexity_score``,
    ``val_fidelity`` and ``val_kl`` are read.

    Args:
        sweep: the student rows of a sweep (regime ``"scratch"`` for the twins, anything else distilled).
        budget: the most parameters the shipped student may have (``None``: any).
        keep_scratch: let the scratch twin ship when it is more faithful on validation.

    Returns:
        ``(distilled, twin, twin_ships)``: index labels of ``sweep`` and whether the shipped student is the twin.

    Example:
        >>> sweep = pd.DataFrame({"kind": "student", "regime": ["kd", "kd(T=1,a=1)", "scratch"],
        ...                       "params": "hidden=[4]", "complexity_score": 23.0,
        ...                       "val_fidelity": [0.90, 0.92, 0.95], "val_kl": [0.1, 0.2, 0.3]})
        >>> select_student(sweep), select_student(sweep, keep_scratch=False)
        ((1, 2, True), (1, 2, False))
    """
    view = sweep[["kind", "regime", "params", "complexity_score", "val_fidelity", "val_kl"]]
    distilled = view[view.regime != "scratch"].assign(regime="distilled")  # candidates compete like widths
    chosen = select_by_validation(distilled, budget={"student": budget} if budget is not None else None).index[0]
    twin = view.index[(view.regime == "scratch") & (view.params == view.params[chosen])][0]
    ship_twin = keep_scratch and bool(view.val_fidelity[twin] > view.val_fidelity[chosen])
    return chosen, twin, ship_twin
