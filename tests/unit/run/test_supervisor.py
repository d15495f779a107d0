"""The supervisor stops what it started, children included, on every path."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import psutil
import pytest

from harness.run.supervisor import ProcessSupervisor

# A parent that ignores SIGTERM and leaves a grandchild behind: the hard case for cleanup.
STUBBORN = (
    "import signal, subprocess, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "print(child.pid, flush=True)\n"
    "time.sleep(600)\n"
)


def wait_for_line(path: Path, timeout_s: float = 10.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if text.endswith("\n"):
            return text.strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} stayed empty")


def assert_gone(pid: int) -> None:
    try:
        psutil.Process(pid).wait(timeout=5)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        assert psutil.Process(pid).status() == psutil.STATUS_ZOMBIE, f"process {pid} is still running"


def test_stop_kills_the_whole_group_after_the_grace_period(tmp_path: Path) -> None:
    supervisor = ProcessSupervisor()
    process = supervisor.start("stubborn", [sys.executable, "-c", STUBBORN], tmp_path / "out.log")
    grandchild = int(wait_for_line(tmp_path / "out.log"))
    assert os.getsid(process.pid) == process.pid  # a session of its own: Ctrl-C does not reach it
    code = supervisor.stop(process, grace_s=0.5)
    assert code is not None and code < 0
    assert not process.alive()
    assert_gone(grandchild)


def test_scope_stops_only_what_started_inside_it(tmp_path: Path) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    with ProcessSupervisor() as supervisor:
        outer = supervisor.start("outer", sleeper, tmp_path / "outer.log")
        with pytest.raises(RuntimeError), supervisor.scope():
            inner = supervisor.start("inner", sleeper, tmp_path / "inner.log")
            raise RuntimeError("the run failed")
        assert not inner.alive()
        assert outer.alive()
    assert not outer.alive()


def test_a_process_that_outlasts_its_scope_is_stopped_with_the_rest(tmp_path: Path) -> None:
    sleeper = [sys.executable, "-c", "import time; time.sleep(600)"]
    with ProcessSupervisor() as supervisor:
        with supervisor.scope():
            restarted = supervisor.start("broker", sleeper, tmp_path / "b.log", outlasts_scope=True)
            inner = supervisor.start("inner", sleeper, tmp_path / "inner.log")
        assert restarted.alive() and not inner.alive()
    assert not restarted.alive()


def test_collector_samples_each_root_and_all_its_descendants(tmp_path: Path) -> None:
    from harness.observe.process_samples import ProcessCollector

    ready = tmp_path / "ready"
    child = (
        "import subprocess, time; subprocess.Popen(['sleep', '60'])\n"
        f"open({str(ready)!r}, 'w').write('x\\n'); time.sleep(60)"
    )
    parent = (
        f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(60)"
    )
    root = psutil.Popen([sys.executable, "-c", parent])
    try:
        wait_for_line(ready)
        collector = ProcessCollector(lambda: [("app", root.pid), ("gone", 2**22 + 1)], clock=lambda: 5.0)
        collector.poll()
        rows, _ = collector.tables()["processes"]
        python = psutil.Process(root.pid).name()
        assert sorted(row["name"] for row in rows) == sorted(["harness", "app", f"app/{python}", "app/sleep"])
        assert {row["sample_time_ms"] for row in rows} == {5000}
        assert all(row["rss_bytes"] > 0 and row["threads"] >= 1 for row in rows)
    finally:
        for process in [root, *root.children(recursive=True)]:
            process.kill()
        root.wait()
