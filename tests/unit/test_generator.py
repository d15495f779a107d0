"""The generator's record keys and per-second statistics (the sending itself is an integration test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.records import decode
from generators.produce import GeneratorConfig, SecondStats
from generators.profiles import parse_profile


def config(tmp_path: Path, ranks: int, steps: int | None) -> GeneratorConfig:
    records = {"layout": "artifact", "values": 4, "ranks": ranks, "steps": steps}
    return GeneratorConfig(
        bootstrap_servers="127.0.0.1:1",
        topic="t",
        profile=parse_profile({"profile": "step", "steps": [{"duration_s": 1, "rate": 10}]}),
        duration_s=2.0,
        records=records,
        seed=1,
        stats_path=tmp_path / "stats.jsonl",
        result_path=tmp_path / "result.json",
    )


def test_keys_cycle_ranks_then_steps(tmp_path: Path) -> None:
    unbounded = config(tmp_path, ranks=3, steps=None)
    keys = [decode(unbounded.record_stream.payload(i, 0.0))[:2] for i in range(7)]
    assert keys == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2)]
    bounded = config(tmp_path, ranks=2, steps=2)
    keys = [decode(bounded.record_stream.payload(i, 0.0))[:2] for i in range(6)]
    assert keys == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 0), (1, 0)]


def test_config_round_trips_through_json(tmp_path: Path) -> None:
    original = config(tmp_path, ranks=2, steps=None)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(original.to_json()))
    assert GeneratorConfig.from_file(path) == original


def test_second_stats_row() -> None:
    stats = SecondStats(planned=4, sent=4, acked=3, failed=1, lateness_ms=[0.0, 1.0, 2.0, 10.0])
    row = stats.row(5)
    assert row["second"] == 5 and row["acked"] == 3 and row["failed"] == 1
    assert row["lateness_p50_ms"] == pytest.approx(1.5)
    assert row["lateness_max_ms"] == 10.0
    assert SecondStats().row(0)["lateness_p99_ms"] is None
