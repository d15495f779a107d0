"""Spark's monitoring REST API on the driver: executor samples (live and removed) and, for
receiver-based streams, the receivers. The streaming batches come from the driver's listener
instead (harness.observe.streaming_batches).

The receivers' per-batch event rates are kept by stream and batch time and updated on every poll,
so they stay recorded after Spark drops them from its retained window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from harness.observe.base import Rows, RunContext, SampleColumns
from harness.observe.driver_http import DriverHttp
from harness.results.tables import EXECUTOR_COLUMNS, RECEIVER_COLUMNS, RECEIVER_RATE_COLUMNS
from harness.results.tables import EXECUTOR_PEAK_METRICS as PEAK_METRICS

Fetch = Callable[[str], Any]


def parse_spark_time(text: str) -> int:
    """Spark REST timestamps (``2026-11-21T10:21:00.000GMT``) as epoch milliseconds."""
    moment = datetime.strptime(text.replace("GMT", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    return round(moment.timestamp() * 1000)


def executor_row(raw: dict[str, Any], sample_time_ms: int) -> dict[str, Any]:
    memory = raw.get("memoryMetrics") or {}
    peak = raw.get("peakMemoryMetrics") or {}
    remove_time = raw.get("removeTime")
    return {
        "sample_time_ms": sample_time_ms,
        "executor_id": str(raw["id"]),
        "is_active": bool(raw.get("isActive", False)),
        "memory_used_bytes": raw.get("memoryUsed"),
        "max_memory_bytes": raw.get("maxMemory"),
        "used_on_heap_storage_bytes": memory.get("usedOnHeapStorageMemory"),
        "total_on_heap_storage_bytes": memory.get("totalOnHeapStorageMemory"),
        "total_gc_time_ms": raw.get("totalGCTime"),
        "completed_tasks": raw.get("completedTasks"),
        "failed_tasks": raw.get("failedTasks"),
        **{column: peak.get(name) for column, name in PEAK_METRICS.items()},
        "remove_time_ms": parse_spark_time(remove_time) if remove_time else None,
        "remove_reason": raw.get("removeReason"),
    }


def receiver_row(raw: dict[str, Any], sample_time_ms: int) -> dict[str, Any]:
    error_time = raw.get("lastErrorTime")
    return {
        "sample_time_ms": sample_time_ms,
        "stream_id": int(raw["streamId"]),
        "stream_name": raw.get("streamName"),
        "is_active": raw.get("isActive"),
        "executor_id": raw.get("executorId"),
        "avg_event_rate_rps": raw.get("avgEventRate"),
        "last_error_time_ms": parse_spark_time(error_time) if error_time else None,
        "last_error_message": raw.get("lastErrorMessage"),
    }


class SparkRestCollector:
    name = "spark_rest"

    def __init__(
        self,
        ui_url: str,
        app_id: str,
        fetch: Fetch | None = None,
        clock: Callable[[], float] = time.time,
        source: str = "direct",
    ) -> None:
        self._base = f"{ui_url.rstrip('/')}/api/v1/applications/{app_id}"
        self._receivers = source == "receiver"
        self._http = DriverHttp()
        self._fetch = fetch or self._http.json
        self._clock = clock
        self._executor_samples = SampleColumns(EXECUTOR_COLUMNS)
        self._latest_executors: Rows = []
        self._receiver_samples = SampleColumns(RECEIVER_COLUMNS)
        self._receiver_rates: dict[tuple[int, int], float] = {}
        self.failed_polls = 0

    def start(self) -> None:
        pass

    def poll(self) -> None:
        try:
            # allexecutors also lists removed executors, with the reason (an OOM exits with code 52).
            executors = self._fetch(f"{self._base}/allexecutors")
            receivers = self._fetch(f"{self._base}/streaming/receivers") if self._receivers else []
        except (OSError, ValueError):
            # The driver is busy or gone: the series has a gap, the receivers' rates catch up.
            self.failed_polls += 1
            return
        sample_time_ms = round(self._clock() * 1000)
        self._latest_executors = [executor_row(raw, sample_time_ms) for raw in executors]
        self._executor_samples.extend(self._latest_executors)
        for raw in receivers:
            self._receiver_samples.append(receiver_row(raw, sample_time_ms))
            for batch_time_ms, rate in raw.get("eventRates") or []:
                self._receiver_rates[(int(raw["streamId"]), int(batch_time_ms))] = float(rate)

    def stop(self) -> None:
        self._http.close()

    def latest_heap_bytes(self) -> int | None:
        """The largest JVM heap peak among the live executors at the last poll (for the live view)."""
        peaks = [
            e["peak_jvm_heap_bytes"]
            for e in self._latest_executors
            if e["is_active"] and e["peak_jvm_heap_bytes"]
        ]
        return max(peaks) if peaks else None

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        rates = [
            {"stream_id": stream, "batch_time_ms": batch_time, "event_rate_rps": rate}
            for (stream, batch_time), rate in sorted(self._receiver_rates.items())
        ]
        return {
            "executors": (self._executor_samples.rows(), EXECUTOR_COLUMNS),
            "receivers": (self._receiver_samples.rows(), RECEIVER_COLUMNS),
            "receiver_rates": (rates, RECEIVER_RATE_COLUMNS),
        }


def for_run(run: RunContext) -> SparkRestCollector:
    assert run.driver is not None  # registered for the "driver" phase
    return SparkRestCollector(run.driver.ui_url, run.driver.app_id, source=run.manifest.workload.source)
