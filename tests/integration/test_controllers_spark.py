"""Plugged rate controllers on the real stack (Kafka, Spark): the limits they decide are the limits the
batches get, and what they decide is recorded in controller.parquet."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.control.pid import PIDRateEstimator
from harness.paths import REPO_ROOT
from tests.integration.conftest import assert_nothing_left_running, run_experiment, started_pids
from tests.integration.flaky_aimd import FlakyAIMD

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


def test_receivers_get_governors_rate_updates(tmp_path: Path) -> None:
    # A Java app: the plug-in serves the JVM ports as it serves the PySpark apps.
    governor = {"kind": "governor", "region_batches": 2, "warmup_regions": 2, "history_s": 20}
    done = run_experiment(
        tmp_path,
        "governor",
        workload={**PRESSURE, "impl": "jvm", "source": "receiver", "receivers": 1},
        config={
            "batch_interval_ms": INTERVAL_MS,
            "backpressure": {"initial_rate": 300, "controller": governor},
        },
        run=SHORT_DRAIN,
    )
    decisions = table(done.run, "controller")
    made = decisions[decisions.event == "decision"]
    assert (decisions.event == "batch_cap").sum() == 0  # receivers are not sized per batch
    planned = made[made.detail.notna()]
    assert len(planned) >= 1, "GOVERNOR never got past its warm-up"
    assert made.error.isna().all()
    # Every limit decided while the app ran (before the harness asked it to stop: a graceful stop ends
    # the receiver first, then finishes the batches) reached the receiver: the executor logged it.
    logged = set(table(done.run, "logged_rate_limits").rate_rps.astype(int))
    [stopping] = done.events("collectors_stopped")
    in_time = made[made.decided_ms < stopping["time_ms"]]
    decided = set(in_time.limit_rps.dropna().astype(int))
    assert decided and decided <= logged
    assert in_time.detail.notna().any(), "no plan of GOVERNOR's was decided while the receiver ran"
    assert {int(rate) for rate in in_time[in_time.detail.notna()].rate_rps} <= logged
    assert_nothing_left_running(started_pids(done.out))


def test_a_python_controllers_decisions_size_the_batches_and_a_failure_keeps_the_last_limit(
    tmp_path: Path,
) -> None:
    params = {"initial_rate": 150, "increase": 25, "decrease": 0.5, "min_rate": 50}
    controller = {
        "kind": "python",
        "class": "tests.integration.flaky_aimd:FlakyAIMD",
        "path": str(REPO_ROOT),
        "params": params,
    }
    done = run_experiment(
        tmp_path,
        "python-controller",
        # Long enough that batches are planned after the controller's first decisions even when the
        # first batches start late (the PySpark workers' start on a busy machine).
        workload={**PRESSURE, "duration_s": 30},
        config={
            "batch_interval_ms": INTERVAL_MS,
            "backpressure": {"initial_rate": 100, "controller": controller},
        },
        run=SHORT_DRAIN,
    )
    decisions = table(done.run, "controller")
    made = decisions[decisions.event == "decision"].sort_values("decided_ms")
    assert len(made) >= FlakyAIMD.FAIL_ON_CALL + 2
    # The Python class decided on Spark's statistics of each batch, as it would offline; its third
    # call raised: recorded, and the limit before it stayed in force.
    twin = FlakyAIMD(INTERVAL_MS, **params)
    for call, row in enumerate(made.itertuples(), start=1):
        if call == FlakyAIMD.FAIL_ON_CALL:
            with pytest.raises(RuntimeError):
                twin.compute(int(row.end_time_ms), int(row.elements), int(row.processing_delay_ms), 0)
            assert "flaky on purpose" in row.error
            before = made.limit_rps.iloc[call - 2]
            assert row.limit_rps == before or (pd.isna(row.limit_rps) and pd.isna(before))
            continue
        expected = twin.compute(
            int(row.end_time_ms),
            int(row.elements),
            int(row.processing_delay_ms),
            int(row.scheduling_delay_ms),
        )
        assert (None if pd.isna(row.rate_rps) else row.rate_rps) == expected
        assert pd.isna(row.error)
    assert done.summary["outcome"] != "app_failed"
    # Its limits sized the batches: a batch planned after a decision holds at most limit x 2 s (+ 1 a
    # partition), and the load offered more.
    batches = table(done.run, "batches").set_index("batch_time_ms")
    planned = decisions[(decisions.event == "batch_cap") & decisions.limit_rps.notna()]
    sized = [cap for cap in planned.itertuples() if cap.batch_time_ms in batches.index]
    assert len(sized) >= 3
    for cap in sized:
        assert (
            batches.loc[cap.batch_time_ms].input_records <= cap.limit_rps * INTERVAL_MS // 1000 + PARTITIONS
        )
    assert set(planned.limit_rps.astype(int)) <= set(made.limit_rps.dropna().astype(int))
    assert_nothing_left_running(started_pids(done.out))
