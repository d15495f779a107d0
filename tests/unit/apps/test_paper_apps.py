"""SUM, GlobalSUM and GlobalHistogram: their pure functions, run batch by batch as the Spark pipeline
runs them, against a plain-Python computation of the same figures."""

from __future__ import annotations

import functools
import json
import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from apps.driver import AppConfig
from apps.paper_apps import (
    GLOBAL_HISTOGRAM,
    GLOBAL_SUM,
    SUM,
    StatefulApp,
    add_parts,
    batch_fields,
    histogram_bins,
    histogram_record,
    is_stale,
    mean,
    merge_histograms,
    rank_of,
    rank_partitions,
    report_part,
    step_batch_value,
    step_report_part,
    update_timed_state,
)
from apps.records import ARTIFACT, RecordFormat, encode, encode_event

INTERVAL_MS = 1000
Batch = list[tuple[int, int, list[float]]]  # (rank, step, values) per record


def record_bytes(batch: Batch, fmt: RecordFormat = ARTIFACT) -> list[bytes]:
    """The batch in the format's layout; with a cost factor, every other record is expensive."""
    encoded = []
    for i, (rank, step, values) in enumerate(batch):
        expensive = fmt.cost_factor > 1 and i % 2 == 0
        if fmt.layout == "json":
            assert step == 0 and len(values) == 1, "a sensor event has one reading and no step"
            encoded.append(encode_event(rank, 1_700_000_000_000 + i, values[0], 120, expensive))
        else:
            encoded.append(encode(rank, step, np.array(values, dtype=np.float32), expensive))
    return encoded


def update_states(update, states: dict, pairs: list[tuple]) -> dict:
    """updateStateByKey on one batch: every key in the state or the batch updated, None dropped."""
    new_values = defaultdict(list)
    for key, value in pairs:
        new_values[key].append(value)
    updated = {
        key: update(new_values.get(key, []), states.get(key)) for key in states.keys() | new_values.keys()
    }
    return {key: state for key, state in updated.items() if state is not None}


def run_pipeline(
    app: StatefulApp,
    batches: list[Batch],
    timeout_ms: int,
    fmt: RecordFormat = ARTIFACT,
    report_state: bool = True,
    ranks: int = 3,
) -> list[dict]:
    """What the Spark pipeline does per batch, without Spark: reduce per key, group by rank, update
    each key's state (and each step's), then report."""
    update = functools.partial(update_timed_state, app.merge, INTERVAL_MS, timeout_ms)
    record_value = functools.partial(app.record_value, fmt=fmt)
    states: dict = {}
    step_states: dict = {}
    reports = []
    for batch in batches:
        reduced: dict = {}
        for key, value in map(record_value, record_bytes(batch, fmt)):
            reduced[key] = app.merge(reduced[key], value) if key in reduced else value
        partitions = defaultdict(list)  # the groupByKey: one partition per rank
        for key, value in reduced.items():
            partitions[rank_of(key) % rank_partitions(ranks)].append((key, value))
        states = update_states(update, states, [pair for pairs in partitions.values() for pair in pairs])
        keys_total = functools.reduce(
            add_parts, (report_part(app, state, report_state) for state in states.values()), app.zero
        )
        steps_total = ()
        if app.steps is not None:
            step_pairs = [value for pair in states.items() for value in step_batch_value(pair)]
            step_states = update_states(update, step_states, step_pairs)
            shares = (step_report_part(app.steps, state, report_state) for state in step_states.values())
            steps_total = functools.reduce(add_parts, shares, app.steps.zero)
        reports.append(batch_fields(app, keys_total, steps_total, report_state))
    return reports


# --- the plain-Python reference ------------------------------------------------------------------


def reference_bin(value: float) -> int:
    if math.isnan(value) or value < 0:
        return 0
    return 9 if value >= 1 else math.floor(value * 10)


def values_by_key(batch: Batch) -> dict[tuple[int, int], list[float]]:
    grouped = defaultdict(list)
    for rank, step, values in batch:
        grouped[(rank, step)].extend(values)
    return grouped


def live_values(
    batches: list[Batch], upto: int, timeout_batches: int, key_of=lambda rank, step: (rank, step)
) -> dict:
    """Every value of the keys (``key_of(rank, step)``) in the state after batch ``upto``: a key
    without values in a batch leaves once it has had none for more than the timeout, and starts
    afresh if it comes back."""
    state: dict = {}
    last_update: dict = {}
    for i, batch in enumerate(batches[: upto + 1]):
        grouped = defaultdict(list)
        for (rank, step), values in values_by_key(batch).items():
            grouped[key_of(rank, step)].extend(values)
        for key in [key for key in state if key not in grouped and i - last_update[key] > timeout_batches]:
            del state[key]
        for key, values in grouped.items():
            state.setdefault(key, []).extend(values)
            last_update[key] = i
    return state


def live_step_values(batches: list[Batch], upto: int, timeout_batches: int) -> dict:
    return live_values(batches, upto, timeout_batches, key_of=lambda _rank, step: step)


def batch_steps(batch: Batch) -> set[int]:
    return {step for _, step, _ in batch}


def reference_batch_sums(batch: Batch) -> dict:
    grouped = values_by_key(batch)
    return {
        "keys": len(grouped),
        "records": len(batch),
        "values": sum(len(v) for v in grouped.values()),
        "value_sum": sum(sum(v) for v in grouped.values()),
    }


def reference_histogram(values: list[float]) -> list[int]:
    bins = [0] * 10
    for value in values:
        bins[reference_bin(value)] += 1
    return bins


# --- input -----------------------------------------------------------------------------------------

# Values are multiples of 1/64, exact in float32, so sums in any order are exact.
BATCHES: list[Batch] = [
    [(0, 0, [0.125, 0.5]), (0, 0, [0.875]), (1, 0, [0.25, 0.015625]), (1, 1, [-0.5, 1.5, 0.984375])],
    [(0, 0, [0.375]), (2, 3, [0.0, 0.09375, 0.109375])],
    [],
    [(1, 0, [0.6875, 0.6875, 0.6875])],
    [],
]
# Sensor events: one reading each, keyed by sensor (step 0); multiples of 1/64 have 6 decimals at most.
JSON_BATCHES: list[Batch] = [
    [(0, 0, [0.125]), (0, 0, [0.875]), (1, 0, [0.25]), (3, 0, [-0.5]), (3, 0, [1.5])],
    [(0, 0, [0.375]), (2, 0, [0.09375])],
    [],
    [(1, 0, [0.6875])],
    [],
]
TIMEOUT_MS = 2000  # two idle batches are kept, a third drops the key

# The same apps on each record workload: expensive records (every other one) must not change a result.
WORKLOADS = {
    "artifact": (ARTIFACT, BATCHES),
    "artifact-expensive": (RecordFormat("artifact", 7), BATCHES),
    "json": (RecordFormat("json"), JSON_BATCHES),
    "json-expensive": (RecordFormat("json", 7), JSON_BATCHES),
}
workloads = pytest.mark.parametrize("workload", sorted(WORKLOADS))


# --- tests -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-0.5, 0.0, 0.05, 0.1, 0.7, 0.99999994, 1.0, 1.5, float("nan"), np.inf])
def test_histogram_bin_clamps_and_matches_float64_arithmetic(value: float) -> None:
    as_float32 = float(np.float32(value))
    assert histogram_bins(np.array([value], dtype=np.float32)).tolist() == [reference_bin(as_float32)]


def test_histogram_of_a_record_and_merging() -> None:
    values = [0.05, 0.15, 0.15, 0.95, 1.2, -0.1]
    key, (bins, records) = histogram_record(encode(2, 9, np.array(values, dtype=np.float32)))
    assert key == (2, 9) and records == 1
    assert list(bins) == reference_histogram([float(np.float32(v)) for v in values])
    assert merge_histograms((bins, 1), (bins, 2)) == (tuple(2 * b for b in bins), 3)


def test_mean_of_no_values_is_zero() -> None:
    assert mean((0.0, 0, 1)) == 0.0
    assert mean((3.0, 4, 2)) == 0.75


def test_timeout_drops_a_stale_key_and_keeps_a_fresh_one() -> None:
    update = functools.partial(update_timed_state, lambda a, b: a + b, INTERVAL_MS, TIMEOUT_MS)
    assert update([5, 1], None) == (0, 6, 6)
    assert update([], (1, 6, None)) == (2, 6, None)  # idle for 2 s: not older than the timeout
    assert update([], (2, 6, None)) is None  # idle for 3 s: dropped
    assert update([4], (2, 6, None)) == (0, 10, 4)  # updated just in time: fresh again
    assert update([], (0, 10, 4)) == (1, 10, None)  # the batch value lasts one batch
    assert update([], None) is None
    assert not is_stale(20, 1000, 20_000) and is_stale(21, 1000, 20_000)
    assert is_stale(11, 2000, 20_000)


def test_one_partition_per_rank() -> None:
    # PySpark places a key in partition partitionFunc(key) % numPartitions.
    assert [rank_of((rank, 7)) % rank_partitions(3) for rank in range(7)] == [0, 1, 2, 0, 1, 2, 0]
    assert rank_partitions(0) == rank_partitions(-1) == rank_partitions(1) == 1
    assert rank_partitions(4) == 4


def step_values(batch: Batch) -> dict[int, list[float]]:
    grouped = defaultdict(list)
    for _, step, values in batch:
        grouped[step].extend(values)
    return grouped


@workloads
def test_sum_accumulates_across_batches_until_the_timeout(workload: str) -> None:
    fmt, batches = WORKLOADS[workload]
    reports = run_pipeline(SUM, batches, TIMEOUT_MS, fmt)
    for i, (batch, report) in enumerate(zip(batches, reports, strict=True)):
        live = live_values(batches, i, TIMEOUT_MS // INTERVAL_MS)
        assert report == {
            **reference_batch_sums(batch),
            "state_keys": len(live),
            "state_value_sum": sum(sum(v) for v in live.values()),
        }, f"batch {i}"
    if batches is BATCHES:
        # (1, 1), last updated in batch 0, leaves after batch 3; (0, 0) and (2, 3) after batch 4.
        assert [r["state_keys"] for r in reports] == [3, 4, 4, 3, 1]


@workloads
def test_global_sum_takes_local_and_global_means(workload: str) -> None:
    fmt, batches = WORKLOADS[workload]
    reports = run_pipeline(GLOBAL_SUM, batches, TIMEOUT_MS, fmt)
    timeout_batches = TIMEOUT_MS // INTERVAL_MS
    for i, (batch, report) in enumerate(zip(batches, reports, strict=True)):
        live = live_values(batches, i, timeout_batches)
        live_steps = live_step_values(batches, i, timeout_batches)
        expected = {
            **reference_batch_sums(batch),
            "local_mean_sum": sum(sum(v) / len(v) for v in values_by_key(batch).values()),
            # The second state: each step the batch updated, its mean over every rank's values so far.
            "steps": len(batch_steps(batch)),
            "step_mean_sum": sum(sum(live_steps[s]) / len(live_steps[s]) for s in batch_steps(batch)),
            "state_keys": len(live),
            "global_mean_sum": sum(sum(v) / len(v) for v in live.values()),
            "state_steps": len(live_steps),
        }
        assert report == pytest.approx(expected), f"batch {i}"
        assert list(report) == list(expected)  # the whole state's figures last
    if batches is BATCHES:
        # After batch 3: (1, 0) has a local mean of 0.6875 and, over its 5 values, a global one of 2.328125/5.
        assert reports[3]["local_mean_sum"] == 0.6875
        assert reports[3]["global_mean_sum"] == pytest.approx(2.328125 / 5 + 1.875 / 4 + 0.203125 / 3)
        # Step 0 over both ranks after batch 3: 1.5 + 0.265625 + 0.375 + 3 x 0.6875, over 9 values.
        assert reports[3]["step_mean_sum"] == pytest.approx(4.203125 / 9)
        # Step 1 (only in batch 0) leaves the second state after batch 3, step 3 (batch 1) after batch 4.
        assert [r["state_steps"] for r in reports] == [2, 3, 3, 2, 1]


@workloads
def test_global_histogram_counts_per_batch_and_in_state(workload: str) -> None:
    fmt, batches = WORKLOADS[workload]
    reports = run_pipeline(GLOBAL_HISTOGRAM, batches, TIMEOUT_MS, fmt)
    timeout_batches = TIMEOUT_MS // INTERVAL_MS
    for i, (batch, report) in enumerate(zip(batches, reports, strict=True)):
        live = live_values(batches, i, timeout_batches)
        live_steps = live_step_values(batches, i, timeout_batches)
        batch_values = [v for _, _, values in batch for v in values]
        updated_step_values = [v for step in batch_steps(batch) for v in live_steps[step]]
        assert report == {
            "keys": len(values_by_key(batch)),
            "records": len(batch),
            "histogram": reference_histogram(batch_values),
            "histogram_total": len(batch_values),
            "steps": len(batch_steps(batch)),
            "step_histogram": reference_histogram(updated_step_values),
            "state_keys": len(live),
            "state_histogram": reference_histogram([v for values in live.values() for v in values]),
            "state_steps": len(live_steps),
        }, f"batch {i}"


@pytest.mark.parametrize("app", [SUM, GLOBAL_SUM, GLOBAL_HISTOGRAM], ids=lambda app: app.name)
def test_without_report_state_a_batch_reports_only_what_it_updated(app: StatefulApp) -> None:
    with_state = run_pipeline(app, BATCHES, TIMEOUT_MS, report_state=True)
    without = run_pipeline(app, BATCHES, TIMEOUT_MS, report_state=False)
    for full, updated in zip(with_state, without, strict=True):
        assert updated == {name: value for name, value in full.items() if name not in app.state_fields}
        assert not any(name.startswith("state_") for name in updated)


def test_the_step_state_counts_a_key_once_however_many_batches_it_spans() -> None:
    # (0, 5) in three batches: the original would add its running totals (1, 2, then 3 values);
    # ours adds each batch's value, so step 5 has 3 values.
    batches: list[Batch] = [[(0, 5, [0.25])], [(0, 5, [0.5])], [(0, 5, [0.75]), (1, 5, [0.0])]]
    reports = run_pipeline(GLOBAL_HISTOGRAM, batches, TIMEOUT_MS)
    assert [sum(r["step_histogram"]) for r in reports] == [1, 2, 4]
    assert reports[-1]["step_histogram"] == reference_histogram([0.25, 0.5, 0.75, 0.0])


def test_app_config_defaults_state_to_the_paper_and_the_output_dir(tmp_path: Path) -> None:
    config = tmp_path / "app.json"
    base = {"bootstrap_servers": "b", "topic": "t", "group_id": "g", "batch_interval_ms": 1000}
    config.write_text(json.dumps({**base, "output_dir": str(tmp_path)}))
    loaded = AppConfig.from_file(config)
    assert (loaded.checkpoint_dir, loaded.state_timeout_s) == (tmp_path / "checkpoint", 20.0)
    config.write_text(
        json.dumps({**base, "output_dir": str(tmp_path), "checkpoint_dir": "/ck", "state_timeout_s": 1.5})
    )
    loaded = AppConfig.from_file(config)
    assert (loaded.checkpoint_dir, loaded.state_timeout_s) == (Path("/ck"), 1.5)
    assert AppConfig.from_file(config) == loaded
