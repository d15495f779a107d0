"""Choosing a backend from the platform, and the external backend's manifest fields and checks."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from harness.cli import _parser
from harness.errors import UsageError
from harness.platform import BACKENDS, make_backend, platform_problems
from harness.platform.compose import ComposeBackend
from harness.platform.external import ExternalBackend, master_addresses, reachability_problems
from harness.platform.local import LocalBackend
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import parse_manifest

EXTERNAL = {
    "kafka": {"bootstrap_servers": "k1.internal:9092,k2.internal:9093"},
    "spark": {"master": "spark://m1.internal:7077,m2.internal:7077"},
}


def manifest(**platform: Any) -> Any:
    data = {"name": "b", "platform": platform, "workload": {"generator": {"profile": "constant", "rate": 10}}}
    return parse_manifest(data, "b.yaml")


def test_the_platform_chooses_the_backend(tmp_path: Path) -> None:
    supervisor = ProcessSupervisor()
    assert isinstance(make_backend(tmp_path, manifest().platform, supervisor), LocalBackend)
    compose = manifest(backend="compose").platform
    assert isinstance(make_backend(tmp_path, compose, supervisor), ComposeBackend)
    external = manifest(backend="external", external=EXTERNAL).platform
    backend = make_backend(tmp_path, external, supervisor)
    assert isinstance(backend, ExternalBackend)
    assert backend.bootstrap_servers == "k1.internal:9092,k2.internal:9093"
    assert backend.spark_master == "spark://m1.internal:7077,m2.internal:7077"


def test_the_registry_names_every_backend_once_and_is_what_the_manifest_and_cli_accept() -> None:
    assert list(BACKENDS) == ["local", "compose", "external"]
    assert all(backend.name == name and backend.summary for name, backend in BACKENDS.items())
    with pytest.raises(UsageError, match=r"b.yaml: platform.backend: .*unknown backend 'k8s'; choose one of "
                       r"local, compose, external"):  # fmt: skip
        manifest(backend="k8s")
    for name in BACKENDS:
        assert _parser().parse_args(["run", "m.yaml", "--backend", name]).backend == name
    with pytest.raises(SystemExit):
        _parser().parse_args(["run", "m.yaml", "--backend", "k8s"])


def test_a_registered_backend_is_made_and_checked_through_its_own_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []

    class Other(LocalBackend):
        name = "local"
        summary = "a stand-in"

        @classmethod
        def create(cls, workdir: Path, platform: Any, supervisor: ProcessSupervisor) -> Any:
            made.append(str(workdir))
            return "other"

        @staticmethod
        def problems(platform: Any) -> list[str]:
            return ["never here"]

    monkeypatch.setitem(BACKENDS, "local", Other)
    platform = manifest().platform
    assert make_backend(tmp_path, platform, ProcessSupervisor()) == "other" and made == [str(tmp_path)]
    assert platform_problems(platform) == ["never here"]


@pytest.mark.parametrize(
    ("platform", "message"),
    [
        ({"backend": "external"}, "b.yaml: platform: backend external needs platform.external"),
        ({"external": EXTERNAL}, "platform.external is only for backend external (backend is local)"),
        (
            {"backend": "external", "external": {**EXTERNAL, "spark": {"master": "local[2]"}}},
            "platform.external.spark.master: spark://host:port, k8s://https://host:port or yarn",
        ),
        (
            {"backend": "external", "external": {**EXTERNAL, "kafka": {"bootstrap_servers": "k1.internal"}}},
            "platform.external.kafka.bootstrap_servers: 'k1.internal' is not host:port",
        ),
        (
            {"backend": "external",
             "external": {**EXTERNAL, "kafka": {**EXTERNAL["kafka"], "client_config": {"group.id": "x"}}}},
            "platform.external.kafka.client_config: 'group.id' is set by the harness, not here",
        ),
    ],
)  # fmt: skip
def test_external_platform_errors_name_the_field(platform: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        manifest(**platform)
    assert message in str(raised.value)


def test_master_addresses() -> None:
    assert master_addresses("spark://m1:7077,m2:7078") == [("m1", 7077), ("m2", 7078)]
    assert master_addresses("spark://m1") == [("m1", 7077)]
    assert master_addresses("k8s://https://api.internal:6443") == [("api.internal", 6443)]
    assert master_addresses("k8s://api.internal") == [("api.internal", 443)]
    assert master_addresses("yarn") == []


def test_yarn_needs_the_hadoop_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HADOOP_CONF_DIR", raising=False)
    monkeypatch.delenv("YARN_CONF_DIR", raising=False)
    external = {**EXTERNAL, "kafka": {"bootstrap_servers": f"127.0.0.1:{closed_port()}"},
                "spark": {"master": "yarn"}}  # fmt: skip
    problems = reachability_problems(manifest(backend="external", external=external).platform)
    assert any("set HADOOP_CONF_DIR (or YARN_CONF_DIR)" in p for p in problems)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_master_is_one_line_each(tmp_path: Path) -> None:
    external = {"kafka": {"bootstrap_servers": f"127.0.0.1:{closed_port()}"},
                "spark": {"master": f"spark://127.0.0.1:{closed_port()}"}}  # fmt: skip
    problems = platform_problems(manifest(backend="external", external=external).platform)
    assert len(problems) == 2 and all("\n" not in p for p in problems)
    assert problems[0].startswith("platform.external.spark.master: nothing answers at 127.0.0.1:")
    assert problems[1].startswith("platform.external.kafka.bootstrap_servers: no Kafka broker answered")
    with pytest.raises(UsageError):
        ExternalBackend(manifest(backend="external", external=external).platform).up()


def test_external_placement_keeps_the_driver_ui_local() -> None:
    external = {**EXTERNAL, "spark": {**EXTERNAL["spark"], "driver_host": "10.0.0.5"}}
    backend = ExternalBackend(
        manifest(backend="external", spark={"cores": 4, "executor_memory": "8g"}, external=external).platform
    )
    conf = backend.spark_conf()
    assert conf["spark.driver.host"] == "10.0.0.5" and conf["spark.executor.memory"] == "8g"
    assert conf["spark.cores.max"] == "4"
    assert backend.driver_environment() == {"SPARK_PUBLIC_DNS": "127.0.0.1"}
    assert backend.executor_logs_local is False and backend.executor_logs("app-1") == []
