"""Which Docker engine the compose backend talks to, and the private one the project can start.

A user's own engine wins: ``DOCKER_HOST`` when set, else the default socket when it answers. When
neither answers, the project starts a private ``dockerd`` (Debian's ``docker.io``) with its own
socket, data root, exec root and pid file under the cache folder, without a bridge or iptables
rules: bpbench's containers use the host's network on 127.0.0.1. ``make engine`` starts it for good
(``make engine-down`` stops it); a run that had to start it stops it again at its end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, UsageError
from harness.paths import cache_dir
from harness.timing import wait_until

DEFAULT_SOCKET = Path("/var/run/docker.sock")
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
ANSWER_TIMEOUT_S = 10.0
ENGINE_HINT = (
    "run `make engine` (as root, with Debian's docker.io: apt-get install docker.io), "
    "or set DOCKER_HOST to an engine that answers"
)


@dataclass(frozen=True)
class PrivateEngine:
    """The folders of the project's own dockerd."""

    root: Path

    @classmethod
    def default(cls) -> PrivateEngine:
        return cls(cache_dir() / "engine")

    @property
    def socket(self) -> Path:
        return self.root / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def pid_file(self) -> Path:
        return self.root / "dockerd.pid"

    @property
    def log_file(self) -> Path:
        return self.root / "dockerd.log"

    def command(self) -> list[str]:
        return [
            "dockerd",
            "--host", self.host,
            "--data-root", str(self.root / "data"),
            "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.pid_file),
            "--bridge", "none",
            "--iptables=false",
            "--ip-masq=false",
        ]  # fmt: skip

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):  # a dockerd this process started and that died: reaped
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def answers(docker_host: str | None, run: Any = subprocess.run) -> str | None:
    """The engine's version when the engine at ``docker_host`` (the client's default when None)
    answers, else None."""
    env = dict(os.environ)
    if docker_host is not None:
        env["DOCKER_HOST"] = docker_host
    try:
        result = run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True, text=True, check=False, timeout=ANSWER_TIMEOUT_S, env=env,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = result.stdout.strip()
    return version if result.returncode == 0 and version else None


PING_TIMEOUT_S = 5.0


def ping(docker_host: str | None, timeout_s: float = PING_TIMEOUT_S) -> bool:
    """Whether the engine at ``docker_host`` (the default socket when None) answers ``GET /_ping``:
    one request on a socket, cheap enough to ask every few seconds during a run. Hosts that are not
    ``unix://`` or ``tcp://`` are asked with the client (``answers``)."""
    host = docker_host or f"unix://{DEFAULT_SOCKET}"
    scheme, _, address = host.partition("://")
    try:
        if scheme == "unix":
            connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            connection.settimeout(timeout_s)
            connection.connect(address)
        elif scheme == "tcp":
            name, _, port = address.rstrip("/").rpartition(":")
            connection = socket.create_connection((name, int(port)), timeout=timeout_s)
        else:
            return answers(docker_host) is not None
        with connection:
            connection.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            status = connection.recv(64)
    except (OSError, ValueError):
        return False
    return status.startswith((b"HTTP/1.0 200", b"HTTP/1.1 200"))


@dataclass(frozen=True)
class EngineChoice:
    """Where the engine is (``docker_host``; None: the client's default), or how to start one."""

    docker_host: str | None
    running: bool
    private: PrivateEngine | None = None

    def env(self) -> dict[str, str]:
        return {"DOCKER_HOST": self.docker_host} if self.docker_host else {}


def can_start_private() -> str | None:
    """Why this machine cannot start a private engine, or None when it can."""
    if shutil.which("dockerd") is None:
        return "no Docker engine answers and `dockerd` is not installed"
    if os.geteuid() != 0:
        return "no Docker engine answers and starting one needs root"
    return None


def choose_engine(environ: Mapping[str, str] = os.environ, run: Any = subprocess.run) -> EngineChoice:
    """The user's engine if one answers, else the private one (running or to be started).

    Raises UsageError with the fix when none answers and none can be started."""
    if shutil.which("docker") is None:
        raise UsageError(
            "backend compose: the Docker client is not installed (no `docker` on PATH); "
            "apt-get install docker.io, or use backend local"
        )
    explicit = environ.get("DOCKER_HOST")
    if explicit:
        if answers(explicit, run) is None:
            raise UsageError(
                f"backend compose: DOCKER_HOST={explicit} does not answer; start that engine, "
                "or unset DOCKER_HOST to use the default socket or the project's own engine"
            )
        return EngineChoice(explicit, running=True)
    if DEFAULT_SOCKET.exists() and answers(f"unix://{DEFAULT_SOCKET}", run) is not None:
        return EngineChoice(None, running=True)
    private = PrivateEngine.default()
    if private.pid() is not None and answers(private.host, run) is not None:
        return EngineChoice(private.host, running=True, private=private)
    reason = can_start_private()
    if reason is not None:
        raise UsageError(f"backend compose: {reason}; {ENGINE_HINT}")
    return EngineChoice(private.host, running=False, private=private)


def start_private(private: PrivateEngine) -> None:
    """Start the private dockerd, detached (it outlives this process until ``stop_private``), and
    wait until it answers."""
    if private.pid() is not None:
        if wait_until(lambda: answers(private.host) is not None, START_TIMEOUT_S, interval_s=0.5):
            return
        raise HarnessError(
            f"the private Docker engine (pid {private.pid()}) does not answer; see {private.log_file}"
        )
    private.root.mkdir(parents=True, exist_ok=True)
    with private.log_file.open("ab") as log:
        process = subprocess.Popen(
            private.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def ready() -> bool:
        if process.poll() is not None:
            raise HarnessError(
                f"dockerd exited with status {process.returncode} at start; "
                f"last lines of {private.log_file}:\n"
                + "\n".join(private.log_file.read_text(errors="replace").splitlines()[-10:])
            )
        return answers(private.host) is not None

    try:
        if wait_until(ready, START_TIMEOUT_S, interval_s=0.5):
            return
    except BaseException:
        _terminate(process.pid)
        raise
    _terminate(process.pid)
    raise HarnessError(
        f"the private Docker engine did not answer in {START_TIMEOUT_S:.0f} s; see {private.log_file}"
    )


def stop_private(private: PrivateEngine) -> bool:
    """Stop the private dockerd (it stops its containerd); True if one was running."""
    pid = private.pid()
    if pid is None:
        return False
    _terminate(pid)
    return True


def _terminate(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return

    # Our own child (a failed start) must be reaped to disappear; a detached one is init's.
    def gone() -> bool:
        try:
            waited, _ = os.waitpid(pid, os.WNOHANG)
            if waited == pid:
                return True
        except ChildProcessError:
            pass
        return not _alive(pid)

    if not wait_until(gone, STOP_TIMEOUT_S, interval_s=0.2):
        os.kill(pid, signal.SIGKILL)
        wait_until(gone, STOP_TIMEOUT_S, interval_s=0.2)


def mark_started_by_up(private: PrivateEngine) -> None:
    """`bpbench up` left the engine it started running; `bpbench down` stops it."""
    (private.root / "started-by-up").write_text(str(private.pid() or ""))


def started_by_up(private: PrivateEngine) -> bool:
    marker = private.root / "started-by-up"
    if not marker.exists():
        return False
    marker.unlink()
    return True
