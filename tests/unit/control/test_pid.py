"""The PID rate estimator against Spark's own PIDRateEstimatorSuite, plus hand-computed replays.

Each ``test_spark_*`` test ports one case of Spark's
``org.apache.spark.streaming.scheduler.rate.PIDRateEstimatorSuite`` with the same inputs and the
same expected outcomes; the rest pin down details of Spark's arithmetic and state handling that
the suite does not cover.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from harness.control.pid import PIDRateEstimator, replay_pid


def default_estimator() -> PIDRateEstimator:
    """The suite's ``createDefaultEstimator``: proportional only, 20 ms batches."""
    return PIDRateEstimator(20, 1.0, 0.0, 0.0, 10)


def run_series(
    estimator: PIDRateEstimator, elements: list[int], proc: list[int], sched: list[int]
) -> list[float | None]:
    """One compute per batch, a batch every 20 ms starting at 0, as in the suite's series tests."""
    times = [x * 20 for x in range(len(elements))]
    return [estimator.compute(*args) for args in zip(times, elements, proc, sched, strict=True)]


# Spark: test("the right estimator is created")
def test_spark_the_right_estimator_is_created() -> None:
    # Spark's RateEstimator.create builds a PIDRateEstimator from the spark.streaming.backpressure.pid.*
    # settings; with none set, it must get Spark's defaults, which are this class's defaults.
    estimator = PIDRateEstimator(1000)  # Seconds(1)
    assert type(estimator) is PIDRateEstimator
    defaults = {
        name: parameter.default
        for name, parameter in inspect.signature(PIDRateEstimator).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    # pid.proportional, pid.integral, pid.derived, pid.minRate
    assert defaults == {"proportional": 1.0, "integral": 0.2, "derivative": 0.0, "min_rate": 100.0}


# Spark: test("estimator checks ranges")
@pytest.mark.parametrize(
    "args",
    [
        (0, 1, 2, 3, 10),  # batchIntervalMillis = 0
        (100, -1, 2, 3, 10),  # proportional = -1
        (100, 0, -1, 3, 10),  # integral = -1
        (100, 0, 0, -1, 10),  # derivative = -1
        (100, 0, 0, 0, 0),  # minRate = 0
        (100, 0, 0, 0, -10),  # minRate = -10
    ],
)
def test_spark_estimator_checks_ranges(args: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        PIDRateEstimator(*args)


# Spark: test("first estimate is None")
def test_spark_first_estimate_is_none() -> None:
    assert default_estimator().compute(0, 10, 10, 0) is None


# Spark: test("second estimate is not None")
def test_spark_second_estimate_is_not_none() -> None:
    p = default_estimator()
    p.compute(0, 10, 10, 0)
    # 1000 elements / s
    assert p.compute(10, 10, 10, 0) == 1000


# Spark: test("no estimate when no time difference between successive calls")
def test_spark_no_estimate_when_no_time_difference_between_successive_calls() -> None:
    p = default_estimator()
    p.compute(0, 10, 10, 0)
    assert p.compute(10, 10, 10, 0) is not None
    assert p.compute(10, 10, 10, 0) is None


# Spark: test("no estimate when no records in previous batch")
def test_spark_no_estimate_when_no_records_in_previous_batch() -> None:
    p = default_estimator()
    p.compute(0, 10, 10, 0)
    assert p.compute(10, 0, 10, 0) is None
    assert p.compute(20, -10, 10, 0) is None


# Spark: test("no estimate when there is no processing delay")
def test_spark_no_estimate_when_there_is_no_processing_delay() -> None:
    p = default_estimator()
    p.compute(0, 10, 10, 0)
    assert p.compute(10, 10, 0, 0) is None
    assert p.compute(20, 10, -10, 0) is None


# Spark: test("estimate is never less than min rate")
def test_spark_estimate_is_never_less_than_min_rate() -> None:
    min_rate = 5.0
    p = PIDRateEstimator(20, 1.0, 1.0, 0.0, min_rate)
    # One record per batch and 20 ms of processing, with a strictly positive scheduling delay:
    # the controller is pushed to lower the rate, but never below the minimum.
    res = run_series(p, elements=[1] * 50, proc=[20] * 50, sched=[100] * 50)
    assert res[0] is None
    assert res[1:] == [min_rate] * 49


# Spark: test("with no accumulated or positive error, |I| > 0, follow the processing speed")
def test_spark_with_no_accumulated_or_positive_error_follow_the_processing_speed() -> None:
    p = PIDRateEstimator(20, 1.0, 1.0, 0.0, 10)
    # Increasing records at constant processing time and no scheduling delay: even with a
    # non-zero integral gain, only the proportional term acts, so the rate tracks the speed.
    res = run_series(p, elements=[(x + 1) * 20 for x in range(50)], proc=[20] * 50, sched=[0] * 50)
    assert res[0] is None
    assert res[1:] == [(x + 1) * 1000.0 for x in range(50)][1:]


# Spark: test("with no accumulated but some positive error, |I| > 0, follow the processing speed")
def test_spark_with_no_accumulated_but_some_positive_error_follow_the_processing_speed() -> None:
    p = PIDRateEstimator(20, 1.0, 1.0, 0.0, 10)
    # Decreasing records at constant processing time and no scheduling delay: the rate follows
    # the processing speed down, asking for fewer and fewer records.
    res = run_series(p, elements=[(50 - x) * 20 for x in range(50)], proc=[20] * 50, sched=[0] * 50)
    assert res[0] is None
    assert res[1:] == [(50 - x) * 1000.0 for x in range(50)][1:]


# Spark: test("with some accumulated and some positive error, |I| > 0, stay below the processing speed")
@pytest.mark.parametrize("seed", range(20))
def test_spark_with_some_accumulated_and_some_positive_error_stay_below_the_processing_speed(
    seed: int,
) -> None:
    min_rate = 10.0
    p = PIDRateEstimator(20, 1.0, 0.01, 0.0, min_rate)
    rng = np.random.default_rng(seed)
    elements = [int(x) for x in rng.integers(1000, 2000, size=50)]  # nextInt(1000) + 1000
    proc_delay_ms = 20
    sched = [int(x) for x in rng.integers(1, 20, size=50)]  # nextInt(19) + 1: random wait
    speeds = [x / proc_delay_ms * 1000 for x in elements]
    res = run_series(p, elements=elements, proc=[proc_delay_ms] * 50, sched=sched)
    assert res[0] is None
    for n in range(1, 50):
        rate = res[n]
        assert rate is not None
        if rate > 0 and sched[n] > 0:
            assert rate < speeds[n]
            assert rate >= min_rate


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0,), "requirement failed: Specified batch interval 0 in PIDRateEstimator is invalid."),
        ((100, -1), "requirement failed: Proportional term -1.0 in PIDRateEstimator should be >= 0."),
        ((100, 1, -0.5), "requirement failed: Integral term -0.5 in PIDRateEstimator should be >= 0."),
        ((100, 1, 0, -2), "requirement failed: Derivative term -2.0 in PIDRateEstimator should be >= 0."),
        ((100, 1, 0, 0, 0), "requirement failed: Minimum rate in PIDRateEstimator should be > 0"),
        ((100, math.nan), "requirement failed: Proportional term nan in PIDRateEstimator should be >= 0."),
    ],
)
def test_constructor_messages_follow_spark_require(args: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError) as raised:
        PIDRateEstimator(*args)
    assert str(raised.value) == message


def test_first_valid_call_must_be_after_time_minus_one() -> None:
    # Spark's latestTime starts at -1, so only times >= 0 can start the controller.
    p = default_estimator()
    assert p.compute(-1, 10, 10, 0) is None
    assert p.compute(0, 10, 10, 0) is None
    assert p.compute(10, 10, 10, 0) == 1000.0


def test_first_valid_call_records_the_processing_rate_only() -> None:
    p = PIDRateEstimator(20, 1.0, 0.0, 0.0, 10)
    assert p.compute(0, 10, 10, 500) is None  # 1000 records/s; the scheduling delay is ignored
    # error = 1000 - 2000 = -1000, so the proportional step lands on the new speed.
    assert p.compute(10, 20, 10, 0) == 2000.0


def test_skipped_calls_leave_the_state_alone() -> None:
    p = default_estimator()
    p.compute(0, 10, 10, 0)
    # A later batch without records does not move latestTime, so an earlier time is still new.
    assert p.compute(50, 0, 10, 0) is None
    assert p.compute(50, 10, 0, 0) is None
    assert p.compute(10, 20, 10, 0) == 2000.0


def test_integral_term_uses_scheduling_delay_over_batch_interval() -> None:
    p = PIDRateEstimator(1000, 1.0, 0.2, 0.0, 100)
    p.compute(500, 1000, 500, 0)  # 2000 records/s
    assert p.compute(2000, 1500, 1000, 0) == 1500.0  # 2000 - (2000 - 1500)
    # processing 2000/s, error -500, historical error 500 ms * 2000/s / 1000 ms = 1000.
    assert p.compute(4000, 3000, 1500, 500) == 1500.0 + 500.0 - 0.2 * 1000.0


def test_derivative_term_divides_by_seconds_since_last_update() -> None:
    p = PIDRateEstimator(1000, 0.0, 0.0, 1.0, 1)
    p.compute(0, 1000, 1000, 0)  # latestRate 1000, latestError 0
    # error 1000 - 500 = 500 over 2.5 s since the last update: dError = 200.
    assert p.compute(2500, 500, 1000, 0) == 800.0
    # error 800 - 400 = 400, dError = (400 - 500) / 0.001 = -100000.
    assert p.compute(2501, 400, 1000, 0) == 800.0 + 100000.0


def test_processing_rate_divides_before_scaling_to_seconds() -> None:
    # Spark computes numElements.toDouble / processingDelay * 1000, which for 49 records in 3 ms
    # rounds differently from numElements * 1000 / processingDelay.
    assert 49 / 3 * 1000 != 49 * 1000 / 3
    p = PIDRateEstimator(1000, 1.0, 0.0, 0.0, 1)
    p.compute(0, 49, 3, 0)  # the reference rate
    # Same speed again: no error, so the rate is the reference rate, bit for bit.
    assert p.compute(1000, 49, 3, 0) == 49 / 3 * 1000


def test_rate_is_clamped_to_min_rate() -> None:
    p = PIDRateEstimator(1000, 1.0, 0.0, 0.0, 100)
    p.compute(0, 1000, 1000, 0)
    assert p.compute(1000, 50, 1000, 0) == 100.0


def test_arguments_are_longs() -> None:
    p = default_estimator()
    assert p.compute(np.int64(0), np.int64(10), np.int64(10), np.int64(0)) is None
    with pytest.raises(TypeError):
        p.compute(10.0, 10, 10, 0)  # type: ignore[arg-type]
    with pytest.raises(OverflowError):
        p.compute(2**63, 10, 10, 0)
    with pytest.raises(TypeError):
        PIDRateEstimator(20.5)  # type: ignore[arg-type]


def batch(
    time_ms: int, records: int, sched: float | None, proc: float | None, status: str = "COMPLETED"
) -> dict:
    return {
        "batch_time_ms": time_ms,
        "status": status,
        "input_records": records,
        "scheduling_delay_ms": sched,
        "processing_time_ms": proc,
    }


def test_replay_pid_on_a_hand_computed_series() -> None:
    batches = [
        batch(6000, 10, None, None, status="QUEUED"),
        batch(2000, 3000, 500.0, 1500.0),
        batch(0, 1000, 0.0, 500.0),
        batch(5000, 10, 0.0, None),  # completed, but a delay is unknown: not seen by the controller
        batch(4000, 50, 0.0, 1000.0),
        batch(3000, 0, 0.0, 0.0),
        batch(1000, 1500, 0.0, 1000.0),
        batch(7000, 10, 0.0, None, status="PROCESSING"),
    ]
    # Interval 1000 ms, kp 1, ki 0.2, kd 0, min rate 100; time = batch time + delays.
    expected = [
        # end 500: 2000 records/s becomes the reference; no rate yet.
        {"batch_time_ms": 0, "rate_rps": None, "latest_rate_rps": None},
        # end 2000: speed 1500, error 2000 - 1500 = 500, no backlog: 2000 - 500.
        {"batch_time_ms": 1000, "rate_rps": 1500.0, "latest_rate_rps": 1500.0},
        # end 4000: speed 2000, error -500, historical 500 * 2000 / 1000 = 1000: 1500 + 500 - 200.
        {"batch_time_ms": 2000, "rate_rps": 1800.0, "latest_rate_rps": 1800.0},
        # no records: Spark keeps the limit.
        {"batch_time_ms": 3000, "rate_rps": None, "latest_rate_rps": 1800.0},
        # end 5000: speed 50, error 1750: 1800 - 1750 = 50, clamped to the min rate.
        {"batch_time_ms": 4000, "rate_rps": 100.0, "latest_rate_rps": 100.0},
    ]
    assert replay_pid(batches, 1000) == expected


def test_replay_pid_passes_gains_and_treats_nan_as_unknown() -> None:
    batches = [
        batch(0, 1000, 0.0, 1000.0),
        batch(1000, 2000, float("nan"), 1000.0),
        batch(2000, 500, 0.0, 1000.0),
    ]
    # kp 0.5: 1000 - 0.5 * (1000 - 500) = 750.
    assert replay_pid(batches, 1000, proportional=0.5, integral=0.0, min_rate=1.0) == [
        {"batch_time_ms": 0, "rate_rps": None, "latest_rate_rps": None},
        {"batch_time_ms": 2000, "rate_rps": 750.0, "latest_rate_rps": 750.0},
    ]


def test_replay_pid_of_nothing_is_empty() -> None:
    assert replay_pid([], 1000) == []
    with pytest.raises(ValueError):
        replay_pid([], 0)
