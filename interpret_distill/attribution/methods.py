"""One entry point, :func:`attribute`, for every attribution method, plus a registry saying what applies where.

* **gradient** methods (torch models only) explain the target class's **logit**: integrated_gradients, saliency,
  deeplift, gradient_shap.
* **perturbation** methods (any model, through :func:`~.forward.as_forward`) explain the target class's
  **probability**: feature_ablation, shapley_value_sampling (Captum), kernel_shap, lime (batched ports of
  Captum's estimators, see :mod:`.sampling`). They always evaluate ``perturbations_per_eval`` perturbed copies
  of every example of a chunk per forward call, and can treat groups of columns (one-hot columns of a
  categorical feature, pixel patches) as one feature through ``feature_mask``.
* **native** (surrogates only): the exact decomposition of :mod:`.native`.

Every result is an ``(n, d)`` float64 numpy array. With a ``feature_mask`` every column of a group carries the
whole group's attribution (Captum's convention for perturbation methods; gradient and native results are summed
within groups to match), so results with the same mask stay comparable across methods.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np
import torch
from captum.attr import DeepLift, FeatureAblation, GradientShap, IntegratedGradients, Saliency, ShapleyValueSampling

from ..compute import DEFAULT_CHUNK_MB, rows_per_call
from ..models import eval_mode
from ..progress import progress_bar
from . import sampling
from .forward import as_forward, check_inputs, check_targets, has_outputs, is_differentiable
from .native import native_attribution, native_kind
from .registry import METHODS, MethodSpec


def applicable_methods(model: Any) -> list[str]:
    """Names of the registered methods that can explain ``model``, in registry order.

    Args:
        model: a torch module or a scikit-learn style model with ``predict_proba``.

    Returns:
        Method names: gradient methods only for differentiable models, ``native`` only for surrogates.

    Example:
        >>> applicable_methods(torch.nn.Linear(2, 2))[:2]
        ['integrated_gradients', 'saliency']
    """
    names = []
    for name, spec in METHODS.items():
        if spec.family == "gradient" and is_differentiable(model):
            names.append(name)
        elif spec.family == "perturbation" and (isinstance(model, torch.nn.Module) or has_outputs(model)):
            names.append(name)
        elif spec.family == "native" and native_kind(model) is not None:
            names.append(name)
    return names


def resolve_baseline(baseline: Any, X: np.ndarray, train_mean: np.ndarray | None = None) -> np.ndarray:
    """Turn a baseline specification into an explicit float32 array, so it can be recorded next to results.

    Args:
        baseline: ``"zeros"``; ``"mean"`` (the training mean, given as ``train_mean``: never silently the mean of
            the explained rows); a scalar; or an array of shape ``(d,)`` or ``(n, d)`` (one row per example).
        X: ``(n, d)`` inputs that will be explained.
        train_mean: ``(d,)`` training-set mean, required for ``"mean"``.

    Returns:
        A float32 array of shape ``(d,)`` or ``(n, d)``.

    Example:
        >>> resolve_baseline("zeros", np.ones((3, 2), np.float32))
        array([0., 0.], dtype=float32)
    """
    X = np.asarray(X)
    n, d = X.shape
    if baseline is None:  # np.asarray(None, dtype=float32) would be an all-NaN reference
        raise ValueError("baseline=None names no reference input; pass 'zeros', 'mean' (with train_mean), a number or "
                         "an array (for a surrogate's natural reference call native_attribution(model, X, target))")
    if isinstance(baseline, str):
        if baseline == "zeros":
            return np.zeros(d, dtype=np.float32)
        if baseline == "mean":
            if train_mean is None:
                raise ValueError("baseline='mean' needs train_mean (the (d,) mean of the training features)")
            out = np.asarray(train_mean, dtype=np.float32).reshape(-1)
            if out.shape != (d,):
                raise ValueError(f"train_mean must have shape ({d},), got {np.shape(train_mean)}")
            return out
        raise ValueError(f"unknown baseline {baseline!r}: use 'zeros', 'mean' (with train_mean) or an array")
    out = np.asarray(baseline, dtype=np.float32)
    if out.ndim == 0:
        return np.full(d, float(out), dtype=np.float32)
    if out.shape == (1, d):
        out = out.reshape(d)
    if out.shape not in ((d,), (n, d)):
        raise ValueError(f"baseline array must have shape ({d},) or ({n}, {d}), got {out.shape}")
    return out


def attribute(model: Any, X: np.ndarray, target: np.ndarray, method: str, baseline: Any = "zeros", *,
              feature_mask: np.ndarray | None = None, train_mean: np.ndarray | None = None,
              n_samples: int | None = None, n_steps: int = 32, perturbations_per_eval: int = 64,
              internal_batch_size: int = 2048, batch_size: int = 256, chunk_mb: float = DEFAULT_CHUNK_MB,
              seed: int = 0) -> np.ndarray:
    """Attribute each example's target output of ``model`` to its input features.

    Args:
        model: a torch module (returns logits) or a model with ``predict_proba`` (e.g. a surrogate).
        X: ``(n, d)`` float inputs.
        target: ``(n,)`` class explained per example (usually the teacher's predicted class).
        method: a key of :data:`METHODS`; see :func:`applicable_methods`.
        baseline: ``"zeros"``, ``"mean"`` (needs ``train_mean``) or an array, see :func:`resolve_baseline`.
            For gradient_shap the baseline rows are the reference distribution.
        feature_mask: optional ``(d,)`` integer group id per column; columns sharing an id are perturbed together
            and share one attribution. Kernel SHAP and LIME use one set of random coalitions per chunk of
            ``batch_size`` examples.
        train_mean: ``(d,)`` training mean for ``baseline="mean"``.
        n_samples: samples for stochastic methods (default per method, see ``METHODS[m].default_n_samples``).
        n_steps: integration steps of integrated_gradients.
        perturbations_per_eval: perturbed copies per example evaluated in one forward call.
        internal_batch_size: rows per forward/backward pass inside integrated_gradients.
        batch_size: examples processed per chunk (bounds memory).
        chunk_mb: the memory one model call may take (MiB): rows per call follow from the model's activations per
            row (:func:`~interpret_distill.compute.rows_per_call`); gradient methods also shrink ``batch_size`` and
            ``internal_batch_size`` to fit, perturbation methods evaluate their perturbed copies in chunks.
        seed: seeds every random draw; the global torch / numpy random states are left untouched.

    Returns:
        ``(n, d)`` float64 attributions (target logit for gradient methods, target probability for perturbation
        methods, the model-specific quantity for ``native``).

    Example:
        >>> attr = attribute(teacher, X, target, "integrated_gradients", baseline="zeros")  # doctest: +SKIP
        >>> attr.shape == X.shape  # doctest: +SKIP
        True
    """
    spec = _check_method(model, method)
    X, target = check_inputs(X, target)
    n, d = X.shape
    if n:
        check_targets(target, _output_width(model, X[:1]))
    base = resolve_baseline(baseline, X, train_mean)
    groups = _check_feature_mask(feature_mask, d)
    n_samples = spec.default_n_samples if n_samples is None else int(n_samples)
    if perturbations_per_eval < 1 or batch_size < 1:
        raise ValueError("perturbations_per_eval and batch_size must be >= 1")

    rows = rows_per_call(model, d, chunk_mb, gradients=spec.family == "gradient")
    if spec.family == "gradient":  # the autograd graph holds every row of a call: fewer rows per call
        batch_size, internal_batch_size = min(batch_size, rows), min(internal_batch_size, rows)
    runner = _RUNNERS[method]
    out = np.empty((n, d), dtype=np.float64)
    generator = torch.Generator().manual_seed(seed)  # for the batched samplers; Captum's use the forked global RNG
    with _seeded(seed), eval_mode(model), warnings.catch_warnings():
        # Captum warns on every DeepLift call that it hooks the activations, which is what is asked for here.
        warnings.filterwarnings("ignore", message="Setting forward, backward hooks")
        for start in range(0, n, batch_size):
            sl = slice(start, min(start + batch_size, n))
            b = base if base.ndim == 1 else base[sl]
            out[sl] = runner(model, X[sl], target[sl], b, groups=groups, n_samples=n_samples, n_steps=n_steps,
                             ppe=int(perturbations_per_eval), ibs=int(internal_batch_size), generator=generator,
                             rows=rows)
    if groups is not None and spec.family != "perturbation":
        out = _pool_groups(out, groups)
    return out


def _output_width(model: Any, row: np.ndarray) -> int:
    """Classes of the model's output: from ``classes_`` when it has them, else from one forward pass."""
    if hasattr(model, "classes_"):
        return len(model.classes_)
    with torch.no_grad():
        return int(as_forward(model)(torch.as_tensor(row)).shape[1])


def attribute_many(models: Mapping[str, Any], X: np.ndarray, target: np.ndarray, methods: Sequence[str],
                   baseline: Any = "zeros", *, progress: bool = True, perturbation_mask: np.ndarray | None = None,
                   **kwargs: Any) -> dict[tuple[str, str], np.ndarray]:
    """Run several methods on several models, skipping the (model, method) pairs that do not apply.

    Args:
        models: name → model, e.g. ``{"teacher": net, "student": small_net, "tree": tree_surrogate}``.
        X: ``(n, d)`` inputs.
        target: ``(n,)`` classes explained for every model (the teacher's predictions, so all models explain the
            same decision).
        methods: method names; gradient methods are skipped for scikit-learn models, ``native`` for torch models.
        baseline: as in :func:`attribute` (resolved once, so every model gets the same reference).
        progress: show a tqdm progress bar over the (model, method) pairs.
        perturbation_mask: the ``feature_mask`` of perturbation methods only (e.g. image patches,
            :func:`~interpret_distill.image_features.patch_feature_mask`: their cost grows with the groups), in place
            of ``feature_mask``; gradient and native methods keep theirs (pixel detail costs them nothing).
        **kwargs: passed on to :func:`attribute` (``train_mean``, ``feature_mask``, ``seed``, ...).

    Returns:
        ``{(model_name, method): (n, d) array}`` in the order models × methods.

    Example:
        >>> res = attribute_many({"teacher": net, "tree": tree}, X, y_teacher,
        ...                      ["integrated_gradients", "feature_ablation"], progress=False)  # doctest: +SKIP
        >>> sorted(res)  # doctest: +SKIP
        [('teacher', 'feature_ablation'), ('teacher', 'integrated_gradients'), ('tree', 'feature_ablation')]
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; registered methods: {', '.join(METHODS)}")
    base = resolve_baseline(baseline, np.asarray(X), kwargs.pop("train_mean", None))
    pairs = [(name, m) for name, model in models.items() for m in methods if m in applicable_methods(model)]
    results: dict[tuple[str, str], np.ndarray] = {}
    with progress_bar(pairs, enabled=progress, desc="attributions", leave=False) as bar:
        for name, m in bar:
            bar.set_postfix_str(f"{name}/{m}")
            masked = perturbation_mask is not None and METHODS[m].family == "perturbation"
            results[(name, m)] = attribute(models[name], X, target, m, base,
                                           **{**kwargs, **({"feature_mask": perturbation_mask} if masked else {})})
    return results


# --------------------------------------------------------------------------------------------- internals

def _check_method(model: Any, method: str) -> MethodSpec:
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; registered methods: {', '.join(METHODS)}")
    allowed = applicable_methods(model)
    if method not in allowed:
        spec = METHODS[method]
        name = type(model).__name__
        if spec.family == "gradient":
            why = (f"{name} is not differentiable (it is explained through predict_proba), "
                   "so gradient methods do not apply")
        elif spec.family == "native":
            why = f"{name} is not a linear, tree or naive-Bayes surrogate, so it has no native attribution"
        else:
            why = f"{name} is neither a torch module nor has predict_proba"
        raise ValueError(f"method {method!r} cannot explain this model: {why}. "
                         f"Methods available for {name}: {', '.join(allowed) or 'none'}")
    return METHODS[method]


def _check_feature_mask(feature_mask: np.ndarray | None, d: int) -> np.ndarray | None:
    if feature_mask is None:
        return None
    mask = np.asarray(feature_mask)
    if mask.shape != (d,) or not np.issubdtype(mask.dtype, np.integer):
        raise ValueError(f"feature_mask must be a ({d},) integer array of group ids, got {mask.dtype} {mask.shape}")
    # The samplers index coalitions by group id 0..G-1; any labelling is accepted here.
    return np.unique(mask, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _pool_groups(attr: np.ndarray, groups: np.ndarray) -> np.ndarray:
    sums = np.zeros((attr.shape[0], int(groups.max()) + 1))
    np.add.at(sums, (slice(None), groups), attr)
    return sums[:, groups]


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch and numpy for the block, then put the caller's global random states back."""
    np_state = np.random.get_state()  # GradientShap draws from numpy's global generator
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            np.random.set_state(np_state)


def _device(model: Any) -> torch.device:
    if isinstance(model, torch.nn.Module):
        for p in model.parameters():
            return p.device
    return torch.device("cpu")


def _dtype(model: Any) -> torch.dtype:
    if isinstance(model, torch.nn.Module):
        for p in model.parameters():
            if p.is_floating_point():
                return p.dtype
    return torch.float32


def _tensors(model: Any, X: np.ndarray, target: np.ndarray, b: np.ndarray, groups: np.ndarray | None):
    dev, dtype = _device(model), _dtype(model)
    x = torch.as_tensor(X, device=dev, dtype=dtype)
    t = torch.as_tensor(target, device=dev)
    bt = torch.as_tensor(b, device=dev, dtype=dtype).reshape(-1, X.shape[1])
    mask = None if groups is None else torch.as_tensor(groups, device=dev).reshape(1, -1)
    return x, t, bt, mask


def _gradient_runner(attribute_fn: Callable[..., torch.Tensor]) -> Callable[..., np.ndarray]:
    """Runner around ``attribute_fn(model, x, t, bt, *, n_samples, n_steps, ibs) -> tensor`` (a gradient method)."""
    def run(model, X, target, b, *, groups, n_samples, n_steps, ppe, ibs, generator, rows):
        x, t, bt, _ = _tensors(model, X, target, b, None)
        x = x.clone().requires_grad_()  # gradient methods differentiate w.r.t. the input
        attr = attribute_fn(model, x, t, bt, n_samples=n_samples, n_steps=n_steps, ibs=ibs)
        return attr.detach().cpu().double().numpy()

    return run


def _integrated_gradients(model, x, t, bt, *, n_steps, ibs, **_):
    return IntegratedGradients(as_forward(model, "logit")).attribute(x, baselines=bt, target=t, n_steps=n_steps,
                                                                    internal_batch_size=max(ibs, len(x)))


def _saliency(model, x, t, bt, **_):
    # Signed gradient (not Captum's default |gradient|) so sign agreement stays meaningful.
    return Saliency(as_forward(model, "logit")).attribute(x, target=t, abs=False)


def _deeplift(model, x, t, bt, **_):
    return DeepLift(model).attribute(x, baselines=bt.expand_as(x), target=t)


def _gradient_shap(model, x, t, bt, *, n_samples, **_):
    # expected gradients against the baseline rows as reference distribution
    return GradientShap(as_forward(model, "logit")).attribute(x, baselines=bt, target=t, n_samples=n_samples,
                                                             stdevs=0.0)


def _captum_perturbation(attributor: type, model, X, target, b, groups, ppe, rows, **extra) -> np.ndarray:
    """Run a Captum perturbation attributor (``FeatureAblation``-like) on the target probability, without autograd."""
    x, t, bt, mask = _tensors(model, X, target, b, groups)
    with torch.no_grad():
        forward = as_forward(model, "proba", max_rows=rows)
        attr = attributor(forward).attribute(x, baselines=bt, target=t, feature_mask=mask,
                                             perturbations_per_eval=ppe, **extra)
    return attr.detach().cpu().double().numpy()


def _feature_ablation(model, X, target, b, *, groups, ppe, rows, **_):
    return _captum_perturbation(FeatureAblation, model, X, target, b, groups, ppe, rows)


def _shapley_value_sampling(model, X, target, b, *, groups, n_samples, ppe, rows, **_):
    return _captum_perturbation(ShapleyValueSampling, model, X, target, b, groups, ppe, rows, n_samples=n_samples)


def _batched_sampler(estimator: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Runner around a batched estimator of :mod:`.sampling` (kernel_shap, lime)."""
    def run(model, X, target, b, *, groups, n_samples, n_steps, ppe, ibs, generator, rows):
        dev = _device(model)
        proba = as_forward(model, "proba", max_rows=rows)
        fwd = lambda inp: proba(inp.to(dev))  # noqa: E731  (sampling builds its batches on the CPU)
        g = groups if groups is not None else np.arange(X.shape[1])
        return estimator(fwd, X, target, b, g, n_samples, ppe, generator)

    return run


def _native_runner(model, X, target, b, **_):
    return native_attribution(model, X, target, b)


# family -> method name -> run(model, X, target, b, *, groups, n_samples, n_steps, ppe, ibs, generator, rows), returning
# an (n, d) numpy array. A registry rather than an if/elif chain: a method without a runner fails at import
# (see _runner_for) instead of silently running another method of its family.
_RUNNERS_BY_FAMILY: dict[str, dict[str, Callable[..., np.ndarray]]] = {
    "gradient": {
        "integrated_gradients": _gradient_runner(_integrated_gradients),
        "saliency": _gradient_runner(_saliency),
        "deeplift": _gradient_runner(_deeplift),
        "gradient_shap": _gradient_runner(_gradient_shap),
    },
    "perturbation": {
        "feature_ablation": _feature_ablation,
        "shapley_value_sampling": _shapley_value_sampling,
        "kernel_shap": _batched_sampler(sampling.kernel_shap),
        "lime": _batched_sampler(sampling.lime),
    },
    "native": {"native": _native_runner},
}


def _runner_for(spec: MethodSpec) -> Callable[..., np.ndarray]:
    """The runner registered for ``spec``'s name within its family; raises ``ValueError`` naming the known ones."""
    registry = _RUNNERS_BY_FAMILY.get(spec.family, {})
    if spec.name not in registry:
        raise ValueError(f"no {spec.family} runner registered for method {spec.name!r}; registered "
                         f"{spec.family} methods: {', '.join(registry) or 'none'}")
    return registry[spec.name]


_RUNNERS: dict[str, Callable[..., np.ndarray]] = {name: _runner_for(spec) for name, spec in METHODS.items()}
