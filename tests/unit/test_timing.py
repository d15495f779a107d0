"""``wait_until``, the harness's one poll loop, on a fake clock."""

from __future__ import annotations

import pytest

from harness.timing import wait_until


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_returns_true_as_soon_as_the_predicate_holds() -> None:
    clock = FakeClock()
    answers = iter([False, False, True])

    assert wait_until(lambda: next(answers), 10.0, interval_s=0.5, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == [0.5, 0.5]


def test_asks_before_sleeping() -> None:
    clock = FakeClock()

    assert wait_until(lambda: True, 10.0, interval_s=0.5, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []


def test_returns_false_at_the_timeout_without_asking_after_it() -> None:
    clock = FakeClock()
    asked: list[float] = []

    def never() -> bool:
        asked.append(clock.now)
        return False

    assert not wait_until(never, 2.0, interval_s=0.5, clock=clock, sleep=clock.sleep)
    assert asked == [100.0, 100.5, 101.0, 101.5]
    assert clock.now == 102.0


def test_a_zero_timeout_asks_nothing() -> None:
    clock = FakeClock()

    assert not wait_until(lambda: True, 0.0, clock=clock, sleep=clock.sleep)


def test_what_the_predicate_raises_propagates() -> None:
    clock = FakeClock()

    def broken() -> bool:
        raise RuntimeError("the process exited")

    with pytest.raises(RuntimeError, match="exited"):
        wait_until(broken, 5.0, clock=clock, sleep=clock.sleep)
