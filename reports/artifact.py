"""The original artifact's statistics (``overall_statistics.csv``) for any run's batches: the report's
side reads ``batches.parquet``; the statistics are ``harness.results.artifact``'s, as the importer's."""

from __future__ import annotations

from typing import Any

import pandas as pd

from harness.results.artifact import WINDOW_FIRST, WINDOW_LAST, artifact_statistics

# batches.parquet column per batch_infos.csv field.
FIELD_COLUMNS = {
    "numRecords": "input_records",
    "processingDelay": "processing_time_ms",
    "schedulingDelay": "scheduling_delay_ms",
}


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


def artifact_method(
    batches: pd.DataFrame, record_bytes: int | None, batch_interval_ms: float | None
) -> dict[str, Any]:
    """The artifact's columns for one run's batches; every value None when no batch is in the window."""
    frame = completed_batches(batches)
    rows = [
        {field: float(value) for field, value in zip(FIELD_COLUMNS, values, strict=True)}
        for values in frame[list(FIELD_COLUMNS.values())].itertuples(index=False)
    ]
    in_window = len(frame.iloc[WINDOW_FIRST - 1 : WINDOW_LAST])
    statistics = artifact_statistics(rows, record_bytes, batch_interval_ms)
    return {"window_batches": in_window, "record_bytes": record_bytes, **statistics}


def reported(statistics_json: dict[str, Any] | None) -> dict[str, Any] | None:
    """The row the artifact's own ``overall_statistics.csv`` reported, as imported."""
    if not statistics_json:
        return None
    row = statistics_json.get("artifact_reported")
    return row if isinstance(row, dict) else None
