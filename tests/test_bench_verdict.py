"""The bench's verdict rule on hand-made per-seed differences (benchmarks/verdict.py)."""

import importlib
import math
from pathlib import Path

import pytest
from scipy import stats

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture(scope="module")
def verdict():
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module("verdict")


def test_the_interval_is_the_students_t_interval_of_the_mean(verdict):
    rows = [0, -1, 0]  # wine's linear cell on seeds 0-2: one row, on one seed
    estimate = verdict.t_interval(rows)
    low, high = stats.t.interval(0.95, df=2, loc=-1 / 3, scale=stats.sem(rows))
    assert estimate.mean == pytest.approx(-1 / 3)
    assert (estimate.low, estimate.high) == pytest.approx((low, high))
    assert estimate.high - estimate.mean == pytest.approx(4.303 * 0.57735 / math.sqrt(3), rel=1e-3)


def test_a_consistent_gain_passes(verdict):
    result = verdict.paired_verdict([2, 1, 3, 0, 1, 2, 1, 0, 2, 1], n_test=45)
    assert result.verdict == verdict.PASS
    assert result.rows.low > 0 and result.rows.mean == pytest.approx(1.3)
    assert result.fidelity.mean == pytest.approx(1.3 / 45)


def test_a_consistent_loss_misses(verdict):
    result = verdict.paired_verdict([-2, -1, -3, -2, -1, -2, -3, -1, -2, -2], n_test=143)
    assert result.verdict == verdict.MISS
    assert result.rows.high < 0


@pytest.mark.parametrize("rows", [[0, -1, 0], [0, -1, 0, 0, 0, 0, 0, 0, 0, 0], [1, -1, -1, 0, 0, 0, 0, 0, 0, 0]])
def test_a_loss_inside_one_test_row_passes(verdict, rows):
    result = verdict.paired_verdict(rows, n_test=45)
    assert -1 <= result.rows.mean < 0 <= result.rows.high
    assert result.verdict == verdict.PASS


def test_a_mean_loss_beyond_one_row_that_the_seeds_cannot_show_is_unclear(verdict):
    result = verdict.paired_verdict([-5, 0, 1], n_test=45)
    assert result.rows.mean < -1 and result.rows.high >= 0
    assert result.verdict == verdict.UNCLEAR


@pytest.mark.parametrize("rows, expected", [([0] * 10, "PASS"), ([2] * 3, "PASS"), ([-1] * 10, "MISS")])
def test_identical_differences_give_a_zero_width_interval(verdict, rows, expected):
    result = verdict.paired_verdict(rows, n_test=45)
    assert result.rows.low == result.rows.mean == result.rows.high == rows[0]
    assert result.verdict == expected  # ten seeds each one row behind are evidence, not noise


@pytest.mark.parametrize("rows, expected", [([0], "PASS"), ([-3], "UNCLEAR")])
def test_one_seed_has_an_unbounded_interval(verdict, rows, expected):
    result = verdict.paired_verdict(rows, n_test=45)
    assert (result.rows.low, result.rows.high) == (-math.inf, math.inf)
    assert result.verdict == expected


def test_absolute_targets_are_judged_on_the_mean(verdict):
    estimate, outcome = verdict.at_least([0.927, 0.922, 0.924], 0.92)
    assert outcome == verdict.PASS and estimate.low < 0.92 < estimate.mean
    assert verdict.at_least([0.93, 0.90, 0.92], 0.92)[1] == verdict.MISS


def test_ratio_interval_of_a_ratio_of_means(verdict):
    exact = verdict.ratio_interval([0.9, 1.8, 2.7], [1.0, 2.0, 3.0])  # every seed recovers 90 %
    assert exact.low == pytest.approx(0.9) and exact.high == pytest.approx(0.9)
    spread = verdict.ratio_interval([7, 3, 6], [8, 6, 7])
    assert spread.mean == pytest.approx(16 / 21)
    assert spread.low < spread.mean < spread.high
    assert spread.high - spread.mean == pytest.approx(spread.mean - spread.low)
    one = verdict.ratio_interval([3], [4])
    assert one.mean == 0.75 and (one.low, one.high) == (-math.inf, math.inf)
