"""Failure evidence from executor samples, logs and the driver's exit status."""

from __future__ import annotations

from pathlib import Path

from harness.outcomes import driver_evidence, executor_evidence, log_evidence


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
