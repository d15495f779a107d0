"""Spark's statistics of every DStream batch, as the driver's listener writes them.

The app's driver registers the JVM helper's ``BatchStatsListener``, which appends one JSON line to
``streaming-batches.jsonl`` each time a batch is queued, starts and completes. Each poll reads what
was appended since the last one, so the cost does not grow with the run, no request reaches the
driver, and no batch is missed however long the run (Spark's REST API keeps only the last
``spark.streaming.ui.retainedBatches``). Batches are kept by batch time; a later state replaces an
earlier one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.driver import STREAMING_BATCHES_FILE
from harness.observe.base import JsonLinesTail, Rows, RunContext
from harness.results.tables import BATCH_COLUMNS


def batch_row(raw: dict[str, Any]) -> dict[str, Any]:
    """A line of the listener's file as a row; the batch id is the batch time, as Spark's REST API has it."""
    return {"batch_id": int(raw["batch_time_ms"]), **{column: raw[column] for column in BATCH_COLUMNS[1:]}}


class StreamingBatchesCollector:
    name = "streaming_batches"
    # The runner reads the app's file once more after the app stopped.
    reads_app_files = True

    def __init__(self, path: Path) -> None:
        self._file = JsonLinesTail(path, batch_row)
        self._batches: dict[int, dict[str, Any]] = {}
        self._latest_completed: dict[str, Any] | None = None

    @property
    def bad_lines(self) -> int:
        return self._file.bad_lines

    def start(self) -> None:
        pass

    def poll(self) -> None:
        for row in self._file.read_new():
            self._batches[row["batch_id"]] = row
            latest = self._latest_completed
            if row["status"] == "COMPLETED" and (latest is None or row["batch_id"] > latest["batch_id"]):
                self._latest_completed = row

    def stop(self) -> None:
        pass

    def latest_completed(self) -> dict[str, Any] | None:
        return self._latest_completed

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"batches": ([self._batches[key] for key in sorted(self._batches)], BATCH_COLUMNS)}


def for_run(run: RunContext) -> StreamingBatchesCollector | None:
    """The DStream apps' batches, from the listener's file (structured queries have their own)."""
    if run.manifest.workload.source == "structured":
        return None
    return StreamingBatchesCollector(run.app_output / STREAMING_BATCHES_FILE)
