"""The external backend against a stand-in cluster: a broker and a standalone Master and Worker started
here, as a user's cluster would be, and addressed by the harness only through their URLs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import psutil
import pytest
from confluent_kafka.admin import AdminClient

from harness.net import free_port
from harness.platform.kafka_broker import KafkaBroker
from harness.platform.spark_standalone import SparkStandalone
from harness.run.supervisor import ProcessSupervisor
from tests.integration.conftest import assert_nothing_left_running, run_bpbench, started_pids, write_manifest

RATE, DURATION = 250, 16


@pytest.fixture(scope="module")
def stand_in_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, list[int]]]:
    """(bootstrap servers, master URL, the stand-in's pids); the fixture, not the harness, stops it."""
    workdir = tmp_path_factory.mktemp("stand-in")
    with ProcessSupervisor() as supervisor:
        broker = KafkaBroker(workdir / "kafka", supervisor)
        spark = SparkStandalone(workdir / "spark", supervisor, cores=2, memory="1g")
        bootstrap = broker.start()
        master = spark.start()
        pids = [pid for _, pid in supervisor.running()]
        try:
            yield bootstrap, master, pids
        finally:
            spark.stop()
            broker.stop()


def external_manifest(folder: Path, name: str, bootstrap: str, master: str) -> Path:
    return write_manifest(folder, name=name, platform={
        "backend": "external",
        "spark": {"cores": 2, "driver_memory": "1g", "executor_memory": "1g"},
        "kafka": {"partitions": 2},
        "external": {"kafka": {"bootstrap_servers": bootstrap}, "spark": {"master": master}},
    })  # fmt: skip


def test_demo_like_run_on_an_external_cluster(
    tmp_path: Path, stand_in_cluster: tuple[str, str, list[int]]
) -> None:
    bootstrap, master, cluster_pids = stand_in_cluster
    manifest = external_manifest(tmp_path, "external-demo", bootstrap, master)
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]

    (run,) = [p.parent for p in (out / "external-demo").glob("*/COMPLETE")]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == RATE * DURATION
    assert summary["processed"] == summary["produced"]
    assert summary["backlog"] == 0 and summary["lost"] == 0
    spec = json.loads((run / "spec.json").read_text())
    assert spec["spark_conf"]["spark.master"] == master
    assert spec["bootstrap_servers"] == bootstrap
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    # The app ran on the stand-in's executors, seen through the driver's REST API.
    ready = next(e for e in events if e["kind"] == "driver_ready")
    assert ready["ui_url"].startswith("http://127.0.0.1:")
    executors = pd.read_parquet(run / "executors.parquet")
    assert set(executors.executor_id) - {"driver"}, "no executor of the stand-in cluster showed up"
    # The harness started only its own processes (generator, spark-submit), and stopped them all.
    names = {e["name"] for e in events if e["kind"] == "process_started"}
    assert not any(name.startswith(("kafka", "spark-master", "spark-worker")) for name in names), names
    assert_nothing_left_running(started_pids(out))
    # The cluster is the user's: still up, without the experiment's topic.
    assert all(psutil.pid_exists(pid) for pid in cluster_pids)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + 15  # deletion is acknowledged before every broker's metadata has it
    while spec["topic"] in admin.list_topics(timeout=10).topics and time.monotonic() < deadline:
        time.sleep(0.5)
    assert spec["topic"] not in admin.list_topics(timeout=10).topics


@pytest.mark.parametrize("broken", ["master", "broker"])
def test_unreachable_cluster_is_bad_input_and_nothing_is_written(
    tmp_path: Path, stand_in_cluster: tuple[str, str, list[int]], broken: str
) -> None:
    bootstrap, master, _ = stand_in_cluster
    nobody = f"127.0.0.1:{free_port()}"
    if broken == "master":
        master = f"spark://{nobody}"
    else:
        bootstrap = nobody
    manifest = external_manifest(tmp_path, "external-unreachable", bootstrap, master)
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 2, result.stderr[-2000:]
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    field = "spark.master" if broken == "master" else "kafka.bootstrap_servers"
    assert f"platform.external.{field}" in lines[0] and nobody in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
