"""Faults injected on the manifest's schedule (``faults:``) while the load runs, and ended on time.

An injector thread waits for each fault's moment (seconds after the load starts), applies it and
records ``fault_started`` (or ``fault_failed`` when there was nothing to act on, an executor already
gone) and, for lasting faults, ``fault_ended``. Whatever is still in force when the run stops early
(a paused broker, a stalled driver, a CPU hog) is ended then, before anything else is stopped.
Each fault's times and what it acted on are kept as ``FaultWindow``s for the summary's recovery
figures (``harness.results.recovery``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psutil

from harness.observe.driver_http import DriverHttp
from harness.results.recovery import FaultWindow
from harness.run.events import EventLog
from harness.run.spark_app import DriverInfo
from harness.run.supervisor import ManagedProcess, ProcessSupervisor, signal_group
from harness.spec.faults import Fault
from harness.timing import wait_until

EXECUTOR_MAIN = "org.apache.spark.executor.CoarseGrainedExecutorBackend"
BUSY_LOOP = "while True: pass"
RECEIVER_WAIT_S = 10.0


class BrokerControl(Protocol):
    """What a backend offers for broker faults (``harness.platform.base.Backend`` has these)."""

    def pause_broker(self) -> None: ...

    def resume_broker(self) -> None: ...

    def stop_broker(self) -> None: ...

    def start_broker(self) -> None: ...


def executor_processes(app_id: str) -> dict[str, int]:
    """The app's executors on this machine (local processes, or containers of a local engine, whose
    processes the host sees): executor id -> pid."""
    found = {}
    for process in psutil.process_iter(["pid", "cmdline"]):
        argv = process.info["cmdline"] or []
        if EXECUTOR_MAIN not in argv or app_id not in argv:
            continue
        with contextlib.suppress(ValueError, IndexError):
            found[argv[argv.index("--executor-id") + 1]] = process.info["pid"]
    return found


def receiver_executor(ui_url: str, app_id: str) -> str | None:
    """The executor hosting the app's first active receiver, from Spark's REST API."""
    http = DriverHttp()
    try:
        receivers = http.json(f"{ui_url}/api/v1/applications/{app_id}/streaming/receivers")
    except (OSError, ValueError):
        return None
    finally:
        http.close()
    active = [r for r in receivers if r.get("isActive") and r.get("executorId") not in (None, "")]
    return str(active[0]["executorId"]) if active else None


def lowest(ids: list[str]) -> str:
    return min(ids, key=lambda executor: (len(executor), executor))


@dataclass
class _Active:
    fault: Fault
    window: FaultWindow
    hogs: list[ManagedProcess] = field(default_factory=list)


class FaultInjector:
    def __init__(
        self,
        faults: list[Fault],
        broker: BrokerControl,
        supervisor: ProcessSupervisor,
        events: EventLog,
        logs: Path,
    ) -> None:
        self.faults = faults
        self.broker = broker
        self.supervisor = supervisor
        self.events = events
        self.logs = logs
        self.windows: list[FaultWindow] = []
        self._active: dict[int, _Active] = {}
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._driver: DriverInfo | None = None
        self._driver_process: ManagedProcess | None = None

    def start(self, driver: DriverInfo, driver_process: ManagedProcess | None) -> None:
        """Start the schedule's clock: call when the load starts."""
        if not self.faults:
            return
        self._driver, self._driver_process = driver, driver_process
        self._thread = threading.Thread(target=self._run, args=(time.monotonic(),), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Cancel what has not happened, end what is in force, and wait for the thread."""
        self._cancel.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for index in sorted(self._active, reverse=True):
                self._end(index)

    def _moments(self) -> list[tuple[float, int, bool]]:
        """(seconds after the load started, fault index, whether it ends) in time order; a fault's end
        comes after its start even when it lasts no time."""
        moments = []
        for index, fault in enumerate(self.faults):
            moments.append((fault.at_s, index, False))
            if fault.duration_s is not None:
                moments.append((fault.end_s, index, True))
        return sorted(moments, key=lambda m: (m[0], m[2]))

    def _run(self, started: float) -> None:
        for at_s, index, ends in self._moments():
            if self._cancel.wait(max(0.0, started + at_s - time.monotonic())):
                return
            with self._lock:
                if self._cancel.is_set():
                    return
                if ends:
                    self._end(index)
                else:
                    self._begin(index)

    def _begin(self, index: int) -> None:
        fault = self.faults[index]
        window = FaultWindow(index=index, action=fault.action, start_ms=_now_ms())
        self.windows.append(window)
        try:
            detail = self._apply(fault, window)
        except Exception as exc:  # a fault the system under test refused is measured, not fatal
            detail = None
            window.failed = f"{type(exc).__name__}: {exc}"
        if window.failed is not None:
            window.end_ms = window.start_ms
            self.events.emit("fault_failed", index=index, action=fault.action, reason=window.failed)
            return
        detail = detail or {}
        hogs = detail.pop("hogs", [])
        window.target = detail.get("target")
        self.events.emit("fault_started", index=index, action=fault.action, **detail)
        if fault.duration_s is None:
            window.end_ms = _now_ms()  # a kill, or a broker restarted at once: over when applied
        else:
            self._active[index] = _Active(fault, window, hogs)

    def _apply(self, fault: Fault, window: FaultWindow) -> dict[str, Any] | None:
        driver = self._driver
        assert driver is not None
        if fault.action in ("kill_executor", "kill_receiver_executor"):
            if fault.action == "kill_receiver_executor":
                hosts: list[str | None] = []
                # Spark lists a receiver once it has reported: give a starting one a little time.
                wait_until(
                    lambda: hosts.append(receiver_executor(driver.ui_url, driver.app_id)) or hosts[-1],
                    RECEIVER_WAIT_S,
                )
                if hosts[-1] is None:
                    window.failed = f"Spark's REST API listed no active receiver in {RECEIVER_WAIT_S:g} s"
                    return None
            executors = executor_processes(driver.app_id)
            if fault.action == "kill_receiver_executor":
                wanted = hosts[-1]
            else:
                wanted = fault.target or (lowest(list(executors)) if executors else None)
            if wanted is None or wanted not in executors:
                what = f"executor {wanted} is" if wanted else "no executor is"
                window.failed = f"{what} alive in {driver.app_id} to kill"
                return None
            os.kill(executors[wanted], signal.SIGKILL)
            return {"target": f"executor {wanted}", "pid": executors[wanted]}
        if fault.action == "pause_broker":
            self.broker.pause_broker()
            return {"target": "broker"}
        if fault.action == "restart_broker":
            self.broker.stop_broker()
            if fault.duration_s is None:  # down no longer than it takes to start it again
                self.broker.start_broker()
            return {"target": "broker"}
        if fault.action == "stall_driver":
            if self._driver_process is None or not self._driver_process.alive():
                window.failed = "the driver is not running"
                return None
            signal_group(self._driver_process.pid, signal.SIGSTOP)
            return {"target": "driver", "pid": self._driver_process.pid}
        if fault.action == "cpu_hog":
            hogs = [
                self.supervisor.start(
                    f"cpu-hog-{i}", [sys.executable, "-c", BUSY_LOOP], self.logs / "cpu-hog.log"
                )
                for i in range(fault.cores)
            ]
            return {"target": "cpu", "cores": fault.cores, "hogs": hogs}
        raise AssertionError(f"unknown fault {fault.action}")

    def _end(self, index: int) -> None:
        active = self._active.pop(index, None)
        if active is None:
            return
        action = active.fault.action
        try:
            if action == "pause_broker":
                self.broker.resume_broker()
            elif action == "restart_broker":
                self.broker.start_broker()
            elif action == "stall_driver" and self._driver_process is not None:
                signal_group(self._driver_process.pid, signal.SIGCONT)
            for hog in active.hogs:
                self.supervisor.stop(hog, grace_s=1.0)
        finally:
            active.window.end_ms = _now_ms()
            self.events.emit("fault_ended", index=index, action=action)


def _now_ms() -> int:
    return int(time.time() * 1000)
