"""The report's statistics against hand-worked values and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from reports.stats import (
    NOT_ENOUGH,
    finite,
    mann_whitney,
    median_ci,
    median_rank,
    order_statistic_coverage,
)

# ---------------------------------------------------------------------------------------------------------
# The median's order-statistic interval


def test_no_values_no_median() -> None:
    estimate = median_ci([None, float("nan"), True])

    assert estimate.n == 0 and estimate.median is None and estimate.low is None


@pytest.mark.parametrize("values", [[42.0], [5.0, 1.0]])
def test_fewer_than_three_values_have_no_interval(values: list[float]) -> None:
    estimate = median_ci(values)

    assert estimate.n == len(values) and estimate.low is None and estimate.coverage is None
    assert estimate.median == float(np.median(values))


def test_three_values_give_the_range_at_its_real_coverage() -> None:
    # P(min <= median <= max) = 1 - 2 (1/2)^3 = 3/4: the range, and it is a 75 % interval, not 95 %.
    estimate = median_ci([10, 30, 20])

    assert (estimate.median, estimate.low, estimate.high) == (20.0, 10.0, 30.0)
    assert estimate.coverage == pytest.approx(0.75)


@pytest.mark.parametrize(("n", "coverage"), [(3, 6 / 8), (4, 14 / 16), (5, 30 / 32), (6, 62 / 64)])
def test_range_coverage_by_hand(n: int, coverage: float) -> None:
    # The range misses the median only when every value is on one side: 2 (1/2)^n.
    assert order_statistic_coverage(n, 1) == pytest.approx(coverage)


def test_ten_values_by_hand() -> None:
    # r = 2: 1 - 2 (1 + 10) / 1024 = 0.9785 >= 95 %; r = 3: 1 - 2 (1 + 10 + 45) / 1024 = 0.8906 < 95 %.
    assert order_statistic_coverage(10, 2) == pytest.approx(1 - 22 / 1024)
    assert order_statistic_coverage(10, 3) == pytest.approx(1 - 112 / 1024)
    assert median_rank(10) == 2
    estimate = median_ci(range(1, 11))

    assert (estimate.median, estimate.low, estimate.high) == (5.5, 2.0, 9.0)
    assert estimate.coverage == pytest.approx(1 - 22 / 1024)


@pytest.mark.parametrize("n", [3, 7, 12, 25, 60])
def test_coverage_matches_scipy_binomial(n: int) -> None:
    r = median_rank(n)
    expected = sum(stats.binom.pmf(k, n, 0.5) for k in range(r, n - r + 1))
    assert order_statistic_coverage(n, r) == pytest.approx(expected)
    assert order_statistic_coverage(n, r) >= 0.95 or r == 1
    if r + 1 <= n // 2:
        assert order_statistic_coverage(n, r + 1) < 0.95


def test_coverage_is_checked_by_simulation() -> None:
    rng = np.random.default_rng(7)
    samples = rng.exponential(size=(4000, 5))
    estimates = [median_ci(row) for row in samples]
    true_median = math.log(2)
    hits = np.mean([e.low <= true_median <= e.high for e in estimates])
    assert hits == pytest.approx(30 / 32, abs=0.02)


def test_finite_keeps_only_real_numbers() -> None:
    assert finite([1, 2.5, None, float("inf"), float("nan"), True, "3", np.float64(4.0), np.int64(5)]) == [
        1.0,
        2.5,
        4.0,
        5.0,
    ]


# ---------------------------------------------------------------------------------------------------------
# Mann-Whitney U


def test_mann_whitney_by_hand() -> None:
    # Three against three, fully separated: U = 0 for the smaller side; of C(6, 3) = 20 equally likely
    # splits one is as extreme on each side, so p = 2 / 20.
    result = mann_whitney([4.0, 5.0, 6.0], [1.0, 2.0, 3.0])

    assert result.statistic == 0.0
    assert result.p_value == pytest.approx(0.1)
    assert not result.significant


def test_mann_whitney_matches_scipy_and_can_be_significant() -> None:
    baseline, contender = [1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11]
    expected = stats.mannwhitneyu(contender, baseline, alternative="two-sided")

    result = mann_whitney(baseline, contender)

    assert result.statistic == 30.0 and result.p_value == pytest.approx(expected.pvalue)
    assert result.p_value == pytest.approx(2 / math.comb(11, 5))
    assert result.significant


def test_mann_whitney_is_symmetric_in_p() -> None:
    forward = mann_whitney([1.0, 2.0, 4.0, 7.0], [2.5, 3.0, 9.0, 8.0])
    backward = mann_whitney([2.5, 3.0, 9.0, 8.0], [1.0, 2.0, 4.0, 7.0])

    assert forward.p_value == pytest.approx(backward.p_value)
    assert forward.statistic + backward.statistic == 16


def test_mann_whitney_needs_three_values_per_side() -> None:
    for baseline, contender in (([1.0, 2.0], [2.0, 3.0, 4.0]), ([1.0, 2.0, None], [3.0, 4.0, 5.0])):
        result = mann_whitney(baseline, contender)
        assert result.p_value is None and result.note == NOT_ENOUGH


def test_mann_whitney_without_any_difference() -> None:
    result = mann_whitney([2.0, 2.0, 2.0], [2.0, 2.0, 2.0])
    assert result.p_value == 1.0 and result.note == "all values equal"
