"""The bench's verdicts from per-seed numbers: the rules, and the interval they rest on.

Seeds are the unit of replication: each seed draws its own splits, teacher, transfer sets and fits, so the
per-seed numbers are treated as independent draws and summarised by their mean and a two-sided 95 % Student
t-interval of that mean, mean ± t(0.975, n − 1) · s / √n. With few seeds the t quantile is large (4.30 for 3
seeds, 2.26 for 10), so the interval says how little a handful of seeds can settle.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
PASS, MISS, UNCLEAR = "PASS", "MISS", "UNCLEAR"


@dataclass(frozen=True)
class Estimate:
    """A mean over seeds and the ends of its interval."""

    mean: float
    low: float
    high: float

    def scaled(self, factor: float) -> Estimate:
        return Estimate(self.mean * factor, self.low * factor, self.high * factor)


@dataclass(frozen=True)
class PairedVerdict:
    """X − Y over seeds, in test rows and in fidelity (rows / test-split size), and whether X ≥ Y holds."""

    rows: Estimate
    fidelity: Estimate
    verdict: str


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Estimate:
    """Mean of the per-seed ``values`` and the two-sided Student t-interval of that mean.

    One value leaves no spread to estimate, so its interval is unbounded; identical values give a zero-width one.
    """
    x = np.asarray(values, dtype=float)
    mean = float(x.mean())
    if len(x) < 2:
        return Estimate(mean, -math.inf, math.inf)
    half = float(stats.t.ppf((1 + confidence) / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return Estimate(mean, mean - half, mean + half)


def paired_verdict(row_differences: Sequence[int], n_test: int, confidence: float = CONFIDENCE) -> PairedVerdict:
    """Is X at least as faithful as Y? Judged on X − Y per seed, in test rows of an ``n_test``-row test split.

    Both are scored on the same test rows of each seed, so the seed's difference is the paired measurement; its
    mean and 95 % t-interval over seeds (:func:`t_interval`) give the verdict:

    * **PASS**: the interval reaches 0 (upper end ≥ 0, no evidence that X is worse) and the mean is at least
      −1 test row;
    * **MISS**: the whole interval lies below 0;
    * **UNCLEAR**: the interval reaches 0 but the mean is more than one test row below it: X looks worse by more
      than one row can explain, yet the seeds are too spread to show it.
    """
    rows = t_interval(row_differences, confidence)
    if rows.high < 0:
        verdict = MISS
    elif rows.mean >= -1:
        verdict = PASS
    else:
        verdict = UNCLEAR
    return PairedVerdict(rows, rows.scaled(1 / n_test), verdict)


def at_least(values: Sequence[float], threshold: float, confidence: float = CONFIDENCE) -> tuple[Estimate, str]:
    """An absolute target (``mean ≥ threshold``), judged on the mean; the t-interval comes with it to be printed."""
    estimate = t_interval(values, confidence)
    return estimate, PASS if estimate.mean >= threshold else MISS


def ratio_interval(numerators: Sequence[float], denominators: Sequence[float],
                   confidence: float = CONFIDENCE) -> Estimate:
    """Ratio of means, mean(a) / mean(b), over paired seeds, with a delta-method t-interval.

    The ratio R's standard error is that of the per-seed residuals a − R·b, divided by mean(b) (the usual
    linearisation of a ratio estimator); the interval is R ± t(0.975, n − 1) times it. Unbounded for one seed.
    """
    a, b = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    ratio = float(a.mean() / b.mean())
    residuals = t_interval(a - ratio * b, confidence)
    half = (residuals.high - residuals.mean) / abs(b.mean())
    return Estimate(ratio, ratio - half, ratio + half)
