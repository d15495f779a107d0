"""Faults injected on schedule (``faults:``) on the real stack: measured as recovery, nothing left running."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.results.outcomes import GROWTH_OUTCOMES
from tests.integration.conftest import assert_nothing_left_running, run_experiment, started_pids

STANDALONE = {"spark": {"topology": "standalone", "cores": 2, "executor_memory": "1g", "driver_memory": "1g"}}
# The Java port of StatelessSUM: no Python workers to start in the new executor, so recovery is the
# pipeline's, not PySpark's start-up on a busy machine.
# Faults come once the app has caught up with its start (its first batch can take 30 s on a busy
# machine: the executor's and the Kafka consumer's start).
LOAD = {"duration_s": 50, "impl": "jvm"}
RUN = {"drain_timeout_s": 90, "poll_interval_s": 1, "warmup_s": 4}


def accounting_is_exact(summary: dict) -> None:
    assert summary["produced"] > 0
    assert summary["produced"] == summary["processed"] + summary["backlog"] + summary["lost"]


def test_an_executor_killed_mid_run_is_measured_as_recovery(tmp_path: Path) -> None:
    done = run_experiment(
        tmp_path,
        "kill-executor",
        platform=STANDALONE,
        workload=LOAD,
        faults=[{"at_s": 30, "action": "kill_executor"}],
        run=RUN,
    )
    [started] = done.events("fault_started")
    assert started["action"] == "kill_executor" and started["target"] == "executor 0"
    [fault] = done.summary["faults"]
    assert fault["failed"] is None and fault["target"] == "executor 0"
    # The load started, then the fault 30 s later (the schedule's clock is the load's).
    [load] = done.events("generator_started")
    assert 29_000 <= started["time_ms"] - load["time_ms"] <= 32_000
    # Spark saw the executor go (its REST API, and the worker saw it killed): the run's outcome says so.
    assert done.summary["outcome"] == "executor_lost", done.summary["evidence"]
    assert any(e["source"] != "harness" for e in done.summary["evidence"])
    # The standalone master started another executor and the pipeline caught up: recovery measured.
    assert fault["sched_recovered_s"] is not None and fault["sched_recovered_s"] > 0
    assert fault["backlog_before"] is not None and fault["backlog_recovered_s"] is not None
    assert fault["rate_before_rps"] is not None and fault["rate_lowest_rps"] <= fault["rate_before_rps"]
    accounting_is_exact(done.summary)
    assert fault["lost_records"] == done.summary["lost"] and fault["duplicated_records"] == 0
    assert_nothing_left_running(started_pids(done.out))


def test_a_broker_paused_for_10_s_loses_nothing_on_the_direct_stream(tmp_path: Path) -> None:
    # With a CPU hog before it and the driver stalled after it: each ends on time, nothing stays behind.
    done = run_experiment(
        tmp_path,
        "pause-broker",
        workload=LOAD,
        faults=[
            {"at_s": 2, "action": "cpu_hog", "duration_s": 4, "cores": 2},
            # The stall 12 s (6 intervals) after the pause: the pause's backlog drains before it.
            {"at_s": 20, "action": "pause_broker", "duration_s": 10},
            {"at_s": 42, "action": "stall_driver", "duration_s": 4},
        ],
        run=RUN,
    )
    assert done.events("fault_failed") == []
    started = {e["index"]: e for e in done.events("fault_started")}
    ended = {e["index"]: e for e in done.events("fault_ended")}
    assert sorted(started) == sorted(ended) == [0, 1, 2]
    for index, lasted_s in ((0, 4), (1, 10), (2, 4)):
        assert (
            lasted_s * 1000 - 500
            <= ended[index]["time_ms"] - started[index]["time_ms"]
            <= lasted_s * 1000 + 2000
        )
    hog, pause, stall = sorted(done.summary["faults"], key=lambda f: f["index"])
    assert hog["target"] == "cpu" and stall["target"] == "driver"
    # No offsets could be read while the broker was stopped: the lag samples have a gap there.
    offsets = pd.read_parquet(done.run / "offsets.parquet")
    paused = offsets[
        (offsets.sample_time_ms > pause["start_ms"] + 1000) & (offsets.sample_time_ms < pause["end_ms"])
    ]
    assert paused.empty
    assert pause["sched_recovered_s"] is not None and pause["sched_recovered_s"] >= 10
    assert pause["backlog_recovered_s"] is not None and pause["backlog_recovered_s"] >= 10
    assert done.summary["outcome"] in GROWTH_OUTCOMES
    assert done.summary["lost"] == 0 and pause["lost_records"] == 0
    assert done.summary["drained"]
    accounting_is_exact(done.summary)
    assert_nothing_left_running(started_pids(done.out))


def test_the_receivers_executor_killed_and_the_broker_restarted(tmp_path: Path) -> None:
    done = run_experiment(
        tmp_path,
        "receiver-faults",
        platform=STANDALONE,
        workload={**LOAD, "source": "receiver", "receivers": 1},
        # The restart first: the kill loses the blocks the executor held, and a job that needs them
        # aborts and ends the app (Spark's receiver without a write-ahead log), which ends the run.
        faults=[
            {"at_s": 15, "action": "restart_broker", "duration_s": 3},
            {"at_s": 30, "action": "kill_receiver_executor"},
        ],
        run=RUN,
    )
    assert done.events("fault_failed") == []
    started = {event["action"]: event for event in done.events("fault_started")}
    # Spark's REST API named the executor hosting the receiver; it was the one killed.
    assert started["kill_receiver_executor"]["target"].startswith("executor ")
    killed = started["kill_receiver_executor"]["target"].removeprefix("executor ")
    assert any(e["source"] == f"executor {killed}" for e in done.summary["evidence"])
    # The broker came back on its address: the run produced and accounted for everything after it.
    brokers = [e for e in done.events("process_started") if e["name"] == "kafka-broker"]
    assert len(brokers) == 1  # the run's own log: the restart (the backend's log has the first start)
    restart, kill = sorted(done.summary["faults"], key=lambda f: f["index"])
    assert kill["failed"] is None and restart["failed"] is None
    assert restart["end_ms"] - restart["start_ms"] >= 3000
    accounting_is_exact(done.summary)
    assert_nothing_left_running(started_pids(done.out))
