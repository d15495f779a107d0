"""The batches table from the driver listener's file: read as it grows, every state of a batch."""

from __future__ import annotations

import json
from pathlib import Path

from harness.observe.streaming_batches import StreamingBatchesCollector
from harness.results.tables import BATCH_COLUMNS


def line(batch_time_ms: int, status: str, **figures: object) -> str:
    fields = {
        "batch_time_ms": batch_time_ms,
        "status": status,
        "input_records": 2206,
        "scheduling_delay_ms": None,
        "processing_time_ms": None,
        "total_delay_ms": None,
        "output_ops_failed": 0,
        **figures,
    }
    return json.dumps(fields) + "\n"


def test_batches_follow_the_file_and_keep_each_batch_latest_state(tmp_path: Path) -> None:
    path = tmp_path / "streaming-batches.jsonl"
    collector = StreamingBatchesCollector(path)
    collector.poll()  # no batch queued yet: no file
    assert collector.latest_completed() is None
    queued, started = line(2000, "QUEUED"), line(2000, "PROCESSING", scheduling_delay_ms=12)
    path.write_text(queued + started[:30])  # the second line is still being written
    collector.poll()
    assert collector.tables()["batches"][0][0]["status"] == "QUEUED"
    completed = line(2000, "COMPLETED", scheduling_delay_ms=12, processing_time_ms=930, total_delay_ms=942)
    with path.open("a") as handle:
        handle.write(started[30:] + "not json\n" + line(4000, "QUEUED") + completed)
    collector.poll()
    rows, columns = collector.tables()["batches"]
    assert columns == BATCH_COLUMNS
    assert rows == [
        {
            "batch_id": 2000,
            "batch_time_ms": 2000,
            "status": "COMPLETED",
            "input_records": 2206,
            "scheduling_delay_ms": 12,
            "processing_time_ms": 930,
            "total_delay_ms": 942,
            "output_ops_failed": 0,
        },
        {**rows[1], "batch_id": 4000, "batch_time_ms": 4000, "status": "QUEUED"},
    ]
    assert rows[1]["processing_time_ms"] is None
    assert collector.latest_completed() == rows[0]
    assert collector.bad_lines == 1


def test_a_line_missing_a_field_is_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "streaming-batches.jsonl"
    path.write_text('{"batch_time_ms": 2000, "status": "QUEUED"}\n' + line(4000, "COMPLETED"))
    collector = StreamingBatchesCollector(path)
    collector.poll()
    assert [row["batch_id"] for row in collector.tables()["batches"][0]] == [4000]
    assert collector.bad_lines == 1
