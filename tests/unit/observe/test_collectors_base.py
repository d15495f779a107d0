"""The collector set: failing or unreachable collectors are events, never a crash."""

from __future__ import annotations

import json
import time
from pathlib import Path

from harness.observe.base import CollectorSet
from harness.run.events import EventLog


class Flaky:
    """Answers, then not (the driver busy or gone), then answers again; then raises."""

    name = "flaky"

    def __init__(self) -> None:
        self.answers = [True, False, False, True]
        self.failed_polls = 0
        self.rows: list[dict] = []

    def start(self) -> None:
        pass

    def poll(self) -> None:
        if not self.answers:
            raise RuntimeError("broken")
        if self.answers.pop(0):
            self.rows.append({"n": len(self.rows)})
        else:
            self.failed_polls += 1

    def stop(self) -> None:
        pass

    def tables(self) -> dict:
        return {"flaky": (self.rows, ["n"])}


def test_gaps_and_errors_become_events_and_a_partial_series(tmp_path: Path) -> None:
    flaky = Flaky()
    with EventLog(tmp_path / "events.jsonl") as events:
        collectors = CollectorSet([flaky], interval_s=3600, events=events)
        for _ in range(4):
            collectors.poll_now()
        tables = collectors.stop()  # one more poll: the collector raises
    kinds = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [(e["kind"], e.get("warning")) for e in kinds] == [
        ("collector_warning", "endpoint did not answer"),
        ("collector_warning", "endpoint answers again"),
        ("collector_error", None),
    ]
    assert tables["flaky"][0] == [{"n": 0}, {"n": 1}]


class Busy:
    """A collector whose poll burns a known amount of CPU."""

    name = "busy"

    def start(self) -> None:
        pass

    def poll(self) -> None:
        began = time.thread_time()
        while time.thread_time() - began < 0.02:
            pass

    def stop(self) -> None:
        pass

    def tables(self) -> dict:
        return {}


def test_the_cost_of_polling_is_the_polling_threads_cpu(tmp_path: Path) -> None:
    with EventLog(tmp_path / "events.jsonl") as events:
        collectors = CollectorSet([Busy()], interval_s=3600, events=events)
        collectors.start()
        for _ in range(5):
            collectors.poll_now()
        # Sleeping costs wall time, not CPU: the share falls with it.
        time.sleep(0.2)
        collectors.stop()
    cost = collectors.cost()
    assert cost["polls"] == 6  # five here and the last one at stop
    assert 0.12 <= cost["cpu_s"] < 0.5
    assert cost["wall_s"] >= 0.2 + cost["cpu_s"]
    assert cost["cpu_frac"] == cost["cpu_s"] / cost["wall_s"] < 1.0
