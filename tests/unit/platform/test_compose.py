"""The compose backend without a Docker engine: the compose file, command lines, endpoint discovery and
failure evidence against recorded or documented ``docker`` output, and the errors when Docker is not
usable. (tests/integration/test_compose_backend.py runs it for real where an engine is present.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from harness.errors import UsageError
from harness.jvm import read_lock
from harness.observe.containers import ContainerStatsCollector
from harness.paths import REPO_ROOT
from harness.platform import compose as compose_module
from harness.platform.compose import (
    COMPOSE_FILE,
    ComposeBackend,
    compose_command,
    docker_problems,
    oom_killed,
    parse_gateway,
    parse_port,
    parse_ps,
    port_taken,
)
from harness.spec.manifest import parse_manifest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "compose"
_VARIABLE = re.compile(r"\$\{(\w+):-([^}]*)\}")


def compose_file() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def defaults(value: str) -> str:
    """A compose value with every ${VAR:-default} replaced by its default."""
    return _VARIABLE.sub(lambda m: m.group(2), value)


def platform(**compose: Any) -> Any:
    data = {
        "name": "c",
        "platform": {
            "backend": "compose",
            "spark": {"cores": 2, "executor_memory": "2g"},
            "compose": compose,
        },
        "workload": {"generator": {"profile": "constant", "rate": 100}},
    }
    return parse_manifest(data, "c.yaml").platform


# --- the compose file ------------------------------------------------------------------------------


def test_compose_file_has_the_services_and_profile() -> None:
    services = compose_file()["services"]
    assert {"kafka", "kafka-2", "kafka-3", "spark-master", "spark-worker"} <= set(services)
    assert services["kafka-2"]["profiles"] == ["three-brokers"] == services["kafka-3"]["profiles"]
    assert "profiles" not in services["kafka"] and "profiles" not in services["spark-worker"]
    # Brokers and workers share the kafka service's network namespace (see the file's header).
    for name in ("kafka-2", "kafka-3", "spark-worker"):
        assert services[name]["network_mode"] == "service:kafka"
    worker = services["spark-worker"]
    assert defaults(worker["mem_limit"]) == "2g"
    command = [defaults(part) for part in worker["command"]]
    assert command[command.index("--cores") + 1] == "2" and command[command.index("--memory") + 1] == "1g"
    assert worker["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" in services["kafka"] and "healthcheck" in services["spark-master"]


def images(data: dict[str, Any]) -> list[str]:
    found = []
    for service in data["services"].values():
        found.append(defaults(service["image"]))
        if "build" in service:
            found.append(defaults(service["build"]["args"]["SPARK_IMAGE"]))
    dockerfile = (COMPOSE_FILE.parent / "spark" / "Dockerfile").read_text()
    found += re.findall(r"^ARG SPARK_IMAGE=(\S+)", dockerfile, re.MULTILINE)
    return found


def test_every_image_tag_is_pinned() -> None:
    for image in images(compose_file()):
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest", image
        assert re.match(r"\d+\.\d+\.\d+", tag), f"{image}: the tag starts with a full version"


def test_versions_equal_the_local_backends() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    spark_version = re.search(r'"pyspark==([\d.]+)"', pyproject).group(1)
    (kafka_version,) = {
        j.version for j in read_lock() if j.jar_set == "kafka-broker" and j.artifact == "kafka_2.13"
    }
    found = images(compose_file())
    assert f"apache/kafka:{kafka_version}" in found
    spark_images = [image for image in found if image.startswith("apache/spark:")]
    assert spark_images and all(
        image == f"apache/spark:{spark_version}-scala2.12-java17-ubuntu" for image in spark_images
    ), spark_images
    # The image built from it carries the same versions in its tag, and numpy as requirements.lock pins it.
    assert defaults(compose_file()["services"]["spark-worker"]["image"]).startswith(
        f"bpbench/spark:{spark_version}-scala2.12-java17-python"
    )
    environment = compose_module.compose_environment(platform(), (1, 2, 3), Path("/w"), "p")
    locked = re.search(r"^numpy==(\S+)$", (REPO_ROOT / "requirements.lock").read_text(), re.MULTILINE).group(
        1
    )
    assert environment["BPBENCH_NUMPY_VERSION"] == locked


def test_every_published_port_is_on_loopback() -> None:
    published = [
        defaults(str(port))
        for service in compose_file()["services"].values()
        for port in service.get("ports", [])
    ]
    assert published
    for port in published:
        assert port.startswith("127.0.0.1:"), port
    # A broker's host port is the port it advertises; the master's are read back with `docker compose port`.
    assert "127.0.0.1:9092:9092" in published and "127.0.0.1::7077" in published


@pytest.mark.skipif(
    shutil.which("docker") is None, reason="no docker client: the file is checked by parsing it only"
)
def test_docker_compose_config_accepts_the_file() -> None:
    version = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    if version.returncode != 0:
        pytest.skip("Docker Compose v2 is not installed here: the file is checked by parsing it only")
    result = subprocess.run(
        compose_command("bpbench", True, "config", "--format", "json"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert set(json.loads(result.stdout)["services"]) >= {"kafka", "spark-master", "spark-worker"}


# --- command lines and the environment ----------------------------------------------------------


def test_command_lines() -> None:
    base = ["docker", "compose", "--project-name", "bpbench-x", "--file", str(COMPOSE_FILE)]
    assert compose_command("bpbench-x", False, "down", "--remove-orphans") == [
        *base,
        "down",
        "--remove-orphans",
    ]
    assert compose_command("bpbench-x", True, "ps") == [*base, "--profile", "three-brokers", "ps"]
    backend = ComposeBackend(Path("/tmp/b"), platform(workers=3), project="bpbench-x", kafka_ports=(1, 2, 3))
    assert backend.up_command() == ["up", "--detach", "--wait", "--build", "--scale", "spark-worker=3"]


def test_environment_from_the_manifest(tmp_path: Path) -> None:
    env = ComposeBackend(
        tmp_path,
        platform(workers=2, kafka_brokers=3, worker_memory_limit="3g"),
        kafka_ports=(9101, 9102, 9103),
    ).environment
    assert env["BPBENCH_WORKER_CORES"] == "2" and env["BPBENCH_WORKER_MEMORY"] == "2g"
    assert env["BPBENCH_WORKER_MEMORY_LIMIT"] == "3g"
    assert env["BPBENCH_KAFKA_PORT"] == "9101" and env["BPBENCH_KAFKA_PORT_3"] == "9103"
    assert env["BPBENCH_KAFKA_VOTERS"] == "1@127.0.0.1:19093,2@127.0.0.1:19094,3@127.0.0.1:19095"
    assert env["BPBENCH_KAFKA_REPLICATION"] == "3"
    assert env["BPBENCH_WORK_DIR"] == str(tmp_path / "spark-work")
    relative = ComposeBackend(Path("results/compose-up"), platform(), kafka_ports=(1, 2, 3)).environment
    assert relative["BPBENCH_WORK_DIR"] == str(Path.cwd() / "results/compose-up/spark-work")
    assert env["BPBENCH_PYTHON_VERSION"] == f"{sys.version_info.major}.{sys.version_info.minor}"
    # The default limit: the executor's heap and 1 GiB more.
    assert (
        ComposeBackend(tmp_path, platform(), kafka_ports=(1, 2, 3)).environment["BPBENCH_WORKER_MEMORY_LIMIT"]
        == "3072m"
    )


def test_a_limit_below_the_heap_is_bad_input() -> None:
    with pytest.raises(UsageError, match=r"c.yaml: platform: compose.worker_memory_limit \(1g\) must exceed"):
        platform(worker_memory_limit="1g")


# --- endpoints and evidence from docker's output -----------------------------------------------------


class FakeDocker:
    """Answers the commands the backend runs with the fixtures' output, and records them."""

    def __init__(self, answers: dict[tuple[str, ...], tuple[int, str, str]]) -> None:
        self.answers = answers
        self.calls: list[list[str]] = []

    def __call__(self, argv: list[str], **_: Any) -> SimpleNamespace:
        self.calls.append(argv)
        for key, (code, stdout, stderr) in self.answers.items():
            if tuple(argv[-len(key) :]) == key:
                return SimpleNamespace(returncode=code, stdout=stdout, stderr=stderr)
        return SimpleNamespace(returncode=0, stdout="", stderr="")


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_endpoints_are_discovered_from_compose(tmp_path: Path) -> None:
    fake = FakeDocker({
        ("port", "spark-master", "7077"): (0, fixture("port-spark-master-7077.txt"), ""),
        ("port", "spark-master", "8080"): (0, fixture("port-spark-master-8080.txt"), ""),
        ("network", "inspect", "bpbench-x_default"): (0, fixture("network-inspect.json"), ""),
    })  # fmt: skip
    backend = ComposeBackend(
        tmp_path, platform(workers=2), project="bpbench-x", kafka_ports=(9101, 9102, 9103), run=fake
    )
    backend.discover()
    assert backend.spark_master == "spark://127.0.0.1:32771"
    assert backend.master_ui_url == "http://127.0.0.1:32770"
    assert backend.bootstrap_servers == "127.0.0.1:9101"
    conf = backend.spark_conf()
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "172.19.0.1"
    assert conf["spark.cores.max"] == "4" and conf["spark.executor.memory"] == "2g"
    assert ["docker", "network", "inspect", "bpbench-x_default"] in fake.calls


def test_parsers() -> None:
    assert parse_port("127.0.0.1:49153\n") == ("127.0.0.1", 49153)
    assert parse_port("[::1]:49153") == ("::1", 49153)
    with pytest.raises(Exception, match="not host:port"):
        parse_port(":0\n")
    assert parse_ps(fixture("ps.ndjson")) == parse_ps(fixture("ps-array.json"))
    assert [c["Service"] for c in parse_ps(fixture("ps.ndjson"))] == ["kafka", "spark-master", "spark-worker"]
    assert parse_ps("") == []
    assert parse_gateway(fixture("network-inspect.json")) == "172.19.0.1"
    assert port_taken(fixture("up-port-taken.stderr")) == "127.0.0.1:9092"
    assert port_taken("Error response from daemon: pull access denied for apache/spark") is None


def test_oom_killed_container_is_oom_evidence() -> None:
    (evidence,) = oom_killed(fixture("inspect-workers.json"))
    assert evidence.kind == "oom" and evidence.source == "container bpbench-spark-worker-1"
    assert "2048 MiB" in evidence.detail and "exit code 137" in evidence.detail


def test_failure_evidence_joins_worker_logs_and_container_state(tmp_path: Path) -> None:
    ids = [c["ID"] for c in parse_ps(fixture("ps.ndjson"))]
    fake = FakeDocker({
        ("logs", "--no-color", "--no-log-prefix", "spark-worker"): (0, fixture("worker.log"), ""),
        ("ps", "--all", "--format", "json"): (0, fixture("ps.ndjson"), ""),
        ("inspect", *ids): (0, fixture("inspect-workers.json"), ""),
    })  # fmt: skip
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", kafka_ports=(1, 2, 3), run=fake)
    evidence = backend.failure_evidence("app-20261120100330-0000", before_ms=None)
    assert [(e.kind, e.source) for e in evidence] == [
        ("oom", "executor 0"),
        ("oom", "container bpbench-spark-worker-1"),
    ]


def test_a_taken_port_is_bad_input_and_the_stack_is_removed(tmp_path: Path) -> None:
    fake = FakeDocker({("spark-worker=1",): (1, "", fixture("up-port-taken.stderr"))})
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", kafka_ports=(1, 2, 3), run=fake)
    with pytest.raises(UsageError) as raised:
        backend.up()
    assert "port 127.0.0.1:9092 is already taken" in str(raised.value) and "\n" not in str(raised.value)
    assert any(call[-2:] == ["down", "--remove-orphans"] for call in fake.calls)


def test_executor_and_gc_logs_come_from_the_mounted_work_folder(tmp_path: Path) -> None:
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", kafka_ports=(1, 2, 3))
    executor = tmp_path / "spark-work" / "app-1" / "0"
    executor.mkdir(parents=True)
    for name in ("stdout", "stderr", "gc-executor-77.log"):
        (executor / name).write_text("x")
    assert [name for name, _ in backend.executor_logs("app-1")] == [
        "executor-0.stdout", "executor-0.stderr", "gc-executor-77.log",
    ]  # fmt: skip


# --- Docker missing, compose v1 only, no engine -----------------------------------------------------


def test_docker_problems_name_the_fix() -> None:
    def answers(compose_code: int, info_code: int) -> FakeDocker:
        no_compose = fixture("compose-version-missing.stderr")
        no_engine = fixture("docker-info-no-engine.stderr")
        return FakeDocker({
            ("compose", "version", "--short"): (compose_code, "2.29.7\n", no_compose),
            ("info", "--format", "{{.ServerVersion}}"): (info_code, "", no_engine),
        })  # fmt: skip

    if shutil.which("docker") is None:
        pytest.skip("no docker client on PATH for the checks after the first")
    (missing,) = docker_problems(answers(125, 0))
    assert "Docker Compose v2 (`docker compose`) is missing" in missing
    (engine,) = docker_problems(answers(0, 1))
    assert "the Docker engine is not running (Cannot connect to the Docker daemon" in engine
    assert "systemctl start docker" in engine
    assert (
        docker_problems(FakeDocker({("info", "--format", "{{.ServerVersion}}"): (0, "28.2.2\n", "")})) == []
    )


def fake_docker_bin(folder: Path, compose_ok: bool, engine_ok: bool, compose_v1: bool = False) -> Path:
    """A ``docker`` on PATH that answers like a client with or without compose and engine (and the
    old ``docker-compose`` beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    if compose_v1:
        (folder / "docker-compose").write_text("#!/bin/sh\necho 'docker-compose version 1.29.2'\n")
        (folder / "docker-compose").chmod(0o755)
    script = folder / "docker"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = compose ]; then\n'
        + (
            "  echo 2.29.7; exit 0\n"
            if compose_ok
            else f"  cat {FIXTURES / 'compose-version-missing.stderr'} >&2; exit 125\n"
        )
        + "fi\n"
        'if [ "$1" = info ]; then\n'
        + (
            "  echo 28.2.2; exit 0\n"
            if engine_ok
            else f"  cat {FIXTURES / 'docker-info-no-engine.stderr'} >&2; exit 1\n"
        )
        + "fi\nexit 1\n"
    )
    script.chmod(0o755)
    return folder


def bpbench(args: list[str], path: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": path}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
        check=False, timeout=120,
    )  # fmt: skip


def system_path() -> str:
    """PATH with java but without any real docker."""
    java = shutil.which("java")
    folders = [str(Path(java).parent)] if java else []
    return ":".join([*folders, "/usr/bin", "/bin"])


@pytest.mark.parametrize(
    ("docker", "expected"),
    [
        (None, "Docker is not installed"),
        ((False, False), "Docker Compose v2 (`docker compose`) is missing; install"),
        ((False, False, True), "(only the old docker-compose v1 is installed, which is not supported)"),
        ((True, False), "the Docker engine is not running"),
    ],
)
def test_compose_without_docker_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, docker: tuple[bool, ...] | None, expected: str
) -> None:
    if shutil.which("docker", path=system_path()) is not None:
        pytest.skip("a docker client lives in a system folder here; the PATH cannot leave it out")
    path = (
        system_path() if docker is None else f"{fake_docker_bin(tmp_path / 'bin', *docker)}:{system_path()}"
    )
    manifest = tmp_path / "m.yaml"
    manifest.write_text(yaml.safe_dump({
        "name": "m", "platform": {"backend": "compose"},
        "workload": {"generator": {"profile": "constant", "rate": 100}, "duration_s": 5},
    }))  # fmt: skip
    out = tmp_path / "results"
    for args in (
        ["run", str(manifest), "--out", str(out)],
        ["up", "--out", str(out)],
        ["down", "--out", str(out)],
    ):
        result = bpbench(args, path, tmp_path)
        assert result.returncode == 2, (args, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and expected in lines[0], (args, result.stderr)
        assert not out.exists()


# --- the container statistics collector -------------------------------------------------------------


class FakeContainer:
    def __init__(self, answers: list[dict[str, Any]]) -> None:
        self.name = "bpbench-kafka-1"
        self.labels = {"com.docker.compose.service": "kafka"}
        self._answers = answers

    def stats(self, stream: bool, one_shot: bool) -> dict[str, Any]:
        assert stream is False and one_shot is True
        return self._answers.pop(0)


def test_container_collector_computes_cpu_between_polls() -> None:
    container = FakeContainer(
        [json.loads(fixture("stats-kafka-1.json")), json.loads(fixture("stats-kafka-2.json"))]
    )
    listed: list[dict[str, Any]] = []

    def containers_list(filters: dict[str, str]) -> list[FakeContainer]:
        listed.append(filters)
        return [container]

    client = SimpleNamespace(containers=SimpleNamespace(list=containers_list), close=lambda: None)
    collector = ContainerStatsCollector("bpbench-x", client=client, clock=iter([1.0, 2.0]).__next__)
    collector.start()
    collector.poll()
    collector.poll()
    collector.stop()
    rows, columns = collector.tables()["containers"]
    assert listed[0] == {"label": "com.docker.compose.project=bpbench-x"}
    assert [row["sample_time_ms"] for row in rows] == [1000, 2000]
    first, second = rows
    assert first["cpu_percent"] is None  # no earlier poll to compare with
    # 0.5 s of CPU in 2 s of host CPU time over 2 CPUs: half a CPU, 50 %.
    assert second["cpu_percent"] == pytest.approx(50.0)
    assert second["memory_bytes"] == 744488960 - 104857600
    assert second["memory_limit_bytes"] == 2147483648
    assert (second["rx_bytes"], second["tx_bytes"]) == (2097152, 1048576)
    assert second["service"] == "kafka" and set(columns) == set(second)


def test_container_collector_counts_an_engine_that_does_not_answer() -> None:
    def broken(filters: dict[str, str]) -> list[Any]:
        raise ConnectionError("engine gone")

    client = SimpleNamespace(containers=SimpleNamespace(list=broken), close=lambda: None)
    collector = ContainerStatsCollector("p", client=client)
    collector.poll()
    assert collector.failed_polls == 1 and collector.tables()["containers"][0] == []
