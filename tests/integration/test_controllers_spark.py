"""Plugged rate controllers on the real stack (Kafka, Spark): the limits they decide are the limits the
batches get, and what they decide is recorded in controller.parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

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
