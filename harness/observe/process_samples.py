"""CPU and memory of every process a run started, their descendants, and the harness itself."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from harness.observe.base import Rows, RunContext, SampleColumns
from harness.results.tables import PROCESS_COLUMNS

HARNESS = "harness"
PROC = Path("/proc")

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
        self._rows = SampleColumns(PROCESS_COLUMNS)

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
        children = _children_by_parent()  # one scan of the process table for every root
        for root_name, pid in [(HARNESS, os.getpid()), *self._roots()]:
            try:
                root = psutil.Process(pid)
            except psutil.NoSuchProcess:
                continue
            self._sample(root, root_name, sample_time_ms)
            for child in [] if root_name == HARNESS else _descendants(pid, children):
                try:
                    label = f"{root_name}/{child.name()}"
                except psutil.NoSuchProcess:
                    continue
                self._sample(child, label, sample_time_ms)

    def stop(self) -> None:
        pass

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"processes": (self._rows.rows(), PROCESS_COLUMNS)}


def _children_by_parent() -> dict[int, list[int]]:
    """Each process's children, from one pass over the process table."""
    if not PROC.is_dir():  # not Linux: psutil's portable (and slower) scan
        children: dict[int, list[int]] = {}
        for process in psutil.process_iter(["ppid"]):
            children.setdefault(process.info["ppid"], []).append(process.pid)
        return children
    children = {}
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            stat = os.open(f"{entry.path}/stat", os.O_RDONLY)  # os-level: a third of a file object's cost
            try:
                # "pid (comm) state ppid ...": comm may hold spaces and ")", so split after the last one.
                ppid = int(os.read(stat, 4096).rsplit(b")", 1)[1].split(None, 2)[1])
            finally:
                os.close(stat)
        except (OSError, IndexError, ValueError):  # ended meanwhile
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _descendants(pid: int, children: dict[int, list[int]]) -> list[psutil.Process]:
    found, waiting = [], list(children.get(pid, []))
    while waiting:
        child = waiting.pop()
        waiting.extend(children.get(child, []))
        try:
            found.append(psutil.Process(child))
        except psutil.NoSuchProcess:
            continue
    return found


def for_run(run: RunContext) -> ProcessCollector:
    return ProcessCollector(run.processes)
