"""A results folder on a disk that fills up mid-run: a 3 MiB tmpfs (mounted as root), on which the
light run's 4 MB of records in Kafka's log cannot fit. The harness must stop with a clear error that
names the folder (exit status 1, no traceback), leave no run marked complete and no half-written
file, and leave nothing running (the tmpfs then unmounts: no process holds a file on it)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.conftest import assert_nothing_left_running, run_bpbench, write_manifest

DISK_SIZE = "3m"


def _started_pids(out: Path) -> list[int]:
    """Every process the event logs under ``out`` say was started; a line the full disk cut short is
    skipped (the processes are started before it fills)."""
    pids = []
    for log in out.rglob("events.jsonl"):
        for line in log.read_text(errors="replace").splitlines():
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                continue
            if event.get("kind") == "process_started":
                pids.append(int(event["pid"]))
    return pids


@pytest.fixture
def small_disk(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(disk)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"could not mount a tmpfs: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        unmounted = subprocess.run(["umount", str(disk)], capture_output=True, text=True, check=False)
        if unmounted.returncode != 0:
            subprocess.run(["umount", "--lazy", str(disk)], check=False)
            pytest.fail(f"the tmpfs was still in use: {unmounted.stderr.strip()}")


def test_a_disk_that_fills_mid_run_is_a_clear_error_and_no_run_is_complete(
    tmp_path: Path, small_disk: Path
) -> None:
    out = small_disk / "results"
    manifest = write_manifest(tmp_path, name="fulldisk")
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert f"harness failure: the disk holding {out} ran out of space during the run" in result.stderr
    runs = [spec.parent for spec in (out / "fulldisk").glob("*/spec.json")]
    assert len(runs) == 1
    assert not list(out.rglob("COMPLETE"))
    assert not list(out.rglob("*.partial"))
    assert not (runs[0] / "summary.json").exists()
    assert_nothing_left_running(_started_pids(out))
