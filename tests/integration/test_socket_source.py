"""The plain socket source on the real stack: Spark's socket receiver reading the line server's
lines; a bounded input consumed exactly, and the receiver's rate limit holding the input back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.integration.conftest import assert_nothing_left_running, run_experiment, started_pids


def test_socket_source_consumes_a_bounded_input_exactly(tmp_path: Path) -> None:
    done = run_experiment(tmp_path, "socket", workload={"source": "socket", "app": "sum"})
    run, summary = done.run, done.summary
    assert summary["produced"] == 250 * 16
    assert (summary["processed"], summary["backlog"], summary["lost"]) == (summary["produced"], 0, 0)
    [stopped] = done.events("line_server_stopped")
    assert stopped["served"] == summary["produced"] and stopped["connections"] >= 1
    # Spark's own count of what the receiver stored agrees with the app's.
    assert pd.read_parquet(run / "batches.parquet").input_records.sum() == summary["processed"]
    assert_nothing_left_running(started_pids(done.out))


def test_socket_receiver_rate_limit_holds_the_input_back(tmp_path: Path) -> None:
    done = run_experiment(
        tmp_path,
        "socket-capped",
        workload={"source": "socket", "duration_s": 16, "generator": {"profile": "constant", "rate": 500}},
        config={
            "batch_interval_ms": 2000,
            "backpressure": {"enabled": True, "initial_rate": 1000, "max_rate": 100},
        },
        run={"drain_timeout_s": 5, "poll_interval_s": 1, "warmup_s": 0},
    )
    run, summary = done.run, done.summary
    batches = pd.read_parquet(run / "batches.parquet")
    # One receiver's token bucket at 100 records/s: about 200 records per 2 s batch (a batch after
    # an underfull one may take the permits the bucket saved up, at most one second's worth).
    taken = batches.input_records[batches.input_records > 0]
    assert taken.max() <= 300 and taken.mean() <= 220
    assert len(taken) >= 3
    # Most of the 8,000 records were not processed: the line server was held back and they waited
    # in Kafka, or were still in the socket's buffers when the app stopped (a plain socket cannot
    # replay them: lost). Kafka's lag and the line server's count agree exactly.
    assert summary["drained"] is False and summary["processed"] < summary["produced"] / 2
    [stopped] = done.events("line_server_stopped")
    assert summary["backlog"] > 0
    assert stopped["served"] == summary["produced"] - summary["backlog"]
    assert summary["lost"] == stopped["served"] - summary["processed"]
    assert_nothing_left_running(started_pids(done.out))
