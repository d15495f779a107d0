"""Record workloads: Zipf hot keys, the cost shift's share of expensive records over time, JSON sensor
events, the apps' extra work for an expensive record, and the manifest's checks of these settings."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from apps.paper_apps import histogram_record
from apps.records import (
    MIN_EVENT_BYTES,
    RecordFormat,
    decode,
    decode_event,
    decode_flagged,
    encode,
    encode_event,
)
from apps.stateless_sum import sum_record
from generators.workloads import CostShiftSchedule, RecordStream, zipf_probabilities
from harness.errors import UsageError
from harness.paths import REPO_ROOT
from harness.spec.manifest import parse_manifest

DRAWS = 100_000


def skewed(seed: int, ranks: int = 8, exponent: float = 1.2, layout: str = "artifact") -> RecordStream:
    return RecordStream(seed=seed, layout=layout, values=4, ranks=ranks, zipf_exponent=exponent)


# --- key skew ------------------------------------------------------------------------------------


def test_zipf_law() -> None:
    p = zipf_probabilities(4, 1.0)
    assert p == pytest.approx(np.array([1, 1 / 2, 1 / 3, 1 / 4]) / (25 / 12))
    assert zipf_probabilities(5, 2.0).sum() == pytest.approx(1.0)


@pytest.mark.parametrize(("ranks", "exponent"), [(8, 1.2), (20, 0.6), (3, 3.0)])
def test_ranks_follow_the_zipf_law(ranks: int, exponent: float) -> None:
    stream = skewed(seed=7, ranks=ranks, exponent=exponent)
    counts = np.bincount([stream.rank(i) for i in range(DRAWS)], minlength=ranks)
    expected = zipf_probabilities(ranks, exponent)
    # Binomial standard deviation is at most 0.0016 at this size: 0.006 is about four of them.
    assert counts / DRAWS == pytest.approx(expected, abs=0.006)
    assert counts.argmax() == 0 and len(counts) == ranks


def test_skewed_keys_are_repeatable_per_seed_and_in_any_order() -> None:
    first = [skewed(seed=3).rank(i) for i in range(10_000)]
    assert [skewed(seed=3).rank(i) for i in range(10_000)] == first
    assert [skewed(seed=4).rank(i) for i in range(10_000)] != first
    order = np.random.default_rng(0).permutation(10_000)
    stream = skewed(seed=3)
    assert {int(i): stream.rank(int(i)) for i in order} == dict(enumerate(first))
    # The same keys in the payloads, with the step advancing every `ranks` records.
    rank, step, _ = decode(skewed(seed=3).payload(9_999, 1.0))
    assert (rank, step) == (first[9_999], 9_999 // 8)


def test_without_skew_ranks_take_turns() -> None:
    stream = RecordStream(seed=1, values=2, ranks=3, steps=2)
    assert [decode(stream.payload(i, 0.0))[:2] for i in range(8)] == [
        (0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 0), (1, 0),
    ]  # fmt: skip


# --- cost shift ----------------------------------------------------------------------------------

SHIFT = CostShiftSchedule(cost_factor=20, shares=((0.0, 0.1), (60.0, 0.6), (90.0, 0.0)))


def test_share_of_expensive_records_over_time_is_as_declared() -> None:
    stream = RecordStream(seed=5, values=4, cost_shift=SHIFT)
    rate = 1000  # records due evenly over 120 s; the rate is the profile's, the same throughout
    due = [i / rate for i in range(120 * rate)]
    flags = np.array([decode_flagged(stream.payload(i, t))[3] for i, t in enumerate(due)])
    phases = {(0, 60): 0.1, (60, 90): 0.6, (90, 120): 0.0}
    for (start, end), share in phases.items():
        observed = flags[start * rate : end * rate].mean()
        assert observed == pytest.approx(share, abs=0.015), (start, end)
    # Within a phase, the share holds in every 10 s window too.
    for start in range(0, 60, 10):
        assert flags[start * rate : (start + 10) * rate].mean() == pytest.approx(0.1, abs=0.03)
    assert not flags[90 * rate :].any()


def test_expensive_flag_keeps_key_and_values() -> None:
    values = np.array([0.25, 0.5], dtype=np.float32)
    rank, step, decoded, expensive = decode_flagged(encode(5, 9, values, expensive=True))
    assert (rank, step, expensive) == (5, 9, True) and np.array_equal(decoded, values)
    assert decode_flagged(encode(5, 9, values))[3] is False
    assert decode(encode(5, 9, values, expensive=True))[:2] == (5, 9)


def test_an_expensive_record_is_computed_cost_factor_times() -> None:
    calls: list[int] = []

    def per_record(values: np.ndarray) -> float:
        calls.append(1)
        return float(values.sum())

    fmt = RecordFormat("artifact", cost_factor=20)
    values = np.array([1.0, 2.0], dtype=np.float32)
    assert fmt.compute(encode(1, 2, values, expensive=True), per_record) == ((1, 2), 3.0)
    assert len(calls) == 20
    calls.clear()
    assert fmt.compute(encode(1, 2, values), per_record) == ((1, 2), 3.0)
    assert len(calls) == 1
    calls.clear()
    json_fmt = RecordFormat("json", cost_factor=4)
    assert json_fmt.compute(encode_event(3, 0, 0.5, 120, expensive=True), per_record) == ((3, 0), 0.5)
    assert len(calls) == 4


@pytest.mark.parametrize("record_value", [sum_record, histogram_record])
def test_expensive_records_give_the_same_results(record_value) -> None:  # noqa: ANN001
    rng = np.random.default_rng(2)
    fmt = RecordFormat("artifact", cost_factor=9)
    for rank in range(5):
        values = rng.random(64, dtype=np.float32)
        plain = record_value(encode(rank, 1, values), fmt=fmt)
        assert record_value(encode(rank, 1, values, expensive=True), fmt=fmt) == plain


# --- JSON sensor events --------------------------------------------------------------------------


def test_events_have_the_configured_size_and_round_trip() -> None:
    stream = RecordStream(seed=1, layout="json", ranks=5, event_bytes=256, cost_shift=SHIFT)
    for i in range(200):
        payload = stream.payload(i, due_s=70.0, start_ms=1_700_000_000_000)
        assert len(payload) == 256
        event = json.loads(payload)
        assert event["sensor"] == i % 5 and event["ts"] == 1_700_000_070_000
        assert 0.0 <= event["reading"] < 1.0
        assert decode_event(payload) == (event["sensor"], event["ts"], event["reading"], event["expensive"])
    assert len(RecordStream(seed=1, layout="json").payload(0, 0.0)) == 200


def test_an_event_of_the_minimum_size_holds_the_widest_fields() -> None:
    widest = encode_event(2**31 - 1, 10**13 - 1, 0.999999, MIN_EVENT_BYTES, expensive=False)
    assert len(widest) == MIN_EVENT_BYTES
    with pytest.raises(ValueError, match="needs at least"):
        encode_event(1, 0, 0.5, 40)
    with pytest.raises(ValueError, match="not a sensor event"):
        decode_event(b'{"sensor": 1}')


def test_apps_key_events_by_sensor_and_take_the_reading() -> None:
    fmt = RecordFormat("json")
    stream = RecordStream(seed=9, layout="json", ranks=3, zipf_exponent=1.5)
    payloads = [stream.payload(i, 0.0) for i in range(300)]
    totals: dict[int, float] = {}
    for payload in payloads:
        event = json.loads(payload)
        totals[event["sensor"]] = totals.get(event["sensor"], 0.0) + event["reading"]
        (sensor, step), (value_sum, values, records) = sum_record(payload, fmt=fmt)
        assert (sensor, step, value_sum, values, records) == (event["sensor"], 0, event["reading"], 1, 1)
    assert totals[0] > totals[1] > totals[2]  # the hottest sensor sends the most


# --- the manifest ----------------------------------------------------------------------------------

BASE = {"name": "w", "workload": {"duration_s": 60, "generator": {"profile": "constant", "rate": 100}}}


def with_records(records: dict, **workload: object) -> dict:
    return {**BASE, "workload": {**BASE["workload"], **workload, "records": records}}


@pytest.mark.parametrize(
    ("records", "field", "message"),
    [
        ({"key_skew": {"exponent": 0}}, "workload.records.key_skew.exponent", "greater than 0"),
        ({"key_skew": {"exponent": -1.5}}, "workload.records.key_skew.exponent", "greater than 0"),
        ({"key_skew": {"distribution": "pareto"}}, "workload.records.key_skew.distribution", "'zipf'"),
        (
            {"cost_shift": {"shares": [{"from_s": 0, "share": 1.2}]}},
            "workload.records.cost_shift.shares.0.share",
            "less than or equal to 1",
        ),
        (
            {"cost_shift": {"shares": [{"from_s": 0, "share": -0.1}]}},
            "workload.records.cost_shift.shares.0.share",
            "greater than or equal to 0",
        ),
        (
            {"cost_shift": {"shares": [{"from_s": 0, "share": 0.1}, {"from_s": 60, "share": 0.5}]}},
            "workload.records.cost_shift.shares.1.from_s",
            "within the load",
        ),
        (
            {"cost_shift": {"shares": [{"from_s": 10, "share": 0.1}]}},
            "workload.records.cost_shift.shares",
            "from_s: 0",
        ),
        (
            {"cost_shift": {"shares": [{"from_s": 0, "share": 0.1}, {"from_s": 0, "share": 0.5}]}},
            "workload.records.cost_shift.shares",
            "must increase",
        ),
        (
            {"cost_shift": {"cost_factor": 1, "shares": [{"from_s": 0, "share": 0.1}]}},
            "workload.records.cost_shift.cost_factor",
            "greater than or equal to 2",
        ),
        (
            {"layout": "json", "event_bytes": 40},
            "workload.records.event_bytes",
            f"at least {MIN_EVENT_BYTES}",
        ),
        ({"layout": "json", "values": 10}, "workload.records.values", "artifact layout only"),
        ({"event_bytes": 300}, "workload.records.event_bytes", "json layout only"),
        ({"values": 0}, "workload.records.values", "greater than 0"),
    ],
)
def test_bad_workload_settings_name_the_field(records: dict, field: str, message: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_manifest(with_records(records), "w.yaml")
    text = str(error.value)
    assert f"w.yaml: {field}" in text and (
        message in text or message.replace(">= ", "greater than or equal to ") in text
    )


def test_jvm_apps_refuse_json_events() -> None:
    with pytest.raises(UsageError, match=r"w.yaml: workload.impl: .*layout json needs impl: python"):
        parse_manifest(with_records({"layout": "json"}, impl="jvm"), "w.yaml")
    parse_manifest(with_records({"layout": "json"}, impl="python"), "w.yaml")


def test_cli_exits_2_for_a_bad_workload(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(with_records({"key_skew": {"exponent": 0}})))
    result = subprocess.run(
        [sys.executable, "-m", "harness.cli", "validate", str(path)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "workload.records.key_skew.exponent" in result.stderr and "Traceback" not in result.stderr


def test_generator_and_apps_get_the_settings() -> None:
    manifest = parse_manifest(
        with_records({"key_skew": {"exponent": 1.1}, "cost_shift": {"cost_factor": 30, "shares": [
            {"from_s": 0, "share": 0.1}, {"from_s": 30, "share": 0.6}]}}),
        "w.yaml",
    )  # fmt: skip
    records = manifest.workload.records
    stream = RecordStream.from_json(records.model_dump(mode="json"), manifest.workload.seed)
    assert stream.zipf_exponent == 1.1 and stream.cost_shift == CostShiftSchedule(30, ((0, 0.1), (30, 0.6)))
    assert records.cost_factor == 30
