"""One ``Run`` end to end with the things around it swapped: a fake backend, a fake Kafka topic, a
fake app that writes the files the collectors and the accounting read, and a fake generator. The
runner's own work is real: the lifecycle, the collectors, the tables, the accounting, the summary,
``COMPLETE`` last."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

from apps.driver import BATCHES_FILE, HANDSHAKE_FILE, OFFSETS_FILE, STREAMING_BATCHES_FILE, AppConfig
from harness.observe.base import CollectorFactory
from harness.observe.kafka_offsets import KafkaOffsetsCollector, PartitionOffsets
from harness.observe.registry import COLLECTORS
from harness.results.store import RunDirectory
from harness.results.tables import TABLE_COLUMNS
from harness.run.events import EventLog
from harness.run.load import LoadGenerator
from harness.run.runner import Run
from harness.run.spark_app import DriverInfo
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import expand_data

RATE, DURATION_S, INTERVAL_MS = 200, 3, 1000
PRODUCED = RATE * DURATION_S
START_MS = 1_700_000_000_000


class FakeKafka:
    """One partition: what the generator appended and what the app's group committed."""

    def __init__(self) -> None:
        self.end = 0
        self.committed: int | None = None
        self.topics: list[tuple[str, int]] = []
        self.deleted: list[str] = []


class FakeOffsetReader:
    """``OffsetReader``'s face over the fake topic."""

    def __init__(self, kafka: FakeKafka, *_: Any, **__: Any) -> None:
        self.kafka = kafka

    def read(self) -> list[PartitionOffsets]:
        committed = self.kafka.committed
        return [PartitionOffsets(0, self.kafka.end, committed, self.kafka.end - (committed or 0))]

    def lag(self) -> int:
        return sum(p.lag for p in self.read())

    def close(self) -> None:
        pass


class FakeBackend:
    name = "fake"
    bootstrap_servers = "fake-kafka:9092"
    kafka_client_config: dict[str, str] = {}
    app_kafka_params: dict[str, str] = {}
    spark_master = "local[1]"
    executor_logs_local = True

    def __init__(self, kafka: FakeKafka, lost: Callable[[], str | None] = lambda: None) -> None:
        self.kafka = kafka
        self._lost = lost

    def up(self) -> None: ...

    def down(self) -> None: ...

    def spark_conf(self) -> dict[str, str]:
        return {}

    def driver_environment(self) -> dict[str, str]:
        return {}

    def create_topic(self, name: str, partitions: int) -> None:
        self.kafka.topics.append((name, partitions))

    def delete_topics(self, names: list[str]) -> None:
        self.kafka.deleted += names

    def executor_logs(self, app_id: str) -> list[tuple[str, Path]]:
        return []

    def failure_evidence(self, app_id: str, before_ms: int | None) -> list[Any]:
        return []

    def collectors(self) -> list[Any]:
        return []

    def lost(self) -> str | None:
        return self._lost()


@dataclass
class FakeProcess:
    alive_for: int = 0  # how many ``alive()`` calls answer True

    def alive(self) -> bool:
        self.alive_for -= 1
        return self.alive_for >= 0

    def terminate(self) -> None:
        self.alive_for = 0


def fake_load(kafka: FakeKafka) -> type[LoadGenerator]:
    class FakeLoad(LoadGenerator):
        """The real config and result files; the sending is appending to the fake topic."""

        def start(self, supervisor: ProcessSupervisor) -> FakeProcess:  # type: ignore[override]
            self.config_path.write_text(json.dumps(self.config.to_json()))
            kafka.end += PRODUCED
            self.stats_path.write_text(
                "".join(
                    json.dumps({"second": s, "planned": RATE, "sent": RATE, "acked": RATE, "failed": 0,
                                "queue_full": 0, "cpu_wait_ms": 0.0, "lateness_p50_ms": 0.1,
                                "lateness_p99_ms": 0.5, "lateness_max_ms": 1.0, "sent_during": RATE}) + "\n"
                    for s in range(DURATION_S)
                )
            )  # fmt: skip
            self.result_path.write_text(json.dumps({
                "sent": PRODUCED, "acked": PRODUCED, "failed": 0, "achieved_rate_rps": float(RATE),
                "target_rate_rps": float(RATE), "send_duration_s": float(DURATION_S),
            }))  # fmt: skip
            return FakeProcess(alive_for=1)

    return FakeLoad


def fake_app(kafka: FakeKafka, lose_per_batch: int = 0) -> type:
    class FakeApp:
        """Consumes the fake topic in batches of at most ``RATE`` records, writing the driver's files
        as the real app and its listener do; ``lose_per_batch`` records of each batch go uncounted."""

        def __init__(self, app: Any, impl: str, config: AppConfig, **_: Any) -> None:
            self.app, self.name, self.impl, self.config = app, str(app), impl, config
            self.log_path = config.output_dir / "driver.log"
            self.process = None
            self.processed_from = "app_batches"
            self.stopped = False
            self.batch_time_ms = START_MS

        @property
        def output_dir(self) -> Path:
            return self.config.output_dir

        def submit(self, supervisor: ProcessSupervisor, spark_conf: dict[str, str]) -> None:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            self.log_path.write_text("fake driver\n")

        def wait_for_driver(self) -> DriverInfo:
            (self.output_dir / HANDSHAKE_FILE).write_text(
                json.dumps({"app_id": "app-fake", "ui_url": "http://127.0.0.1:1", "pid": 1})
            )
            return DriverInfo("app-fake", "http://127.0.0.1:1", 1)

        def _append(self, name: str, line: dict[str, Any]) -> None:
            with (self.output_dir / name).open("a") as handle:
                handle.write(json.dumps(line) + "\n")

        def _process(self) -> None:
            start = kafka.committed or 0
            while not self.stopped and start < kafka.end:
                end = min(kafka.end, start + RATE)
                self.batch_time_ms += INTERVAL_MS
                records = end - start
                self._append(OFFSETS_FILE, {"batch_time_ms": self.batch_time_ms, "ranges": [[0, start, end]]})
                self._append(BATCHES_FILE, {"batch_time_ms": self.batch_time_ms,
                                            "records": records - min(records, lose_per_batch)})  # fmt: skip
                self._append(STREAMING_BATCHES_FILE, {
                    "batch_time_ms": self.batch_time_ms, "status": "COMPLETED", "input_records": records,
                    "scheduling_delay_ms": 5, "processing_time_ms": 300, "total_delay_ms": 305,
                    "output_ops_failed": 0,
                })  # fmt: skip
                kafka.committed = start = end

        def alive(self) -> bool:
            self._process()
            return not self.stopped

        def log_tail(self) -> str:
            return ""

        def own_batches(self) -> list[dict[str, Any]]:
            path = self.output_dir / BATCHES_FILE
            return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

        def processed_batches(self) -> list[dict[str, Any]]:
            self._process()
            return self.own_batches()

        def request_stop(self) -> None:
            self.stopped = True

        def wait(self, timeout_s: float) -> int:
            return 0

    return FakeApp


def run_once(
    tmp_path: Path, lose_per_batch: int = 0, lost: Callable[[], str | None] = lambda: None
) -> tuple[dict[str, Any], RunDirectory, FakeKafka]:
    manifest = {
        "name": "fake",
        "workload": {"generator": {"profile": "constant", "rate": RATE}, "duration_s": DURATION_S},
        "config": {"batch_interval_ms": INTERVAL_MS},
        "run": {"drain_timeout_s": 0.5, "poll_interval_s": 0.1},
    }
    spec = expand_data(manifest, "fake.yaml", tmp_path)[0]
    kafka = FakeKafka()
    # The registry as it is, with the Kafka offsets read from the fake topic and without the
    # collectors that ask the driver's web server (there is none).
    registry = [
        CollectorFactory(
            "kafka_offsets",
            "start",
            lambda run: KafkaOffsetsCollector(
                run.bootstrap_servers, run.topic, run.group_id, reader=lambda *_: FakeOffsetReader(kafka)
            ),
        ),
        *(f for f in COLLECTORS if f.name not in ("kafka_offsets", "spark_rest", "driver_jvm")),
    ]
    out = tmp_path / "results"
    with ProcessSupervisor(EventLog(tmp_path / "backend-events.jsonl")) as supervisor:
        run = Run(
            spec, out, FakeBackend(kafka, lost), supervisor, Console(quiet=True),
            app_factory=fake_app(kafka, lose_per_batch),
            load_factory=fake_load(kafka),
            offset_reader=lambda *_, **__: FakeOffsetReader(kafka),
            collectors=registry,
        )  # fmt: skip
        summary = run.execute()
    return summary, RunDirectory(out, spec.experiment, spec.run_id), kafka


def test_a_run_writes_its_directory_from_what_it_saw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mark_complete = RunDirectory.mark_complete
    before_complete: set[str] = set()

    def seen_before(directory: RunDirectory) -> None:
        before_complete.update(p.name for p in directory.path.iterdir())
        mark_complete(directory)

    monkeypatch.setattr(RunDirectory, "mark_complete", seen_before)
    summary, directory, kafka = run_once(tmp_path)
    assert directory.complete
    spec = json.loads((directory.path / "spec.json").read_text())
    assert spec["run_id"] == summary["run_id"] and spec["topic"] == f"bpbench-{summary['run_id']}"
    assert kafka.topics == [(spec["topic"], spec["manifest"]["platform"]["kafka"]["partitions"])]
    assert kafka.deleted == [spec["topic"]]  # measured: its data would only fill the broker's disk
    written = json.loads((directory.path / "summary.json").read_text())
    assert written == summary
    assert (summary["produced"], summary["processed"], summary["backlog"], summary["lost"]) == (
        PRODUCED, PRODUCED, 0, 0,
    )  # fmt: skip
    assert summary["outcome"] == "stable"
    for name in TABLE_COLUMNS:
        if name != "containers":  # the compose backend's own
            assert (directory.path / f"{name}.parquet").exists(), name
    batches = pd.read_parquet(directory.path / "batches.parquet")
    assert batches["input_records"].sum() == PRODUCED
    assert len(pd.read_parquet(directory.path / "offsets.parquet")) > 0
    assert len(pd.read_parquet(directory.path / "generator.parquet")) == DURATION_S
    config = json.loads((directory.path / "generator-config.json").read_text())
    assert config["profile"] == {"profile": "constant", "rate": RATE} and config["duration_s"] == DURATION_S
    events = [json.loads(line)["kind"] for line in (directory.path / "events.jsonl").read_text().splitlines()]
    assert events[0] == "run_started" and "drained" in events and events[-1] == "run_finished"
    # COMPLETE came last: when it was written, the rest was there already.
    assert {"spec.json", "summary.json", "batches.parquet", "app-batches.json"} <= before_complete
    assert "COMPLETE" not in before_complete


@pytest.mark.parametrize("lose_per_batch", [1, 25])
def test_records_the_app_did_not_count_are_lost(tmp_path: Path, lose_per_batch: int) -> None:
    summary, directory, _ = run_once(tmp_path, lose_per_batch=lose_per_batch)
    batches = PRODUCED // RATE
    assert summary["processed"] == PRODUCED - batches * lose_per_batch
    assert (summary["backlog"], summary["lost"]) == (0, batches * lose_per_batch)
    assert summary["outcome"] == "unstable"  # it never drained
    assert directory.complete
