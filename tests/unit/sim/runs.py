"""Synthetic run directories with a known cost model, for the calibration tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from harness.results.store import SCHEMA_VERSION, RunDirectory, write_json, write_table
from harness.results.tables import BATCH_COLUMNS
from harness.spec.manifest import Manifest

START_MS = 1_790_000_000_000


def manifest(app: str = "stateless_sum", **workload: Any) -> dict[str, Any]:
    data = {
        "name": "synthetic",
        "workload": {
            "app": app,
            "duration_s": 60,
            "generator": {"profile": "constant", "rate": 1000},
            "records": {"values": 256, "ranks": 4},
            **workload,
        },
        "config": {"batch_interval_ms": 2000, "backpressure": {"enabled": True, "initial_rate": 1000}},
    }
    return Manifest.model_validate(data).model_dump(mode="json")


def write_run(
    out: Path,
    processing_ms: list[float],
    records: list[int],
    dump: dict[str, Any] | None = None,
    run_id: str = "synthetic-r1",
    complete: bool = True,
) -> Path:
    """A run directory whose batches have the given records and processing times, 2 s apart."""
    directory = RunDirectory(out, "synthetic", run_id)
    directory.prepare()
    dump = dump or manifest()
    write_json(
        directory.file("spec.json"), {"schema_version": SCHEMA_VERSION, "run_id": run_id, "manifest": dump}
    )
    rows, free = [], START_MS
    for i, (n, ms) in enumerate(zip(records, processing_ms, strict=True)):
        time_ms = START_MS + 2000 * i
        start = max(time_ms, free)
        free = start + ms
        rows.append({
            "batch_id": time_ms, "batch_time_ms": time_ms, "status": "COMPLETED", "input_records": n,
            "scheduling_delay_ms": float(start - time_ms), "processing_time_ms": float(ms),
            "total_delay_ms": float(start - time_ms + ms), "output_ops_failed": 0,
        })  # fmt: skip
    write_table(directory.file("batches.parquet"), rows, BATCH_COLUMNS)
    write_json(
        directory.file("generator-result.json"), {"start_time_ms": START_MS + 1000, "acked": sum(records)}
    )
    write_json(
        directory.file("summary.json"),
        {
            "schema_version": SCHEMA_VERSION,
            "run_id": run_id,
            "experiment": "synthetic",
            "duration_s": 2 * len(rows) + 15,
        },
    )
    if complete:
        directory.mark_complete()
    return directory.path


def known_cost(
    out: Path,
    fixed: float,
    per_record: float,
    batches: int = 60,
    seed: int = 3,
    noise_ms: float = 10.0,
    outliers: int = 3,
) -> Path:
    """A run whose processing time is ``fixed + per_record * records`` plus Gaussian noise and a few
    large outliers (GC pauses), records varying between batches."""
    rng = np.random.default_rng(seed)
    records = rng.integers(200, 4000, size=batches).tolist()
    times = [fixed + per_record * n + rng.normal(0, noise_ms) for n in records]
    for i in rng.choice(np.arange(5, batches), size=outliers, replace=False):
        times[i] += 2000.0
    return write_run(out, [max(1.0, round(t)) for t in times], records)
