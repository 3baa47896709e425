"""Does an attribution point at the features the model actually uses? Deletion / insertion curves and infidelity.

* **deletion**: replace features by the baseline, most important first (by signed attribution, positive-most
  first), and track the model's probability of the target class. A faithful ranking makes it drop fast, so a
  *lower* area is better.
* **insertion**: start from the baseline and put the features back in the same order: *higher* area is better.
* **random**: the same with a random (seeded) order, the reference a ranking has to beat.
* **infidelity** (Yeh et al. 2019, via ``captum.metrics.infidelity`` with ``normalize=True``): expected squared
  error between ``attribution · noise`` and the output change under Gaussian noise, after the optimal rescaling
  of the attributions, so models on different output scales are comparable; lower is better. For attributions of
  the "gradient × (x − baseline)" kind the noise is relative to ``x − baseline`` (see :func:`infidelity_score`).

All masked inputs of a curve are evaluated in as few model calls as possible (up to ``max_rows`` rows per call,
by default as many as fit in ``chunk_mb`` of the model's activations: ``compute.rows_per_call``).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from captum.metrics import infidelity

from ..compute import rows_per_call
from ..models import eval_mode
from .forward import as_forward, check_inputs
from .methods import METHODS, _device, resolve_baseline

MODES = ("deletion", "insertion")


def deletion_curve(model: Any, X: np.ndarray, target: np.ndarray, attributions: np.ndarray, baseline: Any = "zeros",
                   steps: int = 20, *, train_mean: np.ndarray | None = None, seed: int = 0,
                   max_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean target probability as the most important features are replaced by the baseline.

    Args:
        model: torch module or model with ``predict_proba``.
        X: ``(n, d)`` inputs.
        target: ``(n,)`` classes whose probability is tracked.
        attributions: ``(n, d)`` attributions defining the order (largest signed value first; ties in random,
            seeded order).
        baseline: replacement values, as in :func:`~.methods.resolve_baseline`.
        steps: number of equal steps from 0 to all features removed.
        train_mean: needed for ``baseline="mean"``.
        seed: seeds the tie-breaking.
        max_rows: most rows per model call (default: ``compute.rows_per_call`` of the model at its default budget).

    Returns:
        ``(fractions, curve)``: the removed fraction ``(steps + 1,)`` from 0 to 1 and the mean probability there.

    Example:
        >>> frac, curve = deletion_curve(teacher, X, target, ig_attr, baseline="zeros")  # doctest: +SKIP
        >>> curve_area(frac, curve)  # doctest: +SKIP
        0.21
    """
    return _ranked_curve(model, X, target, attributions, baseline, steps, "deletion", train_mean, seed, max_rows)


def insertion_curve(model: Any, X: np.ndarray, target: np.ndarray, attributions: np.ndarray, baseline: Any = "zeros",
                    steps: int = 20, *, train_mean: np.ndarray | None = None, seed: int = 0,
                    max_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean target probability as the most important features are inserted into the baseline.

    Args:
        model: torch module or model with ``predict_proba``.
        X: ``(n, d)`` inputs.
        target: ``(n,)`` classes whose probability is tracked.
        attributions: ``(n, d)`` attributions defining the order (largest signed value first).
        baseline: starting input, as in :func:`~.methods.resolve_baseline`.
        steps: number of equal steps from the baseline to the full input.
        train_mean: needed for ``baseline="mean"``.
        seed: seeds the tie-breaking.
        max_rows: most rows per model call (default: ``compute.rows_per_call`` of the model at its default budget).

    Returns:
        ``(fractions, curve)``: inserted fraction ``(steps + 1,)`` and the mean probability there.

    Example:
        >>> frac, curve = insertion_curve(teacher, X, target, ig_attr)  # doctest: +SKIP
    """
    return _ranked_curve(model, X, target, attributions, baseline, steps, "insertion", train_mean, seed, max_rows)


def random_curve(model: Any, X: np.ndarray, target: np.ndarray, baseline: Any = "zeros", steps: int = 20, *,
                 mode: str = "deletion", train_mean: np.ndarray | None = None, seed: int = 0,
                 max_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Deletion or insertion curve for a random feature order (one seeded permutation per example).

    Args:
        model: torch module or model with ``predict_proba``.
        X: ``(n, d)`` inputs.
        target: ``(n,)`` classes whose probability is tracked.
        baseline: as in :func:`deletion_curve`.
        steps: number of steps.
        mode: ``"deletion"`` or ``"insertion"``.
        train_mean: needed for ``baseline="mean"``.
        seed: seeds the permutations.
        max_rows: most rows per model call (default: ``compute.rows_per_call`` of the model at its default budget).

    Returns:
        ``(fractions, curve)`` as for :func:`deletion_curve`.

    Example:
        >>> frac, curve = random_curve(teacher, X, target, "zeros", seed=0)  # doctest: +SKIP
    """
    X = np.asarray(X, dtype=np.float32)
    scores = np.random.default_rng(seed).random(X.shape)
    # Random scores as "attributions" give a uniformly random order; the tie-break seed is irrelevant.
    return _ranked_curve(model, X, target, scores, baseline, steps, mode, train_mean, seed, max_rows)


def curve_area(fractions: np.ndarray, curve: np.ndarray) -> float:
    """Trapezoid area under a curve, with the x axis normalised to [0, 1].

    Args:
        fractions: ``(m,)`` increasing x values.
        curve: ``(m,)`` y values (probabilities, so the area lies in [0, 1]).

    Returns:
        The area divided by the x range.

    Example:
        >>> curve_area(np.array([0., .5, 1.]), np.array([1., .5, 0.]))
        0.5
    """
    x, y = np.asarray(fractions, dtype=np.float64), np.asarray(curve, dtype=np.float64)
    span = x[-1] - x[0]
    if span <= 0:
        raise ValueError("fractions must increase")
    return float(np.trapezoid(y, x) / span)


def infidelity_score(model: Any, X: np.ndarray, target: np.ndarray, attributions: np.ndarray,
                     baseline: Any = "zeros", *, multiply_by_inputs: bool = True, noise_std: float = 0.1,
                     n_perturb_samples: int = 10, output: str = "proba", train_mean: np.ndarray | None = None,
                     seed: int = 0, max_examples_per_batch: int | None = None, relative: bool = False) -> np.ndarray:
    """Normalised infidelity of ``attributions`` under Gaussian input noise (lower is better).

    Infidelity is :math:`E_I[(a \\cdot I - (f(x) - f(x - I)))^2]` after the optimal rescaling of ``a``
    (``captum.metrics.infidelity(..., normalize=True)``). The perturbation ``I`` has to be expressed in the units
    of the attributions:

    * ``multiply_by_inputs=True`` (integrated gradients, DeepLift, ablation, Shapley, LIME, native: attributions
      that measure the effect of moving ``x`` to the baseline): ``x - I`` with ``I = ε ⊙ (x - baseline)`` and
      ``ε ~ N(0, noise_std²)``, scored against ``a · ε``. This is Captum's ``multiply_by_inputs`` convention
      without its division by ``x - baseline``, which blows up where a feature sits next to its baseline value.
    * ``multiply_by_inputs=False`` (saliency: plain gradients): ``I ~ N(0, noise_std²)`` scored against ``a · I``.

    Args:
        model: torch module or model with ``predict_proba`` (wrapped by :func:`~.forward.as_forward`).
        X: ``(n, d)`` inputs.
        target: ``(n,)`` explained classes.
        attributions: ``(n, d)`` attributions.
        baseline: the attributions' baseline (used with ``multiply_by_inputs``), see ``resolve_baseline``.
        multiply_by_inputs: see above; ``METHODS[method].multiplies_inputs`` tells which applies.
        noise_std: standard deviation of the Gaussian noise.
        n_perturb_samples: perturbations per example.
        output: model output the attributions explain: ``"proba"`` or (torch only) ``"logit"``.
        train_mean: needed for ``baseline="mean"``.
        seed: seeds the noise (local generator; global state untouched).
        max_examples_per_batch: examples per model call (``None``: all at once).
        relative: divide by :math:`E_I[(f(x) - f(x - I))^2]` (measured on the same perturbations), giving the
            share of the output change the rescaled attributions fail to explain, in [0, 1]. Raw infidelity is
            in squared output units (tiny for saturated probabilities); the relative one compares across models
            and outputs. Costs a second pass of model calls.

    Returns:
        ``(n,)`` float64 infidelity per example (``nan`` for relative infidelity where the output never changes).

    Example:
        >>> infidelity_score(tree, X, target, tree_attr, baseline="zeros").mean()  # doctest: +SKIP
    """
    raw, rel = _infidelity(model, X, target, attributions, baseline, multiply_by_inputs, noise_std,
                           n_perturb_samples, output, train_mean, seed, max_examples_per_batch, relative)
    return rel if relative else raw


def _infidelity(model, X, target, attributions, baseline, multiply_by_inputs, noise_std, n_perturb_samples, output,
                train_mean, seed, max_examples_per_batch, relative):
    """Raw normalised infidelity and (if asked) its relative version, sharing the first pass."""
    X, target, attr = _check(X, target, attributions)
    forward = as_forward(model, output, max_rows=rows_per_call(model, X.shape[1]))
    dev = _device(model)
    x = torch.as_tensor(X, device=dev)
    base = torch.as_tensor(resolve_baseline(baseline, X, train_mean), device=dev).reshape(-1, X.shape[1])

    def score(a: np.ndarray, normalize: bool) -> np.ndarray:
        gen = torch.Generator().manual_seed(seed)  # same seed: both passes see the same perturbations

        def perturb(inputs: torch.Tensor, baselines: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            # Captum repeats every example n_perturb_samples times (and its baseline with it).
            eps = (torch.randn(inputs.shape, generator=gen, dtype=inputs.dtype) * noise_std).to(inputs.device)
            if multiply_by_inputs:
                return eps, inputs - eps * (inputs - baselines)
            return eps, inputs - eps

        with torch.no_grad(), eval_mode(model):
            out = infidelity(forward, perturb, x, torch.as_tensor(a, dtype=x.dtype, device=dev),
                             baselines=base.expand_as(x), target=torch.as_tensor(target, device=dev),
                             n_perturb_samples=n_perturb_samples, max_examples_per_batch=max_examples_per_batch,
                             normalize=normalize)
        return out.detach().cpu().double().numpy()

    raw = score(attr, normalize=True)
    if not relative:
        return raw, None
    change = score(np.zeros_like(attr), normalize=False)  # zero attributions: E[(f(x) - f(x - I))^2]
    rel = np.full_like(raw, np.nan)
    ok = change > 0
    rel[ok] = np.clip(raw[ok] / change[ok], 0.0, None)
    return raw, rel


def faithfulness_curves(model: Any, X: np.ndarray, target: np.ndarray, attributions: np.ndarray,
                        baseline: Any = "zeros", steps: int = 20, *, train_mean: np.ndarray | None = None,
                        seed: int = 0) -> dict[str, np.ndarray]:
    """Deletion, insertion and random-deletion curves of one attribution, ready for ``plots.faithfulness_plot``.

    Args:
        model, X, target, attributions, baseline, steps, train_mean, seed: as in :func:`deletion_curve`.

    Returns:
        ``{"fractions", "deletion", "insertion", "random", "random_insertion"}`` → ``(steps + 1,)`` arrays.

    Example:
        >>> curves = {"teacher": faithfulness_curves(teacher, X, target, ig)}  # doctest: +SKIP
    """
    frac, deletion = deletion_curve(model, X, target, attributions, baseline, steps, train_mean=train_mean, seed=seed)
    _, insertion = insertion_curve(model, X, target, attributions, baseline, steps, train_mean=train_mean, seed=seed)
    _, rand_del = random_curve(model, X, target, baseline, steps, mode="deletion", train_mean=train_mean, seed=seed)
    _, rand_ins = random_curve(model, X, target, baseline, steps, mode="insertion", train_mean=train_mean, seed=seed)
    return {"fractions": frac, "deletion": deletion, "insertion": insertion, "random": rand_del,
            "random_insertion": rand_ins}


def faithfulness_table(models: Mapping[str, Any], X: np.ndarray, target: np.ndarray,
                       attributions: Mapping[tuple[str, str], np.ndarray], baseline: Any = "zeros", *,
                       steps: int = 20, train_mean: np.ndarray | None = None, seed: int = 0,
                       with_infidelity: bool = True, noise_std: float = 0.1, n_perturb_samples: int = 10
                       ) -> pd.DataFrame:
    """Deletion / insertion / random AUCs and infidelity for every (model, method) attribution.

    Each attribution is judged on the model it explains. Infidelity uses the output the method explained (logits
    for gradient methods on torch models, probabilities otherwise; native attributions are checked against
    probabilities, as scikit-learn models offer nothing else) and ``METHODS[method].multiplies_inputs`` to pick
    the perturbation convention.

    Args:
        models: name → model; attributions of models not listed are skipped.
        X: ``(n, d)`` inputs the attributions belong to.
        target: ``(n,)`` explained classes.
        attributions: ``{(model_name, method): (n, d) array}``.
        baseline: as in :func:`deletion_curve`.
        steps: curve steps.
        train_mean: needed for ``baseline="mean"``.
        seed: seeds the random curves, tie-breaks and infidelity noise.
        with_infidelity: also compute infidelity and relative infidelity (a few batched model calls per row).
        noise_std: infidelity noise scale.
        n_perturb_samples: infidelity perturbations per example.

    Returns:
        DataFrame with columns ``model, method, deletion_auc, insertion_auc, random_deletion_auc,
        random_insertion_auc, infidelity, relative_infidelity`` (means over examples; lower deletion, higher
        insertion and lower infidelity are better; ``relative_infidelity`` compares across models and outputs).

    Example:
        >>> faithfulness_table({"teacher": net}, X, target, {("teacher", "integrated_gradients"): ig})  # doctest: +SKIP
    """
    base = resolve_baseline(baseline, np.asarray(X), train_mean)
    random_auc: dict[str, tuple[float, float]] = {}
    rows = []
    for (name, method), attr in attributions.items():
        if name not in models:
            continue
        model = models[name]
        if name not in random_auc:  # the random reference depends on the model only
            f, rd = random_curve(model, X, target, base, steps, mode="deletion", seed=seed)
            _, ri = random_curve(model, X, target, base, steps, mode="insertion", seed=seed)
            random_auc[name] = (curve_area(f, rd), curve_area(f, ri))
        f, dc = deletion_curve(model, X, target, attr, base, steps, seed=seed)
        _, ic = insertion_curve(model, X, target, attr, base, steps, seed=seed)
        row = {"model": name, "method": method, "deletion_auc": curve_area(f, dc), "insertion_auc": curve_area(f, ic),
               "random_deletion_auc": random_auc[name][0], "random_insertion_auc": random_auc[name][1],
               "infidelity": float("nan"), "relative_infidelity": float("nan")}
        if with_infidelity:
            spec = METHODS.get(method)
            output = "logit" if spec is not None and spec.output == "logit" and isinstance(model, torch.nn.Module) \
                else "proba"
            mult = spec.multiplies_inputs if spec is not None else True
            raw, rel = _infidelity(model, X, target, attr, base, mult, noise_std, n_perturb_samples, output, None,
                                   seed, None, True)
            row["infidelity"] = float(np.mean(raw))
            defined = rel[~np.isnan(rel)]  # nan where the output never moved (saturated probabilities)
            row["relative_infidelity"] = float(defined.mean()) if defined.size else float("nan")
        rows.append(row)
    columns = ["model", "method", "deletion_auc", "insertion_auc", "random_deletion_auc", "random_insertion_auc",
               "infidelity", "relative_infidelity"]
    return pd.DataFrame(rows, columns=columns)


# --------------------------------------------------------------------------------------------- internals

def _check(X: np.ndarray, target: np.ndarray, attributions: np.ndarray):
    X, target = check_inputs(X, target)
    attr = np.asarray(attributions, dtype=np.float64)
    if attr.shape != X.shape:
        raise ValueError(f"attributions must have the shape of X {X.shape}, got {attr.shape}")
    return X, target, attr


def _ranked_curve(model, X, target, attributions, baseline, steps, mode, train_mean, seed, max_rows):
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if steps < 1:
        raise ValueError("steps must be >= 1")
    X, target, attr = _check(X, target, attributions)
    n, d = X.shape
    max_rows = max_rows or rows_per_call(model, d)
    base = np.broadcast_to(resolve_baseline(baseline, X, train_mean), (n, d))
    # Rank 0 = most important. lexsort: primary key last (descending attribution), random key breaks ties.
    tie = np.random.default_rng(seed).random((n, d))
    order = np.lexsort((tie, -attr), axis=-1)
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(d)[None, :].repeat(n, axis=0), axis=-1)

    fractions = np.linspace(0.0, 1.0, steps + 1)
    counts = np.rint(fractions * d).astype(np.int64)  # features changed at each step
    first, second = (base, X) if mode == "deletion" else (X, base)  # changed features take `first`
    forward = as_forward(model, "proba")
    per_call = max(1, max_rows // max(n, 1))  # steps evaluated together in one model call
    curve = np.empty(steps + 1)
    for s0 in range(0, steps + 1, per_call):
        cs = counts[s0:s0 + per_call]
        changed = rank[None, :, :] < cs[:, None, None]  # (s, n, d)
        batch = np.where(changed, first[None], second[None]).reshape(-1, d)
        probs = _target_proba(model, forward, batch, np.tile(target, len(cs)), max_rows)
        curve[s0:s0 + len(cs)] = probs.reshape(len(cs), n).mean(axis=1)
    return fractions, curve


def _target_proba(model, forward, batch: np.ndarray, targets: np.ndarray, max_rows: int) -> np.ndarray:
    dev = _device(model)
    out = np.empty(len(batch))
    with torch.no_grad():
        for start in range(0, len(batch), max_rows):
            sl = slice(start, start + max_rows)
            p = forward(torch.as_tensor(np.ascontiguousarray(batch[sl]), device=dev))
            out[sl] = p[torch.arange(p.shape[0]), torch.as_tensor(targets[sl], device=dev)].double().cpu().numpy()
    return out
