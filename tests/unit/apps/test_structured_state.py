"""The stateful apps on Structured Streaming, without Spark: a key's update, its expiry and the running
state total give the same reports as the DStream pipeline for the same batches."""

from __future__ import annotations

from collections import defaultdict

import pyarrow as pa
import pytest
from pyspark.sql.pandas.serializers import ApplyInPandasWithStateSerializer

from apps.paper_apps import GLOBAL_HISTOGRAM, GLOBAL_SUM, SUM, StatefulApp, add_parts, is_stale
from apps.records import RecordFormat
from apps.structured_state import StateTotals, expiry_change, key_update
from tests.integration.test_paper_apps_spark import assert_report_equals
from tests.unit.apps.test_paper_apps import (
    BATCHES,
    INTERVAL_MS,
    TIMEOUT_MS,
    WORKLOADS,
    Batch,
    record_bytes,
    run_pipeline,
)

APPS = {"sum": SUM, "global_sum": GLOBAL_SUM, "global_histogram": GLOBAL_HISTOGRAM}


def run_structured_pipeline(app: StatefulApp, batches: list[Batch], fmt: RecordFormat) -> list[dict]:
    """What the state function and the driver do per micro-batch: Spark calls the function for each
    key with records (an update) and each key idle past the timeout (an expiry); the driver sums the
    shares and keeps the running state total."""
    totals = StateTotals(app)
    state: dict = {}
    idle_batches: dict = {}
    reports = []
    for batch in batches:
        records = defaultdict(list)
        for record in record_bytes(batch, fmt):
            records[app.record_value(record, fmt=fmt)[0]].append(record)
        batch_share = state_change = app.zero
        for key in [key for key in state if key not in records]:
            idle_batches[key] += 1
            if is_stale(idle_batches[key], INTERVAL_MS, TIMEOUT_MS):
                state_change = add_parts(state_change, expiry_change(app, state.pop(key)))
        for key, key_records in records.items():
            state[key], share, change = key_update(app, fmt, key_records, state.get(key))
            idle_batches[key] = 0
            batch_share, state_change = add_parts(batch_share, share), add_parts(state_change, change)
        reports.append(totals.add(batch_share, state_change))
    return reports


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
@pytest.mark.parametrize("name", sorted(APPS))
def test_structured_reports_equal_the_dstream_ones(name: str, workload: str) -> None:
    fmt, batches = WORKLOADS[workload]
    app = APPS[name]
    structured = run_structured_pipeline(app, batches, fmt)
    dstream = run_pipeline(app, batches, TIMEOUT_MS, fmt)
    assert len(structured) == len(dstream)
    for ours, theirs in zip(structured, dstream, strict=True):
        # Structured Streaming keeps the first state only (no per-step state across ranks), and
        # always reports it: a running total of the changes, not a scan.
        assert set(app.state_fields) - set(ours) <= {"state_steps"}
        first_level = {name: value for name, value in theirs.items() if name in ours}
        assert set(ours) == set(first_level)
        # Float sums are running sums of changes here, recomputed there: equal up to rounding.
        assert_report_equals(ours, first_level)


def test_an_expired_key_takes_its_whole_share_from_the_state() -> None:
    reports = run_structured_pipeline(SUM, BATCHES, RecordFormat())
    # (1, 1), last updated in batch 0, leaves after batch 3; (0, 0) and (2, 3) after batch 4.
    assert [r["state_keys"] for r in reports] == [3, 4, 4, 3, 1]
    assert reports[-1]["state_value_sum"] == pytest.approx(0.25 + 0.015625 + 3 * 0.6875)
    held = key_update(SUM, RecordFormat(), record_bytes(BATCHES[3]), None)[0]
    assert add_parts(SUM.state_part(held), expiry_change(SUM, held)) == SUM.zero


def test_the_worker_reads_the_state_info_offsets_as_ints() -> None:
    # As Spark sends it: a row per key, null past the keys (the batch has more records than keys).
    info = pa.StructArray.from_arrays(
        [
            pa.array(["{}", "{}", None, None]),
            pa.array([0, 24, None, None], pa.int32()),
            pa.array([24, 24, None, None], pa.int32()),
            pa.array([True, True, None, None]),
        ],
        names=["properties", "startOffset", "numRows", "isLastChunk"],
        mask=pa.array([False, False, True, True]),
    )
    serializer = ApplyInPandasWithStateSerializer("UTC", False, False, None, 10_000)
    rows = serializer.arrow_to_pandas(pa.chunked_array([info])).tolist()
    assert rows[:2] == [
        {"properties": "{}", "startOffset": 0, "numRows": 24, "isLastChunk": True},
        {"properties": "{}", "startOffset": 24, "numRows": 24, "isLastChunk": True},
    ]
    assert all(isinstance(row["startOffset"], int) for row in rows[:2]) and rows[2:] == [None, None]
    # Other columns convert as before.
    assert serializer.arrow_to_pandas(pa.chunked_array([pa.array([1, None])])).tolist()[0] == 1
