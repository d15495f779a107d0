"""Helpers for tests that start a real Kafka broker and real Spark through the harness."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml

from harness.paths import REPO_ROOT


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


def write_manifest(folder: Path, name: str = "itest", **overrides: Any) -> Path:
    """A light run: 250 records/s for 16 s in 2 s batches, StatelessSUM, backpressure on.

    Light enough that a busy 2-core machine keeps up: the tests check the harness, not capacity.
    """
    manifest: dict[str, Any] = {
        "name": name,
        "platform": {
            "spark": {"topology": "local", "cores": 2, "driver_memory": "1g"},
            "kafka": {"partitions": 2},
        },
        "workload": {
            "app": "stateless_sum",
            "duration_s": 16,
            "generator": {"profile": "constant", "rate": 250},
            "records": {"values": 256, "ranks": 4},
        },
        "config": {"batch_interval_ms": 2000, "backpressure": {"enabled": True, "initial_rate": 1000}},
        "run": {"drain_timeout_s": 90, "poll_interval_s": 1, "warmup_s": 4},
    }
    for section, values in overrides.items():
        # A section's keys are merged into the defaults; a list (``faults``) replaces them.
        manifest[section] = values if isinstance(values, list) else {**manifest.get(section, {}), **values}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return path


@dataclass(frozen=True)
class FinishedRun:
    """An experiment of one run that ``bpbench run`` finished with status 0."""

    out: Path  # the --out folder
    run: Path  # the run's directory
    summary: dict[str, Any]

    def events(self, kind: str) -> list[dict[str, Any]]:
        lines = (self.run / "events.jsonl").read_text().splitlines()
        return [event for event in map(json.loads, lines) if event["kind"] == kind]


def run_experiment(folder: Path, name: str, **overrides: Any) -> FinishedRun:
    """``write_manifest(folder, name, **overrides)``, run by ``bpbench run``, which must succeed."""
    manifest = write_manifest(folder, name=name, **overrides)
    out = folder / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    [spec] = list((out / name).glob("*/spec.json"))
    return FinishedRun(out, spec.parent, json.loads((spec.parent / "summary.json").read_text()))


def bpbench_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "harness.cli", *args]


def start_bpbench(*args: str) -> subprocess.Popen:
    """``bpbench`` in the background, in a session of its own so a test can signal it alone."""
    return subprocess.Popen(
        bpbench_command(*args),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def run_bpbench(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600, cwd: Path = REPO_ROOT
) -> subprocess.CompletedProcess:
    """Runs ``bpbench``; on Ctrl-C (which reaches it too) waits for it to stop what it started,
    where ``subprocess.run`` would kill it a quarter of a second later."""
    with subprocess.Popen(
        bpbench_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException as exc:
            if isinstance(exc, subprocess.TimeoutExpired):
                process.send_signal(signal.SIGINT)  # as Ctrl-C would
            try:
                process.communicate(timeout=HARNESS_STOP_S)
            except subprocess.TimeoutExpired:
                process.kill()
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


# How long the harness may take to stop everything after Ctrl-C (each process's grace is 20 s).
HARNESS_STOP_S = 120


def started_pids(out: Path) -> list[int]:
    """Every process the harness said it started, from all event logs under ``out``."""
    pids = []
    for log in out.rglob("events.jsonl"):
        for line in log.read_text().splitlines():
            event = json.loads(line)
            if event["kind"] == "process_started":
                pids.append(int(event["pid"]))
    return pids


def session_processes(pids: list[int]) -> list[psutil.Process]:
    """The live processes of the sessions the harness started (each child leads its own session)."""
    sessions = set(pids)
    found = []
    for process in psutil.process_iter(["pid", "name", "cmdline", "status"]):
        try:
            in_session = os.getsid(process.pid) in sessions
        except (ProcessLookupError, PermissionError):
            continue
        if in_session and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def assert_nothing_left_running(pids: list[int]) -> None:
    """No process of the sessions the harness started is alive."""
    assert pids, "the harness recorded no processes"
    survivors = [f"{p.pid} {' '.join(p.info['cmdline'] or [])[:120]}" for p in session_processes(pids)]
    assert not survivors, "left running:\n" + "\n".join(survivors)


def wait_for_event(out: Path, kind: str, process: subprocess.Popen, timeout_s: float = 240) -> None:
    """Until an event log under ``out`` has an event of ``kind``; fails if ``bpbench`` exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for log in out.rglob("events.jsonl"):
            if any(json.loads(line)["kind"] == kind for line in log.read_text().splitlines()):
                return
        assert process.poll() is None, (
            f"bpbench exited early: {process.stderr.read() if process.stderr else ''}"
        )
        time.sleep(0.2)
    raise AssertionError(f"no {kind} event within {timeout_s} s")
