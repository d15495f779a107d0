"""A run's summary: the statistics of ``summary.json`` and the rule that names its outcome.

Pure functions over the recorded rows, so every number in a summary can be recomputed from the
run directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.store import SCHEMA_VERSION

OUTCOMES = (
    "stable",
    "unstable",
    "oom",
    "executor_lost",
    "app_failed",
    "generator_saturated",
    "harness_error",
)
# Total delay growing faster than this (ms per second of run) means the app falls behind its input.
UNSTABLE_SLOPE_MS_PER_S = 10.0
# A generator that sent less than this share of its target rate could not produce the load.
GENERATOR_TOLERANCE = 0.05


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


def _gc_time_frac(samples: list[dict[str, Any]], duration_s: float) -> float | None:
    last_gc: dict[str, float] = {}
    for sample in samples:
        if sample.get("total_gc_time_ms") is not None:
            last_gc[sample["executor_id"]] = max(
                last_gc.get(sample["executor_id"], 0), sample["total_gc_time_ms"]
            )
    if not last_gc or duration_s <= 0:
        return None
    return sum(last_gc.values()) / (duration_s * 1000.0 * len(last_gc))


def _executors_lost(samples: list[dict[str, Any]]) -> int:
    last_state: dict[str, bool] = {}
    for sample in samples:
        last_state[sample["executor_id"]] = sample["is_active"]
    return sum(1 for active in last_state.values() if not active)


def classify(facts: RunFacts, delay_slope: float | None) -> str:
    if facts.app_failed:
        return "app_failed"
    achieved = facts.generator.get("achieved_rate_rps") or 0.0
    if achieved < (1 - GENERATOR_TOLERANCE) * facts.target_rate_rps or facts.generator.get("failed"):
        return "generator_saturated"
    if not facts.drained or (delay_slope is not None and delay_slope > UNSTABLE_SLOPE_MS_PER_S):
        return "unstable"
    return "stable"


def summarize(
    facts: RunFacts, batches: list[dict[str, Any]], executors: list[dict[str, Any]]
) -> dict[str, Any]:
    measured = measured_batches(batches, facts.warmup_s)
    loaded = [b for b in measured if facts.load_end_ms is None or b["batch_time_ms"] <= facts.load_end_ms]
    delay_slope = slope_per_s([b["batch_time_ms"] for b in loaded], [b["total_delay_ms"] for b in loaded])
    interval_s = facts.batch_interval_ms / 1000.0
    # Throughput counts the batches under load, as the artifact did; draining batches would dilute it.
    records = [b["input_records"] for b in loaded]
    produced = int(facts.generator.get("acked", 0))
    send_s = facts.generator.get("send_duration_s") or 0.0
    lost = produced - facts.processed - facts.backlog if facts.backlog is not None else None
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": facts.run_id,
        "experiment": facts.experiment,
        "outcome": classify(facts, delay_slope),
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
        "throughput_rps": float(np.mean(records)) / interval_s if records else None,
        "input_rate_rps": produced / send_s if send_s > 0 else None,
        "sched_delay_ms": percentiles([b["scheduling_delay_ms"] for b in measured]),
        "total_delay_ms": percentiles([b["total_delay_ms"] for b in measured]),
        "proc_time_ms": percentiles([b["processing_time_ms"] for b in measured]),
        "delay_slope": delay_slope,
        "gc_time_frac": _gc_time_frac(executors, facts.duration_s),
        "gc_count": None,
        "peak_heap_bytes": _executor_peaks(executors, "peak_jvm_heap_bytes"),
        "peak_storage_mem_bytes": _executor_peaks(executors, "peak_on_heap_storage_bytes"),
        "peak_execution_mem_bytes": _executor_peaks(executors, "peak_on_heap_execution_bytes"),
        "oom_count": None,
        "executors_lost": _executors_lost(executors),
    }
