"""The original artifact's statistics: one implementation, checked against the artifact's own files
(the committed sample is the reference folder SUMServer_8GB), and the report computes the same."""

from __future__ import annotations

import statistics
from pathlib import Path

import pandas as pd

from harness.results.artifact import (
    ARTIFACT_COLUMNS,
    RECORDS_PER_S_COLUMN,
    artifact_statistics,
    artifact_window,
)
from harness.results.importer import read_avg_statistics, read_batch_infos, read_reported_row
from reports.artifact import artifact_method

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "artifact" / "SUMServer_8GB"


def _rows() -> list[dict[str, int]]:
    rows, problems = read_batch_infos(SAMPLE / "batch_infos.csv")
    assert problems == []
    return rows


def test_statistics_reproduce_overall_statistics_csv() -> None:
    reported, problems = read_reported_row(SAMPLE / "overall_statistics.csv")
    assert problems == [] and reported is not None
    assert set(reported) == set(ARTIFACT_COLUMNS)

    computed = artifact_statistics(_rows())

    assert {column: computed[column] for column in ARTIFACT_COLUMNS} == reported


def test_records_per_second_rounds_the_mean_first_as_avg_statistics_csv() -> None:
    averages, problems = read_avg_statistics(SAMPLE / "avg_statistics.csv")
    assert problems == [] and averages is not None
    window = artifact_window(_rows())
    unrounded = statistics.fmean(row["numRecords"] for row in window) / 2

    computed = artifact_statistics(_rows())[RECORDS_PER_S_COLUMN]

    assert computed == averages[RECORDS_PER_S_COLUMN] == 101087.5
    assert unrounded != computed  # the rule matters on this sample


def test_the_report_uses_the_same_statistics() -> None:
    rows = _rows()
    batches = pd.DataFrame(
        {
            "batch_time_ms": [row["batchTime"] for row in rows],
            "status": "COMPLETED",
            "input_records": [row["numRecords"] for row in rows],
            "processing_time_ms": [row["processingDelay"] for row in rows],
            "scheduling_delay_ms": [row["schedulingDelay"] for row in rows],
        }
    )

    reported = artifact_method(batches, 9600, 2000)

    assert reported["window_batches"] == len(artifact_window(rows)) == 881
    computed = artifact_statistics(rows)
    assert {column: reported[column] for column in computed} == computed
