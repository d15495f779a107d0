"""The local backend: Kafka and Spark as processes on this machine, no Docker."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import psutil

from harness.observe.base import Collector
from harness.platform.kafka_broker import KAFKA_HEAP_BYTES, KafkaBroker
from harness.platform.spark_standalone import SparkStandalone
from harness.results.outcomes import Evidence, worker_evidence
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import Platform, jvm_memory_bytes


class LocalBackend:
    name = "local"
    summary = "processes on this machine"
    executor_logs_local = True
    kafka_client_config: dict[str, str] = {}
    app_kafka_params: dict[str, str] = {}

    def __init__(self, workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> None:
        self.platform = platform
        self.broker = KafkaBroker(workdir / "kafka", supervisor)
        spark = platform.spark
        self.standalone = (
            SparkStandalone(workdir / "spark", supervisor, spark.cores, spark.executor_memory)
            if spark.topology == "standalone"
            else None
        )

    @classmethod
    def create(cls, workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> LocalBackend:
        return cls(workdir, platform, supervisor)

    @staticmethod
    def problems(platform: Platform) -> list[str]:
        return capacity_problems(platform)

    def up(self) -> None:
        # A fresh broker each time: topics of an interrupted earlier attempt must not linger.
        shutil.rmtree(self.broker.data_dir, ignore_errors=True)
        self.broker.start()
        if self.standalone is not None:
            self.standalone.start()

    @property
    def bootstrap_servers(self) -> str:
        return self.broker.bootstrap_servers

    @property
    def spark_master(self) -> str:
        if self.standalone is not None:
            return self.standalone.master_url
        return f"local[{self.platform.spark.cores}]"

    def spark_conf(self) -> dict[str, str]:
        spark = self.platform.spark
        if self.standalone is None:
            return {}
        return {
            "spark.executor.memory": spark.executor_memory,
            "spark.executor.cores": str(spark.cores),
            "spark.cores.max": str(spark.cores),
        }

    def driver_environment(self) -> dict[str, str]:
        return {}

    def collectors(self) -> list[Collector]:
        return []

    def lost(self) -> str | None:
        return None  # its processes dying are the system under test's outcomes

    def failure_evidence(self, app_id: str, before_ms: int | None) -> list[Evidence]:
        return worker_evidence(self.worker_log_lines(), app_id, before_ms)

    def executor_logs(self, app_id: str) -> list[tuple[str, Path]]:
        """The standalone executors' stdout and stderr as (name in the run's logs, path)."""
        if self.standalone is None:
            return []
        logs = []
        for executor_dir in sorted((self.standalone.workdir / "work" / app_id).glob("*")):
            for stream in ("stdout", "stderr"):
                if (executor_dir / stream).is_file():
                    logs.append((f"executor-{executor_dir.name}.{stream}", executor_dir / stream))
        return logs

    def worker_log_lines(self) -> list[str]:
        """The standalone worker's log (it records each executor's exit status); none in local mode."""
        if self.standalone is None:
            return []
        log = self.standalone.workdir / "spark-worker.log"
        return log.read_text(errors="replace").splitlines() if log.exists() else []

    def create_topic(self, name: str, partitions: int) -> None:
        self.broker.create_topic(name, partitions)

    def delete_topics(self, names: list[str]) -> None:
        self.broker.delete_topics(names)

    def pause_broker(self) -> None:
        self.broker.pause()

    def resume_broker(self) -> None:
        self.broker.resume()

    def stop_broker(self) -> None:
        self.broker.stop_process()

    def start_broker(self) -> None:
        self.broker.restart()

    def down(self) -> None:
        if self.standalone is not None:
            self.standalone.stop()
        self.broker.stop()
        shutil.rmtree(self.broker.data_dir, ignore_errors=True)


def capacity_problems(platform: Platform) -> list[str]:
    """What a platform asks of this machine beyond its cores and memory."""
    spark = platform.spark
    cpus = os.cpu_count() or 1
    total = psutil.virtual_memory().total
    asked = jvm_memory_bytes(spark.driver_memory) + KAFKA_HEAP_BYTES
    if spark.topology == "standalone":
        asked += jvm_memory_bytes(spark.executor_memory)
    problems = []
    if spark.cores > cpus:
        problems.append(f"platform.spark.cores: {spark.cores} is more than this machine's {cpus} cores")
    if asked > total:
        problems.append(
            f"platform.spark: driver, executor and broker memory come to {asked / 2**30:.1f} GiB; "
            f"this machine has {total / 2**30:.1f} GiB"
        )
    return problems
