"""What the harness started dies with it, even when the harness is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from harness.run.supervisor import ProcessSupervisor
from harness.run.watchdog import stop_groups
from harness.timing import wait_until
from tests.unit.run.test_supervisor import STUBBORN, assert_gone, wait_for_line

# A harness stand-in: starts a sleeper (with a grandchild) through the supervisor, prints its pid,
# then waits to be killed without ever stopping it.
HARNESS = """
import sys, time
from pathlib import Path
from harness.run.supervisor import ProcessSupervisor
supervisor = ProcessSupervisor()
process = supervisor.start("stubborn", [sys.executable, "-c", sys.argv[1]], Path(sys.argv[2]))
print(process.pid, flush=True)
time.sleep(600)
"""


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def test_a_harness_killed_with_sigkill_leaves_nothing_running(tmp_path: Path) -> None:
    log = tmp_path / "stubborn.log"
    harness = subprocess.Popen(
        [sys.executable, "-c", HARNESS, STUBBORN, str(log)], stdout=subprocess.PIPE, text=True
    )
    assert harness.stdout is not None
    leader = int(harness.stdout.readline())
    grandchild = int(wait_for_line(log))
    harness.send_signal(signal.SIGKILL)
    harness.wait()
    # The group ignores SIGTERM: the watchdog's SIGKILL after its grace period ends it.
    assert wait_until(lambda: gone(leader) and gone(grandchild), timeout_s=30, interval_s=0.1)


def test_groups_the_supervisor_stopped_are_released_and_the_watchdog_exits(tmp_path: Path) -> None:
    supervisor = ProcessSupervisor()
    process = supervisor.start(
        "sleeper", [sys.executable, "-c", "import time; time.sleep(600)"], tmp_path / "a"
    )
    watchdog = supervisor._watchdog._process
    assert watchdog is not None and os.getsid(watchdog.pid) == watchdog.pid  # Ctrl-C does not reach it
    supervisor.stop_all()
    assert_gone(process.pid)
    assert watchdog.poll() is not None


def test_stop_groups_kills_what_ignores_sigterm_after_the_grace(tmp_path: Path) -> None:
    stubborn = subprocess.Popen(
        [sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert stubborn.stdout is not None
    grandchild = int(stubborn.stdout.readline())
    stop_groups({stubborn.pid}, grace_s=0.5)
    assert stubborn.wait(timeout=5) == -signal.SIGKILL
    assert_gone(grandchild)
