"""The generator's schedule and per-second statistics (the sending itself is an integration test)."""

from __future__ import annotations

import pytest

from generators.produce import SecondStats, planned_per_second


@pytest.mark.parametrize(
    ("rate", "duration", "expected"),
    [(1000, 3, [1000, 1000, 1000]), (2.5, 2, [3, 2]), (3, 1.5, [3, 1]), (0.5, 4, [1, 0, 1, 0])],
)
def test_planned_per_second_follows_due_times(rate: float, duration: float, expected: list[int]) -> None:
    assert planned_per_second(rate, duration) == expected
    assert sum(planned_per_second(rate, duration)) == int(rate * duration)


def test_second_stats_row() -> None:
    stats = SecondStats(planned=4, sent=4, acked=3, failed=1, lateness_ms=[0.0, 1.0, 2.0, 10.0])
    row = stats.row(5)
    assert row["second"] == 5 and row["acked"] == 3 and row["failed"] == 1
    assert row["lateness_p50_ms"] == pytest.approx(1.5)
    assert row["lateness_max_ms"] == 10.0
    assert SecondStats().row(0)["lateness_p99_ms"] is None
