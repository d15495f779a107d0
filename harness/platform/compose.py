"""The compose backend: Kafka and a Spark standalone cluster in containers (``infra/compose``).

The harness drives ``docker compose`` (v2) with the project's file and an environment made from
the manifest (worker count, cores, memory, container memory limits, broker ports), and learns every
endpoint from Compose itself: the master's host ports from ``docker compose port``, the driver's
address from the project network's gateway (``docker network inspect``), the containers from
``docker compose ps``. The driver runs on this machine in client mode. Teardown removes the
project's containers and network; its volumes only when asked.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import psutil

from harness.errors import HarnessError, UsageError
from harness.net import LOOPBACK, free_port
from harness.observe.base import Collector
from harness.observe.containers import ContainerStatsCollector
from harness.paths import REPO_ROOT
from harness.platform.kafka_broker import new_cluster_id
from harness.platform.spark_standalone import alive_workers
from harness.results.outcomes import Evidence, Outcome, worker_evidence
from harness.run.events import EventLog
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import Platform, jvm_memory_bytes
from harness.timing import wait_until

COMPOSE_FILE = REPO_ROOT / "infra" / "compose" / "compose.yaml"
DEFAULT_PROJECT = "bpbench"
MASTER_PORT, MASTER_UI_PORT = 7077, 8080
CONTROLLER_PORTS = (19093, 19094, 19095)
# `make up` without a manifest: the compose file's own defaults.
DEFAULT_KAFKA_PORTS = (9092, 9094, 9096)
UP_TIMEOUT_S = 600.0
READY_TIMEOUT_S = 120.0
COMMAND_TIMEOUT_S = 60.0
CONTAINER_PYTHON = "/opt/bpbench-python/bin/python"
_PORT_TAKEN = re.compile(
    r"(?:Bind for|listen tcp4?|bind:?)\s*(?:\S*?)(\d+\.\d+\.\d+\.\d+:\d+)?.*?"
    r"(port is already allocated|address already in use)",
    re.IGNORECASE,
)


def docker_problems(run: Any = subprocess.run) -> list[str]:
    """Docker, Compose v2 and a running engine, or the one line that says what to fix."""
    if shutil.which("docker") is None:
        return ["backend compose: Docker is not installed (no `docker` on PATH); install Docker Engine "
                "with its compose plugin, or use backend local"]  # fmt: skip
    compose = run(["docker", "compose", "version", "--short"], capture_output=True, text=True, check=False)
    if compose.returncode != 0:
        v1 = (
            " (only the old docker-compose v1 is installed, which is not supported)"
            if shutil.which("docker-compose")
            else ""
        )
        return [f"backend compose: Docker Compose v2 (`docker compose`) is missing{v1}; install the "
                "docker-compose-plugin package, or use backend local"]  # fmt: skip
    info = run(
        ["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, check=False
    )
    if info.returncode != 0 or not info.stdout.strip():
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        return [f"backend compose: the Docker engine is not running ({reason}); start it "
                "(systemctl start docker, or Docker Desktop), or use backend local"]  # fmt: skip
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


def compose_problems(platform: Platform) -> list[str]:
    return docker_problems() or compose_capacity_problems(platform)


def compose_command(project: str, three_brokers: bool, *args: str) -> list[str]:
    profiles = ["--profile", "three-brokers"] if three_brokers else []
    return ["docker", "compose", "--project-name", project, "--file", str(COMPOSE_FILE), *profiles, *args]


def compose_environment(
    platform: Platform, kafka_ports: tuple[int, int, int], work_dir: Path, project: str
) -> dict[str, str]:
    """The compose file's variables for a platform: sizes, limits, ports, this machine's Python."""
    compose = platform.compose_settings()
    brokers = compose.kafka_brokers
    voters = ",".join(f"{n}@127.0.0.1:{CONTROLLER_PORTS[n - 1]}" for n in range(1, brokers + 1))
    return {
        "BPBENCH_PROJECT": project,
        "BPBENCH_KAFKA_PORT": str(kafka_ports[0]),
        "BPBENCH_KAFKA_PORT_2": str(kafka_ports[1]),
        "BPBENCH_KAFKA_PORT_3": str(kafka_ports[2]),
        "BPBENCH_KAFKA_VOTERS": voters,
        "BPBENCH_KAFKA_REPLICATION": str(brokers),
        "BPBENCH_KAFKA_CLUSTER_ID": new_cluster_id(),
        "BPBENCH_KAFKA_MEMORY_LIMIT": compose.kafka_memory_limit,
        "BPBENCH_WORKER_CORES": str(platform.spark.cores),
        "BPBENCH_WORKER_MEMORY": platform.spark.executor_memory,
        "BPBENCH_WORKER_MEMORY_LIMIT": platform.worker_memory_limit(),
        "BPBENCH_WORK_DIR": str(work_dir),
        "BPBENCH_UID": str(os.getuid()),
        "BPBENCH_GID": str(os.getgid()),
        "BPBENCH_PYTHON_VERSION": f"{sys.version_info.major}.{sys.version_info.minor}",
        "BPBENCH_NUMPY_VERSION": _locked_version("numpy"),
    }


def _locked_version(package: str) -> str:
    for line in (REPO_ROOT / "requirements.lock").read_text().splitlines():
        name, _, version = line.partition("==")
        if name.strip().lower() == package:
            return version.strip()
    raise HarnessError(f"requirements.lock pins no {package}")


def parse_port(output: str) -> tuple[str, int]:
    """``docker compose port`` output (``127.0.0.1:49153``) as (host, port)."""
    line = output.strip().splitlines()[0] if output.strip() else ""
    host, _, port = line.rpartition(":")
    if not host or not port.isdigit():
        raise HarnessError(f"docker compose port printed {output.strip()!r}, not host:port")
    return host.strip("[]"), int(port)


def parse_ps(output: str) -> list[dict[str, Any]]:
    """``docker compose ps --format json``: one JSON object per line (Compose 2.21 and later) or one
    JSON array (earlier)."""
    text = output.strip()
    if not text:
        return []
    if text.startswith("["):
        return list(json.loads(text))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def parse_gateway(output: str) -> str:
    """The gateway address of a network from ``docker network inspect`` (a JSON array)."""
    networks = json.loads(output)
    for config in (networks[0].get("IPAM") or {}).get("Config") or []:
        if config.get("Gateway"):
            return str(config["Gateway"])
    raise HarnessError("the compose network has no gateway address; see `docker network inspect`")


def oom_killed(inspected: str) -> list[Evidence]:
    """Containers whose state says the kernel killed them at their memory limit
    (``docker inspect`` output), as out-of-memory evidence like a JVM's."""
    found = []
    for container in json.loads(inspected):
        state = container.get("State") or {}
        if state.get("OOMKilled"):
            name = container.get("Name", "").lstrip("/") or container.get("Id", "")[:12]
            limit = (container.get("HostConfig") or {}).get("Memory") or 0
            detail = f"OOMKilled: the container was killed at its memory limit ({limit / 2**20:.0f} MiB)"
            found.append(
                Evidence(Outcome.OOM, f"container {name}", f"{detail}, exit code {state.get('ExitCode')}")
            )
    return found


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
        kafka_ports: tuple[int, int, int] | None = None,
        run: Any = subprocess.run,
        events: EventLog | None = None,
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
        self.kafka_ports = kafka_ports or (free_port(), free_port(), free_port())
        self.three_brokers = platform.compose_settings().kafka_brokers == 3
        self.environment = compose_environment(platform, self.kafka_ports, self.work_dir, self.project)
        self._run = run
        self.master_url = ""
        self.master_ui_url = ""
        self.gateway = ""

    @classmethod
    def create(cls, workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> ComposeBackend:
        return cls(workdir, platform, events=supervisor.events)

    @staticmethod
    def problems(platform: Platform) -> list[str]:
        return compose_problems(platform)

    def compose(self, *args: str, timeout: float = COMMAND_TIMEOUT_S) -> subprocess.CompletedProcess:
        return self._run(
            compose_command(self.project, self.three_brokers, *args),
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            env={**os.environ, **self.environment},
        )

    def _checked(self, *args: str) -> str:
        result = self.compose(*args)
        if result.returncode != 0:
            raise HarnessError(f"docker compose {' '.join(args)} failed:\n{result.stderr.strip()[-2000:]}")
        return result.stdout

    def up_command(self) -> list[str]:
        workers = str(self.platform.compose_settings().workers)
        return ["up", "--detach", "--wait", "--build", "--scale", f"spark-worker={workers}"]

    def up(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        result = self.compose(*self.up_command(), timeout=UP_TIMEOUT_S)
        if result.returncode != 0:
            self.down()
            taken = port_taken(result.stderr)
            if taken:
                raise UsageError(
                    f"backend compose: port {taken} is already taken on this machine; stop what uses it "
                    "(or `bpbench down --backend compose` for a stack left up) and try again"
                )
            raise HarnessError(f"docker compose up failed:\n{result.stderr.strip()[-2000:]}")
        self.discover()
        self._wait_for_workers()
        if self.events is not None:
            self.events.emit(
                "compose_up", project=self.project, bootstrap_servers=self.bootstrap_servers,
                spark_master=self.master_url, driver_host=self.gateway,
            )  # fmt: skip

    def discover(self) -> None:
        """Every endpoint from Compose: the master's published ports, the network's gateway."""
        host, port = parse_port(self._checked("port", "spark-master", str(MASTER_PORT)))
        self.master_url = f"spark://{host}:{port}"
        host, port = parse_port(self._checked("port", "spark-master", str(MASTER_UI_PORT)))
        self.master_ui_url = f"http://{host}:{port}"
        inspected = self._run(
            ["docker", "network", "inspect", f"{self.project}_default"],
            capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_S,
        )  # fmt: skip
        if inspected.returncode != 0:
            raise HarnessError(f"docker network inspect failed: {inspected.stderr.strip()}")
        self.gateway = parse_gateway(inspected.stdout)

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

    def down(self, volumes: bool = False) -> None:
        """Remove the project's containers and network (and its volumes when asked); keep the logs."""
        logs = self.compose("logs", "--no-color", "--timestamps")
        if logs.returncode == 0 and logs.stdout:
            self.workdir.mkdir(parents=True, exist_ok=True)
            (self.workdir / "compose.log").write_text(logs.stdout)
        self.compose("down", "--remove-orphans", *(["--volumes"] if volumes else []), timeout=UP_TIMEOUT_S)
        if self.events is not None:
            self.events.emit("compose_down", project=self.project, volumes=volumes)

    @property
    def bootstrap_servers(self) -> str:
        ports = self.kafka_ports[: self.platform.compose_settings().kafka_brokers]
        return ",".join(f"{LOOPBACK}:{port}" for port in ports)

    @property
    def spark_master(self) -> str:
        return self.master_url

    def spark_conf(self) -> dict[str, str]:
        spark = self.platform.spark
        workers = self.platform.compose_settings().workers
        return {
            # Executors in the containers reach the driver through the network's gateway.
            "spark.driver.host": self.gateway,
            "spark.driver.bindAddress": self.gateway,
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
        """Executors that workers saw end (their logs), and containers killed at their memory limit."""
        logs = self.compose("logs", "--no-color", "--no-log-prefix", "spark-worker")
        evidence = (
            worker_evidence(logs.stdout.splitlines(), app_id, before_ms) if logs.returncode == 0 else []
        )
        ids = [c["ID"] for c in self.containers() if c.get("ID")]
        if ids:
            inspected = self._run(
                ["docker", "inspect", *ids],
                capture_output=True,
                text=True,
                check=False,
                timeout=COMMAND_TIMEOUT_S,
            )
            if inspected.returncode == 0:
                evidence += oom_killed(inspected.stdout)
        return evidence

    def collectors(self) -> list[Collector]:
        return [ContainerStatsCollector(self.project)]
