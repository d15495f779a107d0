"""Structured Streaming: Spark's query progress read into tables, offsets and the manifest's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.structured_stream import offset_ranges, trigger_time_ms
from harness.errors import UsageError
from harness.observe.query_progress import QueryProgressCollector, batch_row, progress_row
from harness.spec.manifest import parse_manifest

FIXTURE = Path(__file__).parents[2] / "fixtures" / "structured" / "progress.jsonl"
PROGRESS = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
TOPIC = "bpbench-5ec6f496c428-r1"


def test_offset_ranges_of_a_micro_batch() -> None:
    # The first batch starts from nothing (startOffset null): every partition from 0.
    assert offset_ranges(PROGRESS[0], TOPIC) == [[0, 0, 94], [1, 0, 105]]
    assert offset_ranges(PROGRESS[1], TOPIC) == [[0, 94, 191], [1, 105, 207]]
    assert sum(end - start for _, start, end in offset_ranges(PROGRESS[1], TOPIC)) == 199
    assert offset_ranges(PROGRESS[1], "another-topic") == []


def test_progress_row_keeps_spark_figures() -> None:
    row = progress_row(PROGRESS[1])
    assert row["batch_id"] == 1 and row["num_input_rows"] == 199
    assert row["trigger_time_ms"] == trigger_time_ms(PROGRESS[1]) == 1795267434137
    assert (row["trigger_execution_ms"], row["add_batch_ms"], row["wal_commit_ms"]) == (2791, 2482, 209)
    assert row["max_offsets_behind_latest"] == 3883
    assert row["state_rows_total"] is None and row["state_memory_bytes"] is None
    stateful = dict(PROGRESS[1], stateOperators=[{"numRowsTotal": 10, "memoryUsedBytes": 4000}] * 2)
    assert progress_row(stateful)["state_rows_total"] == 20
    assert progress_row(stateful)["state_memory_bytes"] == 8000


def test_a_micro_batch_as_a_batch_row() -> None:
    batch = batch_row(progress_row(PROGRESS[1]), 2000)
    # Triggered 137 ms past the 2 s multiple it belongs to, then 2,791 ms of work.
    assert batch["batch_time_ms"] == 1795267434000
    assert (batch["scheduling_delay_ms"], batch["processing_time_ms"], batch["total_delay_ms"]) == (
        137,
        2791,
        2928,
    )
    assert batch["input_records"] == 199 and batch["status"] == "COMPLETED"


def test_collector_reads_the_file_as_it_grows(tmp_path: Path) -> None:
    path = tmp_path / "progress.jsonl"
    collector = QueryProgressCollector(path, 2000)
    collector.poll()  # no file yet
    lines = FIXTURE.read_text().splitlines()
    path.write_text(lines[0] + "\n" + lines[1][:40])  # the second line is still being written
    collector.poll()
    assert [r["batch_id"] for r in collector.tables()["query_progress"][0]] == [0]
    with path.open("a") as handle:
        handle.write(lines[1][40:] + "\nnot json\n" + lines[2] + "\n" + lines[2] + "\n")
    collector.poll()
    rows, _ = collector.tables()["query_progress"]
    assert [r["batch_id"] for r in rows] == [0, 1, 2]
    assert collector.bad_lines == 1
    assert [b["input_records"] for b in collector.tables()["batches"][0]] == [199, 199, 199]
    assert collector.latest_completed()["batch_id"] == 2


BASE = {
    "name": "s",
    "workload": {"source": "structured", "generator": {"profile": "constant", "rate": 100}},
}


def test_structured_options_become_kafka_source_options() -> None:
    data = {**BASE, "config": {"structured": {"min_offsets_per_trigger": 10, "max_trigger_delay_ms": 500}}}
    options = parse_manifest(data, "m.yaml").config.structured.source_options()
    assert options == {"minOffsetsPerTrigger": "10", "maxTriggerDelay": "500ms"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"workload": {**BASE["workload"], "app": "count_tumbling_window"}},
            "workload.source: structured runs global_histogram, global_sum, stateless_sum, sum",
        ),
        ({"workload": {**BASE["workload"], "impl": "jvm"}}, "not stateless_sum (jvm)"),
        (
            {"config": {"structured": {"min_offsets_per_trigger": 300, "max_offsets_per_trigger": 200}}},
            "min_offsets_per_trigger (300) exceeds max_offsets_per_trigger (200)",
        ),
        ({"config": {"structured": {"max_trigger_delay_ms": 500}}}, "needs min_offsets_per_trigger"),
        (
            {"config": {"structured": {"max_offsets_per_trigger": 0}}},
            "config.structured.max_offsets_per_trigger",
        ),
        (
            {
                "workload": {**BASE["workload"], "source": "direct"},
                "config": {"structured": {"max_offsets_per_trigger": 5}},
            },
            "applies only to workload.source: structured",
        ),
    ],
)
def test_bad_structured_settings_are_named(change: dict, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_manifest({**BASE, **change}, "m.yaml")
    assert message in str(error.value)
