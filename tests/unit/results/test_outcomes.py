"""Failure evidence from executor samples, logs and the driver's exit status."""

from __future__ import annotations

from pathlib import Path

from harness.results.outcomes import (
    distinct,
    driver_evidence,
    executor_evidence,
    log_evidence,
    worker_evidence,
)


def sample(executor_id: str, active: bool, reason: str | None = None) -> dict:
    return {"executor_id": executor_id, "is_active": active, "remove_reason": reason}


def test_removed_executors_are_oom_when_they_exit_with_52() -> None:
    samples = [
        sample("driver", True),
        sample("1", True),
        sample("1", False, "Command exited with code 52"),
        sample("2", False, "Worker shutting down"),
        sample("3", False, "Command exited with code 520"),
    ]
    evidence = executor_evidence(samples)
    assert [(e.kind, e.source) for e in evidence] == [
        ("oom", "executor 1"),
        ("executor_lost", "executor 2"),
        ("executor_lost", "executor 3"),
    ]
    assert evidence[0].detail == "Command exited with code 52"


def test_out_of_memory_errors_in_logs(tmp_path: Path) -> None:
    (tmp_path / "driver.log").write_text("INFO fine\nINFO still fine\n")
    (tmp_path / "executor-1.stderr").write_text(
        "WARN x\njava.lang.OutOfMemoryError: Java heap space\njava.lang.OutOfMemoryError: again\n"
    )
    logs = [tmp_path / "driver.log", tmp_path / "executor-1.stderr", tmp_path / "missing.log"]
    evidence = log_evidence(logs)
    assert len(evidence) == 1
    assert evidence[0].source == "log executor-1.stderr"
    assert evidence[0].detail == "java.lang.OutOfMemoryError: Java heap space"


def test_driver_exit_52_counts_only_if_the_harness_had_not_stopped_it() -> None:
    assert driver_evidence(52, stop_requested_first=False)[0].kind == "oom"
    assert driver_evidence(52, stop_requested_first=True) == []
    assert driver_evidence(0, stop_requested_first=False) == []


WORKER_LOG = [
    "2026-11-21T11:24:00.000+0000 INFO Worker: Asked to launch executor app-1/0 for x",
    "2026-11-21T11:24:05.706+0000 INFO Worker: Executor app-1/0 finished with state EXITED message "
    "Command exited with code 52 exitStatus 52",
    "2026-11-21T11:24:06.000+0000 INFO Worker: Executor app-2/0 finished with state EXITED message "
    "Command exited with code 52 exitStatus 52",
    "2026-11-21T11:24:30.000+0000 INFO Worker: Executor app-1/1 finished with state EXITED message "
    "Command exited with code 1 exitStatus 1",
    "2026-11-21T11:24:57.261+0000 INFO Worker: Executor app-1/2 finished with state KILLED exitStatus 143",
]


def test_worker_log_exits_of_this_app_before_the_stop_and_every_oom() -> None:
    stop_ms = 1795260290000  # 11:24:50: the KILLED executor ended because the harness stopped the app
    evidence = worker_evidence(WORKER_LOG, "app-1", stop_ms)
    assert [(e.kind, e.source) for e in evidence] == [("oom", "executor 0"), ("executor_lost", "executor 1")]
    assert "Command exited with code 52" in evidence[0].detail
    assert len(worker_evidence(WORKER_LOG, "app-1", None)) == 3
    # An out-of-memory death while the app works off its queue on the way out still counts.
    early_stop = 1795260240000  # 11:24:00
    assert [(e.kind, e.source) for e in worker_evidence(WORKER_LOG, "app-1", early_stop)] == [
        ("oom", "executor 0")
    ]


def test_distinct_keeps_one_piece_per_executor() -> None:
    rest = executor_evidence([sample("0", False, "Command exited with code 52")])
    worker = worker_evidence(WORKER_LOG[:2], "app-1", None)
    assert len(distinct([*rest, *worker])) == 1


def test_an_executor_the_worker_saw_exit_with_52_is_oom_whatever_the_driver_heard_first() -> None:
    # The driver may notice the dropped connection before the master relays the exit code.
    rest = executor_evidence([sample("0", False, "Remote RPC client disassociated. Likely due to ...")])
    worker = worker_evidence(WORKER_LOG[:2], "app-1", None)
    [piece] = distinct([*rest, *worker])
    assert (piece.kind, piece.source) == ("oom", "executor 0")
    assert "exit status 52" in piece.detail
    # An executor lost for another reason stays lost.
    lost = executor_evidence([sample("1", False, "Worker shutting down")])
    assert [e.kind for e in distinct([*lost, *worker])] == ["executor_lost", "oom"]
