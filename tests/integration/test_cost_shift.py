"""The cost-shift workload on the real stack: at a constant rate, records turn expensive half way,
and Spark's own processing time per record rises with them."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.conftest import run_bpbench, write_manifest

SHIFT_S = 20
DURATION_S = 40
RATE = 100
BATCH_MS = 2000
COST_FACTOR = 1000
# With every record expensive, a record's sum is computed 1,000 times: on records of 2,398 values
# about 10 ms more per record, against about 3 ms per record measured here for cheap records on a
# busy 2-core machine (fixed costs per batch included). A rise of at least this factor shows the
# apps did the extra work; without it the ratio stays near 1.
MIN_RISE = 2.0


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
                "values": 2398,
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

    rise = per_record_ms(after).median() / per_record_ms(before).median()
    detail = (
        f"per record before {per_record_ms(before).median():.3f} ms, "
        f"after {per_record_ms(after).median():.3f} ms, rise x{rise:.1f}"
    )
    assert rise >= MIN_RISE, detail
    # The rate did not change: each batch took in about the same number of records.
    assert after["input_records"].median() == pytest.approx(before["input_records"].median(), rel=0.15), (
        detail
    )
