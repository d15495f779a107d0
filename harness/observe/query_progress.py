"""Structured Streaming's query progress, one JSON line per micro-batch, as the app's listener wrote it.

Two tables come from it: ``query_progress`` (Spark's own figures: input rows, rows per second in
and processed, phase durations, state operators' rows and memory) and ``batches``, the same table
the DStream apps' REST collector fills, so summaries and reports treat both paths alike.

A micro-batch has no scheduling queue as a DStream batch has: a processing-time trigger fires at
multiples of the interval, and a batch that overruns makes the next start late instead of queuing
it. The scheduling delay is that lateness (the trigger time past the interval multiple it belongs
to); falling behind the input shows as consumer lag, which the Kafka offsets collector measures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.structured_stream import PROGRESS_FILE, trigger_time_ms
from harness.observe.base import JsonLinesTail, Rows, RunContext
from harness.results.tables import BATCH_COLUMNS, PROGRESS_COLUMNS

# Column -> the key of Spark's durationMs.
DURATIONS = {
    "trigger_execution_ms": "triggerExecution",
    "add_batch_ms": "addBatch",
    "get_batch_ms": "getBatch",
    "latest_offset_ms": "latestOffset",
    "query_planning_ms": "queryPlanning",
    "wal_commit_ms": "walCommit",
    "commit_offsets_ms": "commitOffsets",
}


def _sum_of(items: list[dict[str, Any]], key: str) -> int | None:
    values = [item[key] for item in items if item.get(key) is not None]
    return int(sum(values)) if values else None


def _max_behind(sources: list[dict[str, Any]]) -> int | None:
    behind = [(s.get("metrics") or {}).get("maxOffsetsBehindLatest") for s in sources]
    known = [int(float(value)) for value in behind if value is not None]
    return max(known) if known else None


def progress_row(progress: dict[str, Any]) -> dict[str, Any]:
    durations = progress.get("durationMs") or {}
    states = progress.get("stateOperators") or []
    return {
        "batch_id": int(progress["batchId"]),
        "trigger_time_ms": trigger_time_ms(progress),
        "num_input_rows": int(progress.get("numInputRows") or 0),
        "input_rows_per_s": progress.get("inputRowsPerSecond"),
        "processed_rows_per_s": progress.get("processedRowsPerSecond"),
        **{column: durations.get(key) for column, key in DURATIONS.items()},
        "state_rows_total": _sum_of(states, "numRowsTotal"),
        "state_memory_bytes": _sum_of(states, "memoryUsedBytes"),
        "max_offsets_behind_latest": _max_behind(progress.get("sources") or []),
    }


def batch_row(row: dict[str, Any], interval_ms: int) -> dict[str, Any]:
    """A micro-batch as a row of the batches table (see the module's note on scheduling delay)."""
    late = row["trigger_time_ms"] % interval_ms
    processing = row["trigger_execution_ms"]
    return {
        "batch_id": row["batch_id"],
        "batch_time_ms": row["trigger_time_ms"] - late,
        "status": "COMPLETED",
        "input_records": row["num_input_rows"],
        "scheduling_delay_ms": late,
        "processing_time_ms": processing,
        "total_delay_ms": None if processing is None else late + processing,
        "output_ops_failed": 0,
    }


class QueryProgressCollector:
    """Reads the progress file as it grows; a micro-batch is kept once, by its id."""

    name = "query_progress"
    # The runner reads the app's file once more after the app stopped: a micro-batch that finished
    # after the last poll is still counted (the app counted its records).
    reads_app_files = True

    def __init__(self, path: Path, interval_ms: int) -> None:
        self._file = JsonLinesTail(path, progress_row)
        self._interval_ms = interval_ms
        self._rows: dict[int, dict[str, Any]] = {}

    def start(self) -> None:
        pass

    @property
    def bad_lines(self) -> int:
        return self._file.bad_lines

    def poll(self) -> None:
        for row in self._file.read_new():
            self._rows.setdefault(row["batch_id"], row)

    def stop(self) -> None:
        pass

    def latest_completed(self) -> dict[str, Any] | None:
        rows = list(self._rows.values())
        return batch_row(max(rows, key=lambda r: r["batch_id"]), self._interval_ms) if rows else None

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        rows = [self._rows[key] for key in sorted(self._rows)]
        batches = [batch_row(row, self._interval_ms) for row in rows]
        return {"query_progress": (rows, PROGRESS_COLUMNS), "batches": (batches, BATCH_COLUMNS)}


def for_run(run: RunContext) -> QueryProgressCollector | None:
    """A structured query's batches, from its progress reports."""
    if run.manifest.workload.source != "structured":
        return None
    return QueryProgressCollector(run.app_output / PROGRESS_FILE, run.manifest.config.batch_interval_ms)
