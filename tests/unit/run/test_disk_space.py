"""A full disk under the results: the watch that tells, the event log and the atomic writes that
survive it, and a run that fills its disk failing without a COMPLETE marker."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.results.store import write_atomically, write_text
from harness.run import runner
from harness.run.disk_space import DiskFull, DiskSpaceWatch, free_space_problem
from harness.run.events import EventLog
from tests.unit.run.test_runner import run_once

MIB = 2**20


def test_the_watch_tells_once_the_free_space_fell_under_the_minimum(tmp_path: Path) -> None:
    readings = iter([5 * MIB, 3 * MIB, 4096, 5 * MIB])
    watch = DiskSpaceWatch(tmp_path, min_free_bytes=MIB, free=lambda _: next(readings))
    watch.check()
    watch.check()
    with pytest.raises(DiskFull, match=f"the disk holding {tmp_path} ran out of space.*4,096 bytes free"):
        watch.check()
    with pytest.raises(DiskFull):  # space freed since does not make the run whole again
        watch.check()


def test_the_watch_reads_on_its_own_thread_while_started(tmp_path: Path) -> None:
    calls: list[Path] = []
    with DiskSpaceWatch(tmp_path, interval_s=0.01, free=lambda path: calls.append(path) or 0) as watch:
        while len(calls) < 3:
            time.sleep(0.01)
    assert watch.first_short is not None and watch.first_short.free_bytes == 0
    assert set(calls) == {tmp_path}


def test_a_full_disk_before_the_run_is_a_problem_naming_the_folder(tmp_path: Path) -> None:
    assert free_space_problem(tmp_path / "not" / "made" / "yet") is None
    problem = free_space_problem(tmp_path, min_free_bytes=2**62)
    assert problem is not None and problem.startswith(f"{tmp_path}: its disk is full")


def test_an_event_log_on_a_full_disk_keeps_the_error_and_raises_it_on_check() -> None:
    log = EventLog(Path("/dev/full"))  # every write fails with ENOSPC
    log.emit("first")
    log.emit("second")
    log.close()
    assert log.write_error is not None and log.write_error.errno == errno.ENOSPC
    with pytest.raises(HarnessError, match="could not write /dev/full: No space left on device"):
        log.check()


def test_a_failed_atomic_write_names_the_file_and_leaves_no_partial_one(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    write_text(target, "whole\n")

    def half(partial: Path) -> None:
        partial.write_text("hal")
        raise OSError(errno.ENOSPC, "No space left on device", str(partial))

    with pytest.raises(HarnessError, match=f"could not write {target}: No space left on device$"):
        write_atomically(target, half)
    assert target.read_text() == "whole\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_a_run_that_fills_its_disk_fails_for_it_and_is_not_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readings = iter([10 * MIB, 10 * MIB])  # room at the start, then none

    def watch(folder: Path) -> DiskSpaceWatch:
        return DiskSpaceWatch(folder, interval_s=3600, free=lambda _: next(readings, 0))

    monkeypatch.setattr(runner, "DiskSpaceWatch", watch)
    with pytest.raises(DiskFull, match="ran out of space during the run"):
        run_once(tmp_path)
    [spec] = (tmp_path / "results").rglob("spec.json")
    assert not (spec.parent / "COMPLETE").exists()
    assert not list((tmp_path / "results").rglob("*.partial"))
