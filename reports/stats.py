"""Statistics across repetitions: a median with an exact order-statistic interval, and the
Mann-Whitney U test that goes with medians.

- **Interval of the median** (``median_ci``): with n values, the order statistics x(r) and
  x(n + 1 - r) bracket the population median with probability P(r <= B <= n - r), B ~ Binomial(n, 1/2),
  whatever the distribution (continuous). The widest r whose coverage reaches ``CONFIDENCE`` is taken;
  when even the range (r = 1) covers less, the range is given with the coverage it really has (75 % for
  three runs, 87.5 % for four). Below ``MIN_RUNS`` runs there is no interval: the values are shown.
- **Test** (``mann_whitney``): the two-sided Mann-Whitney U test of the two configurations' per-run
  values (scipy; exact distribution for small samples without ties), a test of whether one side's
  values tend to be larger, matching a table of medians. With three runs a side its smallest
  possible p is 0.1: a handful of repetitions cannot show significance at 0.05, and the table says so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
SIGNIFICANCE = 0.05
# Fewer values than this get no interval and no test: their values are shown instead.
MIN_RUNS = 3


@dataclass(frozen=True)
class Estimate:
    """The median of a metric over a configuration's runs, with an order-statistic interval and its
    exact coverage when n >= ``MIN_RUNS``."""

    values: tuple[float, ...]
    median: float | None
    low: float | None
    high: float | None
    coverage: float | None = None

    @property
    def n(self) -> int:
        return len(self.values)


def finite(values: Iterable[object]) -> list[float]:
    """The finite numbers among ``values``; None, NaN, booleans and non-numbers are left out."""
    kept = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            continue
        number = float(value)
        if math.isfinite(number):
            kept.append(number)
    return kept


@cache
def order_statistic_coverage(n: int, r: int) -> float:
    """P(x(r) <= median <= x(n + 1 - r)) for n values of a continuous distribution: P(r <= B <= n - r)
    with B ~ Binomial(n, 1/2)."""
    if not 1 <= r <= n // 2:
        raise ValueError(f"r must be within 1..{n // 2}")
    return float(stats.binom.cdf(n - r, n, 0.5) - stats.binom.cdf(r - 1, n, 0.5))


@cache
def median_rank(n: int, confidence: float = CONFIDENCE) -> int:
    """The largest r (1-based) whose interval [x(r), x(n + 1 - r)] covers the median with at least
    ``confidence``; 1 (the range) when none does."""
    best = 1
    for r in range(1, n // 2 + 1):
        if order_statistic_coverage(n, r) >= confidence:
            best = r
    return best


def median_ci(values: Iterable[object], confidence: float = CONFIDENCE) -> Estimate:
    """The median and its exact order-statistic interval, with the interval's real coverage."""
    data = sorted(finite(values))
    if not data:
        return Estimate((), None, None, None)
    median = float(np.median(data))
    if len(data) < MIN_RUNS:
        return Estimate(tuple(data), median, None, None)
    r = median_rank(len(data), confidence)
    return Estimate(
        tuple(data), median, data[r - 1], data[len(data) - r], order_statistic_coverage(len(data), r)
    )


# ---------------------------------------------------------------------------------------------------------
# Mann-Whitney U


@dataclass(frozen=True)
class TestResult:
    """A two-sided test of contender against baseline; p is None when it cannot be computed."""

    __test__ = False  # not a pytest test class, despite the name

    statistic: float | None
    p_value: float | None
    note: str = ""

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE


NOT_ENOUGH = f"fewer than {MIN_RUNS} runs"


def mann_whitney(baseline: Iterable[object], contender: Iterable[object]) -> TestResult:
    """Two-sided Mann-Whitney U test on the finite values of each side; U is the contender's."""
    a, b = finite(baseline), finite(contender)
    if len(a) < MIN_RUNS or len(b) < MIN_RUNS:
        return TestResult(None, None, NOT_ENOUGH)
    if len(set(a) | set(b)) == 1:
        return TestResult(len(a) * len(b) / 2, 1.0, "all values equal")
    result = stats.mannwhitneyu(b, a, alternative="two-sided")
    return TestResult(float(result.statistic), float(result.pvalue))
