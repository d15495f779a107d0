"""Samples kept column by column give back the rows they were given, in less memory than dicts."""

from __future__ import annotations

import tracemalloc
from array import array

from harness.observe.base import SampleColumns
from harness.results.tables import JVM_COLUMNS


def test_rows_come_back_as_given_with_every_column() -> None:
    samples = SampleColumns(["time", "name", "value", "note"])
    samples.append({"time": 1, "name": "a", "value": 0.5, "note": None})
    samples.extend([{"time": 2, "name": "b", "value": 1.5, "extra": 9}, {"time": 3, "value": 2.5}])
    assert len(samples) == 3
    assert samples.rows() == [
        {"time": 1, "name": "a", "value": 0.5, "note": None},
        {"time": 2, "name": "b", "value": 1.5, "note": None},
        {"time": 3, "name": None, "value": 2.5, "note": None},
    ]


def test_a_column_that_changes_type_keeps_every_value_as_it_was() -> None:
    samples = SampleColumns(["x"])
    for value in (1, 2**40, 2.5, None, True, 2**70, "s"):
        samples.append({"x": value})
    rows = samples.rows()
    assert [row["x"] for row in rows] == [1, 2**40, 2.5, None, True, 2**70, "s"]
    assert [type(row["x"]) for row in rows] == [int, int, float, type(None), bool, int, str]


def test_numbers_are_typed_arrays_and_equal_strings_one_object() -> None:
    samples = SampleColumns(["time", "metric", "value", "big"])
    for n in range(3):
        samples.append({"time": n, "metric": "".join(["jvm_", "heap"]), "value": n / 2, "big": 2**70})
    assert isinstance(samples._data["time"], array) and samples._data["time"].typecode == "q"
    assert isinstance(samples._data["value"], array) and samples._data["value"].typecode == "d"
    assert samples._data["big"] == [2**70] * 3  # too large for 64 bits: a list
    first, *others = samples._data["metric"]
    assert all(other is first for other in others)


def test_a_run_of_jvm_gauges_costs_a_fraction_of_dicts() -> None:
    """Ten minutes of the driver's gauges (70 a poll, once a second): under a fifth of their cost as dicts."""
    names = [f"jvm_pool_{i}_used" for i in range(70)]

    def poll(n: int) -> list[dict]:
        # Fresh strings every poll, as the scrape's parse makes them.
        return [
            {"sample_time_ms": 1_000 * n, "source": "driver", "metric": "".join([m]), "value": n + 0.5}
            for m in names
        ]

    def cost(keep: object) -> int:
        tracemalloc.start()
        try:
            for n in range(600):
                keep.extend(poll(n))  # type: ignore[attr-defined]
            return tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    as_dicts: list[dict] = []
    assert cost(SampleColumns(JVM_COLUMNS)) * 5 < cost(as_dicts)
