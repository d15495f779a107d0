"""The cost-model fit recovers known parameters from synthetic runs, and refuses unusable runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.errors import UsageError
from harness.sim.calibration import STARTUP_BATCHES, calibrate, fit_cost, read_run, state_records
from tests.unit.sim.runs import known_cost, manifest, write_run


def test_fit_recovers_fixed_and_per_record_cost_despite_outliers(tmp_path: Path) -> None:
    run = known_cost(tmp_path, fixed=80.0, per_record=0.45)
    calibration = calibrate([run])
    cost = calibration.cost
    # 57 batches with 10 ms noise: the robust fit lands within a few ms and a few percent; least
    # squares would be pulled up by the three 2 s outliers.
    assert cost.fixed_ms == pytest.approx(80.0, abs=10.0)
    assert cost.per_record_ms == pytest.approx(0.45, rel=0.02)
    assert calibration.quality["batches"] == 60 - STARTUP_BATCHES
    [residuals] = cost.residual_runs_ms
    assert len(residuals) == 60 - STARTUP_BATCHES
    # The residuals are the noise (median near 0) and the outliers, kept to be drawn from.
    assert abs(float(np.median(residuals))) < 5
    assert sum(r > 1500 for r in residuals) == 3


def test_fit_recovers_state_and_checkpoint_costs(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    records = rng.integers(100, 3000, size=80).tolist()
    times_ms = [2000 * i for i in range(80)]
    state = state_records(times_ms, records, 20_000)
    # SUM checkpoints its state every 5 batches (10 s of 2 s batches); here at batches 2, 7, 12, ...
    times = [
        50 + 0.3 * n + 0.02 * s + (400 if i % 5 == 2 else 0) + rng.normal(0, 5)
        for i, (n, s) in enumerate(zip(records, state, strict=True))
    ]
    run = write_run(tmp_path, [round(t) for t in times], records, dump=manifest("sum"))
    cost, quality, notes = fit_cost([read_run(run)])
    assert (cost.checkpoint_every, cost.checkpoint_phase) == (5, 2)
    assert cost.checkpoint_ms == pytest.approx(400, abs=20)
    assert cost.per_record_ms == pytest.approx(0.3, rel=0.05)
    assert cost.per_state_record_ms == pytest.approx(0.02, rel=0.1)
    assert notes == []


def test_startup_batches_are_modelled_apart(tmp_path: Path) -> None:
    records = [0, 0, 500, 1000, 1000] + [1000] * 20 + [2000] * 20
    times = [7000, 1500, 900, 800, 600] + [100 + 0.5 * n for n in records[5:]]
    cost, _, _ = fit_cost([read_run(write_run(tmp_path, times, records))])
    assert cost.fixed_ms == pytest.approx(100, abs=1)
    assert [round(x) for x in cost.startup_ms] == [6900, 1400, 550, 200, 0]


def test_calibration_of_another_app_is_refused(tmp_path: Path) -> None:
    run = known_cost(tmp_path, fixed=50.0, per_record=0.2)
    with pytest.raises(UsageError, match="a run of stateless_sum .* runs sum"):
        calibrate([run], target=manifest("sum"))
    with pytest.raises(UsageError, match="1032-byte records.*2056-byte"):
        calibrate([run], target=manifest(records={"values": 512, "ranks": 4}))


def test_incomplete_or_foreign_runs_are_refused(tmp_path: Path) -> None:
    incomplete = write_run(tmp_path / "a", [100.0] * 10, [10] * 10, complete=False)
    with pytest.raises(UsageError, match="incomplete run directory .*COMPLETE"):
        calibrate([incomplete])
    with pytest.raises(UsageError, match="not a run directory"):
        calibrate([tmp_path / "nothing"])
    structured = write_run(tmp_path / "b", [100.0] * 10, [10] * 10, dump=manifest("sum", source="structured"))
    with pytest.raises(UsageError, match="workload.source structured"):
        calibrate([structured])
    short = write_run(tmp_path / "c", [100.0] * 5, [10] * 5)
    with pytest.raises(UsageError, match="the fit needs at least"):
        calibrate([short])


def test_held_bytes_factor_and_storage_pool_come_from_spark_s_own_figures(tmp_path: Path) -> None:
    from harness.results.store import write_table
    from harness.results.tables import EXECUTOR_COLUMNS, IN_FLIGHT_COLUMNS

    run = write_run(
        tmp_path, [100.0 + n * 0.1 for n in range(20)], list(range(20)), dump=manifest(source="receiver")
    )
    flight = [dict.fromkeys(IN_FLIGHT_COLUMNS) | {"time_ms": t, "stream_id": 0, "in_flight_bytes": b}
              for t, b in ((1, 10 << 20), (2, 40 << 20), (3, 5 << 20))]  # fmt: skip
    executors = [dict.fromkeys(EXECUTOR_COLUMNS) | {"sample_time_ms": t, "executor_id": "driver",
                 "max_memory_bytes": 455_501_414, "peak_on_heap_storage_bytes": p}
                 for t, p in ((1, 20 << 20), (3, 60 << 20))]  # fmt: skip
    write_table(run / "in_flight.parquet", flight, IN_FLIGHT_COLUMNS)
    write_table(run / "executors.parquet", executors, EXECUTOR_COLUMNS)
    calibration = calibrate([run])
    assert calibration.held_bytes_factor == pytest.approx(1.5)  # 60 MiB peak storage / 40 MiB peak held
    assert calibration.storage_pools == {"1g": 455_501_414}


def test_residuals_are_kept_per_run_in_batch_order(tmp_path: Path) -> None:
    # Two runs of one cost (100 ms + 0.5 ms a record); the second has a slow stretch of 500 ms extra.
    records = [1000] * 25
    slow = [0] * 10 + [500] * 8 + [0] * 7
    first = write_run(tmp_path / "a", [100 + 0.5 * n for n in records], records, run_id="a-r1")
    times = [100 + 0.5 * n + extra for n, extra in zip(records, slow, strict=True)]
    second = write_run(tmp_path / "b", times, records, run_id="b-r1")
    cost = calibrate([first, second]).cost
    assert [len(run) for run in cost.residual_runs_ms] == [20, 20]
    stretch = [round(r) for r in cost.residual_runs_ms[1]]
    assert stretch == [stretch[0]] * 5 + [stretch[0] + 500] * 8 + [stretch[0]] * 7
    assert cost.residual_runs_ms[0] == (cost.residual_runs_ms[0][0],) * 20
