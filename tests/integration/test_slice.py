"""The thin vertical slice on real components: manifest -> Kafka + Spark -> run directory -> report."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.results.outcomes import GROWTH_OUTCOMES
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
    # A relative --out, as `make paper` gives it: the executors (standalone) run in another folder.
    result = run_bpbench("run", str(manifest), "--out", "results", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]

    run = run_dir_of(out, f"slice-{topology}")
    for name in ("spec.json", "summary.json", "events.jsonl", "batches.parquet", "executors.parquet",
                 "generator.parquet", "COMPLETE"):  # fmt: skip
        assert (run / name).exists(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == RATE * DURATION
    assert summary["processed"] == summary["produced"]
    assert summary["backlog"] == 0 and summary["lost"] == 0
    # Whether a light, short load counts as stable (or its slopes too uncertain to say) depends on how
    # busy the machine is (the first batches carry Spark's start-up); the rules themselves are
    # unit-tested. Anything else is a failure here.
    assert summary["outcome"] in GROWTH_OUTCOMES, summary["evidence"]
    assert summary["drained"] is True

    batches = pd.read_parquet(run / "batches.parquet")
    completed = batches[batches.status == "COMPLETED"]
    assert len(completed) >= DURATION // 2  # one per 2 s batch of load, at least
    # Every batch from the first to the last, none missing (the driver's listener wrote each one).
    assert (completed.batch_time_ms.sort_values().diff().dropna() == 2000).all()
    # Spark's own count of what entered its batches agrees with the generator's acknowledgements.
    assert completed.input_records.sum() == summary["produced"]
    assert completed.total_delay_ms.notna().all()
    executors = pd.read_parquet(run / "executors.parquet")
    assert len(executors) > 0
    # Every series of the run directory holds samples.
    gc = pd.read_parquet(run / "gc.parquet")
    assert (gc.pause_ms > 0).any() and set(gc.source) >= {"driver"}
    offsets = pd.read_parquet(run / "offsets.parquet")
    assert offsets.groupby("sample_time_ms").end_offset.sum().max() == summary["produced"]
    assert offsets.lag.iloc[-1] == 0
    generator = pd.read_parquet(run / "generator.parquet")
    # The kernel told how long the senders waited for a CPU in every second they sent in.
    assert (generator[generator.planned > 0].cpu_wait_ms >= 0).all()
    processes = pd.read_parquet(run / "processes.parquet")
    assert {"harness", "kafka-broker", "generator"} <= set(processes.name)
    assert any(name.startswith("spark-app:stateless_sum/") for name in processes.name)
    jvm_gauges = pd.read_parquet(run / "jvm.parquet")
    heap_used = jvm_gauges[jvm_gauges.metric == "jvm_heap_used"].value
    assert len(heap_used) >= DURATION // 2 and (heap_used > 0).all()  # a sample a second
    rate_limits = pd.read_parquet(run / "rate_limits.parquet")
    assert rate_limits.pid_limit_rps.notna().any()
    if topology == "standalone":
        assert set(executors.executor_id) - {"driver"}, "no executor besides the driver"
        assert any(source.startswith("executor-") for source in gc.source)
        assert list(run.glob("logs/executor-*.stderr"))
        spec = json.loads((run / "spec.json").read_text())
        assert spec["spark_conf"]["spark.master"].startswith("spark://127.0.0.1:")

    report = out / f"slice-{topology}" / "report.html"
    assert report.exists()
    assert run.name in report.read_text()
    assert f"report: {report}" in result.stderr
    assert_nothing_left_running(started_pids(out))
