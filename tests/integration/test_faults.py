"""Faults on real components: Kafka that will not start, a port already taken, Ctrl-C mid-run, the
harness killed with SIGKILL."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import time
from pathlib import Path

import pytest

from harness import jvm
from harness.errors import HarnessError
from harness.net import LOOPBACK, free_port
from harness.platform import kafka_broker
from harness.platform.kafka_broker import KafkaBroker
from harness.run.events import EventLog
from harness.run.supervisor import ProcessSupervisor
from harness.timing import wait_until
from tests.integration.conftest import (
    assert_nothing_left_running,
    run_bpbench,
    session_processes,
    start_bpbench,
    started_pids,
    wait_for_event,
    write_manifest,
)


def test_a_broker_that_dies_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    workdir = tmp_path / "kafka"
    (workdir / "data").mkdir(parents=True)
    # Storage formatted for another node: the broker refuses to start, as it would on a moved disk.
    (workdir / "data" / "meta.properties").write_text(
        "cluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=2\nversion=1\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAQ\n"
    )
    with (
        EventLog(tmp_path / "events.jsonl") as events,
        ProcessSupervisor(events) as supervisor,
        pytest.raises(HarnessError) as error,
    ):
        KafkaBroker(workdir, supervisor).start()
    message = str(error.value)
    assert "the Kafka broker did not start; last lines of" in message
    assert "Stored node id 2 doesn't match" in message
    assert_nothing_left_running(started_pids(tmp_path))


def test_a_taken_port_makes_the_broker_pick_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        # The first port handed out is already in use, as when another process wins the race for it.
        ports = itertools.chain([taken], iter(free_port, None))
        monkeypatch.setattr(kafka_broker, "free_port", lambda: next(ports))
        with EventLog(tmp_path / "events.jsonl") as events, ProcessSupervisor(events) as supervisor:
            broker = KafkaBroker(tmp_path / "kafka", supervisor)
            bootstrap = broker.start()
            assert bootstrap != f"{LOOPBACK}:{taken}"
            broker.create_topic("after-retry", 1)
            assert "after-retry" in broker.admin().list_topics(timeout=10).topics
            broker.stop()
    assert "Address already in use" in (tmp_path / "kafka" / "broker.log").read_text()
    assert_nothing_left_running(started_pids(tmp_path))


def test_cli_exits_1_when_kafka_cannot_start(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    for jar_set in jvm.JAR_SETS:
        (cache / "jars" / jar_set).mkdir(parents=True)
        for jar in jvm.classpath(jar_set):
            (cache / "jars" / jar_set / jar.name).symlink_to(jar)
    broken = cache / "jars" / "kafka-broker" / "kafka-group-coordinator-3.9.1.jar"
    broken.unlink()
    broken.write_bytes(b"")  # a damaged jar: Kafka's classes cannot load
    out = tmp_path / "results"
    result = run_bpbench("run", str(write_manifest(tmp_path)), "--out", str(out),
                         env={**os.environ, "BPBENCH_CACHE": str(cache)})  # fmt: skip
    assert result.returncode == 1, result.stderr[-2000:]
    assert "harness failure:" in result.stderr
    assert "NoClassDefFoundError" in result.stderr
    assert "Traceback" not in result.stderr
    assert not list(out.rglob("COMPLETE"))
    assert_nothing_left_running(started_pids(out))


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupting_a_run_stops_everything_and_leaves_it_incomplete(
    tmp_path: Path, sig: signal.Signals
) -> None:
    out = tmp_path / "results"
    manifest = write_manifest(tmp_path, workload={"duration_s": 120})
    process = start_bpbench("run", str(manifest), "--out", str(out))
    try:
        wait_for_event(out, "generator_started", process)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr
    runs = [p.parent for p in (out / "itest").glob("*/spec.json")]
    assert len(runs) == 1
    assert not (runs[0] / "COMPLETE").exists()
    assert_nothing_left_running(started_pids(out))


def test_a_harness_killed_with_sigkill_leaves_nothing_running_and_the_rerun_redoes_the_run(
    tmp_path: Path,
) -> None:
    out = tmp_path / "results"
    manifest = write_manifest(tmp_path, workload={"duration_s": 20})
    process = start_bpbench("run", str(manifest), "--out", str(out))
    try:
        wait_for_event(out, "generator_started", process)
        process.send_signal(signal.SIGKILL)  # no handler runs: the watchdog stops what it started
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    [run] = [p.parent for p in (out / "itest").glob("*/spec.json")]
    assert not (run / "COMPLETE").exists()
    killed = started_pids(out)
    names = {e["name"].split(":")[0] for e in _events(run, "process_started")}
    assert {"spark-app", "generator"} <= names, names
    assert wait_until(lambda: not session_processes(killed), timeout_s=60, interval_s=0.5)

    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (run / "COMPLETE").exists()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == summary["processed"] == 250 * 20
    assert_nothing_left_running(started_pids(out))


def _events(run: Path, kind: str) -> list[dict]:
    return [e for e in map(json.loads, (run / "events.jsonl").read_text().splitlines()) if e["kind"] == kind]


def test_an_app_that_cannot_start_is_an_outcome_not_a_harness_failure(tmp_path: Path) -> None:
    # A master URL Spark cannot parse: the driver dies at start, as a misconfigured job would.
    manifest = write_manifest(tmp_path, config={"spark_conf": {"spark.master": "no-such-master"}})
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    [summary_path] = list((out / "itest").glob("*/summary.json"))
    summary = json.loads(summary_path.read_text())
    assert summary["outcome"] == "app_failed"
    assert summary["produced"] == 0 and summary["processed"] == 0
    assert (summary_path.parent / "COMPLETE").exists()
    events = [
        json.loads(line)["kind"] for line in (summary_path.parent / "events.jsonl").read_text().splitlines()
    ]
    assert "app_failed" in events
    assert (
        "Master must either be yarn or start with spark"
        in (summary_path.parent / "logs" / "driver.log").read_text()
    )
    assert_nothing_left_running(started_pids(out))


def test_a_run_past_its_time_limit_is_stopped_and_the_matrix_goes_on(tmp_path: Path) -> None:
    # 20 s cannot hold the app's start-up and 16 s of load; 600 s holds the same run easily.
    manifest = write_manifest(tmp_path, name="limited", matrix={"run.time_limit_s": [20, 600]})
    out = tmp_path / "results"
    started = time.monotonic()
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    summaries = {}
    for path in (out / "limited").glob("*/summary.json"):
        spec = json.loads((path.parent / "spec.json").read_text())
        summaries[spec["manifest"]["run"]["time_limit_s"]] = json.loads(path.read_text())
        assert (path.parent / "COMPLETE").exists()
    limited, free = summaries[20], summaries[600]
    assert limited["outcome"] == "app_failed"
    assert [e["kind"] for e in limited["evidence"]] == ["time_limit"]
    assert limited["duration_s"] < 20 + 30  # stopped at the limit, not at the end of load and drain
    # The next run went on and ended on its own terms (a 16 s run's stability verdict is not the point).
    assert free["evidence"] == [] and free["outcome"] != "app_failed"
    assert free["drained"] and free["lost"] == 0
    assert time.monotonic() - started < 600
    assert_nothing_left_running(started_pids(out))
