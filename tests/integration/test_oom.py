"""An executor that runs out of memory is a measured outcome: `oom`, with the exit code in evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from tests.integration.conftest import assert_nothing_left_running, run_bpbench, started_pids, write_manifest


def test_state_that_outgrows_the_executor_heap_is_classified_oom(tmp_path: Path) -> None:
    # GlobalHistogram (Java, mapWithState) keeps every key for an hour; a new key per record fills a
    # 512 MiB executor in about three minutes (at some 10,000 records/s processed on two cores), as
    # the paper's stateful apps filled the UMM. The run lasts four, so the executor dies mid-run.
    manifest = write_manifest(
        tmp_path,
        name="oom",
        platform={
            "spark": {"topology": "standalone", "cores": 2, "driver_memory": "1g", "executor_memory": "512m"},
            "kafka": {"partitions": 2},
        },
        workload={
            "app": "global_histogram",
            "impl": "jvm",
            "state_timeout_s": 3600,
            "duration_s": 240,
            "generator": {"profile": "constant", "rate": 20000},
            "records": {"values": 4, "ranks": 4},
        },
        config={"batch_interval_ms": 2000, "backpressure": {"enabled": False}},
        run={"drain_timeout_s": 5, "poll_interval_s": 1, "warmup_s": 0},
    )
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out), timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    [summary_path] = list((out / "oom").glob("*/summary.json"))
    run = summary_path.parent
    summary = json.loads(summary_path.read_text())
    assert summary["outcome"] == "oom", summary["evidence"]
    assert summary["oom_count"] >= 1
    oom = [e for e in summary["evidence"] if e["kind"] == "oom"]
    assert any("exited with code 52" in e["detail"] for e in oom), oom
    # Spark's REST API lists an executor that died mid-run as removed, with the reason the driver
    # heard first: the exit code, or the dropped connection when that came sooner. (One that dies
    # while the app stops is seen only by the worker: the driver is gone by then.)
    executors = pd.read_parquet(run / "executors.parquet")
    removed = executors[executors.remove_time_ms.notna() & executors.remove_reason.notna()]
    executor_sources = [e["source"] for e in summary["evidence"] if e["source"].startswith("executor ")]
    assert len(executor_sources) == len(set(executor_sources)), summary["evidence"]  # once each
    died_of_oom = {e["source"].removeprefix("executor ") for e in oom if e["source"].startswith("executor ")}
    assert died_of_oom & set(removed.executor_id), (oom, removed.remove_reason.unique())
    assert (run / "COMPLETE").exists()
    # The direct stream re-reads a lost executor's partitions from Kafka; only a batch Spark gives up
    # on (its tasks failed on every retry) drops records. Spark's REST API (failed output ops) and the
    # app's own reports (the batches it finished) must account for the loss to the record.
    assert summary["produced"] == summary["processed"] + summary["backlog"] + summary["lost"]
    last_finished = max(b["batch_time_ms"] for b in json.loads((run / "app-batches.json").read_text()))
    batches = pd.read_parquet(run / "batches.parquet")
    dropped = batches[(batches.output_ops_failed > 0) & (batches.batch_time_ms < last_finished)]
    assert summary["lost"] == int(dropped.input_records.sum()), dropped
    assert summary["failed_batch_records"] >= summary["lost"]
    assert summary["backlog"] > 0
    assert_nothing_left_running(started_pids(out))
