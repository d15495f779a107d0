"""Both DStream ingestion paths on the real stack: exact counts, and rate limits that bite."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.conftest import assert_nothing_left_running, run_experiment, started_pids


def test_receiver_path_consumes_a_bounded_input_exactly(tmp_path: Path) -> None:
    done = run_experiment(tmp_path, "receiver", workload={"source": "receiver", "receivers": 1})
    run, summary = done.run, done.summary
    assert summary["produced"] == 250 * 16
    assert (summary["processed"], summary["backlog"], summary["lost"]) == (summary["produced"], 0, 0)
    # Spark's receiver page: one live receiver, and its per-batch event rates add up to the input.
    receivers = pd.read_parquet(run / "receivers.parquet")
    assert set(receivers.stream_id) == {0} and receivers.is_active.any()
    rates = pd.read_parquet(run / "receiver_rates.parquet")
    assert round((rates.event_rate_rps * 2.0).sum()) == summary["produced"]
    assert_nothing_left_running(started_pids(done.out))


@pytest.mark.parametrize(
    ("source", "limits"),
    [
        # 2 partitions x 50 records/s: at most 200 records in a 2 s batch.
        ("direct", {"max_rate_per_partition": 50}),
        # One receiver's token bucket at 100 records/s.
        ("receiver", {"max_rate": 100}),
    ],
)
def test_rate_limits_cap_each_batch(tmp_path: Path, source: str, limits: dict) -> None:
    done = run_experiment(
        tmp_path,
        f"capped-{source}",
        workload={"source": source, "duration_s": 16, "generator": {"profile": "constant", "rate": 500}},
        config={"batch_interval_ms": 2000, "backpressure": {"enabled": True, "initial_rate": 1000, **limits}},
        run={"drain_timeout_s": 5, "poll_interval_s": 1, "warmup_s": 0},
    )
    run, summary = done.run, done.summary
    batches = pd.read_parquet(run / "batches.parquet")
    cap_per_batch = 200
    # The token bucket may hand out a little more than its rate within one batch; the direct stream never.
    tolerance = 1.0 if source == "direct" else 1.25
    assert batches.input_records.max() <= cap_per_batch * tolerance
    assert batches.input_records.max() >= cap_per_batch * 0.5
    # The load was 8,000 records; at 100 records/s most of it is still in Kafka, and none is lost.
    assert summary["drained"] is False and summary["outcome"] == "unstable"
    assert summary["backlog"] > 0
    assert summary["produced"] == summary["processed"] + summary["backlog"]
    assert summary["lost"] == 0
    if source == "receiver":
        logged = pd.read_parquet(run / "logged_rate_limits.parquet")
        # The log shows the controller's rate; the token bucket applies it capped at maxRate, which
        # the batch sizes above prove. Whenever the PID had computed rates, the receiver heard of them.
        replayed = pd.read_parquet(run / "rate_limits.parquet").pid_rate_rps.notna().sum()
        assert replayed >= 2, "too few batches completed for the controller to act"
        assert len(logged) > 0, "the executor logged no new rate limit"
        assert (logged.rate_rps > 0).all()
    assert_nothing_left_running(started_pids(done.out))


def test_structured_streaming_consumes_a_bounded_input_exactly(tmp_path: Path) -> None:
    done = run_experiment(tmp_path, "structured", workload={"source": "structured"})
    run, summary = done.run, done.summary
    assert summary["produced"] == 250 * 16
    assert (summary["processed"], summary["backlog"], summary["lost"]) == (summary["produced"], 0, 0)
    # Spark's own progress counts the same records, micro-batch by micro-batch, as the app does.
    progress = pd.read_parquet(run / "query_progress.parquet")
    app_batches = json.loads((run / "app-batches.json").read_text())
    assert progress.num_input_rows.sum() == summary["produced"]
    # Every micro-batch that ran (also one that found no records) was reported once, and only those.
    assert sorted(b["batch_id"] for b in app_batches) == sorted(progress.batch_id)
    assert progress.trigger_execution_ms.notna().all()
    batches = pd.read_parquet(run / "batches.parquet")
    assert batches.input_records.sum() == summary["produced"]
    assert (batches.scheduling_delay_ms < 2000).all()
    assert_nothing_left_running(started_pids(done.out))


def test_structured_streaming_keeps_a_stateful_apps_keys_in_the_state_store(tmp_path: Path) -> None:
    # 200 keys, each two or three times per micro-batch; the run is shorter than the state timeout.
    done = run_experiment(
        tmp_path,
        "structured-sum",
        workload={"source": "structured", "app": "sum", "records": {"values": 16, "ranks": 4, "steps": 50}},
    )
    run, summary = done.run, done.summary
    assert (summary["processed"], summary["backlog"], summary["lost"]) == (summary["produced"], 0, 0)
    # Spark's state store holds every key, and the app's report counts the same keys.
    progress = pd.read_parquet(run / "query_progress.parquet")
    assert progress.state_rows_total.max() == 200
    app_batches = json.loads((run / "app-batches.json").read_text())
    assert sum(b["records"] for b in app_batches) == summary["produced"]
    assert max(b["state_keys"] for b in app_batches) == 200
    assert_nothing_left_running(started_pids(done.out))


def test_max_offsets_per_trigger_caps_each_micro_batch(tmp_path: Path) -> None:
    done = run_experiment(
        tmp_path,
        "structured-capped",
        workload={"source": "structured", "generator": {"profile": "constant", "rate": 500}},
        config={"batch_interval_ms": 2000, "structured": {"max_offsets_per_trigger": 200}},
        # Long enough for a few micro-batches after the load (the first one starts the Python
        # workers), far too short to drain 8,000 records at 200 per batch.
        run={"drain_timeout_s": 30, "poll_interval_s": 1, "warmup_s": 0},
    )
    run, summary = done.run, done.summary
    progress = pd.read_parquet(run / "query_progress.parquet")
    # Never above the cap, and close to it (Spark splits it over the partitions, rounding down):
    # 8,000 records wait in Kafka.
    assert 180 <= progress.num_input_rows.max() <= 200
    assert progress.num_input_rows.sum() == summary["processed"]
    assert summary["drained"] is False and summary["backlog"] > 0
    assert summary["produced"] == summary["processed"] + summary["backlog"]
    assert summary["lost"] == 0
    assert_nothing_left_running(started_pids(done.out))
