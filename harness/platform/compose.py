"""The compose backend: Kafka and a Spark standalone cluster in containers (``infra/compose``).

The harness drives ``docker compose`` (v2 or later) with the project's file and an environment made
from the manifest (worker count, cores, memory, container memory limits) and from ports it picks
free on 127.0.0.1: every container uses the host's network and binds to loopback, so the driver
(on this machine, client mode), the generator and the executors all reach Kafka and the master at
127.0.0.1. The engine is the user's (``DOCKER_HOST`` or the default socket) or the project's own
``dockerd``, which ``up`` starts when none answers and ``down`` stops again
(``harness.platform.engine``); missing images are built first (``harness.platform.images``).
Teardown removes the project's containers and network; its volumes only when asked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from harness.errors import HarnessError, UsageError
from harness.net import LOOPBACK, free_port
from harness.observe.base import Collector
from harness.observe.containers import ContainerStatsCollector
from harness.paths import REPO_ROOT
from harness.platform import engine as engines
from harness.platform import images
from harness.platform.kafka_broker import new_cluster_id
from harness.platform.spark_standalone import alive_workers
from harness.results.outcomes import Evidence, Outcome, worker_evidence
from harness.run.events import EventLog
from harness.run.supervisor import ManagedProcess, ProcessSupervisor
from harness.spec.manifest import Platform, jvm_memory_bytes
from harness.timing import wait_until

COMPOSE_FILE = REPO_ROOT / "infra" / "compose" / "compose.yaml"
DEFAULT_PROJECT = "bpbench"
# `make up` without a manifest: the compose file's own defaults (brokers, controllers, master, its UI).
DEFAULT_KAFKA_PORTS = (9092, 9094, 9096)
DEFAULT_CONTROLLER_PORTS = (19093, 19094, 19095)
DEFAULT_MASTER_PORTS = (7077, 8080)
COMPOSE_HINT = (
    "run `make compose` (builds Docker Compose from its pinned Go module into ~/.docker/cli-plugins)"
)
UP_TIMEOUT_S = 600.0
READY_TIMEOUT_S = 120.0
COMMAND_TIMEOUT_S = 60.0
# Pings of the engine (every PLATFORM_CHECK_INTERVAL_S during a run) left unanswered before it counts as
# gone: one slow answer on a loaded machine is not a lost engine.
LOST_AFTER_PINGS = 2
CONTAINER_PYTHON = "/opt/bpbench-python/bin/python"
_PORT_TAKEN = re.compile(
    r"(?:Bind for|listen tcp4?|bind:?)\s*(?:\S*?)(\d+\.\d+\.\d+\.\d+:\d+)?.*?"
    r"(port is already allocated|address already in use)",
    re.IGNORECASE,
)


def docker_problems(run: Any = subprocess.run, engine: engines.EngineChoice | None = None) -> list[str]:
    """The Docker client, Compose v2 or later and an engine (running, or one the project can start),
    or the one line that says what to fix."""
    if shutil.which("docker") is None:
        return ["backend compose: Docker is not installed (no `docker` on PATH); apt-get install docker.io "
                "(or Docker Engine), or use backend local"]  # fmt: skip
    compose = run(["docker", "compose", "version", "--short"], capture_output=True, text=True, check=False)
    if compose.returncode != 0:
        v1 = (
            " (only the old docker-compose v1 is installed, which is not supported)"
            if shutil.which("docker-compose")
            else ""
        )
        return [f"backend compose: Docker Compose v2 or later (`docker compose`) is missing{v1}; "
                f"{COMPOSE_HINT}, or use backend local"]  # fmt: skip
    if engine is None:
        try:
            engines.choose_engine(run=run)
        except UsageError as exc:
            return [str(exc)]
    return []


def compose_capacity_problems(platform: Platform) -> list[str]:
    compose = platform.compose_settings()
    asked = (
        jvm_memory_bytes(platform.spark.driver_memory)
        + compose.workers * jvm_memory_bytes(platform.worker_memory_limit())
        + compose.kafka_brokers * jvm_memory_bytes(compose.kafka_memory_limit)
    )
    total = psutil.virtual_memory().total
    if asked > total:
        return [f"platform.compose: the driver and the containers' memory limits come to "
                f"{asked / 2**30:.1f} GiB; this machine has {total / 2**30:.1f} GiB"]  # fmt: skip
    return []


def image_problems() -> list[str]:
    """An image missing and not buildable (checked in the engine when one answers)."""
    try:
        engine = engines.choose_engine()
    except UsageError:
        return []
    return images.image_problems(engine.env() if engine.running else {"DOCKER_HOST": "unix:///nonexistent"})


def compose_problems(platform: Platform) -> list[str]:
    return docker_problems() or compose_capacity_problems(platform) or image_problems()


def compose_command(project: str, three_brokers: bool, *args: str) -> list[str]:
    profiles = ["--profile", "three-brokers"] if three_brokers else []
    return ["docker", "compose", "--project-name", project, "--file", str(COMPOSE_FILE), *profiles, *args]


def compose_environment(
    platform: Platform, ports: StackPorts, work_dir: Path, project: str
) -> dict[str, str]:
    """The compose file's variables for a platform: sizes, limits, ports, images."""
    compose = platform.compose_settings()
    brokers = compose.kafka_brokers
    voters = ",".join(f"{n}@127.0.0.1:{ports.controllers[n - 1]}" for n in range(1, brokers + 1))
    return {
        "BPBENCH_PROJECT": project,
        "BPBENCH_KAFKA_PORT": str(ports.kafka[0]),
        "BPBENCH_KAFKA_PORT_2": str(ports.kafka[1]),
        "BPBENCH_KAFKA_PORT_3": str(ports.kafka[2]),
        "BPBENCH_CONTROLLER_PORT": str(ports.controllers[0]),
        "BPBENCH_CONTROLLER_PORT_2": str(ports.controllers[1]),
        "BPBENCH_CONTROLLER_PORT_3": str(ports.controllers[2]),
        "BPBENCH_MASTER_PORT": str(ports.master),
        "BPBENCH_MASTER_UI_PORT": str(ports.master_ui),
        "BPBENCH_KAFKA_VOTERS": voters,
        "BPBENCH_KAFKA_REPLICATION": str(brokers),
        "BPBENCH_KAFKA_CLUSTER_ID": new_cluster_id(),
        "BPBENCH_KAFKA_MEMORY_LIMIT": compose.kafka_memory_limit,
        "BPBENCH_WORKER_CORES": str(platform.spark.cores),
        "BPBENCH_WORKER_MEMORY": platform.spark.executor_memory,
        "BPBENCH_WORKER_MEMORY_LIMIT": platform.worker_memory_limit(),
        "BPBENCH_WORK_DIR": str(work_dir),
        # The experiment's folder (the backend folder's parent), which holds every run's checkpoints.
        "BPBENCH_SHARED_DIR": str(work_dir.parent.parent),
        "BPBENCH_UID": str(os.getuid()),
        "BPBENCH_GID": str(os.getgid()),
        **images.compose_images(),
    }


class StackPorts:
    """The loopback ports the stack binds: brokers, KRaft controllers, the master and its UI."""

    def __init__(
        self, kafka: tuple[int, int, int], controllers: tuple[int, int, int], master: int, master_ui: int
    ) -> None:
        self.kafka, self.controllers, self.master, self.master_ui = kafka, controllers, master, master_ui

    @classmethod
    def free(cls) -> StackPorts:
        return cls(
            (free_port(), free_port(), free_port()), (free_port(), free_port(), free_port()),
            free_port(), free_port(),
        )  # fmt: skip

    @classmethod
    def defaults(cls) -> StackPorts:
        return cls(DEFAULT_KAFKA_PORTS, DEFAULT_CONTROLLER_PORTS, *DEFAULT_MASTER_PORTS)

    def used(self, brokers: int) -> list[int]:
        return [*self.kafka[:brokers], *self.controllers[:brokers], self.master, self.master_ui]


def taken_ports(ports: list[int]) -> list[int]:
    """The ports something on this machine already listens on (127.0.0.1)."""
    taken = []
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((LOOPBACK, port))
            except OSError:
                taken.append(port)
    return taken


def parse_ps(output: str) -> list[dict[str, Any]]:
    """``docker compose ps --format json``: one JSON object per line (Compose 2.21 and later) or one
    JSON array (earlier)."""
    text = output.strip()
    if not text:
        return []
    if text.startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _limit(container: dict[str, Any]) -> str:
    limit = (container.get("HostConfig") or {}).get("Memory") or 0
    return f"{limit / 2**20:.0f} MiB" if limit else "no limit"


def oom_killed(inspected: str, since: float | None = None) -> list[Evidence]:
    """Containers whose state says the kernel killed them at their memory limit
    (``docker inspect`` output), as out-of-memory evidence like a JVM's; with ``since``, only those
    that ended after it (epoch seconds)."""
    found = []
    for container in json.loads(inspected):
        state = container.get("State") or {}
        if state.get("OOMKilled") and (since is None or _finished_at(state) >= since):
            name = container.get("Name", "").lstrip("/") or container.get("Id", "")[:12]
            detail = f"OOMKilled: the container was killed at its memory limit ({_limit(container)})"
            found.append(
                Evidence(Outcome.OOM, f"container {name}", f"{detail}, exit code {state.get('ExitCode')}")
            )
    return found


def _finished_at(state: dict[str, Any]) -> float:
    """``State.FinishedAt`` (RFC 3339 with nanoseconds) as epoch seconds; 0 when unknown."""
    stamp = str(state.get("FinishedAt") or "")
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", stamp)
    if match is None:
        return 0.0
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    moment = datetime.fromisoformat(match.group(1) + zone).timestamp()
    return moment + float(f"0.{match.group(2) or 0}")


def oom_events(
    events: str, inspected: str, since: float | None = None, until: float | None = None
) -> list[Evidence]:
    """The engine's ``oom`` events (``docker events --format '{{json .}}'``) between ``since`` and
    ``until`` (epoch seconds): the kernel killed a process of a container at the container's memory
    limit. A worker's executor killed so leaves the worker, and so the container, running: its
    ``OOMKilled`` state is only set when the container exits, the event is there at once. One piece
    of evidence per container, with the number of kills."""
    limits = {c.get("Id", ""): _limit(c) for c in json.loads(inspected or "[]")}
    counts: dict[str, int] = {}
    for line in events.splitlines():
        try:
            event = json.loads(line)
        except ValueError:  # a line the watcher printed on its way out, or cut short
            continue
        if not isinstance(event, dict) or event.get("Action", event.get("status")) != "oom":
            continue
        moment = int(event.get("timeNano") or 0) / 1e9 or float(event.get("time") or 0)
        if (since is not None and moment < since) or (until is not None and moment > until):
            continue
        actor = event.get("Actor") or {}
        name = (actor.get("Attributes") or {}).get("name") or actor.get("ID", event.get("id", ""))[:12]
        counts[name] = counts.get(name, 0) + 1
        limits.setdefault(name, limits.get(actor.get("ID", event.get("id", "")), "no limit"))
    return [
        Evidence(
            Outcome.OOM,
            f"container {name}",
            f"OOMKilled: the kernel killed a process at the container's memory limit ({limits[name]}), "
            f"{count} time{'s' if count > 1 else ''}",
        )  # fmt: skip
        for name, count in counts.items()
    ]


def port_taken(stderr: str) -> str | None:
    """The address a failed ``up`` could not bind, when that is why it failed."""
    match = _PORT_TAKEN.search(stderr)
    if match is None:
        return None
    return match.group(1) or "a published port"


class ComposeBackend:
    name = "compose"
    summary = "containers (infra/compose)"
    executor_logs_local = False
    kafka_client_config: dict[str, str] = {}
    app_kafka_params: dict[str, str] = {}

    def __init__(
        self,
        workdir: Path,
        platform: Platform,
        project: str | None = None,
        ports: StackPorts | None = None,
        run: Any = subprocess.run,
        events: EventLog | None = None,
        engine: engines.EngineChoice | None = None,
        stop_engine: bool = True,
        supervisor: ProcessSupervisor | None = None,
    ) -> None:
        # The Spark work folder is bind-mounted, and compose reads a relative mount from the compose
        # file's folder: `bpbench up --out results` must mount the folder the harness reads.
        workdir = workdir.absolute()
        self.workdir = workdir
        self.events = events
        self.platform = platform
        self.work_dir = workdir / "spark-work"
        # One project per backend folder, so a run never touches a stack `make up` started.
        self.project = (
            project or f"{DEFAULT_PROJECT}-{hashlib.sha256(str(workdir.resolve()).encode()).hexdigest()[:10]}"
        )
        self.ports = ports or StackPorts.free()
        self.three_brokers = platform.compose_settings().kafka_brokers == 3
        self.environment = compose_environment(platform, self.ports, self.work_dir, self.project)
        self._run = run
        self._engine = engine
        # Whether `down` stops a private engine that `up` had to start (`bpbench up` leaves it).
        self._stop_engine = stop_engine
        self._started_engine: engines.PrivateEngine | None = None
        self._evidence_since = time.time()
        # `docker events` for the project's OOM kills, from `up` to `down`: the engine keeps only its
        # last 256 events for a later query, a few seconds' worth while health checks run.
        self._supervisor = supervisor
        self._oom_watch: ManagedProcess | None = None
        self._missed_pings = 0
        self.master_url = f"spark://{LOOPBACK}:{self.ports.master}"
        self.master_ui_url = f"http://{LOOPBACK}:{self.ports.master_ui}"

    @classmethod
    def create(cls, workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> ComposeBackend:
        return cls(workdir, platform, events=supervisor.events, supervisor=supervisor)

    @staticmethod
    def problems(platform: Platform) -> list[str]:
        return compose_problems(platform)

    @property
    def started_engine(self) -> engines.PrivateEngine | None:
        return self._started_engine

    @property
    def engine(self) -> engines.EngineChoice:
        if self._engine is None:
            self._engine = engines.choose_engine()
        return self._engine

    def docker_env(self) -> dict[str, str]:
        return {**os.environ, **self.engine.env()}

    def compose(self, *args: str, timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess:
        return self._run(
            compose_command(self.project, self.three_brokers, *args),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env={**self.docker_env(), **self.environment},
        )

    def docker(self, *args: str) -> subprocess.CompletedProcess:
        return self._run(
            ["docker", *args], capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_S,
            env=self.docker_env(),
        )  # fmt: skip

    def up_command(self) -> list[str]:
        workers = str(self.platform.compose_settings().workers)
        return ["up", "--detach", "--wait", "--scale", f"spark-worker={workers}"]

    def _emit(self, kind: str, **fields: object) -> None:
        """An event in the backend's log, when it has one (``bpbench up`` and tests may not)."""
        if self.events is not None:
            self.events.emit(kind, **fields)

    def _log(self, message: str) -> None:
        self._emit("compose_progress", message=message)

    def start_engine(self) -> None:
        """Start the private engine when none answers (and remember to stop it)."""
        engine = self.engine
        if engine.running or engine.private is None:
            return
        engines.start_private(engine.private)
        self._started_engine = engine.private
        self._engine = engines.EngineChoice(engine.docker_host, running=True, private=engine.private)
        self._emit("engine_started", docker_host=engine.docker_host, pid=engine.private.pid())

    def up(self) -> None:
        taken = taken_ports(self.ports.used(self.platform.compose_settings().kafka_brokers))
        if taken:
            raise UsageError(
                f"backend compose: port {LOOPBACK}:{taken[0]} is already taken on this machine; stop what "
                "uses it (or `bpbench down --backend compose` for a stack left up) and try again"
            )
        self.work_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_engine()
            if images.missing_images(self.engine.env(), self._run):
                images.build_images(self.engine.env(), self._log)
            result = self.compose(*self.up_command(), timeout=UP_TIMEOUT_S)
        except BaseException:
            self.down()
            raise
        if result.returncode != 0:
            logs = self.compose("logs", "--no-color")
            self.down()
            taken_at = port_taken(result.stderr) or port_taken(logs.stdout if logs.returncode == 0 else "")
            if taken_at:
                raise UsageError(
                    f"backend compose: port {taken_at} is already taken on this machine; stop what uses it "
                    "(or `bpbench down --backend compose` for a stack left up) and try again"
                )
            raise HarnessError(f"docker compose up failed:\n{result.stderr.strip()[-2000:]}")
        self._evidence_since = time.time()
        try:
            self._watch_oom()
            self._wait_for_workers()
        except BaseException:
            self.down()
            raise
        self._emit(
            "compose_up", project=self.project, bootstrap_servers=self.bootstrap_servers,
            spark_master=self.master_url, docker_host=self.engine.docker_host,
        )  # fmt: skip

    @property
    def oom_log(self) -> Path:
        return self.workdir / "oom-events.ndjson"

    def _watch_oom(self) -> None:
        if self._supervisor is None:
            return
        self._oom_watch = self._supervisor.start(
            "docker-events-oom",
            ["docker", "events", "--filter", f"label=com.docker.compose.project={self.project}",
             "--filter", "event=oom", "--format", "{{json .}}"],
            self.oom_log, env=self.docker_env(),
        )  # fmt: skip

    def _wait_for_workers(self) -> None:
        wanted = self.platform.compose_settings().workers
        alive = [0]

        def registered() -> bool:
            alive[0] = alive_workers(self.master_ui_url)
            return alive[0] >= wanted

        if wait_until(registered, READY_TIMEOUT_S, interval_s=0.5):
            return
        raise HarnessError(
            f"{alive[0]} of {wanted} Spark workers registered with the master in {READY_TIMEOUT_S:.0f} s; "
            f"see `docker compose --project-name {self.project} logs spark-worker`"
        )

    def lost(self) -> str | None:
        """The engine stopped answering (``LOST_AFTER_PINGS`` pings in a row): Kafka and Spark, in its
        containers, are out of the harness's reach, whether they still run or not."""
        if engines.ping(self.engine.docker_host):
            self._missed_pings = 0
            return None
        self._missed_pings += 1
        if self._missed_pings < LOST_AFTER_PINGS:
            return None
        where = self.engine.docker_host or f"unix://{engines.DEFAULT_SOCKET}"
        if self._started_engine is not None:
            cleanup = "the harness starts it again to remove the run's containers, then stops it"
        else:
            cleanup = (
                f"its containers may still run: once it answers, `docker compose --project-name "
                f"{self.project} down` removes them"
            )
        return f"the Docker engine at {where} stopped answering during the run ({cleanup})"

    def _engine_answers(self) -> bool:
        """Whether the engine answers now; a private engine the harness started and that died is
        started again, so that it stops the containers it left (it does not restore them) and
        ``down`` can remove them."""
        if engines.ping(self.engine.docker_host):
            return True
        private = self._started_engine
        if private is None:
            return False
        self._emit("engine_lost", docker_host=private.host)
        try:
            engines.start_private(private)
        except HarnessError as exc:  # the run's own failure says more; this one is kept in the log
            self._emit("engine_restart_failed", reason=str(exc))
            return False
        self._emit("engine_started", docker_host=private.host, pid=private.pid(), cleanup=True)
        return True

    def down(self, volumes: bool = False) -> None:
        """Remove the project's containers and network (and its volumes when asked); keep the logs;
        stop the private engine if ``up`` started it."""
        try:
            if self._oom_watch is not None and self._supervisor is not None:
                self._supervisor.stop(self._oom_watch, grace_s=5.0)
                self._oom_watch = None
            if self._engine_answers():
                logs = self.compose("logs", "--no-color", "--timestamps")
                if logs.returncode == 0 and logs.stdout:
                    self.workdir.mkdir(parents=True, exist_ok=True)
                    (self.workdir / "compose.log").write_text(logs.stdout)
                self.compose(
                    "down", "--remove-orphans", "--timeout", "10", *(["--volumes"] if volumes else []),
                    timeout=UP_TIMEOUT_S,
                )  # fmt: skip
                self._emit("compose_down", project=self.project, volumes=volumes)
        finally:
            if self._started_engine is not None and self._stop_engine:
                engines.stop_private(self._started_engine)
                self._started_engine = None
                self._emit("engine_stopped")

    @property
    def bootstrap_servers(self) -> str:
        ports = self.ports.kafka[: self.platform.compose_settings().kafka_brokers]
        return ",".join(f"{LOOPBACK}:{port}" for port in ports)

    @property
    def spark_master(self) -> str:
        return self.master_url

    def spark_conf(self) -> dict[str, str]:
        spark = self.platform.spark
        workers = self.platform.compose_settings().workers
        return {
            # The containers share this machine's network: the driver stays on loopback.
            "spark.driver.host": LOOPBACK,
            "spark.driver.bindAddress": LOOPBACK,
            "spark.executor.memory": spark.executor_memory,
            "spark.executor.cores": str(spark.cores),
            "spark.cores.max": str(spark.cores * workers),
            # The executors' Python is the image's, of the driver's minor version.
            "spark.pyspark.python": CONTAINER_PYTHON,
            "spark.pyspark.driver.python": sys.executable,
        }

    def driver_environment(self) -> dict[str, str]:
        return {"SPARK_PUBLIC_DNS": LOOPBACK}

    def create_topic(self, name: str, partitions: int) -> None:
        from confluent_kafka.admin import AdminClient

        from harness.platform.kafka_broker import create_topic

        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})
        create_topic(
            admin, name, partitions, replication_factor=self.platform.compose_settings().kafka_brokers
        )

    def delete_topics(self, names: list[str]) -> None:
        from confluent_kafka.admin import AdminClient

        from harness.platform.kafka_broker import delete_topics

        delete_topics(AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0}), names)

    def executor_logs(self, app_id: str) -> list[tuple[str, Path]]:
        """The workers' work folder is mounted from the backend folder: executor logs and GC logs."""
        logs = []
        for executor_dir in sorted((self.work_dir / app_id).glob("*")):
            for stream in ("stdout", "stderr"):
                if (executor_dir / stream).is_file():
                    logs.append((f"executor-{executor_dir.name}.{stream}", executor_dir / stream))
            logs.extend((gc.name, gc) for gc in sorted(executor_dir.glob("gc-executor-*.log")))
        return logs

    def containers(self) -> list[dict[str, Any]]:
        result = self.compose("ps", "--all", "--format", "json")
        return parse_ps(result.stdout) if result.returncode == 0 else []

    def failure_evidence(self, app_id: str, before_ms: int | None) -> list[Evidence]:
        """Executors that workers saw end (their logs), and the kernel's OOM kills in the project's
        containers since the last call (the engine's events), or containers that died of one."""
        since, until = self._evidence_since, time.time()
        self._evidence_since = until
        logs = self.compose("logs", "--no-color", "--no-log-prefix", "spark-worker")
        evidence = (
            worker_evidence(logs.stdout.splitlines(), app_id, before_ms) if logs.returncode == 0 else []
        )
        ids = [c["ID"] for c in self.containers() if c.get("ID")]
        inspected = self.docker("inspect", *ids) if ids else None
        described = inspected.stdout if inspected is not None and inspected.returncode == 0 else "[]"
        if self._oom_watch is not None:
            watched = self.oom_log.read_text(errors="replace") if self.oom_log.exists() else ""
        else:  # no watcher (`bpbench up`, tests): what the engine still keeps
            asked = self.docker(
                "events", "--since", f"{since:.3f}", "--until", f"{until + 1:.3f}",
                "--filter", f"label=com.docker.compose.project={self.project}", "--filter", "event=oom",
                "--format", "{{json .}}",
            )  # fmt: skip
            watched = asked.stdout if asked.returncode == 0 else ""
        killed = oom_events(watched, described, since, until + 1)
        dead = [e for e in oom_killed(described, since) if e.source not in {k.source for k in killed}]
        return evidence + killed + dead

    def _broker_command(self, command: str) -> None:
        """``docker compose pause|unpause|stop|start kafka``: the first broker's container."""
        result = self.compose(command, "kafka")
        if result.returncode != 0:
            raise HarnessError(f"docker compose {command} kafka failed: {result.stderr.strip()[-1000:]}")

    def pause_broker(self) -> None:
        self._broker_command("pause")

    def resume_broker(self) -> None:
        self._broker_command("unpause")

    def stop_broker(self) -> None:
        self._broker_command("stop")

    def start_broker(self) -> None:
        from confluent_kafka.admin import AdminClient

        from harness.platform.kafka_broker import answers

        self._broker_command("start")
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers, "log_level": 0})
        if not wait_until(lambda: answers(admin), READY_TIMEOUT_S, interval_s=0.5):
            raise HarnessError(
                f"the Kafka broker did not answer within {READY_TIMEOUT_S:.0f} s of starting again"
            )

    def collectors(self) -> list[Collector]:
        return [ContainerStatsCollector(self.project, docker_host=self.engine.docker_host)]
