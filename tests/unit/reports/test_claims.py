"""The claim rules on synthetic runs: every rule reaches each of its three verdicts."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.results.summary import Slope
from reports.claims import (
    BUDGET_AXIS,
    ClaimRun,
    Verdict,
    by_configuration,
    c1_holds,
    check_c1,
    check_c2,
    check_c3,
    check_g1,
    check_g2,
    check_s1,
    check_s2,
    check_s3,
    controller_twin,
    degraded,
    delay_bounded,
    delay_grows,
    engaged,
    evaluate,
    format_bytes,
    format_pressure,
    grows_more_than,
    healthy,
    majority,
    measured,
    overloaded,
    s2_supports,
    s3_supports,
    throughput_gain,
    twin,
    within_capacity,
)

GIB = 2**30
SMALL, MEDIUM, LARGE = 5.0 * GIB, 20.0 * GIB, 45.0 * GIB
FLAT = Slope(0.2, -0.5, 0.9)  # ms/s: bounded
GROWING = Slope(780.0, 760.0, 790.0)  # ms/s: grows
STRADDLING = Slope(9.0, 2.0, 30.0)  # ms/s: cannot tell


def run(run_id: str = "r1", config: str = "cfg", **fields: object) -> ClaimRun:
    """A healthy backpressure-on run of a stateless app at the small budget, backpressure engaged."""
    base = ClaimRun(
        run_id=run_id,
        config=config,
        backpressure=True,
        outcome="stable",
        app="stateless_sum",
        stateful=False,
        pressure=SMALL,
        pressure_axis=BUDGET_AXIS,
        pair=config,
        repetition=1,
        batch_interval_ms=2000.0,
        sched_trend=FLAT,
        proc_trend=FLAT,
        proc_time_p50_ms=800.0,
        proc_time_p95_ms=1200.0,
        offered_rate_rps=1000.0,
        input_rate_rps=1000.0,
        throughput_rps=1000.0,
        held_share=0.6,
        gc_time_frac=0.01,
        lost=0,
        failed_batch_records=0,
        oom_count=0,
        executors_lost=0,
    )
    return replace(base, **fields)


def cell(config: str, n: int = 3, **fields: object) -> list[ClaimRun]:
    """``n`` repetitions of one configuration; twins share ``pair`` (default: the config name)."""
    fields.setdefault("pair", config)
    return [run(f"{config}-r{i}", config, repetition=i, **fields) for i in range(1, n + 1)]


STATEFUL = {"app": "sum", "stateful": True}
OFF_OVERLOADED = {"backpressure": False, "outcome": "unstable", "proc_time_p50_ms": 3500.0, "held_share": 0.0}


def healthy_cells(level: float = SMALL) -> list[ClaimRun]:
    return cell(f"stateless-{level}", pressure=level) + cell(f"stateful-{level}", pressure=level, **STATEFUL)


# ---------------------------------------------------------------------------------------------------------
# Per-run checks


def test_delay_bounded_reads_the_slope_interval() -> None:
    assert delay_bounded(run(sched_trend=Slope(9.0, 8.0, 10.0))) is True
    assert delay_bounded(run(sched_trend=Slope(12.0, 10.5, 13.0))) is False
    assert delay_bounded(run(sched_trend=STRADDLING)) is None
    assert delay_bounded(run(sched_trend=None)) is None


def test_within_capacity_compares_median_processing_with_the_interval() -> None:
    assert within_capacity(run(proc_time_p50_ms=2000.0)) is True
    assert within_capacity(run(proc_time_p50_ms=2001.0)) is False
    assert within_capacity(run(proc_time_p50_ms=None)) is None


def test_healthy_needs_every_spark_side_sign() -> None:
    assert healthy(run()) is True
    assert healthy(run(outcome="oom", oom_count=1)) is False
    assert healthy(run(executors_lost=1)) is False
    assert healthy(run(lost=5)) is False
    assert healthy(run(failed_batch_records=400)) is False
    assert healthy(run(sched_trend=GROWING)) is False
    assert healthy(run(proc_time_p50_ms=2500.0)) is False
    assert healthy(run(sched_trend=STRADDLING)) is None
    # Kafka lag growing (outcome unstable) is not a Spark-side symptom.
    assert healthy(run(outcome="unstable")) is True


def test_engaged_by_held_batches_logged_limits_or_an_overloaded_twin() -> None:
    assert engaged(run(held_share=0.25)) is True
    assert engaged(run(held_share=0.2)) is False
    # Two receivers of an offered 1,000 records/s: a limit under 500 per stream held input back.
    assert engaged(run(held_share=0.0, min_logged_limit_rps=450.0, streams=2)) is True
    assert engaged(run(held_share=0.0, min_logged_limit_rps=550.0, streams=2)) is False
    off = run("off", backpressure=False, sched_trend=GROWING)
    assert engaged(run(held_share=0.0), off) is True
    assert engaged(run(held_share=None)) is None


def test_c1_holds_only_when_healthy_and_engaged() -> None:
    assert c1_holds(run()) is True
    assert c1_holds(run(sched_trend=GROWING)) is False
    assert c1_holds(run(held_share=0.0)) is None  # healthy, but backpressure was never tested


def test_twins_differ_only_in_backpressure_and_share_the_repetition() -> None:
    on = run("on-r1", "on", pair="p", repetition=1)
    off = run("off-r1", "off", pair="p", repetition=1, backpressure=False)
    others = [off, run("off-r2", "off", pair="p", repetition=2, backpressure=False), run("x", "x", pair="q")]
    assert twin(on, [on, *others]) is off
    assert twin(off, [on, *others]) is on
    assert twin(replace(on, repetition=3), [on, *others]) is None
    assert twin(replace(on, pair=None), [on, *others]) is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, False),
        ({"outcome": "oom"}, True),
        ({"outcome": "executor_lost"}, True),
        ({"oom_count": 1}, True),
        ({"lost": 5}, True),
        ({"gc_time_frac": 0.10}, True),
        ({"gc_time_frac": 0.099}, False),
        ({"proc_trend": GROWING}, True),
        ({"proc_trend": STRADDLING}, None),
        ({"gc_time_frac": None}, None),
        # Kafka lag alone (unstable) and throughput behind input are what backpressure does.
        ({"outcome": "unstable", "throughput_rps": 500.0}, False),
    ],
)
def test_degraded_symptoms(fields: dict[str, object], expected: bool | None) -> None:
    assert degraded(run(**fields)) is expected


def test_overloaded_by_median_or_tail_processing_or_by_rate() -> None:
    assert overloaded(run(proc_time_p50_ms=2500.0)) is True
    assert overloaded(run(proc_time_p95_ms=2500.0)) is True
    assert overloaded(run(input_rate_rps=1100.0, throughput_rps=1000.0)) is True
    assert overloaded(run(input_rate_rps=1040.0, throughput_rps=1000.0)) is False
    assert overloaded(run(proc_time_p50_ms=None, proc_time_p95_ms=None, input_rate_rps=None)) is None


def test_delay_grows_from_the_interval_and_where_measured_the_data_in_flight() -> None:
    assert delay_grows(run(sched_trend=GROWING)) is True
    assert delay_grows(run(sched_trend=FLAT)) is False
    assert delay_grows(run(sched_trend=STRADDLING)) is None
    assert delay_grows(run(sched_trend=None, outcome="oom")) is True
    # Receivers: records in flight must grow too (threshold 5 % of the offered 1,000 records/s).
    assert delay_grows(run(sched_trend=GROWING, in_flight_trend=Slope(400.0, 350.0, 450.0))) is True
    assert delay_grows(run(sched_trend=GROWING, in_flight_trend=Slope(1.0, -5.0, 20.0))) is False


def test_grows_more_than_its_twin_when_the_intervals_are_apart() -> None:
    assert grows_more_than(run(sched_trend=GROWING), run(sched_trend=FLAT)) is True
    assert grows_more_than(run(sched_trend=FLAT), run(sched_trend=GROWING)) is False
    assert grows_more_than(run(sched_trend=GROWING), run(sched_trend=Slope(770.0, 700.0, 800.0))) is None
    assert grows_more_than(run(sched_trend=GROWING), None) is None
    assert grows_more_than(run(outcome="oom"), run()) is True


def test_measured_leaves_out_imported_and_failed_measurements() -> None:
    assert measured(run())
    assert measured(run(outcome="inconclusive_slope"))
    assert not measured(run(imported=True))
    for outcome in ("generator_saturated", "harness_error", "app_failed", None):
        assert not measured(run(outcome=outcome))


def test_majority_and_ties() -> None:
    assert majority([True, True, False]) is True
    assert majority([False, False, True]) is False
    assert majority([True, False]) is None
    assert majority([None, None]) is None


def test_by_configuration_folds_repetitions() -> None:
    runs = [
        run("a", "x"),
        run("b", "x", sched_trend=GROWING),
        run("c", "x"),
        run("d", "y", sched_trend=GROWING),
    ]
    assert by_configuration(runs, c1_holds) == {"x": True, "y": False}


def test_format_pressure() -> None:
    assert format_pressure(1000 * 1032 / GIB) == "1.03 MB/s per GiB of task memory"
    assert format_pressure(20 * GIB, BUDGET_AXIS) == "in-flight budget 20 GiB"


@pytest.mark.parametrize(
    ("size", "text"),
    [(0, "0 B"), (1000, "1000 B"), (1536, "1.5 KiB"), (64 * 2**20, "64 MiB"), (21474836480, "20 GiB")],
)
def test_format_bytes(size: int, text: str) -> None:
    assert format_bytes(size) == text


# ---------------------------------------------------------------------------------------------------------
# C1


def test_c1_reproduced_for_stateless_and_stateful_apps() -> None:
    runs = (
        healthy_cells(SMALL)
        + healthy_cells(MEDIUM)
        + cell("heavy", pressure=LARGE, outcome="oom", oom_count=1)
    )

    result = check_c1(runs)

    assert result.verdict is Verdict.REPRODUCED, result.reason
    assert "Every configuration held (4)" in result.reason and "stateless and stateful apps" in result.reason
    # The largest level is left to C2, but its failures are counted.
    assert "heavy" not in {c.config for c in result.checks}
    assert "in-flight budget 45 GiB 3 of 3" in result.reason
    assert "in-flight budget 5 GiB 0 of 6" in result.reason


def test_c1_not_reproduced_by_a_failure_at_a_middle_level() -> None:
    runs = (
        healthy_cells(SMALL)
        + cell("medium-oom", pressure=MEDIUM, outcome="oom", oom_count=1, **STATEFUL)
        + cell("large", pressure=LARGE)
    )

    result = check_c1(runs)

    assert result.verdict is Verdict.NOT_REPRODUCED
    assert "1 configuration(s) did not stay healthy: medium-oom" in result.reason
    assert {c.answer for c in result.checks if c.config == "medium-oom"} == {"not healthy"}


def test_c1_not_reproduced_when_the_scheduling_delay_grows() -> None:
    runs = (
        healthy_cells()
        + cell("growing", sched_trend=GROWING, pressure=MEDIUM)
        + cell("large", pressure=LARGE)
    )
    assert check_c1(runs).verdict is Verdict.NOT_REPRODUCED


def test_c1_inconclusive_with_fewer_than_three_repetitions_even_when_failing() -> None:
    runs = (
        healthy_cells()
        + cell("few", n=2, sched_trend=GROWING, pressure=MEDIUM)
        + cell("large", pressure=LARGE)
    )

    result = check_c1(runs)

    assert result.verdict is Verdict.INCONCLUSIVE
    assert "1 configuration(s) with fewer than 3 repetitions: few" in result.reason


def test_c1_inconclusive_when_backpressure_never_engaged() -> None:
    result = check_c1(
        healthy_cells() + cell("idle", held_share=0.0, pressure=MEDIUM) + cell("l", pressure=LARGE)
    )

    assert result.verdict is Verdict.INCONCLUSIVE
    assert "without a majority or the numbers: idle" in result.reason
    assert {c.answer for c in result.checks if c.config == "idle"} == {"healthy, not engaged"}


def test_c1_engaged_through_the_off_twin() -> None:
    on = cell("on", held_share=0.0, pair="p") + cell("on-stateful", held_share=0.0, pair="q", **STATEFUL)
    off = cell("off", pair="p", backpressure=False, sched_trend=GROWING) + cell(
        "off-stateful", pair="q", backpressure=False, sched_trend=GROWING, **STATEFUL
    )
    result = check_c1(on + off)
    assert result.verdict is Verdict.REPRODUCED, result.reason
    assert "off twin off-r1" in result.checks[0].detail


def test_c1_inconclusive_with_stateless_apps_only_or_no_runs() -> None:
    only_stateless = check_c1(cell("a") + cell("b", pressure=LARGE))
    assert only_stateless.verdict is Verdict.INCONCLUSIVE
    assert "not for stateless and stateful apps both" in only_stateless.reason
    assert check_c1(cell("off", **OFF_OVERLOADED)).verdict is Verdict.INCONCLUSIVE


# ---------------------------------------------------------------------------------------------------------
# C2


def test_c2_reproduced_when_the_largest_level_degrades_worst_for_stateful_apps() -> None:
    runs = (
        healthy_cells(SMALL)
        + cell("mid", pressure=MEDIUM, lost=10)
        + cell("large-stateful", pressure=LARGE, outcome="oom", oom_count=1, **STATEFUL)
        + cell("large-stateless", pressure=LARGE, gc_time_frac=0.2, n=3)
        + cell("large-stateless-ok", pressure=LARGE)
    )

    result = check_c2(runs)

    assert result.verdict is Verdict.REPRODUCED, result.reason
    assert "in-flight budget 45 GiB 67% of 9" in result.reason
    assert "in-flight budget 20 GiB 100% of 3" in result.reason  # a middle level is seen
    assert "in-flight budget 5 GiB 0% of 6" in result.reason
    assert "stateful 100% vs stateless 50%" in result.reason
    by_run = {c.run_id: c for c in result.checks}
    assert by_run["large-stateful-r1"].supports and by_run["large-stateful-r1"].answer == "degraded"
    assert by_run["large-stateless-ok-r1"].supports is False
    assert by_run["stateless-5368709120.0-r1"].supports


def test_c2_not_reproduced_when_the_largest_level_is_no_worse() -> None:
    result = check_c2(healthy_cells(SMALL) + healthy_cells(LARGE))
    assert result.verdict is Verdict.NOT_REPRODUCED
    assert "no more degraded than the smallest" in result.reason


def test_c2_kafka_lag_alone_is_not_degradation() -> None:
    # At the largest budget backpressure holds input back in Kafka: the lag grows (unstable), Spark is fine.
    runs = healthy_cells(SMALL) + cell("large", pressure=LARGE, outcome="unstable", throughput_rps=400.0)
    assert check_c2(runs).verdict is Verdict.NOT_REPRODUCED


def test_c2_not_reproduced_when_stateful_apps_degrade_less() -> None:
    runs = (
        healthy_cells(SMALL)
        + cell("large-stateless", pressure=LARGE, outcome="oom", oom_count=1)
        + cell("large-stateful", pressure=LARGE, **STATEFUL)
    )
    result = check_c2(runs)
    assert result.verdict is Verdict.NOT_REPRODUCED
    assert "stateful apps less degraded" in result.reason


def test_c2_inconclusive_with_one_level_or_too_few_repetitions_or_little_degradation() -> None:
    one_level = check_c2(healthy_cells(SMALL))
    assert one_level.verdict is Verdict.INCONCLUSIVE and "1 pressure level(s)" in one_level.reason
    few = check_c2(healthy_cells(SMALL) + cell("large", n=2, pressure=LARGE, outcome="oom", oom_count=1))
    assert few.verdict is Verdict.INCONCLUSIVE and "fewer than 3 repetitions: large" in few.reason
    some = check_c2(
        healthy_cells(SMALL)
        + cell("large-bad", n=3, pressure=LARGE, lost=1, **STATEFUL)
        + cell("large-ok-a", pressure=LARGE)
        + cell("large-ok-b", pressure=LARGE)
    )
    assert some.verdict is Verdict.INCONCLUSIVE and "under half" in some.reason


def test_c2_does_not_mix_axes_into_two_levels() -> None:
    runs = cell("budget", outcome="oom") + cell(
        "intensity", pressure=1e-4, pressure_axis="input per task memory"
    )
    assert check_c2(runs).verdict is Verdict.INCONCLUSIVE


# ---------------------------------------------------------------------------------------------------------
# C3


def twins_off_on(
    config: str, off_fields: dict[str, object], on_fields: dict[str, object] | None = None
) -> list:
    off = cell(f"{config}-off", pair=config, **{**OFF_OVERLOADED, **off_fields})
    return off + cell(f"{config}-on", pair=config, **(on_fields or {}))


def test_c3_reproduced_when_overloaded_runs_without_backpressure_grow_faster_than_their_twins() -> None:
    runs = twins_off_on("a", {"sched_trend": GROWING}) + twins_off_on(
        "b", {"outcome": "oom", "sched_trend": None}
    )

    result = check_c3(runs)

    assert result.verdict is Verdict.REPRODUCED, result.reason
    assert "6 of 6 overloaded run(s) supported it" in result.reason
    assert {c.answer for c in result.checks} == {"grows, more than on"}


def test_c3_catches_a_step_profile_the_run_wide_means_missed() -> None:
    # Input and throughput agree over the run (catch-up batches), but the tail batches overran the
    # interval and the scheduling delay grew at 760-790 ms/s.
    step = {"sched_trend": GROWING, "proc_time_p50_ms": 1500.0, "proc_time_p95_ms": 9000.0}
    runs = twins_off_on("step", {**step, "input_rate_rps": 1000.0, "throughput_rps": 990.0})
    assert check_c3(runs).verdict is Verdict.REPRODUCED


def test_c3_not_reproduced_when_the_delay_stays_bounded_or_in_flight_data_does_not_grow() -> None:
    bounded = check_c3(twins_off_on("a", {"sched_trend": FLAT}))
    assert bounded.verdict is Verdict.NOT_REPRODUCED
    assert "did not grow faster than with backpressure: a-off" in bounded.reason
    held = twins_off_on("b", {"sched_trend": GROWING, "in_flight_trend": Slope(0.0, -3.0, 3.0)})
    assert check_c3(held).verdict is Verdict.NOT_REPRODUCED


def test_c3_not_reproduced_when_the_on_twin_grows_faster() -> None:
    runs = twins_off_on("a", {"sched_trend": Slope(50.0, 40.0, 60.0)}, {"sched_trend": GROWING})
    assert check_c3(runs).verdict is Verdict.NOT_REPRODUCED


def test_c3_inconclusive_without_twins_overload_repetitions_or_clear_slopes() -> None:
    no_twin = cell("off", **OFF_OVERLOADED, sched_trend=GROWING)
    assert check_c3(no_twin).verdict is Verdict.INCONCLUSIVE
    assert "No run with backpressure off" in check_c3(cell("on")).reason
    light = check_c3(cell("off", backpressure=False))
    assert light.verdict is Verdict.INCONCLUSIVE and "had input above capacity" in light.reason
    few = check_c3(twins_off_on("a", {"sched_trend": FLAT})[1:])
    assert few.verdict is Verdict.INCONCLUSIVE and "fewer than 3 repetitions" in few.reason
    assert check_c3(twins_off_on("a", {"sched_trend": STRADDLING})).verdict is Verdict.INCONCLUSIVE


def test_evaluate_returns_the_claims_and_seed_scenarios_in_order() -> None:
    results = evaluate(cell("a"))

    assert [r.claim.id for r in results] == ["C1", "C2", "C3", "S1", "S2", "S3", "G1", "G2"]
    assert all(r.verdict is Verdict.INCONCLUSIVE for r in results)
    assert all(r.claim.rule and r.claim.statement for r in results)


# ---------------------------------------------------------------------------------------------------------
# Seed scenarios


def step_cell(config: str, backpressure: bool, trend: Slope, n: int = 3) -> list[ClaimRun]:
    fields: dict[str, object] = {"profile": "step", "backpressure": backpressure, "sched_trend": trend}
    if not backpressure:
        fields |= {"proc_time_p50_ms": 2500.0, "throughput_rps": 500.0}  # overloaded
    return cell(config, n, **fields)


def test_s1_every_verdict() -> None:
    on, off = step_cell("on", True, FLAT), step_cell("off", False, GROWING)
    assert check_s1(on + off).verdict is Verdict.REPRODUCED
    assert check_s1(on).verdict is Verdict.INCONCLUSIVE
    assert check_s1(on + step_cell("off", False, FLAT)).verdict is Verdict.NOT_REPRODUCED
    assert check_s1(step_cell("on", True, GROWING) + off).verdict is Verdict.NOT_REPRODUCED
    assert check_s1(on + step_cell("off", False, GROWING, n=2)).verdict is Verdict.INCONCLUSIVE
    assert check_s1(cell("c")).verdict is Verdict.INCONCLUSIVE  # not a step profile


def burst_cell(config: str, cap: float | None, largest: float | None, n: int = 3) -> list[ClaimRun]:
    return cell(
        config, n, profile="burst", base_rate_rps=1000.0, rate_cap_rps=cap, max_batch_rate_rps=largest
    )


def test_s2_every_verdict() -> None:
    capped, uncapped = burst_cell("cap", 1800.0, 1850.0), burst_cell("nocap", None, 26000.0)
    assert s2_supports(capped[0]) is True and s2_supports(uncapped[0]) is True
    assert check_s2(capped + uncapped).verdict is Verdict.REPRODUCED
    assert check_s2(burst_cell("cap", 1800.0, 5000.0) + uncapped).verdict is Verdict.NOT_REPRODUCED
    assert check_s2(uncapped).verdict is Verdict.INCONCLUSIVE
    assert check_s2(burst_cell("cap", 1800.0, 1850.0, n=2) + uncapped).verdict is Verdict.INCONCLUSIVE
    assert s2_supports(burst_cell("c", None, None)[0]) is None


def test_s3_every_verdict_from_the_logged_limits() -> None:
    at_floor = cell("a", min_rate_rps=100.0, min_logged_limit_rps=100.0)
    assert check_s3(at_floor).verdict is Verdict.REPRODUCED
    below = check_s3(cell("b", min_rate_rps=100.0, min_logged_limit_rps=95.0))
    assert below.verdict is Verdict.NOT_REPRODUCED
    never_low = cell("c", min_rate_rps=100.0, min_logged_limit_rps=900.0)
    assert s3_supports(never_low[0]) is None
    assert check_s3(never_low).verdict is Verdict.INCONCLUSIVE
    unlogged = check_s3(cell("d", min_rate_rps=100.0))
    assert unlogged.verdict is Verdict.INCONCLUSIVE and "logged by Spark" in unlogged.reason
    assert check_s3(at_floor[:2]).verdict is Verdict.INCONCLUSIVE


# ---------------------------------------------------------------------------------------------------------
# GOVERNOR's claims: GOVERNOR runs paired with their Spark PID twins on the count-based sliding window


def controller_cell(
    kind: str, size: float = 120.0, n: int = 3, pair: str | None = None, **fields: object
) -> list[ClaimRun]:
    """``n`` repetitions on count_sliding_window at window ``size`` with controller ``kind``; twins
    share ``controller_pair`` (default: the window size)."""
    config = f"{kind}-{size:g}"
    return cell(
        config,
        n,
        app="count_sliding_window",
        stateful=True,
        controller=kind,
        controller_pair=pair or f"w{size:g}",
        window_size=size,
        pair=config,
        **fields,
    )


def governor_pairs(
    governor: dict[str, object] | None = None,
    pid: dict[str, object] | None = None,
    size: float = 120.0,
    n: int = 3,
    kind: str = "spark",
) -> list[ClaimRun]:
    return controller_cell("governor", size, n, **(governor or {})) + controller_cell(
        kind, size, n, **(pid or {})
    )


def test_controller_twins_differ_only_in_the_controller_and_share_the_repetition() -> None:
    governor, pid = controller_cell("governor", n=2), controller_cell("pid", n=2)
    other = controller_cell("spark", 40.0, n=2)
    runs = governor + pid + other
    assert controller_twin(governor[0], runs) is pid[0]
    assert controller_twin(governor[1], runs) is pid[1]
    # Only a GOVERNOR run has a controller twin; a fixed-rate run is no PID.
    assert controller_twin(pid[0], runs) is None
    assert controller_twin(governor[0], governor + controller_cell("fixed", n=2)) is None
    # Two candidates (spark and pid kinds of one repetition): no single twin.
    assert controller_twin(governor[0], runs + controller_cell("spark", n=1)) is None
    assert controller_twin(replace(governor[0], controller_pair=None), runs) is None
    # Backpressure twins are found as before, and never across controllers of one arm.
    assert twin(governor[0], runs) is None


def test_throughput_gain_needs_two_measured_runs_that_did_not_fail() -> None:
    governor, pid = run(throughput_rps=1200.0), run(throughput_rps=1000.0)
    assert throughput_gain(governor, pid) == pytest.approx(0.2)
    assert throughput_gain(governor, None) is None
    assert throughput_gain(governor, replace(pid, outcome="app_failed")) is None
    assert throughput_gain(replace(governor, outcome="oom", oom_count=1), pid) is None
    assert throughput_gain(governor, replace(pid, executors_lost=1)) is None
    assert throughput_gain(governor, replace(pid, throughput_rps=None)) is None


def test_g1_reproduced_when_governor_has_more_throughput_in_every_configuration() -> None:
    runs = governor_pairs({"throughput_rps": 1260.0}, {"throughput_rps": 1000.0}) + governor_pairs(
        {"throughput_rps": 1100.0}, {"throughput_rps": 1000.0}, size=40.0, kind="pid"
    )
    result = check_g1(runs)
    assert result.verdict is Verdict.REPRODUCED, result.reason
    assert "6 pair(s) in 2 configuration(s)" in result.reason
    assert "governor-120 +26.0%" in result.reason and "governor-40 +10.0%" in result.reason
    assert {c.answer for c in result.checks} == {"higher (+26.0%)", "higher (+10.0%)"}
    assert {c.twin_id for c in result.checks} == {
        f"{k}-{s}-r{i}" for k, s in (("spark", 120), ("pid", 40)) for i in (1, 2, 3)
    }


@pytest.mark.parametrize(
    ("throughput", "answer"), [(1040.0, "within noise (+4.0%)"), (900.0, "lower (-10.0%)")]
)
def test_g1_not_reproduced_when_governor_is_lower_or_within_the_margin(
    throughput: float, answer: str
) -> None:
    runs = governor_pairs({"throughput_rps": throughput}, {"throughput_rps": 1000.0})
    result = check_g1(runs)
    assert result.verdict is Verdict.NOT_REPRODUCED, result.reason
    assert "did not have more throughput with GOVERNOR: governor-120" in result.reason
    assert {c.answer for c in result.checks} == {answer}


def test_g1_a_configuration_answers_by_the_majority_of_its_pairs() -> None:
    runs = governor_pairs({"throughput_rps": 1300.0}, {"throughput_rps": 1000.0})
    runs[0] = replace(runs[0], throughput_rps=950.0)
    assert check_g1(runs).verdict is Verdict.REPRODUCED
    runs[1] = replace(runs[1], throughput_rps=950.0)
    assert check_g1(runs).verdict is Verdict.NOT_REPRODUCED


def test_g1_inconclusive_without_pairs_with_too_few_pairs_or_failed_runs() -> None:
    none = check_g1(cell("a"))
    assert none.verdict is Verdict.INCONCLUSIVE and none.reason.startswith("No runs with both controllers")
    alone = check_g1(controller_cell("governor"))
    assert alone.verdict is Verdict.INCONCLUSIVE and "none of the 3 GOVERNOR run(s)" in alone.reason
    # Other settings differ (the twin is not a twin), or the app is not the count-based sliding window.
    unpaired = controller_cell("governor") + controller_cell("spark", pair="other")
    assert check_g1(unpaired).reason.startswith("No runs with both controllers")
    other_app = [replace(r, app="count_tumbling_window") for r in governor_pairs()]
    assert check_g1(other_app).reason.startswith("No runs with both controllers")
    # Two pairs never decide, even when both contradict the claim.
    few = check_g1(governor_pairs({"throughput_rps": 800.0}, n=2))
    assert few.verdict is Verdict.INCONCLUSIVE and "fewer than 3 repetitions" in few.reason
    # A twin that ran out of memory, or failed to run, leaves its pair undecided.
    failed_twins = governor_pairs({"throughput_rps": 800.0}, {"outcome": "oom", "oom_count": 1})
    failed_twins[-1] = replace(failed_twins[-1], outcome="app_failed", oom_count=0)
    undecided = check_g1(failed_twins)
    assert undecided.verdict is Verdict.INCONCLUSIVE and "without a majority" in undecided.reason
    assert {c.supports for c in undecided.checks} == {None}
    # A GOVERNOR configuration whose runs have no twin is undecided beside one that supports.
    mixed = governor_pairs({"throughput_rps": 1300.0}) + controller_cell("governor", 40.0)
    assert check_g1(mixed).verdict is Verdict.INCONCLUSIVE


def test_g2_reproduced_when_the_pid_grows_and_governor_stays_bounded_at_the_largest_window() -> None:
    # At window 40 GOVERNOR's delay grows too: the rule looks at the largest window only.
    runs = governor_pairs({"sched_trend": FLAT}, {"sched_trend": GROWING}) + governor_pairs(
        {"sched_trend": GROWING}, {"sched_trend": GROWING}, size=40.0
    )
    result = check_g2(runs)
    assert result.verdict is Verdict.REPRODUCED, result.reason
    assert "window size 120, the largest among the pairs" in result.reason
    assert {c.run_id for c in result.checks} == {"governor-120-r1", "governor-120-r2", "governor-120-r3"}
    assert {c.answer for c in result.checks} == {"PID's delay grows, GOVERNOR's bounded"}
    # A PID twin that ran out of memory let the received data outgrow the heap: growth.
    oom = governor_pairs({"sched_trend": FLAT}, {"outcome": "oom", "oom_count": 1, "sched_trend": None})
    assert check_g2(oom).verdict is Verdict.REPRODUCED


def test_g2_not_reproduced_when_governor_grows_too_or_the_pid_stays_bounded() -> None:
    both = check_g2(governor_pairs({"sched_trend": GROWING}, {"sched_trend": GROWING}))
    assert both.verdict is Verdict.NOT_REPRODUCED
    assert "3 with GOVERNOR's delay growing too, 0 whose PID twin" in both.reason
    assert {c.answer for c in both.checks} == {"GOVERNOR's delay grows too"}
    oom = check_g2(governor_pairs({"outcome": "oom", "oom_count": 1}, {"sched_trend": GROWING}))
    assert oom.verdict is Verdict.NOT_REPRODUCED
    premise = check_g2(governor_pairs({"sched_trend": FLAT}, {"sched_trend": FLAT}))
    assert premise.verdict is Verdict.NOT_REPRODUCED
    assert "0 with GOVERNOR's delay growing too, 3 whose PID twin's delay did not grow" in premise.reason
    assert {c.answer for c in premise.checks} == {"PID's delay does not grow (premise absent)"}
    # Where the records in flight are measured, the PID's must grow too.
    held = governor_pairs(
        {"sched_trend": FLAT}, {"sched_trend": GROWING, "in_flight_trend": Slope(0.0, -3.0, 3.0)}
    )
    assert check_g2(held).verdict is Verdict.NOT_REPRODUCED


def test_g2_inconclusive_without_pairs_with_straddling_slopes_too_few_or_failed_runs() -> None:
    assert check_g2(cell("a")).reason.startswith("No runs with both controllers")
    straddling = check_g2(governor_pairs({"sched_trend": STRADDLING}, {"sched_trend": GROWING}))
    assert straddling.verdict is Verdict.INCONCLUSIVE
    assert {c.supports for c in straddling.checks} == {None}
    pid_straddling = governor_pairs({"sched_trend": FLAT}, {"sched_trend": STRADDLING})
    assert check_g2(pid_straddling).verdict is Verdict.INCONCLUSIVE
    few = check_g2(governor_pairs({"sched_trend": GROWING}, {"sched_trend": GROWING}, n=2))
    assert few.verdict is Verdict.INCONCLUSIVE and "fewer than 3 repetitions" in few.reason
    failed = check_g2(
        governor_pairs({"sched_trend": FLAT}, {"outcome": "app_failed", "sched_trend": GROWING})
    )
    assert failed.verdict is Verdict.INCONCLUSIVE
    sizeless = check_g2([replace(r, window_size=None) for r in governor_pairs()])
    assert sizeless.verdict is Verdict.INCONCLUSIVE and "window size" in sizeless.reason
