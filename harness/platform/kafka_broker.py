"""A single-node Apache Kafka broker in KRaft mode, run as a JVM process on loopback."""

from __future__ import annotations

import base64
import contextlib
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from confluent_kafka import KafkaException, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from harness import jvm
from harness.errors import HarnessError
from harness.net import LOOPBACK, free_port
from harness.run.supervisor import ManagedProcess, ProcessSupervisor, signal_group

KAFKA_MAIN = "kafka.Kafka"
STORAGE_TOOL_MAIN = "kafka.tools.StorageTool"
START_TIMEOUT_S = 90.0
PORT_ATTEMPTS = 3
TOPIC_TIMEOUT_S = 30.0  # for the CreateTopics request, then again for every partition's leader
LEADER_POLL_S = 0.1
KAFKA_HEAP_BYTES = 1 << 30
BROKER_HEAP = f"-Xmx{KAFKA_HEAP_BYTES >> 20}m"

_LOG4J = """\
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File={log}
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
"""


def server_properties(data_dir: Path, port: int, controller_port: int) -> str:
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@{LOOPBACK}:{controller_port}",
            f"listeners=PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
            f"advertised.listeners=PLAINTEXT://{LOOPBACK}:{port}",
            "controller.listener.names=CONTROLLER",
            "inter.broker.listener.name=PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            f"log.dirs={data_dir}",
            "num.partitions=1",
            "auto.create.topics.enable=false",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            "",
        ]
    )


def new_cluster_id() -> str:
    """A random KRaft cluster id: a UUID in URL-safe base64, never starting with '-'.

    A leading '-' would make the storage tool read the id as an option, so such ids are drawn again,
    as Kafka's own generator does.
    """
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


def answers(admin: AdminClient) -> bool:
    """Whether a broker answers a metadata request (within 2 s)."""
    try:
        return bool(admin.list_topics(timeout=2).brokers)
    except KafkaException:
        return False


def create_topic(admin: AdminClient, name: str, partitions: int, replication_factor: int) -> None:
    """Create a topic and wait until every partition has a leader; ``replication_factor`` -1 takes the
    cluster's default.

    The CreateTopics request completes before every partition's leader is known and serving, and until
    then offset requests fail with NOT_LEADER_FOR_PARTITION. Every backend makes its topics through here.
    """
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)]
    )
    try:
        futures[name].result(timeout=TOPIC_TIMEOUT_S)
    except KafkaException as exc:
        raise HarnessError(f"could not create topic {name}: {exc}") from exc
    wait_for_leaders(admin, name, partitions)


def delete_topics(admin: AdminClient, names: list[str]) -> None:
    """Delete a run's topics once it is measured, so an experiment's data does not pile up on disk (a
    run of the paper set writes gigabytes). A cluster that refuses keeps them: nothing else to undo."""
    if not names:
        return
    with contextlib.suppress(KafkaException):
        for future in admin.delete_topics(names, operation_timeout=TOPIC_TIMEOUT_S).values():
            with contextlib.suppress(KafkaException, TimeoutError):
                future.result(timeout=TOPIC_TIMEOUT_S)


def partitions_without_leader(admin: AdminClient, name: str, partitions: int, timeout_s: float) -> str:
    """Which of the topic's partitions have no leader serving them, and why; "" if every one has.

    A partition needs a leader and no error in the cluster's metadata, and then that leader has to
    answer an offset request: a broker publishes a partition's leader in its metadata a moment before it
    takes the partition on, and answers NOT_LEADER_FOR_PARTITION in between.
    """
    try:
        metadata = admin.list_topics(name, timeout=timeout_s)
    except KafkaException as exc:
        return f"metadata request failed: {exc}"
    topic = metadata.topics.get(name)
    if topic is None:
        return "topic not in the metadata"
    if topic.error is not None:
        return f"topic error {topic.error}"
    missing = []
    for partition in range(partitions):
        described = topic.partitions.get(partition)
        if described is None:
            missing.append(f"{partition} (not in the metadata)")
        elif described.error is not None:
            missing.append(f"{partition} ({described.error})")
        elif described.leader < 0:
            missing.append(f"{partition} (no leader)")
    if not missing:
        requests = {TopicPartition(name, p): OffsetSpec.latest() for p in range(partitions)}
        futures = admin.list_offsets(requests, request_timeout=timeout_s)
        for position, future in sorted(futures.items(), key=lambda item: item[0].partition):
            try:
                future.result(timeout=timeout_s + 1)
            except (KafkaException, TimeoutError) as exc:  # the futures' TimeoutError is the builtin one
                missing.append(f"{position.partition} (offset request: {exc})")
    return f"partitions {', '.join(missing)}" if missing else ""


def wait_for_leaders(
    admin: AdminClient,
    name: str,
    partitions: int,
    timeout_s: float = TOPIC_TIMEOUT_S,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Return once each of the topic's ``partitions`` has a leader that serves it (see
    ``partitions_without_leader``); raise ``HarnessError`` with what was still missing if that has not
    happened within ``timeout_s``."""
    deadline = clock() + timeout_s
    while True:
        request_timeout = min(5.0, max(0.5, deadline - clock()))
        missing = partitions_without_leader(admin, name, partitions, request_timeout)
        if not missing:
            return
        if clock() >= deadline:
            raise HarnessError(f"topic {name} was created but not ready within {timeout_s:g} s: {missing}")
        sleep(LEADER_POLL_S)


class KafkaBroker:
    """Start, probe and stop one broker; its files live under ``workdir``."""

    def __init__(self, workdir: Path, supervisor: ProcessSupervisor) -> None:
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.log_path = workdir / "broker.log"
        self._supervisor = supervisor
        self._process: ManagedProcess | None = None
        self._admin: AdminClient | None = None
        self.bootstrap_servers = ""

    def _java(self, main: str, *args: str) -> list[str]:
        classpath = ":".join(map(str, jvm.classpath("kafka-broker")))
        log4j = self.workdir / "log4j.properties"
        return [
            "java",
            BROKER_HEAP,
            f"-Dlog4j.configuration=file:{log4j}",
            f"-Dkafka.logs.dir={self.workdir}",
            "-cp",
            classpath,
            main,
            *args,
        ]

    def _format_storage(self, config: Path) -> None:
        """Format the KRaft storage on first start; a formatted directory is kept as it is."""
        if (self.data_dir / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
        process = self._supervisor.start(
            "kafka-storage-format",
            self._java(
                STORAGE_TOOL_MAIN, "format", "-t", cluster_id, "-c", str(config), "--ignore-formatted"
            ),
            self.workdir / "storage-format.log",
        )
        code = process.popen.wait(timeout=120)
        if code != 0:
            raise HarnessError(f"formatting Kafka storage failed (exit {code}):\n{process.log_tail()}")

    def start(self) -> str:
        """Start the broker on free ports and wait until it answers metadata requests."""
        jvm.require_jdk()
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "log4j.properties").write_text(_LOG4J.format(log=self.log_path))
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port, controller_port = free_port(), free_port()
            config = self.workdir / "server.properties"
            config.write_text(server_properties(self.data_dir, port, controller_port))
            self._format_storage(config)
            log_offsets = [path.stat().st_size if path.exists() else 0 for path in self._logs()]
            self._process = self._supervisor.start(
                "kafka-broker", self._java(KAFKA_MAIN, str(config)), self.workdir / "broker.out"
            )
            self.bootstrap_servers = f"{LOOPBACK}:{port}"
            if self._wait_ready():
                return self.bootstrap_servers
            self._supervisor.stop(self._process)
            attempt_log = self._log_since(log_offsets)
            if "Address already in use" not in attempt_log or attempt == PORT_ATTEMPTS:
                tail = "\n".join(attempt_log.splitlines()[-20:])
                raise HarnessError(f"the Kafka broker did not start; last lines of {self.log_path}:\n{tail}")
        raise AssertionError("unreachable")

    def _logs(self) -> tuple[Path, Path]:
        return self.log_path, self.workdir / "broker.out"

    def _log_since(self, offsets: list[int]) -> str:
        """What the broker wrote to its logs during this attempt."""
        text = []
        for path, offset in zip(self._logs(), offsets, strict=True):
            if path.exists():
                with path.open("rb") as handle:
                    handle.seek(offset)
                    text.append(handle.read().decode(errors="replace"))
        return "".join(text)

    def _wait_ready(self) -> bool:
        admin = self._admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._process is None or not self._process.alive():
                return False
            if answers(admin):
                return True
        return False

    def admin(self) -> AdminClient:
        # One client for the broker's life: futures fail if the client that made them is collected.
        if self._admin is None:
            raise HarnessError("the Kafka broker is not running")
        return self._admin

    def create_topic(self, name: str, partitions: int) -> None:
        create_topic(self.admin(), name, partitions, replication_factor=1)

    def delete_topics(self, names: list[str]) -> None:
        if self._process is not None and not self._process.alive():
            return  # a broker that died (a full disk) answers nothing; its data goes with it at stop
        delete_topics(self.admin(), names)

    def pause(self) -> None:
        """SIGSTOP the broker: connections stay open, nothing is answered (a fault, ``pause_broker``)."""
        if self._process is not None:
            signal_group(self._process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            signal_group(self._process.pid, signal.SIGCONT)

    def restart(self) -> None:
        """Start the stopped broker again on its port and storage (a fault, ``restart_broker``)."""
        config = self.workdir / "server.properties"
        self._process = self._supervisor.start(
            "kafka-broker",
            self._java(KAFKA_MAIN, str(config)),
            self.workdir / "broker.out",
            outlasts_scope=True,  # the backend's broker: it serves the experiment's next runs too
        )
        if not self._wait_ready():
            raise HarnessError(f"the Kafka broker did not start again; see {self.log_path}")

    def stop_process(self) -> None:
        """Stop the broker and keep its storage and port for ``restart``."""
        if self._process is not None:
            self._supervisor.stop(self._process, grace_s=30.0)
            self._process = None

    def stop(self) -> None:
        self.stop_process()
        self._admin = None
