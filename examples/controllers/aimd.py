"""An example of your own rate controller: additive increase, multiplicative decrease (AIMD), as TCP
probes for bandwidth.

While a batch finishes within the interval (scheduling plus processing delay at most the interval),
the limit grows by ``increase`` records/s each batch; when a batch runs late the limit is cut to
``decrease`` times what it was. Use it with::

    config:
      backpressure:
        controller: {kind: python, class: "examples.controllers.aimd:AIMD", params: {increase: 200}}

The harness makes it as ``AIMD(batch_interval_ms, **params)`` on the PySpark driver and calls
``compute`` after every completed batch, with the arguments Spark gives its own estimator.
"""

from __future__ import annotations


class AIMD:
    def __init__(
        self,
        batch_interval_ms: int,
        initial_rate: float = 1000.0,
        increase: float = 100.0,
        decrease: float = 0.5,
        min_rate: float = 10.0,
    ) -> None:
        if (
            batch_interval_ms <= 0
            or initial_rate <= 0
            or increase < 0
            or not 0 < decrease < 1
            or min_rate <= 0
        ):
            raise ValueError(
                "AIMD needs batch_interval_ms > 0, initial_rate > 0, increase >= 0, 0 < decrease < 1, "
                "min_rate > 0"
            )
        self.interval_ms = batch_interval_ms
        self.rate = initial_rate
        self.increase = increase
        self.decrease = decrease
        self.min_rate = min_rate

    def compute(
        self, time_ms: int, num_elements: int, processing_delay_ms: int, scheduling_delay_ms: int
    ) -> float | None:
        """The new limit (records/s) after a batch; None keeps the current one (an empty batch says
        nothing about capacity)."""
        if num_elements <= 0:
            return None
        if scheduling_delay_ms + processing_delay_ms > self.interval_ms:
            self.rate = max(self.rate * self.decrease, self.min_rate)
        else:
            self.rate += self.increase
        return self.rate
