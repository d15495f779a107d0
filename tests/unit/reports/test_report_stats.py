"""The report's statistics against values computed by hand (closed forms, exact distributions)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from reports.stats import (
    NOT_ENOUGH,
    bootstrap_median_ci,
    finite,
    regularized_incomplete_beta,
    student_t_cdf,
    student_t_sf_two_sided,
    welch_t_test,
)

# ---------------------------------------------------------------------------------------------------------
# Bootstrap interval of the median


def test_no_values_no_median() -> None:
    estimate = bootstrap_median_ci([None, float("nan"), True])

    assert estimate.n == 0 and estimate.median is None and estimate.low is None


def test_one_value_has_no_interval() -> None:
    estimate = bootstrap_median_ci([42.0])

    assert (estimate.n, estimate.median, estimate.low, estimate.high) == (1, 42.0, None, None)


def test_two_values_span_the_interval() -> None:
    # Resample medians of {1, 5}: 1 (p = 1/4), 3 (1/2), 5 (1/4); both tails hold more than 2.5 %.
    estimate = bootstrap_median_ci([5, 1])

    assert (estimate.median, estimate.low, estimate.high) == (3.0, 1.0, 5.0)


def test_three_values_span_the_interval() -> None:
    # P(resample median = min) = P(at least 2 of 3 draws are the min) = 3 (1/3)^2 (2/3) + (1/3)^3 = 7/27.
    estimate = bootstrap_median_ci([10, 30, 20])

    assert (estimate.median, estimate.low, estimate.high) == (20.0, 10.0, 30.0)


def _exact_median_cdf(n: int, k: int) -> float:
    """P(median of n draws from 1..n <= k), n odd: at least (n + 1) / 2 draws are <= k."""
    p = k / n
    need = (n + 1) // 2
    return sum(math.comb(n, j) * p**j * (1 - p) ** (n - j) for j in range(need, n + 1))


def test_eleven_values_match_the_exact_bootstrap_distribution() -> None:
    values = list(range(1, 12))
    # The exact distribution puts the 2.5 % quantile at 3 and the 97.5 % one at 9:
    assert _exact_median_cdf(11, 2) < 0.025 < _exact_median_cdf(11, 3)
    assert _exact_median_cdf(11, 8) < 0.975 < _exact_median_cdf(11, 9)

    estimate = bootstrap_median_ci(values)

    assert (estimate.median, estimate.low, estimate.high) == (6.0, 3.0, 9.0)


def test_bootstrap_is_repeatable_and_seeded() -> None:
    values = [3.1, 2.7, 9.4, 5.5, 4.0, 6.1, 2.2]

    assert bootstrap_median_ci(values) == bootstrap_median_ci(values)
    assert bootstrap_median_ci(values, seed=1) == bootstrap_median_ci(values, seed=1)


def test_finite_keeps_only_real_numbers() -> None:
    assert finite([1, 2.5, None, float("inf"), float("nan"), True, "3", np.float64(4.0), np.int64(5)]) == [
        1.0,
        2.5,
        4.0,
        5.0,
    ]


# ---------------------------------------------------------------------------------------------------------
# Student's t distribution


@pytest.mark.parametrize(
    ("x", "a", "b", "expected"), [(0.3, 1, 1, 0.3), (0.3, 3, 1, 0.3**3), (0.3, 1, 4, 1 - 0.7**4)]
)
def test_incomplete_beta_closed_forms(x: float, a: float, b: float, expected: float) -> None:
    assert regularized_incomplete_beta(x, a, b) == pytest.approx(expected, abs=1e-13)


def test_incomplete_beta_symmetry_and_edges() -> None:
    assert regularized_incomplete_beta(0.0, 2, 3) == 0.0
    assert regularized_incomplete_beta(1.0, 2, 3) == 1.0
    assert regularized_incomplete_beta(0.4, 2.5, 3.5) == pytest.approx(
        1 - regularized_incomplete_beta(0.6, 3.5, 2.5)
    )
    with pytest.raises(ValueError):
        regularized_incomplete_beta(1.5, 1, 1)
    with pytest.raises(ValueError):
        regularized_incomplete_beta(0.5, 0, 1)


@pytest.mark.parametrize("t", [-3.0, -0.5, 0.0, 0.7, 1.0, 4.2])
def test_t_cdf_with_one_degree_of_freedom_is_cauchy(t: float) -> None:
    assert student_t_cdf(t, 1) == pytest.approx(0.5 + math.atan(t) / math.pi, abs=1e-12)


@pytest.mark.parametrize("t", [-2.0, -0.7, 0.0, 1.3, 5.0])
def test_t_cdf_with_two_degrees_of_freedom(t: float) -> None:
    assert student_t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-12)


@pytest.mark.parametrize(
    ("t", "df"),
    [(12.706204736, 1), (4.302652730, 2), (2.570581836, 5), (2.228138852, 10), (2.042272456, 30)],
)
def test_two_sided_p_at_the_tabled_95_percent_critical_values(t: float, df: float) -> None:
    assert student_t_sf_two_sided(t, df) == pytest.approx(0.05, abs=1e-8)


def test_t_tends_to_the_normal_distribution() -> None:
    assert student_t_sf_two_sided(1.959963985, 1e8) == pytest.approx(0.05, abs=1e-7)


def test_t_at_zero_and_infinity() -> None:
    assert student_t_sf_two_sided(0.0, 7.3) == pytest.approx(1.0)
    assert student_t_sf_two_sided(math.inf, 3) == 0.0


# ---------------------------------------------------------------------------------------------------------
# Welch's t-test


def _numeric_two_sided_p(t: float, df: float) -> float:
    """1 - integral of the t density over [-|t|, |t|], by Simpson's rule: an independent check."""
    x = np.linspace(0.0, abs(t), 200_001)
    log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    density = np.exp(log_c - (df + 1) / 2 * np.log1p(x * x / df))
    h = x[1] - x[0]
    integral = h / 3 * (density[0] + density[-1] + 4 * density[1:-1:2].sum() + 2 * density[2:-1:2].sum())
    return 1.0 - 2.0 * integral


def test_welch_by_hand() -> None:
    baseline, contender = [1, 2, 3, 4], [3, 4, 5, 6, 7]
    # means 2.5 and 5; sample variances 5/3 and 5/2; squared standard errors 5/12 and 1/2.
    se2 = 5 / 12 + 1 / 2
    t = 2.5 / math.sqrt(se2)
    df = se2**2 / ((5 / 12) ** 2 / 3 + (1 / 2) ** 2 / 4)

    result = welch_t_test(baseline, contender)

    assert result.statistic == pytest.approx(t) and result.statistic == pytest.approx(2.611165, abs=1e-6)
    assert result.df == pytest.approx(df) and result.df == pytest.approx(6.980769, abs=1e-6)
    assert result.p_value == pytest.approx(_numeric_two_sided_p(t, df), abs=1e-9)
    assert result.p_value == pytest.approx(0.034939, abs=1e-6)
    assert result.significant


def test_welch_is_antisymmetric() -> None:
    forward = welch_t_test([1.0, 2.0, 4.0], [2.0, 3.0, 9.0])
    backward = welch_t_test([2.0, 3.0, 9.0], [1.0, 2.0, 4.0])

    assert forward.statistic == pytest.approx(-backward.statistic)
    assert forward.p_value == pytest.approx(backward.p_value)
    assert not forward.significant


def test_welch_needs_two_values_per_side() -> None:
    for baseline, contender in (([1.0], [2.0, 3.0]), ([1.0, 2.0], [3.0]), ([1.0, None], [2.0, 3.0])):
        result = welch_t_test(baseline, contender)
        assert result.p_value is None and result.note == NOT_ENOUGH


def test_welch_without_variance() -> None:
    assert welch_t_test([2.0, 2.0], [2.0, 2.0]).p_value == 1.0
    different = welch_t_test([2.0, 2.0], [3.0, 3.0])
    assert different.p_value is None and "no variance" in different.note
