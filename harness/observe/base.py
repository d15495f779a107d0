"""The face every collector shows, and the thread that polls them together.

A collector is started once, polled at the run's interval, stopped once, and then hands over its
tables (rows plus the column order of the Parquet file they go to). Collectors never import the
runner: the runner hands them what it knows of the run (``RunContext``), and the registry
(``harness.observe.registry``) makes, from that, the collectors that apply to the run.
"""

from __future__ import annotations

import json
import threading
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from harness.run.events import EventLog
from harness.spec.manifest import Manifest

Rows = list[dict[str, Any]]


class Collector(Protocol):
    name: str

    def start(self) -> None: ...

    def poll(self) -> None: ...

    def stop(self) -> None: ...

    def tables(self) -> dict[str, tuple[Rows, list[str]]]: ...


@dataclass(frozen=True)
class DriverAddress:
    """The driver once it announced itself: its application id and web UI."""

    app_id: str
    ui_url: str


@dataclass(frozen=True)
class RunContext:
    """What a run knows that a collector may need; ``driver`` is set once the driver is up."""

    manifest: Manifest
    bootstrap_servers: str
    topic: str
    group_id: str
    app_output: Path  # the folder the app writes its files to (driver.json, batches, progress)
    processes: Callable[[], list[tuple[str, int]]]  # the supervisor's running processes, (name, pid)
    kafka_client_config: dict[str, str] = field(default_factory=dict)
    control_topic: str | None = None  # receivers report their data in flight on it
    driver: DriverAddress | None = None

    def with_driver(self, app_id: str, ui_url: str) -> RunContext:
        return replace(self, driver=DriverAddress(app_id, ui_url))


# "start": with the app's submission; "driver": once the driver announced itself (its UI is up).
Phase = Literal["start", "driver"]


@dataclass(frozen=True)
class CollectorFactory:
    """One registered collector: when it starts, and how it is made for a run (None: not for this run)."""

    name: str
    phase: Phase
    make: Callable[[RunContext], Collector | None]


# Numbers kept in typed arrays, 8 bytes each, where a Python int or float costs 24 to 32 and its
# slot in a list 8 more.
_TYPECODES: dict[type, str] = {int: "q", float: "d"}


class SampleColumns:
    """A collector's samples, kept column by column until the run writes its table.

    Collectors add rows every poll for as long as a run lasts (the driver's JVM gauges alone are some
    70 rows a second); kept as one dict a row, at some 300 bytes each, they made the harness's memory
    grow with the run's length (``make bench-soak`` measures it). Here a column whose values are all
    ints (or all floats) is a typed array, and any other column a list in which equal strings are one
    object. ``rows()`` gives the rows back as dicts, in order, each with every column.
    """

    def __init__(self, columns: list[str]) -> None:
        self.columns = list(columns)
        self._data: dict[str, array | list[Any]] = {column: [] for column in self.columns}
        self._strings: dict[str, str] = {}
        self._length = 0

    def __len__(self) -> int:
        return self._length

    def append(self, row: dict[str, Any]) -> None:
        """Adds the row's values of the columns (None for one it lacks; other keys are dropped)."""
        for column in self.columns:
            self._add(column, row.get(column))
        self._length += 1

    def extend(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.append(row)

    def _add(self, column: str, value: Any) -> None:
        values = self._data[column]
        kind = type(value)
        if isinstance(values, array):
            if _TYPECODES.get(kind) == values.typecode:
                try:
                    values.append(value)
                    return
                except OverflowError:  # an int past 64 bits
                    pass
            values = self._data[column] = list(values)  # a None or another type: a list from here on
        elif self._length == 0 and kind in _TYPECODES:
            try:
                self._data[column] = array(_TYPECODES[kind], [value])
                return
            except OverflowError:
                pass
        if kind is str:
            value = self._strings.setdefault(value, value)
        values.append(value)

    def rows(self) -> Rows:
        columns = [self._data[column] for column in self.columns]
        return [dict(zip(self.columns, values, strict=True)) for values in zip(*columns, strict=True)]


class JsonLinesTail:
    """Reads a JSON-lines file another process appends to: each read returns the lines added since
    the last, converted; a line still being written waits for the next read. Lines that are not
    JSON, or that ``convert`` rejects (KeyError, TypeError, ValueError), are counted and skipped."""

    def __init__(self, path: Path, convert: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._path = path
        self._convert = convert
        self._read_bytes = 0
        self.bad_lines = 0

    def read_new(self) -> Rows:
        try:
            with self._path.open("rb") as handle:
                handle.seek(self._read_bytes)
                chunk = handle.read()
        except FileNotFoundError:  # nothing written yet
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._read_bytes += len(complete)
        rows = []
        for line in complete.decode("utf-8", errors="replace").splitlines():
            try:
                rows.append(self._convert(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                self.bad_lines += 1
        return rows


class CollectorSet:
    """Polls its collectors on one background thread; a failing poll is an event, not a crash."""

    def __init__(self, collectors: list[Collector], interval_s: float, events: EventLog) -> None:
        self.collectors = collectors
        self._interval = interval_s
        self._events = events
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._unreachable: set[str] = set()
        self._thread = threading.Thread(target=self._loop, name="collectors", daemon=True)
        self._started = time.monotonic()
        # The measurement's own cost: CPU time of the threads polling, and how many polls there were.
        self.cpu_s = 0.0
        self.polls = 0

    def start(self) -> None:
        self._started = time.monotonic()
        for collector in self.collectors:
            collector.start()
        self._thread.start()

    def cost(self) -> dict[str, float]:
        """CPU seconds the polls took, over the seconds since start, as a share of one core."""
        wall_s = time.monotonic() - self._started
        return {
            "cpu_s": self.cpu_s,
            "wall_s": wall_s,
            "polls": self.polls,
            "cpu_frac": self.cpu_s / wall_s if wall_s > 0 else 0.0,
        }

    def add(self, *collectors: Collector) -> None:
        """Collectors that can start only later (the driver's endpoints once it is up)."""
        with self._lock:
            for collector in collectors:
                collector.start()
                self.collectors.append(collector)

    def poll_now(self) -> None:
        with self._lock:
            began = time.thread_time()
            self._poll_each()
            self.cpu_s += time.thread_time() - began
            self.polls += 1

    def _poll_each(self) -> None:
        for collector in self.collectors:
            failed_before = getattr(collector, "failed_polls", 0)
            try:
                collector.poll()
            except Exception as exc:  # a collector must never take the run down
                self._events.emit("collector_error", collector=collector.name, error=repr(exc))
                continue
            self._note_unreachable(collector, failed_before)

    def _note_unreachable(self, collector: Collector, failed_before: int) -> None:
        """A warning when an endpoint stops answering (its series has a gap), and when it is back."""
        failed = getattr(collector, "failed_polls", 0) > failed_before
        if failed and collector.name not in self._unreachable:
            self._unreachable.add(collector.name)
            self._events.emit(
                "collector_warning", collector=collector.name, warning="endpoint did not answer"
            )
        elif not failed and collector.name in self._unreachable:
            self._unreachable.discard(collector.name)
            self._events.emit("collector_warning", collector=collector.name, warning="endpoint answers again")

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.poll_now()

    def stop(self) -> dict[str, tuple[Rows, list[str]]]:
        """Stop polling after one last poll; returns every collector's tables."""
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
        self.poll_now()
        tables: dict[str, tuple[Rows, list[str]]] = {}
        for collector in self.collectors:
            collector.stop()
            tables.update(collector.tables())
        return tables
