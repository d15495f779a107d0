"""The thin vertical slice on real components: manifest -> Kafka + Spark -> run directory -> report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.integration.conftest import assert_nothing_left_running, run_bpbench, started_pids, write_manifest

RATE, DURATION = 250, 16


def run_dir_of(out: Path, experiment: str) -> Path:
    runs = [p.parent for p in (out / experiment).glob("*/spec.json")]
    assert len(runs) == 1, runs
    return runs[0]


@pytest.mark.parametrize("topology", ["local", "standalone"])
def test_bounded_run_drains_with_nothing_lost(tmp_path: Path, topology: str) -> None:
    manifest = write_manifest(tmp_path, name=f"slice-{topology}", platform={
        "spark": {"topology": topology, "cores": 2, "driver_memory": "1g", "executor_memory": "1g"},
        "kafka": {"partitions": 2},
    })  # fmt: skip
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]

    run = run_dir_of(out, f"slice-{topology}")
    for name in ("spec.json", "summary.json", "events.jsonl", "batches.parquet", "executors.parquet",
                 "generator.parquet", "COMPLETE"):  # fmt: skip
        assert (run / name).exists(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == RATE * DURATION
    assert summary["processed"] == summary["produced"]
    assert summary["backlog"] == 0 and summary["lost"] == 0
    assert summary["outcome"] == "stable"

    batches = pd.read_parquet(run / "batches.parquet")
    completed = batches[batches.status == "COMPLETED"]
    assert len(completed) >= DURATION // 2  # one per 2 s batch of load, at least
    # Spark's own count of what entered its batches agrees with the generator's acknowledgements.
    assert completed.input_records.sum() == summary["produced"]
    assert completed.total_delay_ms.notna().all()
    executors = pd.read_parquet(run / "executors.parquet")
    assert len(executors) > 0
    if topology == "standalone":
        assert set(executors.executor_id) - {"driver"}, "no executor besides the driver"
        spec = json.loads((run / "spec.json").read_text())
        assert spec["spark_conf"]["spark.master"].startswith("spark://127.0.0.1:")

    report = out / f"slice-{topology}" / "report.html"
    assert report.exists()
    assert run.name in report.read_text()
    assert f"report: {report}" in result.stderr
    assert_nothing_left_running(started_pids(out))
