"""The process groups a harness started die with it, however the harness dies.

The supervisor starts one watchdog (``python -m harness.run.watchdog``, in a session of its own so a
Ctrl-C in the terminal does not reach it) and keeps the write end of a pipe to its stdin. It writes
``+<pgid>`` when it starts a process group and ``-<pgid>`` when it has stopped one. When the pipe
reads end-of-file the harness is gone: closing it on purpose, exiting, or being killed with SIGKILL
all close its descriptors. The watchdog then sends SIGTERM to every group still listed, SIGKILL to
those left after a grace period, and exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

GRACE_S = 10.0
_POLL_S = 0.1


class Watchdog:
    """The harness's end of the pipe; started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None

    def watch(self, pgid: int) -> None:
        self._send(f"+{pgid}")

    def release(self, pgid: int) -> None:
        self._send(f"-{pgid}")

    def _send(self, line: str) -> None:
        with self._lock:
            if self._process is None:
                self._process = subprocess.Popen(
                    [sys.executable, "-m", "harness.run.watchdog"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            assert self._process.stdin is not None
            with contextlib.suppress(BrokenPipeError):
                self._process.stdin.write(f"{line}\n".encode())
                self._process.stdin.flush()

    def close(self) -> None:
        """End of the pipe: the watchdog stops whatever is still listed, then exits; waits for it."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
        process.wait()


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal(pgids: set[int], sig: signal.Signals) -> None:
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)


def stop_groups(pgids: set[int], grace_s: float = GRACE_S) -> None:
    """SIGTERM each group, SIGKILL those still there after ``grace_s``."""
    _signal(pgids, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while any(_alive(pgid) for pgid in pgids) and time.monotonic() < deadline:
        time.sleep(_POLL_S)
    _signal({pgid for pgid in pgids if _alive(pgid)}, signal.SIGKILL)


def main() -> None:
    # The harness's Ctrl-C and SIGTERM are for the harness: the watchdog waits for the pipe to close.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    listed: set[int] = set()
    for raw in sys.stdin.buffer:
        line = raw.decode(errors="replace").strip()
        with contextlib.suppress(ValueError):
            if line.startswith("+"):
                listed.add(int(line[1:]))
            elif line.startswith("-"):
                listed.discard(int(line[1:]))
    stop_groups(listed)


if __name__ == "__main__":
    main()
