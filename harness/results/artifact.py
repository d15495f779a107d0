"""The original Sensors 2022 artifact's statistics, computed for any run: one implementation for the
importer (which checks them against the artifact's own files) and the report (which shows them for
every run).

The artifact took the batches 10 to 890 (1-based, inclusive) of ``batch_infos.csv`` and reported in
``overall_statistics.csv`` min, mean, median and max of the records, processing and scheduling delay
of each batch, rounded, and the throughput in MB/s as ``mean(records) x record bytes / 1024 / 1024 /
interval``; ``avg_statistics.csv``'s ``AVG Rec (s)`` is the rounded mean records per batch over the
interval. Its records were 9,600 bytes; a run of ours passes its own record size.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

# Parameters of the published runs (PAPERS.md, section 1).
BATCH_INTERVAL_MS = 2000
RECORD_BYTES = 9600
# The artifact's statistics window: batches 10 to 890, 1-based and inclusive.
WINDOW_FIRST = 10
WINDOW_LAST = 890

# The artifact's own column names in overall_statistics.csv, per batch_infos.csv field.
STATISTIC_COLUMNS = (
    ("numRecords", ("Min #Rec", "AVG #Rec", "Median #Rec", "Max. #Rec")),
    ("processingDelay", ("Min. PT (ms)", "AVG PT (ms)", "Median PT (ms)", "Max (ms)")),
    ("schedulingDelay", ("Min. SD (ms)", "AVG SD (ms)", "Median SD (ms)", "Max. SD (ms)")),
)
THROUGHPUT_COLUMN = "Throughput (MBps)"
RECORDS_PER_S_COLUMN = "AVG Rec (s)"
# overall_statistics.csv's columns, in its order.
ARTIFACT_COLUMNS: tuple[str, ...] = (
    *(name for _field, names in STATISTIC_COLUMNS for name in names),
    THROUGHPUT_COLUMN,
)
_AGGREGATES: tuple[Callable[[list[float]], float], ...] = (
    min,
    statistics.fmean,
    statistics.median,
    max,
)

# A batch as batch_infos.csv has it (batchTime, numRecords, processingDelay, schedulingDelay).
Row = dict[str, int]
Number = int | float | None
_Batch = TypeVar("_Batch", bound=Mapping[str, float])


def artifact_window(rows: Sequence[_Batch]) -> Sequence[_Batch]:
    """The batches the artifact's statistics cover: 10 to 890, 1-based inclusive, as far as they exist."""
    return rows[WINDOW_FIRST - 1 : WINDOW_LAST]


def _round(value: float) -> int:
    # Half to even, like numpy and R; no statistic of the sample folder sits on a tie.
    return round(value)


def artifact_statistics(
    rows: Sequence[Mapping[str, float]],
    record_bytes: int | None = RECORD_BYTES,
    batch_interval_ms: float | None = BATCH_INTERVAL_MS,
) -> dict[str, int | float | None]:
    """``overall_statistics.csv`` recomputed from batches in batch-time order (keys ``numRecords``,
    ``processingDelay``, ``schedulingDelay``), plus ``avg_statistics.csv``'s ``AVG Rec (s)``: the
    rounded mean records per batch over the interval, as the artifact wrote it. Every value is None
    when no batch falls in the window; the throughput is None without a record size, and both rates
    without an interval."""
    window = artifact_window(rows)
    result: dict[str, int | float | None] = {}
    for field, names in STATISTIC_COLUMNS:
        values = [float(row[field]) for row in window]
        for name, aggregate in zip(names, _AGGREGATES, strict=True):
            result[name] = _round(aggregate(values)) if values else None
    interval_s = batch_interval_ms / 1000 if batch_interval_ms else None
    mean_records = statistics.fmean(float(row["numRecords"]) for row in window) if window else None
    if mean_records is None or interval_s is None:
        result[THROUGHPUT_COLUMN] = result[RECORDS_PER_S_COLUMN] = None
    else:
        result[THROUGHPUT_COLUMN] = (
            _round(mean_records * record_bytes / 1024 / 1024 / interval_s) if record_bytes else None
        )
        result[RECORDS_PER_S_COLUMN] = _round(mean_records) / interval_s
    return result


def statistics_match(computed: dict[str, Any], reported: dict[str, Number]) -> bool:
    """Every column the artifact reported has exactly the value we computed."""
    return bool(reported) and all(
        name in computed and computed[name] == value for name, value in reported.items()
    )
