"""JVM garbage-collection logs as GC events.

Two formats are read, detected line by line:

* JDK 17 unified logging (JDK 9+ alike), as written by
  ``-Xlog:gc*:file=PATH:time,uptime,level,tags`` with the G1, Parallel or Serial collector. A
  collection is a record of several lines sharing a ``GC(n)`` id; the event comes from its summary
  line (``Pause Young (Normal) (G1 Evacuation Pause) 24M->3M(256M) 2.345ms``), and its start line
  (tagged ``gc,start``) supplies the time it began.
* JDK 8 ``-XX:+PrintGCDetails`` with ``-XX:+PrintGCDateStamps``/``-XX:+PrintGCTimeStamps`` for the
  Parallel and Serial collectors: one line per collection, stamped when it began. The JVM banner
  (version, ``Memory:``, ``CommandLine flags:``) and the ``Heap`` summary block are not events.

Event kinds (``GcEvent.kind``):

* ``young``: a young-only collection; G1's ``Normal``, ``Concurrent Start`` and ``Prepare Mixed``
  pauses, ``Pause Young`` of Parallel and Serial, JDK 8 ``[GC ...]``.
* ``mixed``: a G1 mixed collection (young plus some old regions).
* ``full``: a full collection (``Pause Full``, JDK 8 ``[Full GC ...]``).
* ``remark``, ``cleanup``: G1's stop-the-world pauses within a concurrent mark cycle.
* ``concurrent``: a whole G1 concurrent cycle (``Concurrent Mark Cycle`` or ``Concurrent Undo
  Cycle``). It runs beside the application, so its ``pause_ms`` is 0, ``duration_ms`` is the
  cycle's length and it carries no heap sizes; its remark and cleanup pauses are events of their
  own. The cycle's sub-phases (``Concurrent Mark``, ``Concurrent Preclean``, ...) are not events.

``duration_ms`` is the event's wall-clock length: the pause itself for every stop-the-world kind.
Times are when the event began; events are returned in that order. Sizes are bytes (the logs'
K/M/G units are binary multiples).

Other well-formed lines (phases, per-generation sizes, ``gc,init``) are read past. A line that
cannot be read (a half-written last line, a line cut in the middle, binary garbage) never raises:
it is skipped with a warning naming its line number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from harness.results.tables import GC_EVENT_COLUMNS

CONCURRENT = "concurrent"
# After this many, further unreadable lines are only counted, so a garbage file cannot flood the
# run's event log.
MAX_WARNINGS = 50

_UNIT_BYTES = {"B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# A heap size as logged: a number and a B/K/M/G/T suffix (binary multiples). JDK 8 prints numbers
# with the decimal separator of the JVM's locale, hence [.,] here and below.
_SIZE = r"\d+(?:[.,]\d+)?[BKMGT]"
# A parenthesised cause; System.gc() is the one cause that itself contains parentheses.
_CAUSE = r"(?:[^()]|\(\))*"
_DATE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[.,]\d{3}[+-]\d{4}"

# --- JDK 8 -----------------------------------------------------------------------------------
# Optional -XX:+PrintGCDateStamps and -XX:+PrintGCTimeStamps prefixes ("2021-02-22T00:00:39.269+0100:
# 35.980: "); both are optional so a log written without them still parses.
_JDK8_STAMPS = re.compile(rf"^(?:(?P<date>{_DATE}): )?(?:(?P<uptime>\d+[.,]\d+): )?")
# The record opener: "[GC (Allocation Failure) ..." or "[Full GC (Ergonomics) ...". The cause is
# optional because -XX:-PrintGCCause drops it.
_JDK8_RECORD = re.compile(rf"^\[(?P<full>Full )?GC(?: \((?P<cause>{_CAUSE})\))?(?P<body>[ \[].*)$")
# Per-generation details ("[PSYoungGen: ...]", "[Metaspace: ...]") and the trailing "[Times: ...]";
# removed so that the whole-heap transition is the only size triple left in the record.
_JDK8_BRACKETED = re.compile(r"\[[^\[\]]*\]")
# The whole-heap transition and the collection's own duration, ending the record with "secs]"; a
# line cut anywhere before that "]" fails here.
_JDK8_HEAP = re.compile(
    rf"(?P<before>{_SIZE})->(?P<after>{_SIZE})\((?P<total>{_SIZE})\)[, ]*(?P<secs>\d+[.,]\d+) secs\]"
)
# Banner lines the JVM writes at the top of a -Xloggc file.
_JDK8_BANNER = ("Java HotSpot", "OpenJDK", "Memory:", "CommandLine flags:")
# Stamped lines that are not collections: companion flags (-XX:+PrintGCApplicationStoppedTime,
# -XX:+PrintGCApplicationConcurrentTime) and log-rotation notices.
_JDK8_OTHER = ("Total time for which application threads were stopped", "Application time:", "GC log file")

# --- Unified logging -------------------------------------------------------------------------
# The decorations ("[2026-11-21T10:23:22.123+0000][1.234s][info][gc,start    ]") then one space and
# the message; a line cut inside the decorations fails here.
_UNIFIED = re.compile(r"^(?P<decorations>(?:\[[^\[\]]*\])+) (?P<message>.*)$")
_DECORATION = re.compile(r"\[([^\[\]]*)\]")
_ISO_TIME = re.compile(rf"^{_DATE}$")
_UPTIME = re.compile(r"^(?P<seconds>\d+(?:[.,]\d+)?)s$")
# The collection id the JVM prefixes to every line of one collection's record.
_GC_ID = re.compile(r"^GC\((?P<id>\d+)\) ")
# Pause names across JDK 9-21: "Initial Mark" and "Mixed" are JDK 9-11's names for G1 pauses that
# later became "Pause Young (Concurrent Start)" and "Pause Young (Mixed)".
_PAUSE_NAME = r"Young|Full|Remark|Cleanup|Initial Mark|Mixed"
_GROUPS = rf"(?: \({_CAUSE}\))*"
# The summary line of a pause: name, parenthesised type/cause groups, heap transition, pause time.
_PAUSE_END = re.compile(
    rf"^Pause (?P<name>{_PAUSE_NAME})(?P<groups>{_GROUPS}) "
    rf"(?P<before>{_SIZE})->(?P<after>{_SIZE})\((?P<total>{_SIZE})\) (?P<ms>\d+(?:[.,]\d+)?)ms$"
)

# The start line of a pause (tag gc,start): the same name and groups, nothing after them.
_PAUSE_START = re.compile(rf"^Pause (?P<name>{_PAUSE_NAME}){_GROUPS}$")
_GROUP = re.compile(rf"\(({_CAUSE})\)")
# A G1 concurrent cycle opens with its bare name and closes with the name plus its length.
_CYCLE_START = re.compile(r"^Concurrent (?P<name>Mark|Undo) Cycle$")
_CYCLE_END = re.compile(r"^Concurrent (?P<name>Mark|Undo) Cycle (?P<ms>\d+(?:[.,]\d+)?)ms$")
_CYCLE_PREFIX = re.compile(r"^Concurrent (?:Mark|Undo) Cycle\b")

# G1 young pauses carry their type as the first group, then the cause.
_G1_YOUNG_TYPES = {"Normal": "young", "Concurrent Start": "young", "Prepare Mixed": "young", "Mixed": "mixed"}
_PAUSE_KINDS = {
    "Young": "young",
    "Initial Mark": "young",
    "Mixed": "mixed",
    "Full": "full",
    "Remark": "remark",
    "Cleanup": "cleanup",
}


@dataclass(frozen=True)
class GcEvent:
    time_ms: int | None  # wall-clock epoch ms at which the event began, when the log carries dates
    uptime_s: float | None  # JVM uptime at which the event began
    kind: str  # young, mixed, full, remark, cleanup or concurrent (see the module docstring)
    cause: str | None  # "Allocation Failure", "G1 Evacuation Pause", "System.gc()", ...
    pause_ms: float  # stop-the-world time; 0 for concurrent cycles
    heap_before_bytes: int | None
    heap_after_bytes: int | None
    heap_total_bytes: int | None
    duration_ms: float | None = None  # wall-clock length: the pause, or a concurrent cycle's length

    def row(self) -> dict[str, Any]:
        return {column: getattr(self, column) for column in GC_EVENT_COLUMNS}


class _Unreadable(ValueError):
    """A line that looks like a GC record but cannot be read."""


@dataclass(frozen=True)
class _Stamp:
    time_ms: int | None
    uptime_s: float | None


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _size_bytes(text: str) -> int:
    return round(_number(text[:-1]) * _UNIT_BYTES[text[-1]])


def _epoch_ms(text: str) -> int:
    moment = datetime.strptime(text.replace(",", "."), "%Y-%m-%dT%H:%M:%S.%f%z")
    return round(moment.timestamp() * 1000)


def _ms(text: str) -> float:
    return round(_number(text), 6)


def _heap(match: re.Match[str]) -> tuple[int, int, int]:
    return _size_bytes(match["before"]), _size_bytes(match["after"]), _size_bytes(match["total"])


def _preview(line: str) -> str:
    return repr(line[:80] + ("..." if len(line) > 80 else ""))


# --- JDK 8 -----------------------------------------------------------------------------------


def _jdk8_stamp(stamps: re.Match[str]) -> _Stamp:
    date, uptime = stamps["date"], stamps["uptime"]
    return _Stamp(_epoch_ms(date) if date else None, _number(uptime) if uptime else None)


def _jdk8_event(stamp: _Stamp, record: re.Match[str]) -> GcEvent:
    heap = _JDK8_HEAP.search(_JDK8_BRACKETED.sub("", record["body"]))
    if heap is None:
        raise _Unreadable("incomplete JDK 8 GC record")
    pause_ms = round(_number(heap["secs"]) * 1000, 6)
    before, after, total = _heap(heap)
    kind = "full" if record["full"] else "young"
    return GcEvent(
        stamp.time_ms, stamp.uptime_s, kind, record["cause"], pause_ms, before, after, total, pause_ms
    )


# --- Unified logging -------------------------------------------------------------------------


def _unified_stamp(decorations: str) -> _Stamp:
    time_ms: int | None = None
    uptime_s: float | None = None
    for raw in _DECORATION.findall(decorations):
        value = raw.strip()
        if _ISO_TIME.match(value):
            time_ms = _epoch_ms(value)
        elif uptime := _UPTIME.match(value):
            uptime_s = _number(uptime["seconds"])
    return _Stamp(time_ms, uptime_s)


def _pause_kind(name: str, groups: list[str]) -> tuple[str, str | None]:
    """(kind, cause) of a pause from its name and its parenthesised groups."""
    if name == "Young" and groups and groups[0] in _G1_YOUNG_TYPES:
        return _G1_YOUNG_TYPES[groups[0]], groups[1] if len(groups) > 1 else None
    return _PAUSE_KINDS[name], groups[0] if groups else None


class _Parser:
    """Feeds lines one at a time; keeps what spans lines (start stamps, the JDK 8 heap block)."""

    def __init__(self) -> None:
        self.events: list[GcEvent] = []
        self.warnings: list[str] = []
        self._unlisted = 0
        self._starts: dict[tuple[str | None, str], _Stamp] = {}
        self._in_heap_block = False

    def feed(self, lineno: int, raw: str) -> None:
        line = raw.rstrip()
        if not line:
            return
        try:
            self._line(line)
        except ValueError as exc:  # _Unreadable, and dates or numbers out of range
            self._warn(
                lineno, str(exc) if isinstance(exc, _Unreadable) else f"unreadable value ({exc})", line
            )

    def finish(self) -> tuple[list[GcEvent], list[str]]:
        if self._unlisted:
            self.warnings.append(f"{self._unlisted} more unreadable lines not listed")
        return _in_time_order(self.events), self.warnings

    def skip(self, lineno: int, reason: str, line: str) -> None:
        self._warn(lineno, reason, line.rstrip())

    def _warn(self, lineno: int, reason: str, line: str) -> None:
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(f"line {lineno}: {reason}, skipped: {_preview(line)}")
        else:
            self._unlisted += 1

    def _line(self, line: str) -> None:
        stamps = _JDK8_STAMPS.match(line)
        assert stamps is not None  # every group in it is optional
        rest = line[stamps.end() :]
        if record := _JDK8_RECORD.match(rest):
            self._in_heap_block = False
            self.events.append(_jdk8_event(_jdk8_stamp(stamps), record))
        elif stamps.end():
            self._in_heap_block = False
            if not rest.startswith(_JDK8_OTHER):
                raise _Unreadable("unrecognised stamped line")
        elif unified := _UNIFIED.match(line):
            self._unified(_unified_stamp(unified["decorations"]), unified["message"])
        elif _GC_ID.match(line):  # unified logging without decorations (-Xlog:...:none)
            self._unified(_Stamp(None, None), line)
        else:
            self._jdk8_other(line)

    def _jdk8_other(self, line: str) -> None:
        if line.startswith(_JDK8_BANNER):
            self._in_heap_block = False
        elif line == "Heap":
            self._in_heap_block = True
        elif not (self._in_heap_block and line[0].isspace()):
            raise _Unreadable("unrecognised line")

    def _unified(self, stamp: _Stamp, message: str) -> None:
        gc_id: str | None = None
        if tagged := _GC_ID.match(message):
            gc_id, message = tagged["id"], message[tagged.end() :]
        elif message.startswith("GC("):
            raise _Unreadable("incomplete GC id")
        if message.startswith("Pause ") or "Pause".startswith(message):  # the latter: cut short
            self._pause(gc_id, stamp, message)
        elif _CYCLE_PREFIX.match(message):
            self._cycle(gc_id, stamp, message)

    def _pause(self, gc_id: str | None, stamp: _Stamp, message: str) -> None:
        if start := _PAUSE_START.match(message):
            self._starts[(gc_id, "Pause " + start["name"])] = stamp
            return
        end = _PAUSE_END.match(message)
        if end is None:
            raise _Unreadable("incomplete GC pause line")
        began = self._starts.pop((gc_id, "Pause " + end["name"]), stamp)
        kind, cause = _pause_kind(end["name"], _GROUP.findall(end["groups"]))
        pause_ms = _ms(end["ms"])
        before, after, total = _heap(end)
        self.events.append(
            GcEvent(began.time_ms, began.uptime_s, kind, cause, pause_ms, before, after, total, pause_ms)
        )

    def _cycle(self, gc_id: str | None, stamp: _Stamp, message: str) -> None:
        if start := _CYCLE_START.match(message):
            self._starts[(gc_id, f"Concurrent {start['name']} Cycle")] = stamp
            return
        end = _CYCLE_END.match(message)
        if end is None:
            raise _Unreadable("incomplete concurrent cycle line")
        began = self._starts.pop((gc_id, f"Concurrent {end['name']} Cycle"), stamp)
        self.events.append(
            GcEvent(began.time_ms, began.uptime_s, CONCURRENT, None, 0.0, None, None, None, _ms(end["ms"]))
        )


def _in_time_order(events: list[GcEvent]) -> list[GcEvent]:
    """By start time (wall clock if every event has it, else uptime); stable, so ties keep log order.

    Unified logging completes a concurrent cycle after the pauses inside it, so log order is not
    start order.
    """
    if events and all(e.time_ms is not None for e in events):
        return sorted(events, key=lambda e: e.time_ms or 0)
    if events and all(e.uptime_s is not None for e in events):
        return sorted(events, key=lambda e: e.uptime_s or 0.0)
    return events


def parse_gc_log(lines: Iterable[str]) -> tuple[list[GcEvent], list[str]]:
    """GC events and warnings (one per unreadable line, naming its 1-based line number).

    When the lines carry their newlines (as read from a file), a last line without one is still
    being written or was cut off: it is skipped with a warning even if it looks whole.
    """
    parser = _Parser()
    previous: tuple[int, str] | None = None
    newline_terminated = False
    for lineno, line in enumerate(lines, start=1):
        if previous is not None:
            parser.feed(*previous)
            newline_terminated = previous[1].endswith("\n")
        previous = (lineno, line)
    if previous is not None:
        lineno, line = previous
        if newline_terminated and not line.endswith("\n") and line.strip():
            parser.skip(lineno, "unterminated last line (cut off or still being written)", line)
        else:
            parser.feed(lineno, line)
    return parser.finish()


def parse_gc_file(path: Path) -> tuple[list[GcEvent], list[str]]:
    """Like parse_gc_log; a missing or unreadable file gives no events and one warning."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return parse_gc_log(handle)
    except FileNotFoundError:
        return [], [f"{path}: GC log not found"]
    except OSError as exc:
        return [], [f"{path}: GC log unreadable ({exc})"]
