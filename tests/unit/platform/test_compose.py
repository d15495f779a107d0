"""The compose backend without a Docker engine: the compose file, command lines, endpoint discovery and
failure evidence against recorded or documented ``docker`` output, and the errors when Docker is not
usable. (tests/integration/test_compose_backend.py runs it for real where an engine is present.)"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from harness.errors import HarnessError, UsageError
from harness.jvm import read_lock
from harness.observe.containers import ContainerStatsCollector
from harness.paths import REPO_ROOT
from harness.platform import compose as compose_module
from harness.platform import engine as engines
from harness.platform import images
from harness.platform.compose import (
    COMPOSE_FILE,
    ComposeBackend,
    StackPorts,
    compose_command,
    docker_problems,
    oom_events,
    oom_killed,
    parse_ps,
    port_taken,
)
from harness.spec.manifest import parse_manifest

FIXTURES = Path(__file__).parents[2] / "fixtures" / "compose"
RUNNING = engines.EngineChoice(None, running=True)
PING = engines.ping  # the real one (the tests' engine_answers replaces it in the module)
_VARIABLE = re.compile(r"\$\{(\w+):-([^}]*)\}")


@pytest.fixture(autouse=True)
def engine_answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """The engine's answers to pings, in order (True once they run out): no test here has a real one."""
    answers: list[bool] = []
    monkeypatch.setattr(engines, "ping", lambda *_: answers.pop(0) if answers else True)
    return answers


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
    worker = services["spark-worker"]
    assert defaults(worker["mem_limit"]) == "2g" == defaults(worker["memswap_limit"])
    command = [defaults(part) for part in worker["command"]]
    assert command[command.index("--cores") + 1] == "2" and command[command.index("--memory") + 1] == "1g"
    assert worker["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert "healthcheck" in services["kafka"] and "healthcheck" in services["spark-master"]


def service_images(data: dict[str, Any]) -> list[str]:
    return [defaults(service["image"]) for service in data["services"].values()]


def test_every_image_tag_is_pinned() -> None:
    for image in service_images(compose_file()):
        name, _, tag = image.rpartition(":")
        assert name and tag and tag != "latest", image
        assert re.match(r"\d+\.\d+\.\d+", tag), f"{image}: the tag starts with a full version"
    # Nothing is pulled: every image is one `bpbench images` builds.
    assert all(image.startswith("bpbench/") for image in service_images(compose_file()))
    assert "build" not in str(compose_file()["services"])


def test_versions_equal_the_local_backends() -> None:
    pyproject = (REPO_ROOT / "pyproject.toml").read_text()
    spark_version = re.search(r'"pyspark==([\d.]+)"', pyproject).group(1)
    (kafka_version,) = {
        j.version for j in read_lock() if j.jar_set == "kafka-broker" and j.artifact == "kafka_2.13"
    }
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    tags = images.image_tags()
    assert tags["kafka"] == f"bpbench/kafka:{kafka_version}-java17-{images.BUILD_REVISION}"
    assert tags["spark"] == f"bpbench/spark:{spark_version}-java17-python{python}-{images.BUILD_REVISION}"
    # The compose file's defaults are the tags `bpbench images` builds (for Python 3.11).
    services = compose_file()["services"]
    assert defaults(services["kafka"]["image"]) == tags["kafka"]
    assert (
        defaults(services["spark-worker"]["image"]).replace("python3.11", f"python{python}") == tags["spark"]
    )
    environment = compose_module.compose_environment(platform(), StackPorts.free(), Path("/w"), "p")
    assert environment["BPBENCH_SPARK_IMAGE"] == tags["spark"]
    assert environment["BPBENCH_KAFKA_IMAGE"] == tags["kafka"]


def test_every_service_uses_the_host_network_on_loopback() -> None:
    services = compose_file()["services"]
    for name, service in services.items():
        assert service["network_mode"] == "host", name
        assert "ports" not in service, name
    text = COMPOSE_FILE.read_text()
    # Every listener and every Spark address is loopback; nothing binds a wildcard address.
    for listener in re.findall(r"(?:PLAINTEXT|CONTROLLER)://([^:,]*):", text):
        assert listener == "127.0.0.1", listener
    for service in ("spark-master", "spark-worker"):
        command = services[service]["command"]
        assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "0.0.0.0" not in text


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
    backend = ComposeBackend(Path("/tmp/b"), platform(workers=3), project="bpbench-x", engine=RUNNING)
    assert backend.up_command() == ["up", "--detach", "--wait", "--scale", "spark-worker=3"]


def test_environment_from_the_manifest(tmp_path: Path) -> None:
    ports = StackPorts((9101, 9102, 9103), (9201, 9202, 9203), 9301, 9302)
    env = ComposeBackend(
        tmp_path, platform(workers=2, kafka_brokers=3, worker_memory_limit="3g"), ports=ports, engine=RUNNING
    ).environment
    assert env["BPBENCH_WORKER_CORES"] == "2" and env["BPBENCH_WORKER_MEMORY"] == "2g"
    assert env["BPBENCH_WORKER_MEMORY_LIMIT"] == "3g"
    assert env["BPBENCH_KAFKA_PORT"] == "9101" and env["BPBENCH_KAFKA_PORT_3"] == "9103"
    assert env["BPBENCH_KAFKA_VOTERS"] == "1@127.0.0.1:9201,2@127.0.0.1:9202,3@127.0.0.1:9203"
    assert env["BPBENCH_CONTROLLER_PORT_2"] == "9202"
    assert env["BPBENCH_MASTER_PORT"] == "9301" and env["BPBENCH_MASTER_UI_PORT"] == "9302"
    assert env["BPBENCH_KAFKA_REPLICATION"] == "3"
    assert env["BPBENCH_WORK_DIR"] == str(tmp_path / "spark-work")
    # The backend folder's parent, the experiment's, holds the runs' checkpoints: mounted as it is.
    assert env["BPBENCH_SHARED_DIR"] == str(tmp_path.parent)
    relative = ComposeBackend(Path("results/compose-up"), platform(), engine=RUNNING).environment
    assert relative["BPBENCH_WORK_DIR"] == str(Path.cwd() / "results/compose-up/spark-work")
    assert f"-python{sys.version_info.major}.{sys.version_info.minor}-" in env["BPBENCH_SPARK_IMAGE"]
    # The default limit: the executor's heap and 1 GiB more.
    assert (
        ComposeBackend(tmp_path, platform(), engine=RUNNING).environment["BPBENCH_WORKER_MEMORY_LIMIT"]
        == "3072m"
    )


def test_a_limit_below_the_heap_is_a_warning_not_an_error() -> None:
    data = {
        "name": "c",
        "platform": {
            "backend": "compose",
            "spark": {"executor_memory": "2g"},
            "compose": {"worker_memory_limit": "1g"},
        },
        "workload": {"generator": {"profile": "constant", "rate": 100}},
    }
    (warning,) = parse_manifest(data, "c.yaml").warnings()
    assert "worker_memory_limit (1g) is not above platform.spark.executor_memory (2g)" in warning
    assert "OOMKilled" in warning


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


def test_endpoints_are_the_loopback_ports_the_harness_picked(tmp_path: Path) -> None:
    ports = StackPorts((9101, 9102, 9103), (9201, 9202, 9203), 9301, 9302)
    backend = ComposeBackend(tmp_path, platform(workers=2), project="bpbench-x", ports=ports, engine=RUNNING)
    assert backend.spark_master == "spark://127.0.0.1:9301"
    assert backend.master_ui_url == "http://127.0.0.1:9302"
    assert backend.bootstrap_servers == "127.0.0.1:9101"
    conf = backend.spark_conf()
    assert conf["spark.driver.host"] == conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.cores.max"] == "4" and conf["spark.executor.memory"] == "2g"


def test_parsers() -> None:
    assert parse_ps(fixture("ps.ndjson")) == parse_ps(fixture("ps-array.json"))
    assert [c["Service"] for c in parse_ps(fixture("ps.ndjson"))] == ["kafka", "spark-master", "spark-worker"]
    assert parse_ps("") == []
    assert port_taken(fixture("up-port-taken.stderr")) == "127.0.0.1:9092"
    assert port_taken("Error response from daemon: pull access denied for apache/spark") is None


def test_oom_killed_container_is_oom_evidence() -> None:
    (evidence,) = oom_killed(fixture("inspect-workers.json"))
    assert evidence.kind == "oom" and evidence.source == "container bpbench-spark-worker-1"
    assert "2048 MiB" in evidence.detail and "exit code 137" in evidence.detail
    # Only containers that ended after `since`: an earlier run's kill is not this run's.
    finished = datetime.fromisoformat("2026-11-20T10:04:51+00:00").timestamp()
    assert len(oom_killed(fixture("inspect-workers.json"), since=finished)) == 1
    assert oom_killed(fixture("inspect-workers.json"), since=finished + 1) == []


def test_the_engines_oom_events_are_oom_evidence_of_their_run() -> None:
    events = fixture("events-oom.ndjson")
    killed_at = json.loads(events.splitlines()[0])["timeNano"] / 1e9
    worker = json.loads(events.splitlines()[0])["id"]
    inspected = json.dumps([{"Id": worker, "HostConfig": {"Memory": 768 << 20}}])
    (evidence,) = oom_events(events + "\nnot json\n", inspected)
    assert evidence.kind == "oom" and evidence.source == "container bpbench-3f29e7b844-spark-worker-1"
    assert (
        evidence.detail.startswith("OOMKilled: the kernel killed a process")
        and "(768 MiB), 1 time" in evidence.detail
    )
    # Only the run's own window: a kill before or after it belongs to another run.
    assert oom_events(events, inspected, since=killed_at - 60, until=killed_at + 1) == [evidence]
    assert oom_events(events, inspected, since=killed_at + 1) == []
    assert oom_events(events, inspected, until=killed_at - 1) == []
    (twice,) = oom_events(events + "\n" + events, "[]")
    assert "(no limit), 2 times" in twice.detail


def test_failure_evidence_joins_worker_logs_and_container_state(tmp_path: Path) -> None:
    ids = [c["ID"] for c in parse_ps(fixture("ps.ndjson"))]
    fake = FakeDocker({
        ("logs", "--no-color", "--no-log-prefix", "spark-worker"): (0, fixture("worker.log"), ""),
        ("ps", "--all", "--format", "json"): (0, fixture("ps.ndjson"), ""),
        ("inspect", *ids): (0, fixture("inspect-workers.json"), ""),
    })  # fmt: skip
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", run=fake, engine=RUNNING)
    backend._evidence_since = 0.0  # the fixture's container ended long ago
    evidence = backend.failure_evidence("app-20261120100330-0000", before_ms=None)
    assert [(e.kind, e.source) for e in evidence] == [
        ("oom", "executor 0"),
        ("oom", "container bpbench-spark-worker-1"),
    ]


def test_a_taken_port_is_bad_input_before_anything_starts(tmp_path: Path) -> None:
    fake = FakeDocker({})
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        taken = listener.getsockname()[1]
        ports = StackPorts((taken, 1, 2), (3, 4, 5), 6, 7)
        backend = ComposeBackend(
            tmp_path, platform(), project="bpbench-x", ports=ports, run=fake, engine=RUNNING
        )
        with pytest.raises(UsageError) as raised:
            backend.up()
    assert f"port 127.0.0.1:{taken} is already taken" in str(raised.value) and "\n" not in str(raised.value)
    assert fake.calls == []


def test_a_port_taken_at_start_is_bad_input_and_the_stack_is_removed(tmp_path: Path) -> None:
    fake = FakeDocker({("spark-worker=1",): (1, "", fixture("up-port-taken.stderr"))})
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", run=fake, engine=RUNNING)
    with pytest.raises(UsageError) as raised:
        backend.up()
    assert "port 127.0.0.1:9092 is already taken" in str(raised.value) and "\n" not in str(raised.value)
    assert any(call[-4:] == ["down", "--remove-orphans", "--timeout", "10"] for call in fake.calls)


def test_executor_and_gc_logs_come_from_the_mounted_work_folder(tmp_path: Path) -> None:
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", engine=RUNNING)
    executor = tmp_path / "spark-work" / "app-1" / "0"
    executor.mkdir(parents=True)
    for name in ("stdout", "stderr", "gc-executor-77.log"):
        (executor / name).write_text("x")
    assert [name for name, _ in backend.executor_logs("app-1")] == [
        "executor-0.stdout", "executor-0.stderr", "gc-executor-77.log",
    ]  # fmt: skip


# --- Docker missing, compose v1 only, no engine -----------------------------------------------------


def test_docker_problems_name_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    def answers(compose_code: int, engine_code: int) -> FakeDocker:
        no_compose = fixture("compose-version-missing.stderr")
        no_engine = fixture("docker-version-no-engine.stderr")
        return FakeDocker({
            ("compose", "version", "--short"): (compose_code, "5.6.0\n", no_compose),
            ("version", "--format", "{{.Server.Version}}"): (engine_code, "" if engine_code else "20.10.24\n",
                                                             no_engine),
        })  # fmt: skip

    if shutil.which("docker") is None:
        pytest.skip("no docker client on PATH for the checks after the first")
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.setattr(engines, "DEFAULT_SOCKET", Path("/nonexistent/docker.sock"))
    (missing,) = docker_problems(answers(125, 0))
    assert "Docker Compose v2 or later (`docker compose`) is missing" in missing and "make compose" in missing
    # No engine answers: fine where the project can start its own, else one line with the fix.
    monkeypatch.setattr(engines, "can_start_private", lambda: None)
    assert docker_problems(answers(0, 1)) == []
    monkeypatch.setattr(
        engines, "can_start_private", lambda: "no Docker engine answers and starting one needs root"
    )
    (engine,) = docker_problems(answers(0, 1))
    assert "starting one needs root" in engine and "make engine" in engine and "DOCKER_HOST" in engine
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    (explicit,) = docker_problems(answers(0, 1))
    assert "DOCKER_HOST=tcp://127.0.0.1:1 does not answer" in explicit
    assert docker_problems(answers(0, 0)) == []


def test_the_engine_is_the_users_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BPBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    socket_file = tmp_path / "docker.sock"
    socket_file.touch()
    monkeypatch.setattr(engines, "DEFAULT_SOCKET", socket_file)
    up = FakeDocker({("version", "--format", "{{.Server.Version}}"): (0, "28.0.0\n", "")})
    assert engines.choose_engine(run=up) == engines.EngineChoice(None, running=True)
    assert engines.choose_engine({"DOCKER_HOST": "unix:///u.sock"}, run=up).docker_host == "unix:///u.sock"
    # Nothing answers: the project's own engine, to be started, with its own socket, data and pid file.
    down = FakeDocker({("version", "--format", "{{.Server.Version}}"): (1, "", "no")})
    monkeypatch.setattr(engines, "can_start_private", lambda: None)
    choice = engines.choose_engine(run=down)
    assert choice.running is False and choice.private is not None
    assert choice.docker_host == f"unix://{tmp_path}/engine/docker.sock"
    command = choice.private.command()
    own = tmp_path / "engine"
    expected = {"--data-root": own / "data", "--pidfile": own / "dockerd.pid", "--bridge": "none"}
    for flag, value in {**expected, "--host": choice.docker_host}.items():
        assert command[command.index(flag) + 1] == str(value)
    assert "--iptables=false" in command


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
            "  echo 5.6.0; exit 0\n"
            if compose_ok
            else f"  cat {FIXTURES / 'compose-version-missing.stderr'} >&2; exit 125\n"
        )
        + "fi\n"
        'if [ "$1" = version ]; then\n'
        + (
            "  echo 20.10.24; exit 0\n"
            if engine_ok
            else f"  cat {FIXTURES / 'docker-version-no-engine.stderr'} >&2; exit 1\n"
        )
        + "fi\nexit 1\n"
    )
    script.chmod(0o755)
    return folder


def bpbench(args: list[str], path: str, cwd: Path) -> subprocess.CompletedProcess:
    # No engine of the user's: DOCKER_HOST unset; the project's own is looked for in an empty cache.
    env = {**os.environ, "PATH": path, "BPBENCH_CACHE": str(cwd / "cache")}
    env.pop("DOCKER_HOST", None)
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True, cwd=REPO_ROOT, env=env,
        check=False, timeout=120,
    )  # fmt: skip


def tool_path(folder: Path) -> str:
    """A PATH with java and cat (the fake docker's) but no real docker or dockerd."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in ("java", "cat"):
        found = shutil.which(tool)
        if found:
            (folder / tool).symlink_to(Path(found).resolve())
    return str(folder)


@pytest.mark.parametrize(
    ("docker", "expected"),
    [
        (None, "Docker is not installed"),
        ((False, False), "Docker Compose v2 or later (`docker compose`) is missing; run `make compose`"),
        ((False, False, True), "(only the old docker-compose v1 is installed, which is not supported)"),
        ((True, False), "no Docker engine answers and `dockerd` is not installed"),
    ],
)
def test_compose_without_docker_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, docker: tuple[bool, ...] | None, expected: str
) -> None:
    tools = tool_path(tmp_path / "tools")
    path = tools if docker is None else f"{fake_docker_bin(tmp_path / 'bin', *docker)}:{tools}"
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


def test_an_image_missing_and_not_buildable_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BPBENCH_CACHE", str(tmp_path))
    monkeypatch.delenv("BPBENCH_BASE_IMAGE", raising=False)
    asked: list[str] = []

    def absent(tag: str, env: Any, run: Any = None) -> bool:
        asked.append(tag)
        return False

    monkeypatch.setattr(images, "image_present", absent)
    monkeypatch.setattr(images, "bootstrap_tool", lambda: None)
    (problem,) = images.image_problems({})
    assert problem.startswith("backend compose: image bpbench/kafka:") and "cannot be built" in problem
    assert "apt-get install mmdebstrap" in problem and "make images" in problem
    assert images.image_tags()["kafka"] in asked and images.image_tags()["base"] in asked
    # Present images need nothing built; a rootfs already made, or another base, makes them buildable.
    monkeypatch.setattr(images, "missing_images", lambda env, run=None: [])
    assert images.image_problems({}) == []
    monkeypatch.setattr(images, "missing_images", lambda env, run=None: ["bpbench/kafka:x"])
    monkeypatch.setenv("BPBENCH_BASE_IMAGE", "debian:bookworm-slim")
    assert images.image_problems({}) == []


def test_broker_faults_act_on_the_first_brokers_container(tmp_path: Path) -> None:
    fake = FakeDocker({("unpause", "kafka"): (1, "", "no such container")})
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", run=fake, engine=RUNNING)
    backend.pause_broker()
    backend.stop_broker()
    assert [call[-2:] for call in fake.calls] == [["pause", "kafka"], ["stop", "kafka"]]
    assert all("--project-name" in call and "bpbench-x" in call for call in fake.calls)
    with pytest.raises(HarnessError, match="docker compose unpause kafka failed: no such container"):
        backend.resume_broker()


# --- the engine going away during a run --------------------------------------------------------------


def test_an_engine_that_stops_answering_is_lost_after_two_pings(
    tmp_path: Path, engine_answers: list[bool]
) -> None:
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", engine=RUNNING)
    engine_answers += [True, False, True, False, False]
    assert [backend.lost() for _ in range(4)] == [None, None, None, None]  # one miss, answered, one miss
    why = backend.lost()
    assert why is not None and why.startswith("the Docker engine at unix:///var/run/docker.sock stopped")
    assert "docker compose --project-name bpbench-x down" in why  # the user's engine: what to do later


def test_down_starts_a_private_engine_that_died_again_to_remove_its_containers(
    tmp_path: Path, engine_answers: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    private = engines.PrivateEngine(tmp_path / "engine")
    started: list[str] = []
    stopped: list[str] = []
    monkeypatch.setattr(engines, "start_private", lambda engine: started.append(engine.host))
    monkeypatch.setattr(engines, "stop_private", lambda engine: stopped.append(engine.host) or True)
    fake = FakeDocker({})
    choice = engines.EngineChoice(private.host, running=False, private=private)
    backend = ComposeBackend(tmp_path, platform(), project="bpbench-x", run=fake, engine=choice)
    backend.start_engine()
    assert started == [private.host]
    engine_answers += [False, False]
    why = backend.lost()
    assert why is None  # one miss
    why = backend.lost()
    assert why is not None and "starts it again to remove the run's containers" in why
    engine_answers += [False]  # still gone at teardown: started again, then down, then stopped
    backend.down()
    assert started == [private.host, private.host] and stopped == [private.host]
    assert any(call[-4:] == ["down", "--remove-orphans", "--timeout", "10"] for call in fake.calls)


def test_ping_asks_the_engines_socket(tmp_path: Path) -> None:
    import threading

    path = tmp_path / "docker.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()

    def answer() -> None:
        connection, _ = server.accept()
        with connection:
            assert connection.recv(1024).startswith(b"GET /_ping HTTP/1.0")
            connection.sendall(b"HTTP/1.0 200 OK\r\n\r\nOK")

    thread = threading.Thread(target=answer)
    thread.start()
    assert PING(f"unix://{path}") is True
    thread.join()
    server.close()
    assert PING(f"unix://{path}") is False  # nobody listens any more
    assert PING(f"unix://{tmp_path / 'none.sock'}") is False
