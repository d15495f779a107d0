"""The claim rules C1-C3 on synthetic runs whose verdict is known."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reports.claims import (
    BUDGET_AXIS,
    ClaimRun,
    Verdict,
    by_configuration,
    c1_holds,
    check_c1,
    check_c2,
    check_c3,
    check_s1,
    check_s2,
    check_s3,
    degraded,
    delay_bounded,
    delay_grows,
    evaluate,
    format_bytes,
    format_pressure,
    majority,
    measured,
    overloaded,
    s2_supports,
    s3_supports,
    within_capacity,
)

LIGHT = 1e-4  # bytes/s per byte of task memory
HEAVY = 1e-2


def run(run_id: str = "r1", config: str = "cfg", **fields: object) -> ClaimRun:
    """A healthy backpressure-on run at the light pressure level; fields override."""
    base = ClaimRun(
        run_id=run_id,
        config=config,
        backpressure=True,
        outcome="stable",
        app="stateless_sum",
        stateful=False,
        pressure=LIGHT,
        batch_interval_ms=2000.0,
        delay_slope=0.5,
        proc_time_p50_ms=800.0,
        input_rate_rps=1000.0,
        throughput_rps=1000.0,
        gc_time_frac=0.01,
        lost=0,
        oom_count=0,
        executors_lost=0,
    )
    return replace(base, **fields)


def stable_on(run_id: str, config: str, **fields: object) -> ClaimRun:
    return run(run_id, config, **fields)


def overloaded_off(run_id: str, config: str, slope: float) -> ClaimRun:
    return run(
        run_id, config, backpressure=False, outcome="unstable", proc_time_p50_ms=3500.0, delay_slope=slope
    )


# ---------------------------------------------------------------------------------------------------------
# Per-run checks


def test_delay_bounded_uses_the_outcome_threshold() -> None:
    assert delay_bounded(run(delay_slope=10.0)) is True
    assert delay_bounded(run(delay_slope=10.01)) is False
    assert delay_bounded(run(delay_slope=None)) is None


def test_within_capacity_compares_median_processing_with_the_interval() -> None:
    assert within_capacity(run(proc_time_p50_ms=2000.0)) is True
    assert within_capacity(run(proc_time_p50_ms=2001.0)) is False
    assert within_capacity(run(proc_time_p50_ms=None)) is None
    assert within_capacity(run(batch_interval_ms=None)) is None


def test_c1_holds_needs_both_numbers_and_fails_on_either() -> None:
    assert c1_holds(run()) is True
    assert c1_holds(run(delay_slope=50.0)) is False
    assert c1_holds(run(proc_time_p50_ms=2500.0, delay_slope=None)) is False
    assert c1_holds(run(delay_slope=None)) is None


def test_overloaded_by_processing_time_or_by_rate() -> None:
    assert overloaded(run(proc_time_p50_ms=2500.0)) is True
    assert overloaded(run(input_rate_rps=1100.0, throughput_rps=1000.0)) is True
    assert overloaded(run(input_rate_rps=1040.0, throughput_rps=1000.0)) is False
    assert overloaded(run(proc_time_p50_ms=None, input_rate_rps=None)) is None


def test_delay_grows_on_slope_or_oom() -> None:
    assert delay_grows(run(delay_slope=25.0)) is True
    assert delay_grows(run(delay_slope=2.0)) is False
    assert delay_grows(run(delay_slope=None, outcome="oom")) is True
    assert delay_grows(run(delay_slope=None)) is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, False),
        ({"outcome": "oom"}, True),
        ({"outcome": "executor_lost"}, True),
        ({"outcome": "unstable"}, True),
        ({"oom_count": 1}, True),
        ({"gc_time_frac": 0.10}, True),
        ({"gc_time_frac": 0.099}, False),
        ({"lost": 5}, True),
        ({"throughput_rps": 899.0}, True),
        ({"throughput_rps": 900.0}, False),
    ],
)
def test_degraded_symptoms(fields: dict[str, object], expected: bool) -> None:
    assert degraded(run(**fields)) is expected


def test_measured_leaves_out_imported_and_failed_measurements() -> None:
    assert measured(run())
    assert not measured(run(imported=True))
    for outcome in ("generator_saturated", "harness_error", "app_failed", None):
        assert not measured(run(outcome=outcome))


def test_majority_and_ties() -> None:
    assert majority([True, True, False]) is True
    assert majority([False, False, True]) is False
    assert majority([True, False]) is None
    assert majority([None, None]) is None
    assert majority([True, None]) is True


def test_by_configuration_folds_repetitions() -> None:
    runs = [run("a", "x"), run("b", "x", delay_slope=99.0), run("c", "x"), run("d", "y", delay_slope=99.0)]

    assert by_configuration(runs, c1_holds) == {"x": True, "y": False}


def test_format_pressure_in_megabytes_per_second_per_gib() -> None:
    # 1,000 records/s of 1,032 bytes into 1 GiB of task memory.
    assert format_pressure(1000 * 1032 / 2**30) == "1.03 MB/s per GiB of task memory"


def test_format_pressure_names_the_in_flight_budget_with_a_human_size() -> None:
    assert format_pressure(20 * 2**30, BUDGET_AXIS) == "in-flight budget 20 GiB"
    assert format_pressure(64 * 2**20, BUDGET_AXIS) == "in-flight budget 64 MiB"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1000, "1000 B"), (1536, "1.5 KiB"), (64 * 2**20, "64 MiB"), (21474836480, "20 GiB")],
)
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


# ---------------------------------------------------------------------------------------------------------
# C1


def test_c1_reproduced_when_every_configuration_stays_stable() -> None:
    runs = [stable_on("a1", "a"), stable_on("a2", "a"), stable_on("b1", "b", stateful=True, app="sum")]

    result = check_c1(runs)

    assert result.verdict is Verdict.REPRODUCED
    assert "3 of 3 runs held" in result.reason and "stateless and stateful apps" in result.reason
    assert [c.run_id for c in result.checks] == ["a1", "a2", "b1"]
    assert all(c.supports and c.answer == "stable" for c in result.checks)


def test_c1_not_reproduced_when_a_configuration_grows() -> None:
    runs = [
        stable_on("a1", "a"),
        stable_on("b1", "b", delay_slope=40.0, outcome="unstable"),
        stable_on("b2", "b", delay_slope=35.0, outcome="unstable"),
    ]

    result = check_c1(runs)

    assert result.verdict is Verdict.NOT_REPRODUCED
    assert "1 configuration(s) did not stay stable: b" in result.reason


def test_c1_inconclusive_without_backpressure_runs() -> None:
    runs = [overloaded_off("o1", "off", 50.0), stable_on("i1", "imp", imported=True)]

    result = check_c1(runs)

    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.checks == []


def test_c1_inconclusive_on_a_tie_between_repetitions() -> None:
    runs = [stable_on("a1", "a"), stable_on("a2", "a", delay_slope=80.0)]

    assert check_c1(runs).verdict is Verdict.INCONCLUSIVE


def test_c1_leaves_oom_runs_and_the_largest_pressure_level_to_c2() -> None:
    runs = [
        stable_on("light", "light"),
        stable_on("oom", "light-oom", outcome="oom", oom_count=1),
        stable_on("heavy", "heavy", pressure=HEAVY, delay_slope=500.0, outcome="unstable"),
    ]

    result = check_c1(runs)

    assert result.verdict is Verdict.REPRODUCED
    assert [c.run_id for c in result.checks] == ["light"]
    assert "1 run(s) with OOM or lost executors left to C2" in result.reason


# ---------------------------------------------------------------------------------------------------------
# C2


def test_c2_reproduced_when_the_largest_level_fails_and_the_smallest_does_not() -> None:
    runs = [
        stable_on("l1", "light"),
        stable_on("l2", "light"),
        stable_on("h1", "heavy", pressure=HEAVY, outcome="oom", oom_count=1, stateful=True, app="sum"),
        stable_on("h2", "heavy", pressure=HEAVY, gc_time_frac=0.3, stateful=True, app="sum"),
        stable_on("h3", "heavy-stateless", pressure=HEAVY),
    ]

    result = check_c2(runs)

    assert result.verdict is Verdict.REPRODUCED
    assert "67% of 3 run(s) degraded at the largest level" in result.reason
    assert "0% of 2 at the smallest" in result.reason
    assert "Stateful apps were worse than stateless ones" in result.reason
    by_run = {c.run_id: c for c in result.checks}
    assert by_run["h1"].supports and by_run["h1"].answer == "degraded"
    assert by_run["h3"].supports is False
    assert by_run["l1"].supports and by_run["l1"].answer == "not degraded"


def test_c2_not_reproduced_when_backpressure_holds_at_the_largest_level() -> None:
    runs = [stable_on("l1", "light"), stable_on("h1", "heavy", pressure=HEAVY)]

    result = check_c2(runs)

    assert result.verdict is Verdict.NOT_REPRODUCED
    assert "Backpressure held even at the largest level" in result.reason


def test_c2_inconclusive_with_one_pressure_level() -> None:
    runs = [stable_on("a", "a", outcome="oom"), stable_on("b", "b")]

    result = check_c2(runs)

    assert result.verdict is Verdict.INCONCLUSIVE
    assert "1 pressure level(s)" in result.reason


def test_c2_compares_in_flight_budgets_not_intensities() -> None:
    budget = {"pressure_axis": BUDGET_AXIS}
    runs = [
        stable_on("small", "5g", pressure=5.0 * 2**30, **budget),
        stable_on("large", "45g", pressure=45.0 * 2**30, outcome="oom", oom_count=1, **budget),
        # A run without a budget, at an intensity smaller than every budget: not on the budget axis.
        stable_on("intensity", "rate", pressure=HEAVY, outcome="unstable"),
    ]

    result = check_c2(runs)

    assert result.verdict is Verdict.REPRODUCED
    assert "largest level (in-flight budget 45 GiB)" in result.reason
    assert "smallest (in-flight budget 5 GiB)" in result.reason
    assert sorted(c.run_id for c in result.checks) == ["large", "small"]


def test_c2_does_not_mix_axes_into_two_levels() -> None:
    runs = [
        stable_on("budget", "b", pressure=8.0 * 2**30, pressure_axis=BUDGET_AXIS, outcome="oom"),
        stable_on("intensity", "i"),
    ]

    result = check_c2(runs)

    assert result.verdict is Verdict.INCONCLUSIVE
    assert "1 pressure level(s) on one axis" in result.reason


def test_c1_leaves_the_largest_budget_to_c2() -> None:
    budget = {"pressure_axis": BUDGET_AXIS}
    runs = [
        stable_on("small", "5g", pressure=5.0 * 2**30, **budget),
        stable_on("large", "45g", pressure=45.0 * 2**30, delay_slope=500.0, **budget),
        stable_on("intensity", "rate"),
    ]

    result = check_c1(runs)

    assert result.verdict is Verdict.REPRODUCED
    assert sorted(c.run_id for c in result.checks) == ["intensity", "small"]


def test_c2_inconclusive_when_degradation_is_not_tied_to_pressure() -> None:
    runs = [
        stable_on("l1", "light", outcome="unstable"),
        stable_on("h1", "heavy", pressure=HEAVY, outcome="unstable"),
    ]

    assert check_c2(runs).verdict is Verdict.INCONCLUSIVE


def test_c2_ignores_runs_without_backpressure() -> None:
    runs = [stable_on("l1", "light"), overloaded_off("h1", "heavy", 99.0)]

    assert check_c2(runs).verdict is Verdict.INCONCLUSIVE


# ---------------------------------------------------------------------------------------------------------
# C3


def test_c3_reproduced_when_overloaded_runs_without_backpressure_grow() -> None:
    runs = [
        overloaded_off("a1", "a", 120.0),
        overloaded_off("a2", "a", 95.0),
        replace(overloaded_off("b1", "b", 0.0), outcome="oom", delay_slope=None),
        stable_on("on", "on"),
    ]

    result = check_c3(runs)

    assert result.verdict is Verdict.REPRODUCED
    assert "3 of 3 overloaded run(s) in 2 configuration(s) grew" in result.reason
    assert {c.run_id for c in result.checks} == {"a1", "a2", "b1"}


def test_c3_not_reproduced_when_an_overloaded_configuration_stays_bounded() -> None:
    runs = [overloaded_off("a1", "a", 120.0), overloaded_off("b1", "b", 1.5)]

    result = check_c3(runs)

    assert result.verdict is Verdict.NOT_REPRODUCED
    assert "Delay stayed bounded in b" in result.reason


def test_c3_inconclusive_without_backpressure_off_runs() -> None:
    result = check_c3([stable_on("a", "a")])

    assert result.verdict is Verdict.INCONCLUSIVE
    assert "No run with backpressure off" in result.reason


def test_c3_inconclusive_when_no_run_was_overloaded() -> None:
    runs = [run("a", "a", backpressure=False, delay_slope=50.0)]

    result = check_c3(runs)

    assert result.verdict is Verdict.INCONCLUSIVE
    assert "had input above capacity" in result.reason


def test_evaluate_returns_the_claims_and_seed_scenarios_in_order() -> None:
    results = evaluate([stable_on("a", "a")])

    assert [r.claim.id for r in results] == ["C1", "C2", "C3", "S1", "S2", "S3"]
    assert [r.verdict for r in results] == [Verdict.REPRODUCED, *[Verdict.INCONCLUSIVE] * 5]
    assert all(r.claim.rule and r.claim.statement for r in results)


# --- seed scenarios ------------------------------------------------------------------------------


def step_run(run_id: str, config: str, backpressure: bool, slope: float) -> ClaimRun:
    fields = {"profile": "step", "backpressure": backpressure, "delay_slope": slope}
    if not backpressure:
        fields |= {"proc_time_p50_ms": 2500.0, "throughput_rps": 500.0}  # overloaded
    return run(run_id, config, **fields)


def test_s1_needs_both_sides_and_judges_each() -> None:
    on, off = step_run("a", "on", True, 2.0), step_run("b", "off", False, 400.0)
    assert check_s1([on, off]).verdict is Verdict.REPRODUCED
    assert check_s1([on]).verdict is Verdict.INCONCLUSIVE
    assert check_s1([on, step_run("b", "off", False, 1.0)]).verdict is Verdict.NOT_REPRODUCED
    assert check_s1([step_run("a", "on", True, 50.0), off]).verdict is Verdict.NOT_REPRODUCED
    assert check_s1([stable_on("c", "c")]).verdict is Verdict.INCONCLUSIVE  # not a step profile


def burst_run(run_id: str, config: str, cap: float | None, largest: float) -> ClaimRun:
    return run(
        run_id, config, profile="burst", base_rate_rps=1000.0, rate_cap_rps=cap, max_batch_rate_rps=largest
    )


def test_s2_cap_bounds_batches_and_no_cap_lets_the_burst_in() -> None:
    capped, uncapped = burst_run("a", "cap", 1800.0, 1850.0), burst_run("b", "nocap", None, 26000.0)
    assert s2_supports(capped) is True and s2_supports(uncapped) is True
    assert check_s2([capped, uncapped]).verdict is Verdict.REPRODUCED
    assert check_s2([burst_run("a", "cap", 1800.0, 5000.0), uncapped]).verdict is Verdict.NOT_REPRODUCED
    assert check_s2([uncapped]).verdict is Verdict.INCONCLUSIVE
    assert s2_supports(burst_run("c", "c", None, None)) is None


def test_s3_floor_holds_only_where_it_was_reached() -> None:
    floor = run("a", "a", min_rate_rps=100.0, min_pid_limit_rps=100.0)
    assert check_s3([floor]).verdict is Verdict.REPRODUCED
    assert (
        check_s3([run("b", "b", min_rate_rps=100.0, min_pid_limit_rps=95.0)]).verdict
        is Verdict.NOT_REPRODUCED
    )
    never_low = run("c", "c", min_rate_rps=100.0, min_pid_limit_rps=900.0)
    assert s3_supports(never_low) is None
    assert check_s3([never_low]).verdict is Verdict.INCONCLUSIVE
