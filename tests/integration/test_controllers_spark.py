"""Plugged rate controllers on the real stack (Kafka, Spark): the limits they decide are the limits the
batches get, and what they decide is recorded in controller.parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from harness.control.pid import PIDRateEstimator
from tests.integration.conftest import assert_nothing_left_running, run_experiment, started_pids

INTERVAL_MS = 2000
PARTITIONS = 2  # write_manifest's
# More than any limit below lets through: every batch meets its cap, and the rest waits in Kafka.
PRESSURE = {"duration_s": 12, "generator": {"profile": "constant", "rate": 600}}
SHORT_DRAIN = {"drain_timeout_s": 4, "poll_interval_s": 1, "warmup_s": 0}


def table(run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(run / f"{name}.parquet")


def test_fixed_caps_every_direct_batch(tmp_path: Path) -> None:
    done = run_experiment(
        tmp_path,
        "fixed",
        workload=PRESSURE,
        config={
            "batch_interval_ms": INTERVAL_MS,
            "backpressure": {"controller": {"kind": "fixed", "rate": 300}},
        },
        run=SHORT_DRAIN,
    )
    batches = table(done.run, "batches")
    completed = batches[batches.status == "COMPLETED"]
    assert len(completed) >= 4
    # 300 records/s x 2 s, and Spark's at least one record per partition.
    cap = 300 * INTERVAL_MS // 1000 + PARTITIONS
    assert completed.input_records.max() <= cap
    # The cap binds (the load offers 1,200 records a batch): after the first batch with records, which
    # may have found the load just started, every batch is full.
    with_records = completed[completed.input_records > 0].sort_values("batch_time_ms")
    assert (with_records.input_records.iloc[1:] >= 300 * INTERVAL_MS // 1000 - PARTITIONS).all()
    decisions = table(done.run, "controller")
    planned = decisions[decisions.event == "batch_cap"]
    assert set(planned.limit_rps) == {300}
    assert set(planned.batch_time_ms) >= set(completed.batch_time_ms)
    made = decisions[decisions.event == "decision"]
    assert len(made) >= len(completed) - 1 and set(made.rate_rps) == {300.0} and made.error.isna().all()
    assert done.summary["lost"] == 0
    assert_nothing_left_running(started_pids(done.out))


def test_pid_through_the_plug_in_decides_as_sparks_pid_on_the_runs_batches(tmp_path: Path) -> None:
    done = run_experiment(
        tmp_path,
        "pid",
        workload=PRESSURE,
        config={
            "batch_interval_ms": INTERVAL_MS,
            "backpressure": {"initial_rate": 300, "pid": {"min_rate": 50}, "controller": {"kind": "pid"}},
        },
        run=SHORT_DRAIN,
    )
    spark_conf = json.loads((done.run / "spec.json").read_text())["spark_conf"]
    assert spark_conf["spark.streaming.backpressure.enabled"] == "false"  # no PID of Spark's beside ours
    decisions = table(done.run, "controller")
    made = decisions[decisions.event == "decision"].sort_values("batch_time_ms")
    assert len(made) >= 4
    # The controller got Spark's own statistics of each batch.
    batches = table(done.run, "batches").set_index("batch_time_ms")
    for row in made.itertuples():
        batch = batches.loc[row.batch_time_ms]
        assert (row.elements, row.processing_delay_ms, row.scheduling_delay_ms) == (
            batch.input_records,
            batch.processing_time_ms,
            batch.scheduling_delay_ms,
        )
    # Spark's built-in PID (the harness's conformant port) decides the same on those statistics.
    port = PIDRateEstimator(INTERVAL_MS, 1.0, 0.2, 0.0, 50.0)
    expected = [
        port.compute(
            int(r.end_time_ms), int(r.elements), int(r.processing_delay_ms), int(r.scheduling_delay_ms)
        )
        for r in made.itertuples()
    ]
    got = [None if pd.isna(rate) else rate for rate in made.rate_rps]
    assert got == expected
    assert sum(rate is not None for rate in expected) >= 3
    # The direct stream sized each batch with the limit decided last before it planned the batch (or,
    # when a decision and the planning met within a few milliseconds, the one before it).
    planned = decisions[decisions.event == "batch_cap"]
    limits = [None if pd.isna(limit) else int(limit) for limit in made.limit_rps]
    for cap in planned.itertuples():
        before = int((made.decided_ms <= cap.decided_ms).sum())  # decisions made by then
        close = before > 0 and made.decided_ms.iloc[before - 1] >= cap.decided_ms - 5
        allowed = {limits[before - 1] if before else None}
        if close:
            allowed.add(limits[before - 2] if before > 1 else None)
        assert (None if pd.isna(cap.limit_rps) else int(cap.limit_rps)) in allowed
        if cap.batch_time_ms in batches.index and not pd.isna(cap.limit_rps):
            records = batches.loc[cap.batch_time_ms].input_records
            assert records <= cap.limit_rps * INTERVAL_MS // 1000 + PARTITIONS
    assert_nothing_left_running(started_pids(done.out))
