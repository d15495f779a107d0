"""GOVERNOR's window operators: the apps' functions, run batch by batch as the Spark pipelines run
them, against the plain-Python reference (tests/window_reference.py)."""

from __future__ import annotations

import functools
from collections import defaultdict

import numpy as np
import pytest

from apps.records import RecordFormat, encode
from apps.window_apps import (
    COUNT_ZERO,
    add_count_parts,
    add_sums,
    close_count_windows,
    count_part,
    count_report,
    in_window,
    record_tuple,
    subtract_sums,
    top_k,
    tuple_sums,
    update_count_window,
    window_report,
)
from tests.window_reference import Record, count_window_reports, time_window_report

# Steps increase per rank in production order; a batch may hold a rank's tuples out of order, as a
# shuffle hands them over. Values are multiples of 1/64.
BATCHES: list[list[Record]] = [
    [(0, 1, [0.5, 0.25]), (1, 0, [0.125]), (0, 0, [1.0]), (2, 0, [0.0, 0.75, 0.5])],
    [(0, 2, [0.375]), (1, 1, [0.5, 0.5]), (0, 3, [-0.25])],
    [],
    [(1, 2, [0.875]), (1, 3, [0.0625]), (0, 4, [0.5]), (2, 1, [])],
    [(0, 5, [0.125, 0.625]), (1, 4, [0.25]), (2, 2, [1.5]), (1, 5, [0.75]), (0, 6, [0.0])],
    [],
    [],
    [],
]


def record_bytes(batch: list[Record]) -> list[bytes]:
    return [encode(rank, step, np.array(values, dtype=np.float32)) for rank, step, values in batch]


def assert_reports_equal(reported: list[dict], expected: list[dict]) -> None:
    """Counts and keys exactly; float sums up to rounding (Spark sums keys in its own order)."""
    assert len(reported) == len(expected)
    for got, want in zip(reported, expected, strict=True):
        assert got.keys() == want.keys()
        for key, value in want.items():
            assert got[key] == (pytest.approx(value) if isinstance(value, float) else value), key


# --- count windows ---------------------------------------------------------------------------------


def run_count_pipeline(batches: list[list[Record]], size: int, slide: int) -> list[dict]:
    """What the count pipeline does per batch: updateStateByKey over every key, then the report."""
    update = functools.partial(update_count_window, size, slide)
    states: dict = {}
    reports = []
    for batch in batches:
        new_tuples = defaultdict(list)
        for key, tuple_ in map(record_tuple, record_bytes(batch)):
            new_tuples[key].append(tuple_)
        states = {key: update(new_tuples.get(key, []), states.get(key)) for key in states.keys() | new_tuples}
        total = functools.reduce(add_count_parts, map(count_part, states.values()), COUNT_ZERO)
        reports.append(count_report(total))
    return reports


@pytest.mark.parametrize(("size", "slide"), [(1, 1), (2, 1), (3, 2), (2, 5), (4, 1)])
def test_count_sliding_window_matches_the_reference(size: int, slide: int) -> None:
    reports = run_count_pipeline(BATCHES, size, slide)
    assert_reports_equal(reports, count_window_reports(BATCHES, size, slide))
    assert sum(report["windows"] for report in reports) > 0 or size > 4


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_count_tumbling_window_is_the_sliding_window_with_slide_equal_to_size(size: int) -> None:
    assert_reports_equal(run_count_pipeline(BATCHES, size, size), count_window_reports(BATCHES, size, size))


def test_count_window_closes_the_right_tuples() -> None:
    # Seen 3 tuples, the tail holds the last two (2nd and 3rd); two more arrive: windows of 3 close
    # at the 4th (2nd..4th) and, with slide 1, at the 5th (3rd..5th).
    tail, means = close_count_windows(3, 1, 3, (2.0, 3.0), [4.0, 5.0])
    assert means == [3.0, 4.0] and tail == (4.0, 5.0)
    tail, means = close_count_windows(3, 3, 3, (2.0, 3.0), [4.0, 5.0, 6.0])
    assert means == [5.0] and tail == (5.0, 6.0)  # tumbling: the 4th..6th
    assert close_count_windows(1, 1, 0, (), [7.0]) == ((), [7.0])


def test_a_record_is_a_tuple_keyed_by_rank_with_the_mean_of_its_values() -> None:
    assert record_tuple(encode(3, 9, np.array([0.5, 0.25, 0.0], dtype=np.float32))) == (3, (9, 0.25))
    assert record_tuple(encode(1, 2, np.array([], dtype=np.float32))) == (1, (2, 0.0))


def test_an_expensive_record_is_the_same_tuple_computed_cost_factor_times(monkeypatch) -> None:
    computed = []
    monkeypatch.setattr(
        "apps.window_apps.tuple_value", lambda values: computed.append(1) or float(values.sum())
    )
    costly = RecordFormat(cost_factor=7)
    values = np.array([0.5, 0.25], dtype=np.float32)
    assert record_tuple(encode(3, 9, values, expensive=True), costly) == (3, (9, 0.75))
    assert len(computed) == 7
    assert tuple_sums(encode(3, 9, values), costly) == (3, (0.75, 1))  # a plain record: once
    assert len(computed) == 8


# --- time windows ----------------------------------------------------------------------------------

BATCH_MS = 1000


def run_time_pipeline(
    batches: list[list[Record]], size_ms: int, slide_ms: int, k: int | None
) -> tuple[list[int], list[dict]]:
    """What reduceByKeyAndWindow with its inverse does: each window is the previous one plus the
    batches that entered and minus those that left, keys with no tuples filtered out."""
    per_batch = []
    for batch in batches:
        sums: dict = {}
        for key, value in map(tuple_sums, record_bytes(batch)):
            sums[key] = add_sums(sums[key], value) if key in sums else value
        per_batch.append(sums)
    times = [BATCH_MS * (i + 1) for i in range(len(batches))]
    window: dict = {}
    previous_end = 0
    reports = []
    for end in range(slide_ms, times[-1] + 1, slide_ms):
        for i, time_ms in enumerate(times):
            if previous_end < time_ms <= end:  # entered
                for key, value in per_batch[i].items():
                    window[key] = add_sums(window[key], value) if key in window else value
            if previous_end - size_ms < time_ms <= end - size_ms:  # left
                for key, value in per_batch[i].items():
                    window[key] = subtract_sums(window[key], value)
        window = dict(filter(in_window, window.items()))
        previous_end = end
        report = window_report(list(window.items()))
        if k is not None:
            report["top_k"] = top_k(window.items(), k)
        reports.append(report)
    return list(range(slide_ms, times[-1] + 1, slide_ms)), reports


@pytest.mark.parametrize(
    ("size_ms", "slide_ms", "k"), [(1000, 1000, None), (3000, 1000, None), (3000, 2000, 2)]
)
def test_time_windows_match_the_reference(size_ms: int, slide_ms: int, k: int | None) -> None:
    ends, reports = run_time_pipeline(BATCHES, size_ms, slide_ms, k)
    timed = [(BATCH_MS * (i + 1), batch) for i, batch in enumerate(BATCHES)]
    expected = [time_window_report(timed, end, size_ms, k) for end in ends]
    for got, want in zip(reports, expected, strict=True):
        if k is not None:
            got_top, want_top = got.pop("top_k"), want.pop("top_k")
            assert [rank for rank, _ in got_top] == [rank for rank, _ in want_top]
            assert [mean for _, mean in got_top] == pytest.approx([mean for _, mean in want_top])
        assert_reports_equal([got], [want])
    assert any(report["window_keys"] == 0 for report in reports)  # the last three batches are empty


def test_top_k_takes_the_largest_means_and_breaks_ties_by_key() -> None:
    pairs = [(5, (3.0, 2)), (1, (1.5, 1)), (2, (0.5, 1)), (0, (4.5, 3))]
    assert top_k(pairs, 3) == [[0, 1.5], [1, 1.5], [5, 1.5]]
    assert top_k(pairs, 10)[-1] == [2, 0.5]
