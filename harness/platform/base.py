"""What the runner needs of a backend, and the choice of backend from a manifest's platform.

A backend gives the runner a Kafka to produce to and a Spark master to submit to: ``up`` makes them
ready (or checks that an existing cluster answers), ``down`` releases what ``up`` started. Backends:
``local`` (processes on this machine), ``compose`` (containers, ``infra/compose``) and ``external``
(a cluster the harness never starts or stops).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from harness.observe.base import Collector
from harness.results.outcomes import Evidence
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import Platform


class Backend(Protocol):
    name: str

    def up(self) -> None: ...

    def down(self) -> None: ...

    @property
    def bootstrap_servers(self) -> str:
        """Kafka as this machine reaches it (the generator, the admin, the offset reader, the app)."""
        ...

    @property
    def kafka_client_config(self) -> dict[str, str]:
        """librdkafka properties for the harness's own Kafka clients (security settings)."""
        ...

    @property
    def app_kafka_params(self) -> dict[str, str]:
        """Java kafka-clients properties added to the app's consumers."""
        ...

    @property
    def spark_master(self) -> str: ...

    def spark_conf(self) -> dict[str, str]:
        """Spark settings of where the app runs (driver address, executor sizes); the manifest's
        ``config.spark_conf`` still wins over them."""
        ...

    def driver_environment(self) -> dict[str, str]:
        """Environment variables for ``spark-submit`` on top of the harness's own."""
        ...

    @property
    def executor_logs_local(self) -> bool:
        """Whether executors can write their GC logs straight into the run's folder."""
        ...

    def create_topic(self, name: str, partitions: int) -> None: ...

    def executor_logs(self, app_id: str) -> list[tuple[str, Path]]:
        """Executor log files that reach this machine, as (name in the run's logs, path)."""
        ...

    def failure_evidence(self, app_id: str, before_ms: int | None) -> list[Evidence]:
        """What the backend saw of executors ending (worker logs, containers killed)."""
        ...

    def collectors(self) -> list[Collector]:
        """Collectors only this backend can offer (container statistics)."""
        ...


def make_backend(workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> Backend:
    if platform.backend == "compose":
        from harness.platform.compose import ComposeBackend

        return ComposeBackend(workdir, platform, events=supervisor.events)
    if platform.backend == "external":
        from harness.platform.external import ExternalBackend

        return ExternalBackend(platform)
    from harness.platform.local import LocalBackend

    return LocalBackend(workdir, platform, supervisor)


def platform_problems(platform: Platform) -> list[str]:
    """What stops a platform before anything starts: too little machine, no Docker, an unreachable
    cluster. Each problem is one line that says how to fix it."""
    if platform.backend == "compose":
        from harness.platform.compose import compose_problems

        return compose_problems(platform)
    if platform.backend == "external":
        from harness.platform.external import reachability_problems

        return reachability_problems(platform)
    from harness.platform.local import capacity_problems

    return capacity_problems(platform)
