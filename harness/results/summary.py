"""A run's summary: the statistics of ``summary.json`` and the rule that names its outcome.

Pure functions over the recorded rows, so every number in a summary can be recomputed from the
run directory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from scipy import stats

from harness.observe.parsers.gc_log import CONCURRENT
from harness.results.outcomes import Evidence, Outcome
from harness.results.store import SCHEMA_VERSION

# Total delay growing faster than this (ms per second of run) means the app falls behind its input.
UNSTABLE_SLOPE_MS_PER_S = 10.0
# Consumer lag growing faster than this share of the target rate means input outpaces processing,
# even when backpressure keeps the delay bounded.
UNSTABLE_LAG_SHARE = 0.05
# A generator that sent less than this share of its target rate could not produce the load.
GENERATOR_TOLERANCE = 0.05
# Confidence of the Theil-Sen slope intervals the outcome rule compares with its thresholds.
SLOPE_CONFIDENCE = 0.95


@dataclass(frozen=True)
class RunFacts:
    """What the runner observed besides the collectors' tables."""

    run_id: str
    experiment: str
    batch_interval_ms: int
    backpressure: bool
    target_rate_rps: float
    duration_s: float
    warmup_s: float
    generator: dict[str, Any]
    processed: int
    backlog: int | None
    drained: bool
    app_failed: bool
    load_end_ms: int | None
    evidence: tuple[Evidence, ...] = ()
    collector_cpu_frac: float | None = None


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p95": None, "max": None}
    array = np.asarray(values, dtype=float)
    return {
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "max": float(array.max()),
    }


def slope_per_s(times_ms: list[int], values: list[float]) -> float | None:
    """Least-squares slope of ``values`` against time, per second; None with fewer than 3 points."""
    if len(times_ms) < 3 or len(set(times_ms)) < 2:
        return None
    seconds = (np.asarray(times_ms, dtype=float) - times_ms[0]) / 1000.0
    return float(np.polyfit(seconds, np.asarray(values, dtype=float), 1)[0])


@dataclass(frozen=True)
class Slope:
    """A Theil-Sen slope per second with its confidence interval (``SLOPE_CONFIDENCE``)."""

    slope: float
    low: float
    high: float

    @property
    def interval(self) -> list[float]:
        return [self.low, self.high]


class Position(StrEnum):
    """Where a slope's confidence interval lies against a threshold."""

    ABOVE = "above"  # the whole interval is above: it grows
    BELOW = "below"  # the whole interval is at or below: it does not
    STRADDLES = "straddles"  # the runs cannot tell


def theil_sen_per_s(times_ms: Sequence[float], values: Sequence[float]) -> Slope | None:
    """Theil-Sen slope of ``values`` against time, per second, with its interval (the median of the
    pairwise slopes, robust to outliers such as one catch-up batch); None with fewer than 3 points or
    one distinct time. The interval assumes independent residuals: with autocorrelated ones (a lag
    series) it is narrower than it should be, which the thresholds' margins absorb."""
    if len(times_ms) < 3 or len(set(times_ms)) < 2:
        return None
    seconds = (np.asarray(times_ms, dtype=float) - float(times_ms[0])) / 1000.0
    fit = stats.theilslopes(np.asarray(values, dtype=float), seconds, alpha=SLOPE_CONFIDENCE)
    return Slope(float(fit.slope), float(fit.low_slope), float(fit.high_slope))


def position(slope: Slope | None, threshold: float) -> Position | None:
    """ABOVE when the interval's low end exceeds ``threshold``, BELOW when its high end is at most
    ``threshold``, else STRADDLES; None without a slope."""
    if slope is None:
        return None
    if slope.low > threshold:
        return Position.ABOVE
    if slope.high <= threshold:
        return Position.BELOW
    return Position.STRADDLES


def measured_batches(batches: list[dict[str, Any]], warmup_s: float) -> list[dict[str, Any]]:
    """Completed batches after the warm-up."""
    completed = [b for b in batches if b["status"] == "COMPLETED" and b["total_delay_ms"] is not None]
    if not completed:
        return []
    start = min(b["batch_time_ms"] for b in completed) + warmup_s * 1000
    return [b for b in completed if b["batch_time_ms"] >= start]


def _executor_peaks(samples: list[dict[str, Any]], column: str) -> int | None:
    values = [s[column] for s in samples if s.get(column)]
    return int(max(values)) if values else None


def interval_minima(
    samples: Sequence[tuple[float, float]], start_ms: float, end_ms: float | None, interval_ms: int
) -> tuple[list[float], list[float]]:
    """Each batch interval's lowest value of (time, value) samples between ``start_ms`` and
    ``end_ms``, as (times, values) in time order.

    Offsets are committed (and received data processed) once per batch, so between two batches the
    lag climbs by a batch's worth of records and drops back: a sawtooth whose height grows with the
    rate and whose phase would bias a fit. The trough of each interval (the value just after a
    commit) is what grows when the input outpaces processing."""
    troughs: dict[int, tuple[float, float]] = {}  # interval -> (value, time)
    for time_ms, value in sorted(samples):
        if time_ms < start_ms or (end_ms is not None and time_ms > end_ms):
            continue
        interval = int((time_ms - start_ms) // interval_ms)
        if interval not in troughs or value < troughs[interval][0]:
            troughs[interval] = (value, time_ms)
    points = sorted((time_ms, value) for value, time_ms in troughs.values())
    return [t for t, _ in points], [v for _, v in points]


def total_lag(offsets: Sequence[dict[str, Any]]) -> list[tuple[float, float]]:
    """(sample time, lag summed over partitions) of the offsets table's rows, in time order."""
    totals: dict[int, int] = {}
    for row in offsets:
        totals[row["sample_time_ms"]] = totals.get(row["sample_time_ms"], 0) + row["lag"]
    return sorted(totals.items())


def lag_slope_per_s(
    offsets: Sequence[dict[str, Any]], start_ms: float, end_ms: float | None, interval_ms: int
) -> Slope | None:
    """Theil-Sen slope (records per second) of the total consumer lag between ``start_ms`` and
    ``end_ms``, fitted to each batch interval's lowest lag (``interval_minima``)."""
    times, lags = interval_minima(total_lag(offsets), start_ms, end_ms, interval_ms)
    return theil_sen_per_s(times, lags)


def gc_statistics(gc_events: Sequence[dict[str, Any]], duration_s: float) -> dict[str, Any]:
    """Stop-the-world GC pauses per JVM, from the parsed GC logs (``gc.parquet`` rows): their count,
    the full ones, their total and longest pause, and the share of time they took. Concurrent cycles
    run beside the application and are left out.

    The executors' JVMs are what the paper studies; in local mode the driver is the only JVM.
    """
    executors = [e for e in gc_events if str(e["source"]).startswith("executor")]
    jvms = {e["source"] for e in (executors or gc_events)}
    if not jvms or duration_s <= 0:
        return dict.fromkeys(
            ("gc_count", "full_gc_count", "gc_pause_total_ms", "gc_pause_max_ms", "gc_time_frac")
        )
    pauses = [e for e in (executors or gc_events) if e["kind"] != CONCURRENT]
    pause_ms = [float(e["pause_ms"]) for e in pauses]
    return {
        "gc_count": len(pauses),
        "full_gc_count": sum(1 for e in pauses if e["kind"] == "full"),
        "gc_pause_total_ms": round(sum(pause_ms), 6),
        "gc_pause_max_ms": max(pause_ms, default=0.0),
        "gc_time_frac": sum(pause_ms) / (duration_s * 1000.0 * len(jvms)),
    }


def classify(facts: RunFacts, delay: Slope | None, lag: Slope | None = None) -> Outcome:
    """The outcome rule (docs/results.md). Growth is judged from the slopes' intervals: ``unstable``
    when the total delay's or the lag's interval lies above its threshold (or the app did not drain),
    ``inconclusive_slope`` when one straddles it and neither lies above, ``stable`` when both lie
    below (a slope that could not be fitted counts as below)."""
    kinds = {evidence.kind for evidence in facts.evidence}
    if Outcome.OOM in kinds:
        return Outcome.OOM
    if Outcome.EXECUTOR_LOST in kinds:
        return Outcome.EXECUTOR_LOST
    if facts.app_failed:
        return Outcome.APP_FAILED
    achieved = facts.generator.get("achieved_rate_rps") or 0.0
    if achieved < (1 - GENERATOR_TOLERANCE) * facts.target_rate_rps or facts.generator.get("failed"):
        return Outcome.GENERATOR_SATURATED
    positions = {
        position(delay, UNSTABLE_SLOPE_MS_PER_S),
        position(lag, UNSTABLE_LAG_SHARE * facts.target_rate_rps),
    }
    if not facts.drained or Position.ABOVE in positions:
        return Outcome.UNSTABLE
    if Position.STRADDLES in positions:
        return Outcome.INCONCLUSIVE_SLOPE
    return Outcome.STABLE


def _interval(slope: Slope | None) -> list[float] | None:
    return None if slope is None else slope.interval


def summarize(
    facts: RunFacts,
    batches: list[dict[str, Any]],
    executors: list[dict[str, Any]],
    offsets: Sequence[dict[str, Any]] = (),
    gc_events: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    measured = measured_batches(batches, facts.warmup_s)
    loaded = [b for b in measured if facts.load_end_ms is None or b["batch_time_ms"] <= facts.load_end_ms]
    loaded_times = [b["batch_time_ms"] for b in loaded]
    delay_slope = slope_per_s(loaded_times, [b["total_delay_ms"] for b in loaded])
    delay_trend = theil_sen_per_s(loaded_times, [b["total_delay_ms"] for b in loaded])
    measured_from = measured[0]["batch_time_ms"] if measured else 0
    lag = lag_slope_per_s(offsets, measured_from, facts.load_end_ms, facts.batch_interval_ms)
    interval_s = facts.batch_interval_ms / 1000.0
    # Throughput counts the batches under load, as the artifact did; draining batches would dilute it.
    records = [b["input_records"] for b in loaded]
    produced = int(facts.generator.get("acked", 0))
    send_s = facts.generator.get("send_duration_s") or 0.0
    lost = produced - facts.processed - facts.backlog if facts.backlog is not None else None
    # Spark gives up on a batch whose output failed after its task retries (an executor that keeps
    # dying): its records are dropped, which is where a direct stream's loss comes from.
    failed = [b for b in batches if b.get("output_ops_failed")]
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": facts.run_id,
        "experiment": facts.experiment,
        "outcome": classify(facts, delay_trend, lag),
        "duration_s": facts.duration_s,
        "backpressure": facts.backpressure,
        "target_rate_rps": facts.target_rate_rps,
        "batch_interval_ms": facts.batch_interval_ms,
        "batches": len(measured),
        "produced": produced,
        "processed": facts.processed,
        "backlog": facts.backlog,
        "lost": lost,
        "drained": facts.drained,
        "failed_batches": len(failed),
        "failed_batch_records": sum(int(b["input_records"]) for b in failed),
        "throughput_rps": float(np.mean(records)) / interval_s if records else None,
        "input_rate_rps": produced / send_s if send_s > 0 else None,
        "sched_delay_ms": percentiles([b["scheduling_delay_ms"] for b in measured]),
        "total_delay_ms": percentiles([b["total_delay_ms"] for b in measured]),
        "proc_time_ms": percentiles([b["processing_time_ms"] for b in measured]),
        "delay_slope": delay_slope,
        "delay_slope_ci_ms_per_s": _interval(delay_trend),
        "lag_slope_rps": None if lag is None else lag.slope,
        "lag_slope_ci_rps": _interval(lag),
        **gc_statistics(gc_events, facts.duration_s),
        "peak_heap_bytes": _executor_peaks(executors, "peak_jvm_heap_bytes"),
        "peak_storage_mem_bytes": _executor_peaks(executors, "peak_on_heap_storage_bytes"),
        "peak_execution_mem_bytes": _executor_peaks(executors, "peak_on_heap_execution_bytes"),
        "oom_count": sum(1 for e in facts.evidence if e.kind == Outcome.OOM),
        "executors_lost": sum(1 for e in facts.evidence if e.kind == Outcome.EXECUTOR_LOST),
        "evidence": [e.to_json() for e in facts.evidence],
        "collector_cpu_frac": facts.collector_cpu_frac,
    }
