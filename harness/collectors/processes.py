"""CPU and memory of every process a run started, their descendants, and the harness itself."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import psutil

from harness.collectors.base import Rows

PROCESS_COLUMNS = [
    "sample_time_ms",
    "name",
    "pid",
    "cpu_user_s",
    "cpu_system_s",
    "rss_bytes",
    "threads",
]
HARNESS = "harness"

Roots = Callable[[], list[tuple[str, int]]]


class ProcessCollector:
    """Samples each root process and its descendants (spark-submit's JVM, Python workers, ...).

    A descendant is named after its root and its own executable, e.g. ``spark-app:stateless_sum/python``.
    CPU times are cumulative, so rates come from differences between samples.
    """

    name = "processes"

    def __init__(self, roots: Roots, clock: Callable[[], float] = time.time) -> None:
        self._roots = roots
        self._clock = clock
        self._rows: Rows = []

    def start(self) -> None:
        pass

    def _sample(self, process: psutil.Process, name: str, sample_time_ms: int) -> None:
        try:
            with process.oneshot():
                cpu = process.cpu_times()
                row = {"sample_time_ms": sample_time_ms, "name": name, "pid": process.pid}
                row.update(cpu_user_s=cpu.user, cpu_system_s=cpu.system, rss_bytes=process.memory_info().rss)
                self._rows.append({**row, "threads": process.num_threads()})
        except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            pass

    def poll(self) -> None:
        sample_time_ms = round(self._clock() * 1000)
        for root_name, pid in [(HARNESS, os.getpid()), *self._roots()]:
            try:
                root = psutil.Process(pid)
                descendants = [] if root_name == HARNESS else root.children(recursive=True)
            except psutil.NoSuchProcess:
                continue
            self._sample(root, root_name, sample_time_ms)
            for child in descendants:
                try:
                    label = f"{root_name}/{child.name()}"
                except psutil.NoSuchProcess:
                    continue
                self._sample(child, label, sample_time_ms)

    def stop(self) -> None:
        pass

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"processes": (self._rows, PROCESS_COLUMNS)}
