"""The generator's worker processes against a real broker: exactly the planned records, once each, with
per-second statistics that add up; every worker stopped on SIGTERM and when one of them fails."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from confluent_kafka import Consumer

from apps.records import decode
from generators.produce import GeneratorConfig
from generators.profiles import parse_profile
from harness.paths import REPO_ROOT
from harness.platform.kafka_broker import KafkaBroker
from harness.run.supervisor import ProcessSupervisor
from tests.integration.conftest import assert_nothing_left_running
from tests.kafka_offsets import topic_end_offsets

PARTITIONS = 2


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    with ProcessSupervisor() as supervisor:
        kafka = KafkaBroker(tmp_path_factory.mktemp("kafka"), supervisor)
        kafka.start()
        yield kafka


def write_config(
    broker: KafkaBroker, folder: Path, topic: str, profile: dict, duration_s: float, processes: int
):
    broker.create_topic(topic, PARTITIONS)
    config = GeneratorConfig(
        bootstrap_servers=broker.bootstrap_servers,
        topic=topic,
        profile=parse_profile(profile),
        duration_s=duration_s,
        # Every record has a key of its own (steps unbounded), so duplicates and gaps show.
        records={"layout": "artifact", "values": 4, "ranks": 4, "steps": None},
        seed=3,
        stats_path=folder / "stats.jsonl",
        result_path=folder / "result.json",
        processes=processes,
    )
    path = folder / "config.json"
    path.write_text(json.dumps(config.to_json()))
    return config, path


def start(config_path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "generators.produce", "--config", str(config_path)],
        cwd=REPO_ROOT,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def end_offsets(broker: KafkaBroker, topic: str) -> int:
    return sum(topic_end_offsets(broker.bootstrap_servers, topic, PARTITIONS))


def keys_in_topic(broker: KafkaBroker, topic: str, expected: int) -> list[tuple[int, int]]:
    consumer = Consumer(
        {
            "bootstrap.servers": broker.bootstrap_servers,
            "group.id": f"read-{topic}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "log_level": 3,
        }
    )
    consumer.subscribe([topic])
    keys: list[tuple[int, int]] = []
    deadline = time.monotonic() + 60
    try:
        while len(keys) < expected and time.monotonic() < deadline:
            for message in consumer.consume(10_000, timeout=1.0):
                assert message.error() is None, message.error()
                keys.append(decode(message.value())[:2])
        for message in consumer.consume(10_000, timeout=2.0):  # nothing more may come
            keys.append(decode(message.value())[:2])
    finally:
        consumer.close()
    return keys


def workers_of(parent: subprocess.Popen) -> list[psutil.Process]:
    children = psutil.Process(parent.pid).children()
    return [child for child in children if "resource_tracker" not in " ".join(child.cmdline())]


def test_worker_processes_send_exactly_the_plan_with_stats_that_add_up(
    broker: KafkaBroker, tmp_path: Path
) -> None:
    profile = {"profile": "step", "steps": [{"duration_s": 2, "rate": 3000}, {"duration_s": 2, "rate": 1500}]}
    config, path = write_config(broker, tmp_path, "exact", profile, duration_s=4, processes=3)
    process = start(path)
    _, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    assert_nothing_left_running([process.pid])

    planned = config.profile.planned_per_second(config.duration_s)
    total = sum(planned)
    result = json.loads(config.result_path.read_text())
    assert (result["planned"], result["sent"], result["acked"], result["failed"]) == (total, total, total, 0)
    assert result["processes"] == 3 and not result["interrupted"]
    rows = [json.loads(line) for line in config.stats_path.read_text().splitlines()]
    scheduled = [row for row in rows if row["planned"]]
    assert [row["planned"] for row in scheduled] == planned
    assert [row["sent"] for row in scheduled] == planned
    assert [row["acked"] for row in scheduled] == planned
    assert sum(row["sent_during"] for row in rows) == total
    assert all(
        row["lateness_p50_ms"] <= row["lateness_p99_ms"] <= row["lateness_max_ms"] for row in scheduled
    )

    assert end_offsets(broker, "exact") == total
    keys = keys_in_topic(broker, "exact", total)
    stream = config.record_stream
    assert sorted(keys) == sorted((stream.rank(i), stream.step(i)) for i in range(total))
    assert not list(tmp_path.glob(".generator-*")), "the workers' files were left behind"


def test_sigterm_stops_every_worker_and_the_result_says_interrupted(
    broker: KafkaBroker, tmp_path: Path
) -> None:
    config, path = write_config(broker, tmp_path, "stopped", {"profile": "constant", "rate": 2000}, 300, 2)
    process = start(path)
    deadline = time.monotonic() + 120
    while end_offsets(broker, "stopped") == 0:  # sending has started
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the generator sent nothing"
        time.sleep(0.2)
    workers = workers_of(process)
    assert len(workers) == 2
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert not any(worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE for worker in workers)
    assert_nothing_left_running([process.pid])
    result = json.loads(config.result_path.read_text())
    assert result["interrupted"] and 0 < result["sent"] < result["planned"]
    assert result["acked"] + result["failed"] == result["sent"]
    assert end_offsets(broker, "stopped") == result["acked"]


def test_a_failed_worker_stops_the_others_and_leaves_no_result(broker: KafkaBroker, tmp_path: Path) -> None:
    config, path = write_config(broker, tmp_path, "failed", {"profile": "constant", "rate": 1000}, 300, 3)
    process = start(path)
    deadline = time.monotonic() + 120
    while end_offsets(broker, "failed") == 0:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the generator sent nothing"
        time.sleep(0.2)
    workers = workers_of(process)
    assert len(workers) == 3
    workers[1].kill()
    _, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "generator failed: worker" in err and "Traceback" not in err
    assert not any(worker.is_running() and worker.status() != psutil.STATUS_ZOMBIE for worker in workers)
    assert_nothing_left_running([process.pid])
    assert not config.result_path.exists() and not config.stats_path.exists()
    assert not list(tmp_path.glob(".generator-*"))
