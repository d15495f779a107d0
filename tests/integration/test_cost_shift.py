"""The cost-shift workload on the real stack: at a constant rate, records turn expensive half way,
and Spark's own processing time per record rises with them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.integration.conftest import run_bpbench, write_manifest

SHIFT_S = 20
DURATION_S = 40
RATE = 100
BATCH_MS = 2000
COST_FACTOR = 1000
VALUES = 2398


def extra_ms_per_expensive_record() -> float:
    """What an expensive record costs beyond a plain one, measured here: StatelessSUM sums its values
    ``COST_FACTOR`` times instead of once."""
    values = np.random.default_rng(1).random(VALUES, dtype=np.float32)
    started = time.perf_counter()
    for _ in range(COST_FACTOR - 1):
        values.sum(dtype=np.float64)
    return (time.perf_counter() - started) * 1000


def per_record_ms(batches: pd.DataFrame) -> pd.Series:
    return batches["processing_time_ms"] / batches["input_records"]


def test_processing_time_per_record_rises_after_the_shift(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        name="cost-shift",
        workload={
            "duration_s": DURATION_S,
            "generator": {"profile": "constant", "rate": RATE},
            "records": {
                "values": VALUES,
                "ranks": 4,
                "cost_shift": {
                    "cost_factor": COST_FACTOR,
                    "shares": [{"from_s": 0, "share": 0.0}, {"from_s": SHIFT_S, "share": 1.0}],
                },
            },
        },
        config={"batch_interval_ms": BATCH_MS, "backpressure": {"enabled": False}},
    )
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    [run] = [marker.parent for marker in (out / "cost-shift").glob("*/COMPLETE")]
    start_ms = json.loads((run / "generator-result.json").read_text())["start_time_ms"]
    batches = pd.read_parquet(run / "batches.parquet")
    batches = batches[batches["input_records"] > 0]
    offset_s = (batches["batch_time_ms"] - start_ms) / 1000
    # Batches of cheap records only (the first two left out: the JVM and Python workers warm up),
    # and batches of expensive records only (a batch interval after the shift, up to the end of load).
    before = batches[(offset_s > 2 * BATCH_MS / 1000) & (offset_s <= SHIFT_S)]
    after = batches[(offset_s > SHIFT_S + BATCH_MS / 1000) & (offset_s <= DURATION_S)]
    assert len(before) >= 4 and len(after) >= 4, batches[["batch_time_ms", "input_records"]]

    rise_ms = per_record_ms(after).median() - per_record_ms(before).median()
    # The two partitions' tasks run side by side on local[2]: a batch's time per record rises by
    # about half the extra work. At least half of that is required; without the work it stays near 0.
    expected_ms = extra_ms_per_expensive_record() / 2
    detail = (
        f"per record before {per_record_ms(before).median():.3f} ms, "
        f"after {per_record_ms(after).median():.3f} ms: +{rise_ms:.3f} ms; "
        f"the extra work alone takes {expected_ms:.3f} ms per record and task"
    )
    assert rise_ms >= 0.5 * expected_ms, detail
    # The rate did not change: each batch took in about the same number of records.
    assert after["input_records"].median() == pytest.approx(before["input_records"].median(), rel=0.15), (
        detail
    )
