"""The fault injector: the schedule's order, what it does to processes, and ending what is in force."""

from __future__ import annotations

import json
from pathlib import Path

import psutil

from harness.run.events import EventLog
from harness.run.faults import FaultInjector, lowest
from harness.run.spark_app import DriverInfo
from harness.run.supervisor import ProcessSupervisor
from harness.spec.faults import Fault
from harness.timing import wait_until

DRIVER = DriverInfo(app_id="app-20261206000000-0000", ui_url="http://127.0.0.1:9", pid=0)


class FakeBroker:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_broker(self) -> None:
        self.calls.append("pause")

    def resume_broker(self) -> None:
        self.calls.append("resume")

    def stop_broker(self) -> None:
        self.calls.append("stop")

    def start_broker(self) -> None:
        self.calls.append("start")


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def injector(
    tmp_path: Path, faults: list[Fault], supervisor: ProcessSupervisor, log: EventLog
) -> tuple[FaultInjector, FakeBroker]:
    broker = FakeBroker()
    return FaultInjector(faults, broker, supervisor, log, tmp_path), broker


def test_faults_happen_in_schedule_order_and_end_on_time(tmp_path: Path) -> None:
    faults = [
        Fault(at_s=0.3, action="restart_broker", duration_s=0.1),
        Fault(at_s=0.0, action="pause_broker", duration_s=0.2),
        Fault(at_s=0.0, action="cpu_hog", duration_s=0.5, cores=2),
        Fault(at_s=0.1, action="stall_driver", duration_s=0.2),
    ]
    with ProcessSupervisor() as supervisor, EventLog(tmp_path / "events.jsonl") as log:
        driver = supervisor.start("driver", ["sleep", "60"], tmp_path / "driver.log")
        faults_, broker = injector(tmp_path, faults, supervisor, log)
        faults_.start(DRIVER, driver)
        stalled = wait_until(
            lambda: psutil.Process(driver.pid).status() == psutil.STATUS_STOPPED, 5, interval_s=0.01
        )
        hogs = [pid for name, pid in supervisor.running() if name.startswith("cpu-hog")]
        assert wait_until(
            lambda: all(w.end_ms is not None for w in faults_.windows) and len(faults_.windows) == 4, 10
        )
        faults_.stop()
        assert stalled
        assert psutil.Process(driver.pid).status() != psutil.STATUS_STOPPED
        assert len(hogs) == 2 and not any(
            psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in hogs
        )
    assert broker.calls == ["pause", "resume", "stop", "start"]
    kinds = [
        (e["kind"], e["index"]) for e in events(tmp_path / "events.jsonl") if e["kind"].startswith("fault_")
    ]
    assert kinds[:2] == [("fault_started", 1), ("fault_started", 2)]
    assert sorted(kinds) == sorted([(k, i) for i in range(4) for k in ("fault_started", "fault_ended")])
    assert [w.index for w in faults_.windows] == [1, 2, 3, 0]


def test_stopping_ends_what_is_in_force_and_cancels_the_rest(tmp_path: Path) -> None:
    faults = [
        Fault(at_s=0.0, action="pause_broker", duration_s=60),
        Fault(at_s=30, action="cpu_hog", duration_s=5),
    ]
    with ProcessSupervisor() as supervisor, EventLog(tmp_path / "events.jsonl") as log:
        faults_, broker = injector(tmp_path, faults, supervisor, log)
        faults_.start(DRIVER, None)
        assert wait_until(lambda: broker.calls == ["pause"], 5, interval_s=0.01)
        faults_.stop()
        assert supervisor.running() == []
    assert broker.calls == ["pause", "resume"]
    [window] = faults_.windows
    assert window.end_ms is not None and window.end_ms >= window.start_ms
    kinds = [e["kind"] for e in events(tmp_path / "events.jsonl")]
    assert kinds == ["fault_started", "fault_ended"]


def test_nothing_to_kill_is_recorded_as_a_failed_fault(tmp_path: Path) -> None:
    with ProcessSupervisor() as supervisor, EventLog(tmp_path / "events.jsonl") as log:
        faults_, _ = injector(tmp_path, [Fault(at_s=0, action="kill_executor")], supervisor, log)
        faults_.start(DRIVER, None)
        assert wait_until(
            lambda: faults_.windows and faults_.windows[0].end_ms is not None, 5, interval_s=0.01
        )
        faults_.stop()
    [failed] = [e for e in events(tmp_path / "events.jsonl") if e["kind"] == "fault_failed"]
    assert failed["reason"].startswith("no executor is alive") and DRIVER.app_id in failed["reason"]
    assert faults_.windows[0].failed == failed["reason"]


def test_the_default_executor_is_the_lowest_numbered() -> None:
    assert lowest(["10", "2", "1"]) == "1"
    assert lowest(["10", "9"]) == "9"
