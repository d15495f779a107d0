"""Statistics across repetitions: a median with its bootstrap confidence interval, and Welch's t-test.

Only numpy and the standard library: Student's t distribution comes from the regularized incomplete
beta function, evaluated with its continued fraction (Lentz's method). Every random draw uses a fixed
seed, so the same runs always give the same report.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 10_000
# Fixed, so that two builds of a report over the same runs show the same intervals.
SEED = 20220613
SIGNIFICANCE = 0.05

_BETA_EPS = 1e-15
_BETA_TINY = 1e-300
_BETA_MAX_ITERATIONS = 500


@dataclass(frozen=True)
class Estimate:
    """The median of a metric over a configuration's runs, with a confidence interval when n >= 2."""

    values: tuple[float, ...]
    median: float | None
    low: float | None
    high: float | None

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


def bootstrap_median_ci(
    values: Iterable[object],
    confidence: float = CONFIDENCE,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> Estimate:
    """Median and percentile-bootstrap interval of the median.

    The interval's ends are observed resample medians (``inverted_cdf`` quantiles), never values
    interpolated between them. With one value there is no interval; with none, no median.
    """
    data = np.asarray(finite(values), dtype=float)
    if data.size == 0:
        return Estimate((), None, None, None)
    median = float(np.median(data))
    if data.size == 1:
        return Estimate((float(data[0]),), median, None, None)
    # A fresh generator per call: an interval must not depend on what else the report computed first.
    rng = np.random.default_rng(seed)
    indices = rng.integers(0, data.size, size=(resamples, data.size))
    medians = np.median(data[indices], axis=1)
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(medians, [tail, 1.0 - tail], method="inverted_cdf")
    return Estimate(tuple(float(v) for v in data), median, float(low), float(high))


# ---------------------------------------------------------------------------------------------------------
# Student's t distribution


def _beta_continued_fraction(x: float, a: float, b: float) -> float:
    """The continued fraction of I_x(a, b), by the modified Lentz method."""
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > _BETA_TINY else _BETA_TINY)
    result = d
    for m in range(1, _BETA_MAX_ITERATIONS + 1):
        m2 = 2 * m
        even = m * (b - m) * x / ((qam + m2) * (a + m2))
        odd = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        for numerator in (even, odd):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _BETA_TINY else _BETA_TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _BETA_TINY else _BETA_TINY
            result *= d * c
        if abs(d * c - 1.0) < _BETA_EPS:
            return result
    return result


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) for 0 <= x <= 1 and a, b > 0."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if not 0.0 <= x <= 1.0:
        raise ValueError("x must be within [0, 1]")
    if x in (0.0, 1.0):
        return x
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    front = math.exp(log_front)
    # The fraction converges fast only on one side of the mean; use the symmetry I_x(a,b) = 1 - I_1-x(b,a).
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _beta_continued_fraction(x, a, b) / a
    return 1.0 - front * _beta_continued_fraction(1.0 - x, b, a) / b


def student_t_sf_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` (not necessarily whole) degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    if math.isinf(t):
        return 0.0
    return regularized_incomplete_beta(df / (df + t * t), df / 2.0, 0.5)


def student_t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    half_tail = student_t_sf_two_sided(t, df) / 2.0
    return 1.0 - half_tail if t >= 0 else half_tail


# ---------------------------------------------------------------------------------------------------------
# Welch's t-test


@dataclass(frozen=True)
class TestResult:
    """Welch's two-sided t-test of contender against baseline; p is None when it cannot be computed."""

    __test__ = False  # not a pytest test class, despite the name

    statistic: float | None
    df: float | None
    p_value: float | None
    note: str = ""

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE


NOT_ENOUGH = "not enough repetitions"


def welch_t_test(baseline: Iterable[object], contender: Iterable[object]) -> TestResult:
    """Welch's unequal-variances t-test (two-sided) on the finite values of each side."""
    a = np.asarray(finite(baseline), dtype=float)
    b = np.asarray(finite(contender), dtype=float)
    if a.size < 2 or b.size < 2:
        return TestResult(None, None, None, NOT_ENOUGH)
    var_a, var_b = float(a.var(ddof=1)), float(b.var(ddof=1))
    se_a, se_b = var_a / a.size, var_b / b.size
    diff = float(b.mean() - a.mean())
    if se_a + se_b == 0.0:
        # Both sides constant: identical means are no difference, distinct ones cannot be tested.
        if diff == 0.0:
            return TestResult(0.0, None, 1.0, "no variance, equal values")
        return TestResult(None, None, None, "no variance within either configuration")
    statistic = diff / math.sqrt(se_a + se_b)
    df = (se_a + se_b) ** 2 / (se_a**2 / (a.size - 1) + se_b**2 / (b.size - 1))
    return TestResult(statistic, df, student_t_sf_two_sided(statistic, df))
