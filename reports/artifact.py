"""The original artifact's statistics (``overall_statistics.csv``) computed for any run.

The artifact took the batches 10 to 890 (1-based, inclusive) of ``batch_infos.csv`` and reported min,
mean, median and max of the records, processing and scheduling delay of each batch, rounded, and
the throughput in MB/s as ``mean(records) x record bytes / 1024 / 1024 / interval``. Its records
were 9,600 bytes; ours are ``8 + 4 x values`` bytes, so our throughput in MB/s uses our size.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from harness.importer import (
    RECORDS_PER_S_COLUMN,
    STATISTIC_COLUMNS,
    THROUGHPUT_COLUMN,
    WINDOW_FIRST,
    WINDOW_LAST,
)

# batches.parquet column per batch_infos.csv field.
FIELD_COLUMNS = {
    "numRecords": "input_records",
    "processingDelay": "processing_time_ms",
    "schedulingDelay": "scheduling_delay_ms",
}
ARTIFACT_COLUMNS: tuple[str, ...] = (
    *(name for _field, names in STATISTIC_COLUMNS for name in names),
    THROUGHPUT_COLUMN,
)
_AGGREGATES: tuple[Callable[[list[float]], float], ...] = (min, statistics.fmean, statistics.median, max)


def completed_batches(batches: pd.DataFrame) -> pd.DataFrame:
    """Completed batches with every field the artifact's listener wrote, in batch-time order."""
    needed = ["batch_time_ms", *FIELD_COLUMNS.values()]
    if batches.empty or any(column not in batches.columns for column in needed):
        return pd.DataFrame(columns=needed)
    frame = batches
    if "status" in frame.columns:
        frame = frame[frame["status"] == "COMPLETED"]
    frame = frame[needed].apply(pd.to_numeric, errors="coerce").dropna()
    return frame.sort_values("batch_time_ms", kind="stable")


def window(batches: pd.DataFrame) -> pd.DataFrame:
    return completed_batches(batches).iloc[WINDOW_FIRST - 1 : WINDOW_LAST]


def artifact_method(
    batches: pd.DataFrame, record_bytes: int | None, batch_interval_ms: float | None
) -> dict[str, Any]:
    """The artifact's columns for one run's batches; every value None when no batch is in the window."""
    rows = window(batches)
    result: dict[str, Any] = {"window_batches": len(rows), "record_bytes": record_bytes}
    for field, names in STATISTIC_COLUMNS:
        values = [float(v) for v in rows[FIELD_COLUMNS[field]]] if len(rows) else []
        for name, aggregate in zip(names, _AGGREGATES, strict=True):
            # round(): half to even, as the importer reproduces the artifact's own rounding.
            result[name] = round(aggregate(values)) if values else None
    mean_records = float(np.mean(rows["input_records"])) if len(rows) else None
    interval_s = batch_interval_ms / 1000.0 if batch_interval_ms else None
    if mean_records is None or interval_s is None:
        result[THROUGHPUT_COLUMN] = result[RECORDS_PER_S_COLUMN] = None
    else:
        result[RECORDS_PER_S_COLUMN] = mean_records / interval_s
        result[THROUGHPUT_COLUMN] = (
            round(mean_records * record_bytes / 1024 / 1024 / interval_s) if record_bytes else None
        )
    return result


def reported(statistics_json: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row the artifact's own ``overall_statistics.csv`` reported, as imported."""
    if not statistics_json:
        return None
    row = statistics_json.get("artifact_reported")
    return row if isinstance(row, dict) else None
