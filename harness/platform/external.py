"""The external backend: an existing Kafka and Spark that the harness uses but never starts or stops.

The manifest names the brokers (``platform.external.kafka``, with any client security settings) and
the master (``platform.external.spark.master``: ``spark://``, ``k8s://`` or ``yarn``). The harness
creates each run's topic (with the cluster's default replication) and deletes it when the
experiment is done, submits the app in client mode from this machine (so the driver's UI, its
files and the stop protocol are local), and collects through the driver's REST API. Executor and
worker logs stay on the cluster's machines: failure evidence comes from the REST API alone.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from harness.errors import HarnessError, UsageError
from harness.net import LOOPBACK
from harness.observe.base import Collector
from harness.platform.kafka_broker import create_topic, delete_topics
from harness.results.outcomes import Evidence
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import ExternalPlatform, Platform

REACH_TIMEOUT_S = 10.0
# The cluster's own default (KIP-464), so a cluster that requires 3 replicas gets them.
DEFAULT_REPLICATION = -1
# Manifests are refused broker faults on this backend (harness.spec.faults); this is the last guard.
NOT_OURS = "an external cluster's broker is not the harness's to pause, stop or start"


def _admin(external: ExternalPlatform) -> AdminClient:
    kafka = external.kafka
    return AdminClient({**kafka.client_config, "bootstrap.servers": kafka.bootstrap_servers, "log_level": 0})


def _host_port(address: str, default_port: int) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return address.strip("[]"), default_port
    return host.strip("[]"), int(port)


def master_addresses(master: str) -> list[tuple[str, int]]:
    """The (host, port) pairs a master URL names: several for a standalone master with standbys."""
    if master.startswith("spark://"):
        return [_host_port(address, 7077) for address in master.removeprefix("spark://").split(",")]
    if master.startswith("k8s://"):
        url = urlsplit(master.removeprefix("k8s://"))
        if not url.scheme:
            url = urlsplit(f"https://{master.removeprefix('k8s://')}")
        return [(url.hostname or "", url.port or (80 if url.scheme == "http" else 443))]
    return []


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=REACH_TIMEOUT_S / 2):
            return True
    except OSError:
        return False


def _master_problem(master: str) -> str | None:
    if master == "yarn":
        conf = os.environ.get("HADOOP_CONF_DIR") or os.environ.get("YARN_CONF_DIR")
        if not conf or not Path(conf).is_dir():
            return (
                "platform.external.spark.master: yarn needs the cluster's client configuration; "
                "set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the folder with yarn-site.xml"
            )
        return None
    addresses = master_addresses(master)
    if not any(_answers(host, port) for host, port in addresses):
        shown = ", ".join(f"{host}:{port}" for host, port in addresses)
        return (
            f"platform.external.spark.master: nothing answers at {shown} ({master}); "
            "check the address and that the master is up and reachable from this machine"
        )
    return None


def _kafka_problem(external: ExternalPlatform) -> str | None:
    servers = external.kafka.bootstrap_servers
    try:
        _admin(external).list_topics(timeout=REACH_TIMEOUT_S)
    except KafkaException as exc:
        return (
            f"platform.external.kafka.bootstrap_servers: no Kafka broker answered at {servers} within "
            f"{REACH_TIMEOUT_S:.0f} s ({exc.args[0].str() if exc.args else exc}); check the address, "
            "that the brokers are up, and the security settings in platform.external.kafka.client_config"
        )
    return None


def reachability_problems(platform: Platform) -> list[str]:
    """The external cluster's master and brokers answer from here, or one line each on what to fix."""
    external = platform.external
    if external is None:  # the manifest schema requires it for this backend
        return ["platform.external: backend external needs the cluster's addresses"]
    try:
        _admin(external)
    except KafkaException as exc:
        return [f"platform.external.kafka.client_config: {exc.args[0].str() if exc.args else exc}"]
    problems = [_master_problem(external.spark.master), _kafka_problem(external)]
    return [problem for problem in problems if problem]


class ExternalBackend:
    name = "external"
    summary = "an existing Kafka and Spark (platform.external)"
    executor_logs_local = False

    def __init__(self, platform: Platform) -> None:
        if platform.external is None:
            raise UsageError("platform.external: backend external needs the cluster's addresses")
        self.platform = platform
        self.external = platform.external
        self._admin: AdminClient | None = None
        self._topics: list[str] = []

    @classmethod
    def create(cls, workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> ExternalBackend:
        return cls(platform)

    @staticmethod
    def problems(platform: Platform) -> list[str]:
        return reachability_problems(platform)

    def up(self) -> None:
        """Nothing to start: check once more that the cluster answers (it was checked before any
        file was written) and keep one admin client for the experiment."""
        problems = reachability_problems(self.platform)
        if problems:
            raise UsageError("\n".join(problems))
        self._admin = _admin(self.external)

    def down(self) -> None:
        """Delete the topics this experiment created and still has; the cluster itself is the user's."""
        if self._admin is not None:
            delete_topics(self._admin, self._topics)
        self._topics = []
        self._admin = None

    @property
    def bootstrap_servers(self) -> str:
        return self.external.kafka.bootstrap_servers

    @property
    def kafka_client_config(self) -> dict[str, str]:
        return dict(self.external.kafka.client_config)

    @property
    def app_kafka_params(self) -> dict[str, str]:
        return dict(self.external.kafka.app_client_config)

    @property
    def spark_master(self) -> str:
        return self.external.spark.master

    def spark_conf(self) -> dict[str, str]:
        spark = self.platform.spark
        host = self.external.spark.driver_host
        return {
            "spark.submit.deployMode": "client",
            "spark.driver.host": host,
            "spark.driver.bindAddress": host,
            "spark.executor.memory": spark.executor_memory,
            "spark.executor.cores": str(spark.cores),
            "spark.cores.max": str(spark.cores),
        }

    def driver_environment(self) -> dict[str, str]:
        # The driver's UI stays on loopback (SPARK_LOCAL_IP) and says so in the address it announces.
        return {"SPARK_PUBLIC_DNS": LOOPBACK}

    def create_topic(self, name: str, partitions: int) -> None:
        if self._admin is None:
            raise UsageError("the external backend is not up")
        create_topic(self._admin, name, partitions, DEFAULT_REPLICATION)
        self._topics.append(name)

    def delete_topics(self, names: list[str]) -> None:
        if self._admin is not None:
            delete_topics(self._admin, names)
        self._topics = [topic for topic in self._topics if topic not in names]

    def executor_logs(self, app_id: str) -> list[tuple[str, Path]]:
        return []  # on the cluster's machines

    def failure_evidence(self, app_id: str, before_ms: int | None) -> list[Evidence]:
        return []  # the REST API's removed executors are the evidence

    def pause_broker(self) -> None:
        raise HarnessError(NOT_OURS)

    resume_broker = stop_broker = start_broker = pause_broker

    def collectors(self) -> list[Collector]:
        return []

    def lost(self) -> str | None:
        return None  # the cluster is not the harness's to watch
