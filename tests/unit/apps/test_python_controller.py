"""The bridge to the user's Python controller, as the JVM calls it, and the shipped AIMD example."""

from __future__ import annotations

import pytest

from apps.python_controller import Decider, checked_rate
from examples.controllers.aimd import AIMD


class Recorder:
    """A fake controller: remembers what it was given, answers what it is told to."""

    made: list[Recorder] = []

    def __init__(self, batch_interval_ms: int, answer: object = 123.5) -> None:
        self.interval = batch_interval_ms
        self.answer = answer
        self.calls: list[tuple[int, ...]] = []
        Recorder.made.append(self)

    def compute(self, time_ms: int, elements: int, processing_ms: int, scheduling_ms: int) -> object:
        self.calls.append((time_ms, elements, processing_ms, scheduling_ms))
        return self.answer


def test_the_decider_hands_each_stream_its_own_controller_the_estimators_arguments() -> None:
    Recorder.made.clear()
    decider = Decider(Recorder, 2000, {"answer": 7})
    assert decider.apply("0,4000,4600,1000,600,100") == 7.0
    assert decider.apply("1,4000,4700,900,700,0") == 7.0
    assert decider.apply("0,6000,6500,800,500,0") == 7.0
    first, second = Recorder.made
    assert first.interval == 2000
    assert first.calls == [(4600, 1000, 600, 100), (6500, 800, 500, 0)]
    assert second.calls == [(4700, 900, 700, 0)]
    assert Decider.Java.implements == ["java.util.function.Function"]


@pytest.mark.parametrize("answer", ["fast", True, [1.0], {"rate": 3}])
def test_an_answer_that_is_not_a_number_is_an_error_for_the_jvm_to_record(answer: object) -> None:
    with pytest.raises(TypeError, match="not a number or None"):
        Decider(Recorder, 2000, {"answer": answer}).apply("0,4000,4600,1000,600,100")


def test_numbers_and_none_pass() -> None:
    assert checked_rate(None) is None
    assert checked_rate(5) == 5.0 and isinstance(checked_rate(5), float)
    assert checked_rate(2.5) == 2.5


def test_aimd_adds_while_batches_keep_up_and_multiplies_down_when_one_is_late() -> None:
    aimd = AIMD(2000, initial_rate=1000, increase=100, decrease=0.5, min_rate=300)
    assert aimd.compute(2600, 2000, 600, 0) == 1100
    assert aimd.compute(4900, 2200, 900, 1000) == 1200  # 1.9 s in all: on time
    assert aimd.compute(7100, 2400, 1500, 600) == 600  # 2.1 s: late
    assert aimd.compute(9000, 0, 10, 0) is None  # an empty batch says nothing
    assert aimd.compute(12000, 1200, 2500, 0) == 300  # floored at min_rate
    with pytest.raises(ValueError, match="0 < decrease < 1"):
        AIMD(2000, decrease=1.5)
