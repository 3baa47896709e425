"""The surrogate stage of a run (interpret_distill.surrogate_stage): the regimes' fitting sets, the sweep, and
choices made on validation only (the regimes' fitting sets themselves: test_transfer.py)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from interpret_distill.config import DISTILLED_REGIMES, parse_config
from interpret_distill.selection import rank_by_validation, select_by_validation
from interpret_distill.surrogate_stage import fit_surrogates
from interpret_distill.surrogates import SURROGATES


def _choices(models) -> dict:
    return {m.name: (m.role, json.dumps(m.params, sort_keys=True), m.fitting_rows) for m in models}


def test_surrogate_choices_do_not_depend_on_the_test_split(tiny_parts):
    """Scrambling the test split's labels and teacher probabilities changes test scores, never a choice."""
    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    models, sweep = fit_surrogates(cfg, dataset, teacher, teacher_val, teacher_test)
    rng = np.random.default_rng(0)
    scrambled_probs = rng.dirichlet(np.ones(dataset.n_classes), size=len(teacher_test))
    scrambled = dataclasses.replace(dataset, y_test=rng.permutation(dataset.y_test))
    models_again, sweep_again = fit_surrogates(cfg, scrambled, teacher, teacher_val, scrambled_probs)
    assert not np.allclose(sweep.test_fidelity, sweep_again.test_fidelity), "the scrambling must change test scores"
    assert _choices(models_again) == _choices(models)
    # and the shipped (distilled) model of each kind is the validation ranking's first among the distilled regimes
    per_regime = select_by_validation(sweep_again)
    best = rank_by_validation(per_regime[per_regime.regime.isin(DISTILLED_REGIMES)]).drop_duplicates("kind")
    shipped = {m.name for m in models_again if m.role == "distilled"}
    assert shipped == {f"{r.kind}:{r.regime}" for r in best.itertuples()}


def test_complexity_budget_reaches_the_shipped_surrogate(tiny_parts):
    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    fitted = fit_surrogates(cfg, dataset, teacher, teacher_val, teacher_test)[0]
    free = {m.regime: m for m in fitted if m.kind == "tree"}
    assert max(m.complexity()[1] for m in free.values()) > 2, "without a budget some regime picks > 2 leaves"
    budgeted_cfg = cfg.model_copy(update={"surrogates": [s.model_copy(update={"budget": 2}) if s.kind == "tree" else s
                                                         for s in cfg.surrogates]})
    budgeted = fit_surrogates(budgeted_cfg, dataset, teacher, teacher_val, teacher_test)[0]
    trees = [m for m in budgeted if m.kind == "tree"]
    assert len(trees) == len(free) and all(m.complexity()[1] <= 2 for m in trees)


def test_a_surrogate_without_grid_or_params_sweeps_its_kinds_default_grid(tiny_parts):
    cfg, dataset, teacher, teacher_val, teacher_test = tiny_parts
    defaults = parse_config({**cfg.model_dump(), "surrogates": [{"kind": "naive_bayes"}], "regimes": ["hard", "soft"]})
    _, sweep = fit_surrogates(defaults, dataset, teacher, teacher_val, teacher_test)
    grid = SURROGATES["naive_bayes"].default_grid
    assert len(sweep) == 2 * len(grid)
    assert [json.loads(p) for p in sweep[sweep.regime == "soft"].params_json] == [dict(g) for g in grid]
