"""The compose backend for real: Kafka and Spark in containers on the host's network (127.0.0.1).

Needs the Docker client, Compose v2 or later and an engine: the user's, or the project's own dockerd
(`make setup-containers` installs Debian's docker.io and mmdebstrap and builds Compose; the harness
starts the engine when none answers). Skipped, with the reason, where none of that is possible.
The first test runs with no engine started beforehand where the project's own is used, so it also
checks that a run starts the private engine and stops it again; the later ones share one engine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest

from harness.platform import engine as engines
from harness.platform.compose import docker_problems
from tests.integration.conftest import (
    assert_nothing_left_running,
    run_bpbench,
    start_bpbench,
    started_pids,
    wait_for_event,
    write_manifest,
)

# About 10 minutes here (the images' first build included): they run wherever Docker is usable (CI
# installs it with `make setup-containers`), and are skipped with the reason elsewhere or when
# BPBENCH_CONTAINER_TESTS=0.
SKIPPED = os.environ.get("BPBENCH_CONTAINER_TESTS") == "0"
PROBLEMS = [] if SKIPPED else docker_problems()
pytestmark = [
    pytest.mark.skipif(SKIPPED, reason="BPBENCH_CONTAINER_TESTS=0"),
    pytest.mark.skipif(
        bool(PROBLEMS),
        reason=f"no usable Docker here ({PROBLEMS[0] if PROBLEMS else ''}); `make setup-containers`",
    ),
]
RATE, DURATION = 250, 16
COMPOSE = {"workers": 1, "worker_memory_limit": "2g"}


def docker(*args: str) -> list[str]:
    choice = engines.choose_engine()
    env = {"DOCKER_HOST": choice.docker_host} if choice.docker_host else {}
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=True, timeout=60,
        env={**os.environ, **env},
    )  # fmt: skip
    return result.stdout.split()


def project_leftovers(project: str) -> list[str]:
    label = f"label=com.docker.compose.project={project}"
    return [
        *docker("ps", "--all", "--quiet", "--filter", label),
        *docker("network", "ls", "--quiet", "--filter", label),
        *docker("volume", "ls", "--quiet", "--filter", label),
    ]


def compose_project(experiment_dir: Path) -> str:
    events = (experiment_dir / "backend" / "events.jsonl").read_text().splitlines()
    return next(json.loads(line)["project"] for line in events if json.loads(line)["kind"] == "compose_up")


def events_of(log: Path) -> list[str]:
    return [json.loads(line)["kind"] for line in log.read_text().splitlines()]


@pytest.fixture
def engine() -> Iterator[None]:
    """An engine for the test: the one that answers, else the project's own, started here and
    stopped after the test."""
    choice = engines.choose_engine()
    started = False
    if not choice.running and choice.private is not None:
        engines.start_private(choice.private)
        started = True
    try:
        yield
    finally:
        if started and choice.private is not None:
            engines.stop_private(choice.private)


# Each test brings a stack up (and the first may build the images): longer than the suite's 600 s.
@pytest.mark.timeout(1800)
def test_demo_like_run_in_containers(tmp_path: Path) -> None:
    before = engines.choose_engine()
    manifest = write_manifest(tmp_path, name="compose-demo", platform={
        "backend": "compose",
        "spark": {"cores": 2, "driver_memory": "1g", "executor_memory": "1g"},
        "kafka": {"partitions": 2},
        "compose": COMPOSE,
    })  # fmt: skip
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out), timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = [p.parent for p in (out / "compose-demo").glob("*/COMPLETE")]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == RATE * DURATION
    assert summary["processed"] == summary["produced"] and summary["lost"] == 0
    containers = pd.read_parquet(run / "containers.parquet")
    assert {"kafka", "spark-master", "spark-worker"} <= set(containers.service)
    assert (containers.memory_bytes > 0).all()
    workers = containers[containers.service == "spark-worker"]
    assert (workers.memory_limit_bytes == 2 << 30).all()
    assert (workers.memory_bytes < workers.memory_limit_bytes).all()
    assert workers.cpu_percent.dropna().gt(0).any()
    assert_nothing_left_running(started_pids(out))
    backend_events = events_of(out / "compose-demo" / "backend" / "events.jsonl")
    if not before.running:
        # The run had to start the project's own engine: it stopped it again.
        assert "engine_started" in backend_events and "engine_stopped" in backend_events
        assert before.private is not None and before.private.pid() is None
    else:
        assert project_leftovers(compose_project(out / "compose-demo")) == []


@pytest.mark.timeout(1800)
def test_a_container_limit_below_the_heap_is_a_kernel_oom_kill_and_the_matrix_goes_on(
    tmp_path: Path, engine: None
) -> None:
    # GlobalHistogram keeps a key per record (one rank) for an hour: at 20,000 records/s the executor's
    # heap grows with every batch, and the worker container's 640 MiB cannot hold a worker and an
    # executor whose heap may reach 1 GiB. The second run (500 records/s) uses the same stack.
    manifest = write_manifest(
        tmp_path,
        name="compose-oom",
        platform={
            "backend": "compose",
            "spark": {"cores": 2, "driver_memory": "1g", "executor_memory": "1g"},
            "kafka": {"partitions": 2},
            "compose": {"workers": 1, "worker_memory_limit": "640m"},
        },
        workload={
            "app": "global_histogram",
            "impl": "jvm",
            "state_timeout_s": 3600,
            "duration_s": 60,
            "generator": {"profile": "constant", "rate": 20000},
            "records": {"values": 4, "ranks": 1},
            "report_state": True,
        },
        config={"batch_interval_ms": 2000, "backpressure": {"enabled": False}, "gc": "parallel"},
        run={"drain_timeout_s": 10, "poll_interval_s": 1, "warmup_s": 0},
        matrix={"workload.generator.rate": [20000, 500]},
    )
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out), timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    runs = [p.parent for p in (out / "compose-oom").glob("*/COMPLETE")]
    assert len(runs) == 2, result.stderr[-3000:]
    summaries = [json.loads((run / "summary.json").read_text()) for run in runs]
    (heavy,) = [s for s in summaries if s["produced"] > 500 * 60]
    (low,) = [s for s in summaries if s["produced"] == 500 * 60]
    assert heavy["outcome"] == "oom", heavy["evidence"]
    killed = [e for e in heavy["evidence"] if e["kind"] == "oom" and e["source"].startswith("container ")]
    assert killed, heavy["evidence"]
    assert "OOMKilled" in killed[0]["detail"] and "640 MiB" in killed[0]["detail"], killed
    # Not a JVM's OutOfMemoryError: no exit code 52 among the evidence.
    assert not any("code 52" in e["detail"] or "exit status 52" in e["detail"] for e in heavy["evidence"])
    # The matrix went on, on the same stack: the next run measured, with nothing lost.
    assert low["outcome"] != "oom" and low["processed"] == low["produced"] and low["lost"] == 0, low
    assert heavy["produced"] == heavy["processed"] + heavy["backlog"] + heavy["lost"]
    assert_nothing_left_running(started_pids(out))
    assert project_leftovers(compose_project(out / "compose-oom")) == []


def interrupted_manifest(folder: Path, name: str) -> Path:
    """A compose run long enough (120 s of load) to be cut short by the test."""
    return write_manifest(
        folder, name=name,
        platform={"backend": "compose", "spark": {"cores": 2, "executor_memory": "1g"}, "compose": COMPOSE},
        workload={"duration_s": 120},
    )  # fmt: skip


@pytest.mark.timeout(1200)
def test_ctrl_c_during_a_compose_run_leaves_no_container(tmp_path: Path, engine: None) -> None:
    manifest = interrupted_manifest(tmp_path, "compose-int")
    out = tmp_path / "results"
    process = start_bpbench("run", str(manifest), "--out", str(out))
    try:
        log = out / "compose-int" / "backend" / "events.jsonl"
        deadline = time.monotonic() + 900
        while not (log.exists() and "compose_up" in events_of(log)):
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the stack did not come up"
            time.sleep(0.5)
        project = compose_project(out / "compose-int")
        assert docker("ps", "--quiet", "--filter", f"label=com.docker.compose.project={project}")
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr[-2000:]
    assert project_leftovers(project) == []
    assert_nothing_left_running(started_pids(out))


@pytest.mark.timeout(1200)
def test_the_engine_dying_mid_run_fails_the_run_and_leaves_nothing_running(tmp_path: Path) -> None:
    choice = engines.choose_engine()
    if choice.running or choice.private is None:
        pytest.skip("kills the engine: runs only where the run itself starts the project's own engine")
    private = choice.private
    manifest = interrupted_manifest(tmp_path, "compose-engine-lost")
    out = tmp_path / "results"
    process = start_bpbench("run", str(manifest), "--out", str(out))
    try:
        wait_for_event(out, "generator_started", process, timeout_s=900)
        dockerd = private.pid()
        assert dockerd is not None
        os.kill(dockerd, signal.SIGKILL)  # its containerd and the containers outlive it
        _, stderr = process.communicate(timeout=600)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stderr[-3000:]
    assert f"the Docker engine at {private.host} stopped answering during the run" in stderr
    (run,) = [p.parent for p in (out / "compose-engine-lost").glob("*/spec.json")]
    assert not (run / "COMPLETE").exists()
    last = json.loads((run / "events.jsonl").read_text().splitlines()[-1])
    assert last["kind"] == "run_failed" and "stopped answering" in last["reason"]
    # The harness started the engine again to remove the containers, and stopped it.
    backend_events = events_of(out / "compose-engine-lost" / "backend" / "events.jsonl")
    assert {"engine_lost", "compose_down", "engine_stopped"} <= set(backend_events)
    assert private.pid() is None
    engine_processes = [
        p.info["cmdline"] for p in psutil.process_iter(["cmdline"])
        if str(private.root) in " ".join(p.info["cmdline"] or []) or "moby" in (p.info["cmdline"] or [])
    ]  # fmt: skip
    assert engine_processes == []  # no containerd, no container shims
    assert_nothing_left_running(started_pids(out))


@pytest.mark.timeout(1200)
def test_up_and_down(tmp_path: Path, engine: None) -> None:
    up = run_bpbench("up", "--out", str(tmp_path), timeout=1800)
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        assert "127.0.0.1:9092" in up.stderr and "spark://127.0.0.1:7077" in up.stderr
        assert docker("ps", "--quiet", "--filter", "label=com.docker.compose.project=bpbench")
        # A second `up` while the first holds the ports: one line naming the fix, exit 2.
        again = run_bpbench("up", "--out", str(tmp_path / "again"), timeout=600)
        lines = [line for line in again.stderr.splitlines() if line.strip()]
        assert again.returncode == 2 and len(lines) == 1 and "already taken" in lines[0], again.stderr
    finally:
        down = run_bpbench("down", "--out", str(tmp_path))
    assert down.returncode == 0, down.stderr
    assert project_leftovers("bpbench") == []


@pytest.mark.timeout(1800)
def test_faults_in_containers_pause_restart_and_kill(tmp_path: Path, engine: None) -> None:
    # The broker paused and restarted through Compose; the executor, a process of the worker's
    # container, found among this machine's processes and killed.
    manifest = write_manifest(
        tmp_path,
        name="compose-faults",
        platform={
            "backend": "compose",
            "spark": {"cores": 2, "driver_memory": "1g", "executor_memory": "1g"},
            "kafka": {"partitions": 2},
            "compose": COMPOSE,
        },
        workload={"impl": "jvm", "duration_s": 60, "generator": {"profile": "constant", "rate": 500}},
        faults=[
            {"at_s": 15, "action": "pause_broker", "duration_s": 8},
            {"at_s": 30, "action": "kill_executor"},
            {"at_s": 42, "action": "restart_broker", "duration_s": 3},
        ],
    )
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out), timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = [p.parent for p in (out / "compose-faults").glob("*/COMPLETE")]
    summary = json.loads((run / "summary.json").read_text())
    events = events_of(run / "events.jsonl")
    assert events.count("fault_started") == 3 and "fault_failed" not in events
    pause, kill, restart = sorted(summary["faults"], key=lambda f: f["index"])
    assert pause["end_ms"] - pause["start_ms"] >= 8000 and restart["end_ms"] - restart["start_ms"] >= 3000
    assert kill["target"] == "executor 0"
    assert {"kind": "executor_lost", "source": "executor 0"}.items() <= summary["evidence"][0].items()
    assert summary["processed"] == summary["produced"] == 30_000 and summary["lost"] == 0
    assert all(f["sched_recovered_s"] is not None for f in summary["faults"])
    assert_nothing_left_running(started_pids(out))
    assert project_leftovers(compose_project(out / "compose-faults")) == []
