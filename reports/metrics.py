"""The per-run metrics the comparison tables, the artifact table and ``compare`` put side by side."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reports.runs import MISSING, as_number, nested

MIB = 1024 * 1024

Extract = Callable[[dict[str, Any]], float | None]


@dataclass(frozen=True)
class Metric:
    """One number of a run's summary, in the unit it is shown in (``scale`` converts from the file)."""

    key: str
    label: str
    unit: str
    extract: Extract
    decimals: int = 0
    scale: float = 1.0
    # "higher" or "lower" is better; None where neither is (input rate, memory).
    better: str | None = None

    def value(self, summary: dict[str, Any]) -> float | None:
        raw = self.extract(summary)
        return None if raw is None else raw * self.scale

    def format(self, value: float | None) -> str:
        return fmt_number(value, self.decimals)

    @property
    def title(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


def fmt_number(value: Any, decimals: int = 0) -> str:
    """Thousands-separated number, or the missing marker for null, NaN and non-numbers."""
    number = as_number(value)
    if number is None:
        return MISSING if value is None or isinstance(value, float) else str(value)
    return f"{number:,.{decimals}f}"


def fmt_percent(value: float | None, decimals: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value:+,.{decimals}f} %"


def _plain(key: str) -> Extract:
    return lambda summary: as_number(summary.get(key))


def _sub(key: str, sub: str) -> Extract:
    return lambda summary: as_number(nested(summary, key, sub))


def _percentiles(key: str, label: str) -> tuple[Metric, ...]:
    return tuple(
        Metric(f"{key}.{sub}", f"{label} {sub}", "ms", _sub(key, sub), better="lower")
        for sub in ("p50", "p95", "max")
    )


METRICS: tuple[Metric, ...] = (
    Metric("throughput_rps", "Throughput", "rec/s", _plain("throughput_rps"), 1, better="higher"),
    Metric("input_rate_rps", "Input rate", "rec/s", _plain("input_rate_rps"), 1),
    *_percentiles("sched_delay_ms", "Scheduling delay"),
    *_percentiles("total_delay_ms", "Total delay"),
    *_percentiles("proc_time_ms", "Processing time"),
    Metric("delay_slope", "Delay slope", "ms/s", _plain("delay_slope"), 2, better="lower"),
    Metric("lag_slope_rps", "Lag slope", "rec/s", _plain("lag_slope_rps"), 1, better="lower"),
    Metric("gc_time_frac", "GC time share", "%", _plain("gc_time_frac"), 2, scale=100.0, better="lower"),
    Metric("gc_count", "GC pauses", "", _plain("gc_count"), better="lower"),
    Metric("peak_heap_bytes", "Peak JVM heap", "MiB", _plain("peak_heap_bytes"), 1, scale=1 / MIB),
    Metric(
        "peak_storage_mem_bytes", "Peak storage memory", "MiB", _plain("peak_storage_mem_bytes"), 1, 1 / MIB
    ),
    Metric(
        "peak_execution_mem_bytes",
        "Peak execution memory",
        "MiB",
        _plain("peak_execution_mem_bytes"),
        1,
        1 / MIB,
    ),
    Metric("lost", "Lost records", "", _plain("lost"), better="lower"),
    Metric("backlog", "Backlog at end", "records", _plain("backlog"), better="lower"),
    Metric("oom_count", "OOM evidence", "", _plain("oom_count"), better="lower"),
    Metric("executors_lost", "Executors lost", "", _plain("executors_lost"), better="lower"),
)


def _over_faults(key: str, combine: Callable[[list[float]], float]) -> Extract:
    """``key`` of each injected fault that happened (summary's ``faults``), combined; None when a fault
    has no value (it never recovered, or nothing was measured) or the run had no faults."""

    def extract(summary: dict[str, Any]) -> float | None:
        faults = [f for f in summary.get("faults") or [] if isinstance(f, dict) and not f.get("failed")]
        values = [as_number(f.get(key)) for f in faults]
        if not values or any(v is None for v in values):
            return None
        return combine([v for v in values if v is not None])

    return extract


# Shown for configurations whose runs had faults injected (``metrics_for``).
RECOVERY_METRICS: tuple[Metric, ...] = (
    Metric(
        "faults.sched_recovered_s",
        "Recovery: scheduling delay",
        "s",
        _over_faults("sched_recovered_s", max),
        1,
        better="lower",
    ),
    Metric(
        "faults.backlog_recovered_s",
        "Recovery: backlog",
        "s",
        _over_faults("backlog_recovered_s", max),
        1,
        better="lower",
    ),
    Metric("faults.lost_records", "Lost to faults", "", _over_faults("lost_records", sum), better="lower"),
    Metric(
        "faults.rate_lowest_rps", "Lowest limit in faults", "rec/s", _over_faults("rate_lowest_rps", min), 1
    ),
)

METRICS_BY_KEY = {metric.key: metric for metric in (*METRICS, *RECOVERY_METRICS)}


def metrics_for(summaries: Iterable[dict[str, Any]]) -> tuple[Metric, ...]:
    """The metrics to show for these runs: the recovery figures too when any had faults injected."""
    faulted = any(summary.get("faults") for summary in summaries)
    return (*METRICS, *RECOVERY_METRICS) if faulted else METRICS


def diff_percent(baseline: float | None, contender: float | None) -> float | None:
    """(contender - baseline) / |baseline| in percent; None when the baseline is 0 or unknown."""
    if baseline is None or contender is None or baseline == 0:
        return None
    return (contender - baseline) / abs(baseline) * 100.0
