"""Every process the harness starts goes through one supervisor, which stops them all.

Each child runs in a session of its own, so a Ctrl-C in the terminal reaches only the harness, which
then stops the children in reverse start order (the app before the broker it reads from). Stopping
signals the child's whole process group: spark-submit's JVM, its Python driver and Python workers
go together. A watchdog process (``harness.run.watchdog``) stops the groups still running if the
harness dies without stopping them, even by SIGKILL.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.run.events import EventLog
from harness.run.watchdog import Watchdog


@dataclass
class ManagedProcess:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def terminate(self) -> None:
        """SIGTERM the process group (safe from any thread); the supervisor still stops and reaps it."""
        if self.alive():
            signal_group(self.pid, signal.SIGTERM)

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class ProcessSupervisor:
    def __init__(self, events: EventLog | None = None) -> None:
        # Where process events go; the runner points it at the current run's log.
        self.events = events
        self._processes: list[ManagedProcess] = []
        self._outlasting: set[int] = set()  # pids no scope stops (see ``start``)
        self._watchdog = Watchdog()

    def start(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        outlasts_scope: bool = False,
    ) -> ManagedProcess:
        """Start ``argv`` in a session of its own, its output appended to ``log_path``. A process that
        ``outlasts_scope`` (a backend's broker restarted during a run) is left running when the
        enclosing ``scope`` ends; ``stop`` or ``stop_all`` stop it."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log:
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
            )
        process = ManagedProcess(name, popen, log_path)
        self._processes.append(process)
        if outlasts_scope:
            self._outlasting.add(popen.pid)
        self._watchdog.watch(popen.pid)
        if self.events:
            self.events.emit("process_started", name=name, pid=popen.pid, log=str(log_path))
        return process

    def stop(self, process: ManagedProcess, grace_s: float = 20.0) -> int | None:
        """SIGTERM the process group, SIGKILL it after ``grace_s``; returns the exit code."""
        if process in self._processes:
            self._processes.remove(process)
        if process.alive():
            signal_group(process.pid, signal.SIGTERM)
            try:
                process.popen.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                if self.events:
                    self.events.emit("process_killed", name=process.name, pid=process.pid, after_s=grace_s)
        # Children that outlive their leader (workers, daemons) still belong to its group.
        signal_group(process.pid, signal.SIGKILL)
        code = process.popen.wait()
        self._outlasting.discard(process.pid)
        self._watchdog.release(process.pid)
        if self.events:
            self.events.emit("process_stopped", name=process.name, pid=process.pid, exit_code=code)
        return code

    def running(self) -> list[tuple[str, int]]:
        """Name and pid of every process started and not yet stopped."""
        return [(process.name, process.pid) for process in self._processes if process.alive()]

    def stop_all(self) -> None:
        while self._processes:
            self.stop(self._processes[-1])
        self._watchdog.close()

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Processes started inside the block are stopped when it ends, newest first, however it ends."""
        before = list(self._processes)
        try:
            yield
        finally:
            started = [p for p in self._processes if p not in before and p.pid not in self._outlasting]
            for process in reversed(started):
                self.stop(process)

    def __enter__(self) -> ProcessSupervisor:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_all()


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
