"""The platform watch: a backend whose platform stops answering fails the run that was under way, with
the reason as the run's last event and no COMPLETE marker."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from harness.run import runner
from harness.run.watch import PlatformLost, PlatformWatch
from tests.unit.run.test_runner import run_once


def test_the_watch_keeps_the_first_loss_and_raises_it_on_check() -> None:
    answers = iter([None, "the engine stopped answering", "something else"])
    watch = PlatformWatch(lambda: next(answers, None), interval_s=3600)
    watch.read()
    watch.check()
    watch.read()
    watch.read()  # the first loss stays the reason
    with pytest.raises(PlatformLost, match=r"^the engine stopped answering \(seen at \d\d:\d\d:\d\d\)"):
        watch.check()


def test_the_watch_asks_on_its_own_thread_while_started() -> None:
    calls: list[float] = []
    with PlatformWatch(lambda: calls.append(time.monotonic()) and None, interval_s=0.01):
        while len(calls) < 3:
            time.sleep(0.01)
    count = len(calls)
    time.sleep(0.05)
    assert len(calls) == count  # stopped


def test_a_run_whose_platform_is_lost_fails_for_it_and_is_not_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter([None, None])  # answering at the start, then gone

    def lost() -> str | None:
        return next(answers, "the Docker engine at unix:///x.sock stopped answering during the run")

    monkeypatch.setattr(runner, "PlatformWatch", lambda lost: PlatformWatch(lost, interval_s=0.01))
    with pytest.raises(PlatformLost, match="stopped answering during the run"):
        run_once(tmp_path, lost=lost)
    [spec] = (tmp_path / "results").rglob("spec.json")
    assert not (spec.parent / "COMPLETE").exists()
    events = [json.loads(line) for line in (spec.parent / "events.jsonl").read_text().splitlines()]
    assert events[-1]["kind"] == "run_failed" and "stopped answering" in events[-1]["reason"]
