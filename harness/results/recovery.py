"""Recovery from injected faults: per fault, what it cost and how long the pipeline took to get over it.

For each fault (``FaultWindow``: when it started and ended, what it acted on) ``summary.json``'s
``faults`` list holds:

- ``lost_records``: the run's lost records when the fault is its only one (everything the run lost,
  it lost with this fault in place, including a receiver's blocks that were stored and never
  processed); with several faults, the records of the batches that failed (Spark gave up on their
  output) from the fault's start until the next fault's start or the run's end, since lost blocks
  cannot be placed in time.
- ``duplicated_records``: records processed more than once in the run (processed + backlog beyond
  produced), given to the fault when it is the run's only one (null otherwise: nothing tells which
  fault a duplicate came from).
- ``sched_recovered_s``: from the fault's start until the batches generated after its end started
  within the batch interval for good (until the next fault or the run's end): the first of those
  batches, at its batch time plus its scheduling delay; null if the last ones did not.
- ``backlog_before`` and ``backlog_recovered_s``: the consumer lag before the fault (the highest of
  the lowest lags of the 5 batch intervals before it: the lag right after a batch, see
  ``interval_minima``, and at least a batch's worth of records at the target rate, the most it varies
  by with when it is sampled) and the time from the fault's start until the lowest lag of each
  interval after its end stayed at or under that level (until the next fault or the run's end); null
  if it did not (or without lag samples).
- ``rate_before_rps``, ``rate_lowest_rps``, ``rate_after_rps``: the rate limit in force before the
  fault, the lowest from its start until the scheduling delay recovered (the run's end if it did
  not), and the first one after that; null without backpressure. The limits are the plugged
  controller's decisions, or Spark's PID replayed over the batches (``rate_limits.parquet``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from harness.results.summary import interval_minima, total_lag

BEFORE_INTERVALS = 5


@dataclass
class FaultWindow:
    index: int
    action: str
    start_ms: int
    end_ms: int | None = None
    target: str | None = None
    failed: str | None = None

    @property
    def ended_ms(self) -> int:
        """When it ended; its start while it has not (yet) been given an end."""
        return self.end_ms if self.end_ms is not None else self.start_ms


def settled_from(points: Sequence[tuple[float, bool]]) -> float | None:
    """The time of the first of the last points that are all good: from then on the series stayed
    recovered (None if its last point is not good, or there are none)."""
    since = None
    for time_ms, good in points:
        if not good:
            since = None
        elif since is None:
            since = time_ms
    return since


def sched_recovered_ms(
    window: FaultWindow, batches: Sequence[dict[str, Any]], interval_ms: int, until_ms: float | None
) -> int | None:
    """When the batches generated after the fault's end (until ``until_ms``) began to start within
    the interval for good: the first of them to do so, at its batch time plus scheduling delay.
    Batches that never ran (the app stopped first) tell nothing and are passed over."""
    end = window.ended_ms
    points = [
        (b["batch_time_ms"] + b["scheduling_delay_ms"], b["scheduling_delay_ms"] < interval_ms)
        for b in sorted(batches, key=lambda b: b["batch_time_ms"])
        if b["batch_time_ms"] >= end
        and (until_ms is None or b["batch_time_ms"] < until_ms)
        and b.get("scheduling_delay_ms") is not None
    ]
    settled = settled_from(points)
    return None if settled is None else int(settled)


def backlog_recovery(
    window: FaultWindow,
    lag: list[tuple[float, float]],
    interval_ms: int,
    until_ms: float | None,
    batch_records: float,
) -> tuple[float | None, int | None]:
    """The lag level before the fault (at least ``batch_records``), and the time from which the
    lowest lag of each interval after the fault's end (until ``until_ms``) stayed at or under it
    (None if it did not)."""
    _, before = interval_minima(
        lag, window.start_ms - BEFORE_INTERVALS * interval_ms, window.start_ms, interval_ms
    )
    if not before:
        return None, None
    level = max(*before, batch_records)
    times, after = interval_minima(lag, window.ended_ms, until_ms, interval_ms)
    settled = settled_from([(t, value <= level) for t, value in zip(times, after, strict=True)])
    return level, None if settled is None else int(settled)


def rate_figures(
    window: FaultWindow, limits: Sequence[tuple[float, float]], until_ms: float | None
) -> dict[str, float | None]:
    """The limit before the fault, the lowest from its start until ``until_ms`` (the run's end when
    None), and the first one after ``until_ms``."""
    before = [limit for time_ms, limit in limits if time_ms < window.start_ms]
    during = [
        limit
        for time_ms, limit in limits
        if time_ms >= window.start_ms and (until_ms is None or time_ms <= until_ms)
    ]
    after = [limit for time_ms, limit in limits if until_ms is not None and time_ms > until_ms]
    return {
        "rate_before_rps": before[-1] if before else None,
        "rate_lowest_rps": min(during) if during else None,
        "rate_after_rps": after[0] if after else None,
    }


def _seconds(since_ms: int, at_ms: float | None) -> float | None:
    return None if at_ms is None else round((at_ms - since_ms) / 1000.0, 3)


def fault_recovery(
    windows: Sequence[FaultWindow],
    batches: Sequence[dict[str, Any]],
    offsets: Sequence[dict[str, Any]],
    limits: Sequence[tuple[float, float]],
    interval_ms: int,
    lost: int | None,
    target_rate_rps: float,
) -> list[dict[str, Any]]:
    """``summary.json``'s ``faults``: one entry per fault, in the order they happened. ``lost`` is the
    run's (negative: duplicates)."""
    lag = total_lag(offsets)
    ordered = sorted(windows, key=lambda w: w.start_ms)
    failed_batches = [b for b in batches if b.get("output_ops_failed")]
    entries = []
    for position, window in enumerate(ordered):
        until = ordered[position + 1].start_ms if position + 1 < len(ordered) else None
        failed = sum(
            int(b["input_records"])
            for b in failed_batches
            if b["batch_time_ms"] >= window.start_ms and (until is None or b["batch_time_ms"] < until)
        )
        only = len(ordered) == 1 and lost is not None
        recovered = sched_recovered_ms(window, batches, interval_ms, until)
        level, back = backlog_recovery(window, lag, interval_ms, until, target_rate_rps * interval_ms / 1000)
        entries.append({
            "index": window.index,
            "action": window.action,
            "target": window.target,
            "failed": window.failed,
            "start_ms": window.start_ms,
            "end_ms": window.end_ms,
            "lost_records": max(lost, 0) if only else failed,
            "duplicated_records": max(-lost, 0) if only else None,
            "sched_recovered_s": _seconds(window.start_ms, recovered),
            "backlog_before": level,
            "backlog_recovered_s": _seconds(window.start_ms, back),
            **rate_figures(window, limits, recovered),
        })  # fmt: skip
    return entries
