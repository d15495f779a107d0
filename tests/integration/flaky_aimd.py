"""A Python rate controller for the real-stack test: the AIMD example, failing on its third call."""

from __future__ import annotations

from examples.controllers.aimd import AIMD


class FlakyAIMD(AIMD):
    FAIL_ON_CALL = 3

    def __init__(self, batch_interval_ms: int, **params: float) -> None:
        super().__init__(batch_interval_ms, **params)
        self.calls = 0

    def compute(
        self, time_ms: int, num_elements: int, processing_delay_ms: int, scheduling_delay_ms: int
    ) -> float | None:
        self.calls += 1
        if self.calls == self.FAIL_ON_CALL:
            raise RuntimeError("flaky on purpose")
        return super().compute(time_ms, num_elements, processing_delay_ms, scheduling_delay_ms)
