"""Parsing JVM GC logs: JDK 8 PrintGCDetails excerpts and JDK 17 unified logs from real JVMs."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from harness.observe.parsers.gc_log import MAX_WARNINGS, GcEvent, parse_gc_file, parse_gc_log
from harness.results.summary import gc_statistics
from harness.results.tables import GC_EVENT_COLUMNS

GC_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "gc"
JDK8_DRIVER = GC_FIXTURES / "jdk8_parallel_driver.log"
JDK8_EXECUTOR = GC_FIXTURES / "jdk8_parallel_executor.log"
G1_CONCURRENT = GC_FIXTURES / "jdk17_g1_concurrent.log"
G1_FULL = GC_FIXTURES / "jdk17_g1_full.log"
PARALLEL = GC_FIXTURES / "jdk17_parallel.log"
SERIAL = GC_FIXTURES / "jdk17_serial.log"
REFERENCE = Path("/work/shared/reference/sensors2022-artifact/SUMServer_8GB")
XLOG = "-Xlog:gc*:file={path}:time,uptime,level,tags"

K = 1024
M = 1024 * K


def parse_clean(path: Path) -> list[GcEvent]:
    events, warnings = parse_gc_file(path)
    assert warnings == []
    return events


def lines_of(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


# --- JDK 8 (excerpts of the reference artifact's logs) ---------------------------------------


def test_jdk8_driver_excerpt_events_and_header() -> None:
    events = parse_clean(JDK8_DRIVER)
    assert len(events) == len(lines_of(JDK8_DRIVER)) - 3  # every line but the three-line banner
    assert events[0] == GcEvent(
        time_ms=1613948402655,
        uptime_s=1.286,
        kind="young",
        cause="Metadata GC Threshold",
        pause_ms=18.7465,
        heap_before_bytes=325382 * K,
        heap_after_bytes=19507 * K,
        heap_total_bytes=2010112 * K,
        duration_ms=18.7465,
    )
    assert events[1] == GcEvent(
        time_ms=1613948402674,
        uptime_s=1.305,
        kind="full",
        cause="Metadata GC Threshold",
        pause_ms=23.6386,
        heap_before_bytes=19507 * K,
        heap_after_bytes=18192 * K,
        heap_total_bytes=1452032 * K,
        duration_ms=23.6386,
    )
    ergonomics = [e for e in events if e.cause == "Ergonomics"]
    assert ergonomics == [
        GcEvent(
            1613949768691,
            1367.323,
            "full",
            "Ergonomics",
            203.4655,
            1521339 * K,
            440572 * K,
            3386880 * K,
            203.4655,
        )
    ]
    assert Counter((e.kind, e.cause) for e in events) == {
        ("young", "Allocation Failure"): 11,
        ("young", "Metadata GC Threshold"): 3,
        ("full", "Metadata GC Threshold"): 3,
        ("young", "GCLocker Initiated GC"): 1,
        ("full", "Ergonomics"): 1,
        ("young", "System.gc()"): 1,
        ("full", "System.gc()"): 1,
    }
    assert pause_totals(events) == {
        "gc_count": 21,
        "full_gc_count": 5,
        "gc_pause_total_ms": 908.4309,
        "gc_pause_max_ms": 203.4655,
    }


def pause_totals(events: list[GcEvent]) -> dict[str, object]:
    """What summary.json takes from these events (the GC time share left out: it needs a duration)."""
    statistics = gc_statistics([{"source": "driver", **e.row()} for e in events], duration_s=1.0)
    return {k: v for k, v in statistics.items() if k != "gc_time_frac"}


def test_jdk8_executor_excerpt_ignores_the_heap_block() -> None:
    events = parse_clean(JDK8_EXECUTOR)
    assert len(events) == len(lines_of(JDK8_EXECUTOR)) - 3 - 8  # banner and Heap block
    full = [e for e in events if e.kind == "full"]
    assert [e.cause for e in full] == ["Metadata GC Threshold"] * 2 + ["Ergonomics"] * 2
    assert full[2] == GcEvent(
        1613948428975, 25.686, "full", "Ergonomics", 188.4354, 2289932 * K, 2167466 * K, 6973440 * K, 188.4354
    )
    assert events[-1].uptime_s == 1793.991
    assert events[-1].pause_ms == pytest.approx(282.029)


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="reference artifact not present")
@pytest.mark.parametrize(
    ("name", "count", "full", "total_ms", "max_ms"),
    [("DRIVER.log", 510, 5, 10689.5066, 203.4655), ("EXECUTOR2.log", 88, 12, 22753.2679, 1136.8985)],
)
def test_reference_logs_parse_completely(
    name: str, count: int, full: int, total_ms: float, max_ms: float
) -> None:
    events = parse_clean(REFERENCE / name)
    assert pause_totals(events) == {
        "gc_count": count,
        "full_gc_count": full,
        "gc_pause_total_ms": total_ms,
        "gc_pause_max_ms": max_ms,
    }


def test_jdk8_variants_without_date_stamps_or_cause_and_serial_collector() -> None:
    lines = [
        "35,980: [GC (Allocation Failure) [PSYoungGen: 3365780K->342441K(4708352K)] "
        "5832358K->3290606K(8592384K), 0,0761138 secs] [Times: user=0,86 sys=1,62, real=0,07 secs]",
        "[GC [DefNew: 4416K->512K(4928K), 0.0034 secs] 4416K->1800K(15872K), 0.0035 secs]",
        "1.2: [Full GC (Allocation Failure) [Tenured: 10000K->9000K(10944K), 0.0123 secs] "
        "14000K->9000K(15872K), [Metaspace: 2000K->2000K(1056768K)], 0.0124 secs] [Times: real=0.01 secs]",
        "1.5: Total time for which application threads were stopped: 0.0125 seconds",
    ]
    events, warnings = parse_gc_log(lines)
    assert warnings == []
    # Without a time on every event, log order is kept.
    assert [(e.time_ms, e.uptime_s, e.kind, e.cause) for e in events] == [
        (None, 35.98, "young", "Allocation Failure"),
        (None, None, "young", None),
        (None, 1.2, "full", "Allocation Failure"),
    ]
    comma_locale, no_cause, serial_full = events
    assert comma_locale.pause_ms == pytest.approx(76.1138)
    assert comma_locale.heap_before_bytes == 5832358 * K
    assert (no_cause.heap_after_bytes, no_cause.heap_total_bytes) == (1800 * K, 15872 * K)
    assert (serial_full.heap_before_bytes, serial_full.pause_ms) == (14000 * K, 12.4)


# --- JDK 17 unified logging (fixtures produced with GcChurn.java, see fixtures/gc/README.md) ---


def test_g1_young_and_concurrent_cycle() -> None:
    events = parse_clean(G1_CONCURRENT)
    assert [(e.kind, e.cause) for e in events] == [
        ("young", "G1 Evacuation Pause"),  # GC(0) Normal
        ("young", "G1 Evacuation Pause"),  # GC(7) Concurrent Start
        ("concurrent", None),  # GC(8) Concurrent Mark Cycle
        ("remark", None),
        ("cleanup", None),
        ("young", "G1 Evacuation Pause"),  # GC(11) Prepare Mixed, logged inside the cycle
    ]
    first = events[0]
    assert first.time_ms == 1795257832568  # from the gc,start line, when the pause began
    assert (first.uptime_s, first.pause_ms) == (0.028, 2.563)
    assert (first.heap_before_bytes, first.heap_after_bytes, first.heap_total_bytes) == (6 * M, 3 * M, 64 * M)
    cycle = events[2]
    assert cycle == GcEvent(1795257832603, 0.063, "concurrent", None, 0.0, None, None, None, 11.752)
    remark = events[3]
    assert (remark.pause_ms, remark.heap_before_bytes, remark.heap_after_bytes) == (0.563, 46 * M, 34 * M)
    totals = pause_totals(events)
    assert totals == {"gc_count": 5, "full_gc_count": 0, "gc_pause_total_ms": 6.753, "gc_pause_max_ms": 2.563}


def test_g1_mixed_and_full_pauses() -> None:
    events = parse_clean(G1_FULL)
    assert [(e.kind, e.cause) for e in events] == [
        ("mixed", "G1 Preventive Collection"),
        ("young", "G1 Preventive Collection"),  # the one with "To-space exhausted"
        ("full", "G1 Compaction Pause"),
        ("full", "System.gc()"),
    ]
    system_gc = events[-1]
    assert system_gc == GcEvent(
        1795257832887, 0.347, "full", "System.gc()", 2.627, 46 * M, 17 * M, 64 * M, 2.627
    )
    assert pause_totals(events)["full_gc_count"] == 2


def test_parallel_collector() -> None:
    events = parse_clean(PARALLEL)
    assert [(e.kind, e.cause) for e in events] == [
        ("young", "Allocation Failure"),
        ("young", "Allocation Failure"),
        ("full", "Ergonomics"),
        ("young", "System.gc()"),
        ("full", "System.gc()"),
    ]
    ergonomics = events[2]
    assert ergonomics == GcEvent(
        1795257833002, 0.083, "full", "Ergonomics", 7.542, 47 * M, 16 * M, 56 * M, 7.542
    )
    assert pause_totals(events) == {
        "gc_count": 5,
        "full_gc_count": 2,
        "gc_pause_total_ms": 20.457,
        "gc_pause_max_ms": 7.542,
    }


def test_serial_collector() -> None:
    events = parse_clean(SERIAL)
    assert [(e.kind, e.cause) for e in events] == [
        ("young", "Allocation Failure"),
        ("young", "Allocation Failure"),
        ("full", "Allocation Failure"),
        ("full", "System.gc()"),
    ]
    assert (events[2].uptime_s, events[2].pause_ms, events[2].heap_after_bytes) == (0.086, 2.454, 16 * M)


def test_unified_sizes_units_and_missing_start_line() -> None:
    line = (
        "[2026-11-21T10:23:22.123+0000][1.234s][info][gc] GC(3) Pause Young (Normal) (G1 Evacuation Pause) "
    )
    events, warnings = parse_gc_log(
        [line + "1G->512M(2G) 12.5ms", "GC(4) Pause Remark 700K->600K(2048K) 0.5ms"]
    )
    assert warnings == []
    young, remark = events
    assert young == GcEvent(
        1795256602123, 1.234, "young", "G1 Evacuation Pause", 12.5, 1 << 30, 512 * M, 2 << 30, 12.5
    )
    assert (remark.time_ms, remark.heap_before_bytes, remark.heap_total_bytes) == (None, 700 * K, 2 * M)


def test_formats_are_detected_per_line() -> None:
    lines = lines_of(JDK8_DRIVER)[:5] + lines_of(PARALLEL)[:14]
    events, warnings = parse_gc_log(lines)
    assert warnings == []
    assert [e.uptime_s for e in events] == [1.286, 1.305, 0.042, 0.047]


# --- Damaged input -------------------------------------------------------------------------


def test_truncated_last_line_is_a_warning_naming_it() -> None:
    lines = lines_of(JDK8_DRIVER)
    last = lines[-1]
    events, warnings = parse_gc_log([*lines[:-1], last[: len(last) // 2]])
    assert len(events) == len(parse_clean(JDK8_DRIVER)) - 1
    assert len(warnings) == 1
    assert warnings[0].startswith(f"line {len(lines)}: ")


@pytest.mark.parametrize("cut", [20, 75, -4])
def test_unified_pause_line_cut_short_is_a_warning(cut: int) -> None:
    lines = lines_of(PARALLEL)
    pause_at = next(i for i, line in enumerate(lines) if "] GC(10) Pause Full (Ergonomics) 47M" in line)
    cut_line = lines[pause_at][:cut]
    for damaged in (
        [*lines[:pause_at], cut_line],
        [*lines[:pause_at], cut_line + "\n", *lines[pause_at + 1 :]],
    ):
        events, warnings = parse_gc_log(damaged)
        assert [e.kind for e in events if e.kind == "full"] == (
            [] if len(damaged) == pause_at + 1 else ["full"]
        )
        assert len(warnings) == 1
        assert warnings[0].startswith(f"line {pause_at + 1}: ")


def test_unterminated_last_line_is_skipped_even_if_it_looks_whole() -> None:
    lines = lines_of(PARALLEL)
    events, warnings = parse_gc_log([*lines[:-1], lines[-1].rstrip("\n")])
    assert len(events) == 5
    assert warnings == [
        f"line {len(lines)}: unterminated last line (cut off or still being written), skipped: "
        + repr(lines[-1].rstrip()[:80] + "...")
    ]
    assert parse_gc_log([line.rstrip("\n") for line in lines]) == parse_gc_log(lines)


def test_line_split_in_two_and_binary_garbage() -> None:
    lines = lines_of(JDK8_DRIVER)
    target = lines[10]
    split = target.index("] ") + 2  # the whole-heap transition starts the second half
    garbage = "\x00\x7fELF\ufffd\ufffd\x01\x02 \x00\n"
    damaged = [*lines[:10], target[:split] + "\n", target[split:], garbage, *lines[11:]]
    events, warnings = parse_gc_log(damaged)
    assert len(events) == len(parse_clean(JDK8_DRIVER)) - 1
    assert [w.split(":")[0] for w in warnings] == ["line 11", "line 12", "line 13"]


def test_binary_file_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "gc.log"
    path.write_bytes(bytes(range(256)) * 8 + b"\n[2026-11-21T10:43:52.6\n" + bytes(range(255, -1, -1)))
    events, warnings = parse_gc_file(path)
    assert events == []
    assert warnings


def test_warnings_are_capped() -> None:
    events, warnings = parse_gc_log(["garbage"] * (MAX_WARNINGS + 10))
    assert events == []
    assert len(warnings) == MAX_WARNINGS + 1
    assert warnings[-1] == "10 more unreadable lines not listed"


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("")
    assert parse_gc_file(empty) == ([], [])
    assert parse_gc_log(["\n", "   \n"]) == ([], [])
    missing = tmp_path / "absent.log"
    events, warnings = parse_gc_file(missing)
    assert events == []
    assert len(warnings) == 1 and str(missing) in warnings[0]


# --- API -----------------------------------------------------------------------------------


def test_row_keys_follow_the_column_order() -> None:
    event = parse_clean(G1_CONCURRENT)[0]
    assert list(event.row()) == GC_EVENT_COLUMNS
    assert event.row()["kind"] == "young"


def test_totals_of_nothing() -> None:
    # No GC log at all says nothing about pauses (None); a JVM that logged no pause had none (0).
    assert set(pause_totals([]).values()) == {None}
    concurrent_only = [GcEvent(1, 0.1, "concurrent", None, 0.0, None, None, None, 5.0)]
    assert pause_totals(concurrent_only) == {
        "gc_count": 0, "full_gc_count": 0, "gc_pause_total_ms": 0.0, "gc_pause_max_ms": 0.0
    }  # fmt: skip


# --- The installed JVM, now ----------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("javac") is None or shutil.which("java") is None, reason="javac/java not on PATH"
)
@pytest.mark.parametrize(
    "collector", [[], ["-XX:+UseParallelGC"], ["-XX:+UseSerialGC"]], ids=["g1", "parallel", "serial"]
)
def test_fresh_log_from_installed_jvm(tmp_path: Path, collector: list[str]) -> None:
    subprocess.run(
        ["javac", "-d", str(tmp_path), str(GC_FIXTURES / "GcChurn.java")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    log = tmp_path / "gc.log"
    command = ["java", "-Xmx64m", *collector, XLOG.format(path=log), "-cp", str(tmp_path), "GcChurn", "5"]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    events, warnings = parse_gc_file(log)
    assert warnings == []
    system_gc = [e for e in events if e.kind == "full" and e.cause == "System.gc()"]
    assert len(system_gc) == 1
    pause = system_gc[0]
    assert pause.pause_ms > 0
    assert pause.time_ms is not None and pause.uptime_s is not None
    assert pause.heap_total_bytes and pause.heap_before_bytes and pause.heap_after_bytes is not None
    assert any(e.kind == "young" for e in events)
