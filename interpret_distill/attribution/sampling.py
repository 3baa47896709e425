r"""Kernel SHAP and LIME, batched over examples (vectorised ports of Captum's ``KernelShap`` and ``Lime``).

Captum fits one interpretable linear model per example in a Python loop (tens of milliseconds each, plus
BLAS/OpenMP thread contention on small machines), which makes 500 examples take minutes. Here one set of
``n_samples`` random coalitions ``z ∈ {0,1}^G`` (``G`` = number of feature groups) is shared by all examples of a
chunk, every perturbed input ``z·x + (1−z)·baseline`` of ``ppe`` coalitions × all examples goes through the model
in one call, and the per-example regressions are solved together:

* **Kernel SHAP** (Lundberg & Lee 2017, as in Captum): the first two coalitions are all-ones and all-zeros with
  weight ``1e6`` (pinning the fit to ``f(x)`` and ``f(baseline)``, so the attributions add up to their
  difference); the others draw their size ``m`` with probability ``∝ (G−1) / (m (G−m))`` and a uniform subset of
  that size, with weight 1. Then ordinary weighted least squares with an intercept: one ``lstsq`` call with one
  right-hand side per example, since the design and weights are shared.
* **LIME** (Ribeiro et al. 2016, Captum's defaults): coalitions are Bernoulli(0.5); each perturbed input is
  weighted by ``exp(−d² / (2 w²))`` with ``d`` the cosine distance to the example and ``w = kernel_width``; the
  fit is ridge regression (``alpha``, intercept not penalised; ``alpha=1`` as in the reference LIME package),
  one small batched linear solve per example.

The attribution of a group is its coefficient; every column of the group carries it (Captum's convention).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

Forward = Callable[[torch.Tensor], torch.Tensor]
INF_WEIGHT = 1e6  # Captum's stand-in for the infinite Shapley-kernel weight of the empty / full coalition


def kernel_shap(forward: Forward, X: np.ndarray, target: np.ndarray, baseline: np.ndarray, groups: np.ndarray,
                n_samples: int, perturbations_per_eval: int, generator: torch.Generator) -> np.ndarray:
    """Kernel SHAP attributions of the target output for a chunk of examples.

    Args:
        forward: tensor ``(m, d)`` → ``(m, k)`` outputs (e.g. :func:`~.forward.as_forward` probabilities).
        X: ``(n, d)`` inputs.
        target: ``(n,)`` explained classes.
        baseline: ``(d,)`` or ``(n, d)`` values of "absent" features.
        groups: ``(d,)`` group id per column, ``0..G-1``.
        n_samples: coalitions per example (including the all-ones and all-zeros ones).
        perturbations_per_eval: coalitions evaluated per model call (each for all ``n`` examples).
        generator: source of randomness.

    Returns:
        ``(n, d)`` float64 attributions that add up (to ~1e-6) to ``f(x) - f(baseline)``.

    Example:
        >>> f = lambda x: torch.stack([1 - x.sum(1) / 10, x.sum(1) / 10], 1)
        >>> kernel_shap(f, np.ones((1, 3)), np.array([1]), np.zeros(3), np.arange(3), 20, 8,
        ...             torch.Generator().manual_seed(0)).round(3).tolist()
        [[0.1, 0.1, 0.1]]
    """
    n_groups = int(groups.max()) + 1
    Z = _kernel_shap_coalitions(n_groups, max(int(n_samples), 2), generator)
    weights = np.ones(len(Z))
    weights[:2] = INF_WEIGHT
    Y, _ = _evaluate(forward, X, target, baseline, groups, Z, perturbations_per_eval, need_cosine=False)
    design = np.column_stack([Z, np.ones(len(Z))]) * np.sqrt(weights)[:, None]
    coef = np.linalg.lstsq(design, Y * np.sqrt(weights)[:, None], rcond=None)[0]  # (G + 1, n)
    return coef[:n_groups].T[:, groups]


def lime(forward: Forward, X: np.ndarray, target: np.ndarray, baseline: np.ndarray, groups: np.ndarray,
         n_samples: int, perturbations_per_eval: int, generator: torch.Generator, alpha: float = 1.0,
         kernel_width: float = 1.0) -> np.ndarray:
    """LIME attributions (weighted ridge on binary coalitions) of the target output for a chunk of examples.

    Args:
        forward, X, target, baseline, groups, perturbations_per_eval, generator: as in :func:`kernel_shap`.
        n_samples: coalitions per example.
        alpha: ridge penalty of the coefficients (not of the intercept).
        kernel_width: width of the exponential kernel on the cosine distance.

    Returns:
        ``(n, d)`` float64 attributions.

    Example:
        >>> f = lambda x: torch.stack([1 - x.sum(1) / 10, x.sum(1) / 10], 1)
        >>> a = lime(f, np.ones((1, 3)), np.array([1]), np.zeros(3), np.arange(3), 50, 16,
        ...          torch.Generator().manual_seed(0))
        >>> bool((a > 0).all())
        True
    """
    n_groups = int(groups.max()) + 1
    Z = torch.bernoulli(torch.full((max(int(n_samples), 1), n_groups), 0.5), generator=generator).numpy()
    Y, cos = _evaluate(forward, X, target, baseline, groups, Z, perturbations_per_eval, need_cosine=True)
    W = np.exp(-((1.0 - cos) ** 2) / (2.0 * kernel_width**2))  # (S, n)
    design = np.column_stack([Z, np.ones(len(Z))])  # (S, G + 1)
    coef = np.empty((len(X), n_groups + 1))
    # Normal equations of all examples at once, in slices that keep the (n, G+1, G+1) Gram matrices ~<200 MB.
    step = max(1, int(2e7 // ((n_groups + 1) * max(n_groups + 1, len(Z)))))
    diag = np.arange(n_groups)
    for i0 in range(0, len(X), step):
        w = W[:, i0:i0 + step].T  # (m, S)
        weighted = design.T[None, :, :] * w[:, None, :]  # (m, G + 1, S)
        gram = weighted @ design  # (m, G + 1, G + 1)
        gram[:, diag, diag] += alpha  # the intercept (last) stays unpenalised
        rhs = np.einsum("mgs,sm->mg", weighted, Y[:, i0:i0 + step])
        coef[i0:i0 + step] = np.linalg.solve(gram, rhs[..., None])[..., 0]
    return coef[:, :n_groups][:, groups]


def _kernel_shap_coalitions(n_groups: int, n_samples: int, generator: torch.Generator) -> np.ndarray:
    Z = np.zeros((n_samples, n_groups))
    Z[0] = 1.0  # all present; Z[1] stays all absent
    if n_groups < 2 or n_samples <= 2:
        return Z
    sizes = torch.arange(1, n_groups, dtype=torch.float64)
    probs = (n_groups - 1) / (sizes * (n_groups - sizes))  # Shapley kernel summed over the subsets of each size
    m = torch.multinomial(probs, n_samples - 2, replacement=True, generator=generator).numpy() + 1
    # A uniform subset of size m: the m positions with the largest random keys.
    keys = torch.rand((n_samples - 2, n_groups), generator=generator, dtype=torch.float64).numpy()
    ranks = np.argsort(np.argsort(-keys, axis=1), axis=1)
    Z[2:] = ranks < m[:, None]
    return Z


def _evaluate(forward: Forward, X: np.ndarray, target: np.ndarray, baseline: np.ndarray, groups: np.ndarray,
              Z: np.ndarray, per_eval: int, need_cosine: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Target outputs ``(S, n)`` (and cosine similarities to the originals) of every coalition × example."""
    X = np.asarray(X, dtype=np.float32)
    n, d = X.shape
    base = np.broadcast_to(np.asarray(baseline, dtype=np.float32).reshape(-1, d), (n, d))
    Y = np.empty((len(Z), n))
    cos = np.empty((len(Z), n)) if need_cosine else None
    x_norm = np.linalg.norm(X, axis=1)
    tgt = torch.as_tensor(target).repeat(per_eval)  # row r of a batch is example r % n
    with torch.no_grad():
        for s0 in range(0, len(Z), per_eval):
            present = Z[s0:s0 + per_eval][:, groups].astype(bool)  # (s, d)
            batch = np.where(present[:, None, :], X[None], base[None])  # (s, n, d)
            s = len(present)
            out = forward(torch.as_tensor(batch.reshape(s * n, d)))
            picked = out[torch.arange(s * n, device=out.device), tgt[: s * n].to(out.device)]
            Y[s0:s0 + s] = picked.double().cpu().numpy().reshape(s, n)
            if cos is not None:
                dots = np.einsum("snd,nd->sn", batch, X, dtype=np.float64)
                norms = np.linalg.norm(batch, axis=2) * x_norm[None]
                cos[s0:s0 + s] = np.where(norms > 0, dots / np.maximum(norms, 1e-12), 0.0)
    return Y, cos
