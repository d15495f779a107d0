"""What the runner needs of a backend, and the choice of backend from a manifest's platform.

A backend gives the runner a Kafka to produce to and a Spark master to submit to: ``up`` makes them
ready (or checks that an existing cluster answers), ``down`` releases what ``up`` started. Backends:
``local`` (processes on this machine), ``compose`` (containers, ``infra/compose``) and ``external``
(a cluster the harness never starts or stops). ``harness.platform.BACKENDS`` registers them.
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

    def delete_topics(self, names: list[str]) -> None:
        """Delete topics a run made, once it is measured."""
        ...

    def executor_logs(self, app_id: str) -> list[tuple[str, Path]]:
        """Executor log files that reach this machine, as (name in the run's logs, path)."""
        ...

    def failure_evidence(self, app_id: str, before_ms: int | None) -> list[Evidence]:
        """What the backend saw of executors ending (worker logs, containers killed)."""
        ...

    def collectors(self) -> list[Collector]:
        """Collectors only this backend can offer (container statistics)."""
        ...

    def lost(self) -> str | None:
        """Why the platform ``up`` started can no longer carry a run (its container engine stopped
        answering), or None; read every few seconds while a run lasts (``harness.run.watch``). A
        process of the system under test dying is a measured outcome, not a loss."""
        ...

    # Broker faults (``faults:``; ``harness.spec.faults.BACKEND_ACTIONS`` says which backend has them).
    def pause_broker(self) -> None: ...

    def resume_broker(self) -> None: ...

    def stop_broker(self) -> None:
        """Stop the broker, keeping its storage and address for ``start_broker``."""
        ...

    def start_broker(self) -> None:
        """Start the stopped broker again and wait until it answers."""
        ...


class BackendClass(Protocol):
    """What the registry (``harness.platform.BACKENDS``) holds: a backend class that names itself,
    says in a few words where it runs things, makes itself for an experiment, and checks a platform
    before anything starts."""

    name: str
    summary: str

    def create(self, workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> Backend: ...

    def problems(self, platform: Platform) -> list[str]:
        """What stops a platform before anything starts (too little machine, no Docker, an
        unreachable cluster); each problem one line that says how to fix it."""
        ...
