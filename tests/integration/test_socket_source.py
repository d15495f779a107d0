"""The plain socket source on the real stack: Spark's socket receiver reading the line server's
lines; a bounded input consumed exactly, and the receiver's rate limit holding the input back."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.integration.conftest import assert_nothing_left_running, run_bpbench, started_pids, write_manifest


def only_run(out: Path, experiment: str) -> Path:
    [spec] = list((out / experiment).glob("*/spec.json"))
    return spec.parent


def events(run: Path, kind: str) -> list[dict]:
    lines = (run / "events.jsonl").read_text().splitlines()
    return [event for event in map(json.loads, lines) if event["kind"] == kind]


def test_socket_source_consumes_a_bounded_input_exactly(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, name="socket", workload={"source": "socket", "app": "sum"})
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    run = only_run(out, "socket")
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == 250 * 16
    assert (summary["processed"], summary["backlog"], summary["lost"]) == (summary["produced"], 0, 0)
    [stopped] = events(run, "line_server_stopped")
    assert stopped["served"] == summary["produced"] and stopped["connections"] >= 1
    # Spark's own count of what the receiver stored agrees with the app's.
    assert pd.read_parquet(run / "batches.parquet").input_records.sum() == summary["processed"]
    assert_nothing_left_running(started_pids(out))


def test_socket_receiver_rate_limit_holds_the_input_back(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        name="socket-capped",
        workload={"source": "socket", "duration_s": 16, "generator": {"profile": "constant", "rate": 500}},
        config={
            "batch_interval_ms": 2000,
            "backpressure": {"enabled": True, "initial_rate": 1000, "max_rate": 100},
        },
        run={"drain_timeout_s": 5, "poll_interval_s": 1, "warmup_s": 0},
    )
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    run = only_run(out, "socket-capped")
    summary = json.loads((run / "summary.json").read_text())
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
    [stopped] = events(run, "line_server_stopped")
    assert summary["backlog"] > 0
    assert stopped["served"] == summary["produced"] - summary["backlog"]
    assert summary["lost"] == stopped["served"] - summary["processed"]
    assert_nothing_left_running(started_pids(out))
