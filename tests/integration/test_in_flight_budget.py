"""The original's pressure axis on the real stack: receivers hold back at an in-flight budget, and the
backpressure-off arm without ``initialRate`` takes in more than the 2,000 records/s that would cap it.

One experiment, two runs of a slow app (every record expensive) offered several times what it
processes, backpressure off and no ``initialRate``: with a budget of 512 KiB and without one.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.conftest import run_bpbench, write_manifest

RATE = 3000
BATCH_MS = 2000
BLOCK_MS = 200
VALUES = 254  # 1,024-byte records
RECORD_BYTES = 8 + 4 * VALUES
BUDGET = 512 << 10
CAPPED_RATE = 2000  # what initialRate would have held each receiver to


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int | None, Path]:
    folder = tmp_path_factory.mktemp("budget")
    manifest = write_manifest(
        folder,
        name="budget",
        workload={
            "source": "receiver",
            "duration_s": 40,
            "generator": {"profile": "constant", "rate": RATE},
            "records": {
                "values": VALUES,
                "ranks": 4,
                "cost_shift": {"cost_factor": 300, "shares": [{"from_s": 0, "share": 1.0}]},
            },
        },
        config={
            "batch_interval_ms": BATCH_MS,
            "block_interval_ms": BLOCK_MS,
            "backpressure": {"enabled": False},
        },
        run={"drain_timeout_s": 5, "poll_interval_s": 1, "warmup_s": 4},
    )
    data = manifest.read_text() + f"matrix:\n  workload.in_flight_budget: [{BUDGET}, null]\n"
    manifest.write_text(data)
    out = folder / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    by_budget = {}
    for spec_path in (out / "budget").glob("*/spec.json"):
        spec = json.loads(spec_path.read_text())
        assert (spec_path.parent / "COMPLETE").exists()
        by_budget[spec["manifest"]["workload"]["in_flight_budget"]] = spec_path.parent
    assert set(by_budget) == {BUDGET, None}
    return by_budget


def table(run: Path, name: str) -> pd.DataFrame:
    return pd.read_parquet(run / f"{name}.parquet")


def completed(run: Path) -> pd.DataFrame:
    batches = table(run, "batches")
    return batches[(batches.status == "COMPLETED") & (batches.input_records > 0)]


def test_the_app_is_offered_more_than_it_processes(runs: dict[int | None, Path]) -> None:
    for run in runs.values():
        batches = completed(run)
        capacity = batches.input_records.sum() / (batches.processing_time_ms.sum() / 1000)
        assert 2 * capacity < RATE, (
            f"{run.name}: processes {capacity:.0f} records/s, the test needs a slow app"
        )


def test_receivers_hold_back_at_the_budget_and_kafka_keeps_the_rest(runs: dict[int | None, Path]) -> None:
    run = runs[BUDGET]
    in_flight = table(run, "in_flight")
    assert len(in_flight) > 20, "the receiver reported its data in flight"
    assert (in_flight.budget_bytes == BUDGET).all()
    block_of_input = RATE * BLOCK_MS / 1000 * RECORD_BYTES
    assert in_flight.in_flight_bytes.max() <= BUDGET + block_of_input
    assert in_flight.in_flight_bytes.max() >= BUDGET, "the budget was reached"
    assert in_flight.held_back.any()
    # Each completed batch made room again: the receiver took several budgets' worth in all.
    assert in_flight.processed_records.max() > 0
    assert in_flight.taken_bytes.max() >= 2 * BUDGET
    # What the receiver did not take waits in Kafka: the group's lag grows during the load.
    lag = table(run, "offsets").groupby("sample_time_ms").lag.sum()
    assert lag.iloc[len(lag) // 2 :].max() > 10 * lag.iloc[:3].max() + 5 * BUDGET / RECORD_BYTES
    summary = json.loads((run / "summary.json").read_text())
    assert summary["backlog"] > 0
    assert summary["produced"] == summary["processed"] + summary["backlog"] + summary["lost"]


def test_without_a_budget_data_in_flight_grows_past_it(runs: dict[int | None, Path]) -> None:
    in_flight = table(runs[None], "in_flight")
    assert in_flight.budget_bytes.isna().all()
    assert not in_flight.held_back.any()
    assert in_flight.in_flight_bytes.max() > 4 * BUDGET


def test_backpressure_off_without_initial_rate_takes_more_than_the_cap(runs: dict[int | None, Path]) -> None:
    run = runs[None]
    spec = json.loads((run / "spec.json").read_text())
    assert "spark.streaming.backpressure.initialRate" not in spec["spark_conf"]
    assert "spark.streaming.receiver.maxRate" not in spec["spark_conf"]
    # A batch's records are known once it is generated: queued batches count too.
    per_second = table(run, "batches").groupby("batch_time_ms").input_records.max() / (BATCH_MS / 1000)
    assert per_second.max() > CAPPED_RATE * 1.2, per_second.tolist()
