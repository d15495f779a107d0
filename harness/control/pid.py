"""Spark Streaming's PID rate estimator, ported so a run's rate limits can be recomputed offline.

Spark's backpressure asks ``PIDRateEstimator`` for a new ingestion rate after every completed
batch. Recomputing those rates from the recorded batch table shows what limit Spark was applying
at each moment, and what it would have applied with other gains, without rerunning Spark.

The port keeps Spark's semantics to the bit: arguments are Scala ``Long`` values, the arithmetic
is done in ``Double`` in the same order, and state changes on exactly the calls where Spark
changes it. See ``org.apache.spark.streaming.scheduler.rate.PIDRateEstimator``.
"""

from __future__ import annotations

import math
import operator
import threading
from typing import Any, SupportsIndex

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1
COMPLETED = "COMPLETED"


def _as_long(name: str, value: SupportsIndex) -> int:
    """An integer argument as Spark would receive it: a 64-bit ``Long``.

    Floats are refused rather than truncated, as Spark never sees fractional milliseconds or
    records, and a silent conversion would hide a caller's unit mistake.
    """
    number = operator.index(value)
    if not LONG_MIN <= number <= LONG_MAX:
        raise OverflowError(f"{name} = {number} does not fit in a 64-bit Long")
    return number


def _require(condition: bool, message: str) -> None:
    """Scala's ``require``: the same message, raised as Python's ``ValueError``."""
    if not condition:
        raise ValueError(f"requirement failed: {message}")


def _java_max(value: float, floor: float) -> float:
    """``RichDouble.max`` (``java.lang.Math.max``), which, unlike Python's ``max``, keeps a NaN."""
    if math.isnan(value):
        return value
    return value if value >= floor else floor


class PIDRateEstimator:
    """A PID controller on the ingestion rate (records per second), as in Spark Streaming.

    The error is the rate asked for the previous batch minus the rate the latest batch was
    actually processed at; the integral term is not an accumulated error but the backlog that
    the scheduling delay stands for, spread over one batch interval.
    """

    def __init__(
        self,
        batch_interval_ms: int,
        proportional: float = 1.0,
        integral: float = 0.2,
        derivative: float = 0.0,
        min_rate: float = 100.0,
    ) -> None:
        # Defaults are those of spark.streaming.backpressure.pid.{proportional,integral,derived,minRate}.
        self._batch_interval_ms = _as_long("batch_interval_ms", batch_interval_ms)
        self._kp = float(proportional)
        self._ki = float(integral)
        self._kd = float(derivative)
        self._min_rate = float(min_rate)
        self._check_ranges()
        # Spark's initial state: only latestTime matters before the first valid call, as that
        # call overwrites the rate and the error.
        self._first_run = True
        self._latest_time = -1
        self._latest_rate = -1.0
        self._latest_error = -1.0
        # Spark's compute is synchronized; keep the estimator safe to share between threads.
        self._lock = threading.Lock()

    def _check_ranges(self) -> None:
        """Spark's ``require`` checks, in the same order; a NaN gain fails them, as it does in Scala."""
        _require(
            self._batch_interval_ms > 0,
            f"Specified batch interval {self._batch_interval_ms} in PIDRateEstimator is invalid.",
        )
        _require(self._kp >= 0, f"Proportional term {self._kp} in PIDRateEstimator should be >= 0.")
        _require(self._ki >= 0, f"Integral term {self._ki} in PIDRateEstimator should be >= 0.")
        _require(self._kd >= 0, f"Derivative term {self._kd} in PIDRateEstimator should be >= 0.")
        _require(self._min_rate > 0, "Minimum rate in PIDRateEstimator should be > 0")

    def compute(
        self, time_ms: int, num_elements: int, processing_delay_ms: int, scheduling_delay_ms: int
    ) -> float | None:
        """The new rate limit after a batch, or None when Spark would keep the current one.

        ``time_ms`` is when the batch finished processing. Calls that are not later than the
        last accepted one, or whose batch had no records or no processing time, change nothing.
        The first accepted call only records the batch's processing rate as the starting point.
        """
        time = _as_long("time_ms", time_ms)
        elements = _as_long("num_elements", num_elements)
        processing_delay = _as_long("processing_delay_ms", processing_delay_ms)
        scheduling_delay = _as_long("scheduling_delay_ms", scheduling_delay_ms)
        with self._lock:
            if not (time > self._latest_time and elements > 0 and processing_delay > 0):
                return None
            return self._update(time, elements, processing_delay, scheduling_delay)

    def _update(self, time: int, elements: int, processing_delay: int, scheduling_delay: int) -> float | None:
        """One controller step on a valid batch, with Spark's Double operations in Spark's order."""
        # Seconds since the last accepted batch; close to the batch interval in steady state.
        delay_since_update = float(time - self._latest_time) / 1000
        processing_rate = float(elements) / float(processing_delay) * 1000
        error = self._latest_rate - processing_rate
        # The scheduling delay is a backlog of about delay * processingRate records; draining it
        # within one batch interval would take this much rate.
        historical_error = float(scheduling_delay) * processing_rate / float(self._batch_interval_ms)
        d_error = (error - self._latest_error) / delay_since_update
        new_rate = _java_max(
            self._latest_rate - self._kp * error - self._ki * historical_error - self._kd * d_error,
            self._min_rate,
        )
        self._latest_time = time
        if self._first_run:
            # Nothing to compare with yet: the measured rate becomes the reference.
            self._latest_rate = processing_rate
            self._latest_error = 0.0
            self._first_run = False
            return None
        self._latest_rate = new_rate
        self._latest_error = error
        return new_rate


def _delay_ms(value: Any) -> int | None:
    """A recorded delay as Spark's Long milliseconds; None (or NaN from a table) when unknown.

    Recorded tables hold delays as floats only because the column is nullable; Spark's values are
    whole milliseconds, so rounding restores them exactly.
    """
    if value is None:
        return None
    number = float(value)
    if math.isnan(number):
        return None
    return round(number)


def _replayable(batches: list[dict]) -> list[tuple[dict, int, int]]:
    """Completed batches with both delays, in batch order: the ones Spark's RateController sees.

    The controller computes a rate only when the batch info has an end time and both delays,
    and batches complete in batch order, as a stream runs one batch at a time.
    """
    rows = []
    for batch in sorted(batches, key=lambda row: row["batch_time_ms"]):
        if batch["status"] != COMPLETED:
            continue
        scheduling = _delay_ms(batch["scheduling_delay_ms"])
        processing = _delay_ms(batch["processing_time_ms"])
        if scheduling is not None and processing is not None:
            rows.append((batch, scheduling, processing))
    return rows


def replay_pid(
    batches: list[dict],
    batch_interval_ms: int,
    proportional: float = 1.0,
    integral: float = 0.2,
    derivative: float = 0.0,
    min_rate: float = 100.0,
) -> list[dict]:
    """The rates Spark's PID backpressure computes over a recorded batch table.

    Feeds each completed batch (with known delays, in batch order) to a fresh estimator the way
    Spark's RateController does: time is the batch's processing end time, taken as batch time +
    scheduling delay + processing time. Returns one row per such batch with the rate computed
    after it (``rate_rps``, None when Spark keeps the current limit) and the limit in force
    afterwards (``latest_rate_rps``: the last computed rate, None before the first one).
    """
    estimator = PIDRateEstimator(batch_interval_ms, proportional, integral, derivative, min_rate)
    latest: float | None = None
    rows = []
    for batch, scheduling, processing in _replayable(batches):
        end_ms = int(batch["batch_time_ms"]) + scheduling + processing
        rate = estimator.compute(end_ms, int(batch["input_records"]), processing, scheduling)
        if rate is not None:
            latest = rate
        rows.append(
            {"batch_time_ms": int(batch["batch_time_ms"]), "rate_rps": rate, "latest_rate_rps": latest}
        )
    return rows
