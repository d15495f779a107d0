"""CPU, memory and network of a compose project's containers, through the Docker Engine API.

Each poll reads every container's statistics once (``one_shot``: no second sample inside the call,
so a poll stays short); CPU use is computed between this poll and the previous one, as ``docker
stats`` does between its two samples: the container's CPU time over the host's, times the host's
CPUs. Memory is the container's usage less its inactive page cache, as ``docker stats`` shows it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from harness.observe.base import Rows
from harness.results.tables import CONTAINER_COLUMNS

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def memory_in_use(stats: dict[str, Any]) -> int | None:
    memory = stats.get("memory_stats") or {}
    if "usage" not in memory:
        return None
    details = memory.get("stats") or {}
    # cgroup v2 names it inactive_file, v1 total_inactive_file.
    cache = details.get("inactive_file", details.get("total_inactive_file", 0))
    return int(memory["usage"]) - int(cache)


def cpu_times(stats: dict[str, Any]) -> tuple[int, int, int] | None:
    """(container CPU ns, host CPU ns, online CPUs), or None when the container is not running."""
    cpu = stats.get("cpu_stats") or {}
    usage = (cpu.get("cpu_usage") or {}).get("total_usage")
    system = cpu.get("system_cpu_usage")
    if usage is None or system is None:
        return None
    cpus = cpu.get("online_cpus") or len((cpu.get("cpu_usage") or {}).get("percpu_usage") or []) or 1
    return int(usage), int(system), int(cpus)


def network_bytes(stats: dict[str, Any]) -> tuple[int, int]:
    networks = (stats.get("networks") or {}).values()
    return sum(int(n.get("rx_bytes", 0)) for n in networks), sum(int(n.get("tx_bytes", 0)) for n in networks)


class ContainerStatsCollector:
    """Polls the containers labelled with a compose project; ``client`` is a ``docker.DockerClient``
    (made from the environment when not given)."""

    name = "containers"

    def __init__(
        self,
        project: str,
        client: Any = None,
        clock: Callable[[], float] = time.time,
        docker_host: str | None = None,
    ) -> None:
        self._project = project
        self._docker_host = docker_host
        self._client = client
        self._clock = clock
        self._previous: dict[str, tuple[int, int, int]] = {}
        self._rows: Rows = []
        self.failed_polls = 0

    def start(self) -> None:
        if self._client is None:
            import docker

            self._client = (
                docker.DockerClient(base_url=self._docker_host, version="auto")
                if self._docker_host
                else docker.from_env(version="auto")
            )

    def poll(self) -> None:
        if self._client is None:
            return
        try:
            containers = self._client.containers.list(filters={"label": f"{PROJECT_LABEL}={self._project}"})
            samples = [(c, c.stats(stream=False, one_shot=True)) for c in containers]
        except Exception:  # the engine did not answer: a gap in the series, noted by the collector set
            self.failed_polls += 1
            return
        sample_time_ms = round(self._clock() * 1000)
        for container, stats in samples:
            self._rows.append(self._row(sample_time_ms, container, stats))

    def _row(self, sample_time_ms: int, container: Any, stats: dict[str, Any]) -> dict[str, Any]:
        times = cpu_times(stats)
        cpu_percent = None
        before = self._previous.get(container.name)
        if times is not None:
            if before is not None and times[1] > before[1]:
                cpu_percent = (times[0] - before[0]) / (times[1] - before[1]) * times[2] * 100
            self._previous[container.name] = times
        rx, tx = network_bytes(stats)
        limit = (stats.get("memory_stats") or {}).get("limit")
        return {
            "sample_time_ms": sample_time_ms,
            "container": container.name,
            "service": (container.labels or {}).get(SERVICE_LABEL),
            "cpu_percent": cpu_percent,
            "memory_bytes": memory_in_use(stats),
            "memory_limit_bytes": int(limit) if limit is not None else None,
            "rx_bytes": rx,
            "tx_bytes": tx,
        }

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"containers": (self._rows, CONTAINER_COLUMNS)}
