"""The HTML report: finding run directories and rendering a self-contained file from them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.errors import UsageError
from reports import figures
from reports.builder import build_report, find_run_dirs

T0_MS = 1_700_000_000_000
BATCH_INTERVAL_MS = 1000

BATCH_SCHEMA = pa.schema(
    [
        ("batch_id", pa.int64()),
        ("batch_time_ms", pa.int64()),
        ("status", pa.string()),
        ("input_records", pa.int64()),
        ("scheduling_delay_ms", pa.float64()),
        ("processing_time_ms", pa.float64()),
        ("total_delay_ms", pa.float64()),
        ("output_ops_failed", pa.int64()),
    ]
)


def _summary(run_id: str, experiment: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "run_id": run_id,
        "experiment": experiment,
        "outcome": "stable",
        "duration_s": 60.0,
        "produced": 123456,
        "processed": 123000,
        "backlog": 456,
        "lost": 0,
        "throughput_rps": 2050.0,
        "input_rate_rps": 2057.6,
        "sched_delay_ms": {"p50": 3.0, "p95": 12.0, "max": 40.0},
        "total_delay_ms": {"p50": 250.0, "p95": 610.0, "max": 1875.0},
        "proc_time_ms": {"p50": 240.0, "p95": 590.0, "max": 900.0},
        "delay_slope": 0.25,
        "gc_time_frac": 0.01,
        "gc_count": 12,
        "peak_heap_bytes": 512 * 1024 * 1024,
        "peak_storage_mem_bytes": None,
        "peak_execution_mem_bytes": None,
        "oom_count": 0,
        "executors_lost": 0,
        "batches": 5,
        "backpressure": True,
        "target_rate_rps": 2000.0,
        "batch_interval_ms": BATCH_INTERVAL_MS,
    }


def _batches(count: int) -> pa.Table:
    times = [T0_MS + i * BATCH_INTERVAL_MS for i in range(count)]
    statuses = ["COMPLETED"] * max(count - 1, 0) + ["QUEUED"] * min(count, 1)
    delays = [float(10 * i) for i in range(count)]
    # The queued batch has no delays yet: the figure must cope with the nulls.
    nullable = [d if s == "COMPLETED" else None for d, s in zip(delays, statuses, strict=True)]
    return pa.table(
        {
            "batch_id": list(range(count)),
            "batch_time_ms": times,
            "status": statuses,
            "input_records": [2000 + 50 * i for i in range(count)],
            "scheduling_delay_ms": nullable,
            "processing_time_ms": [None if d is None else 400.0 for d in nullable],
            "total_delay_ms": [None if d is None else d + 400.0 for d in nullable],
            "output_ops_failed": [0] * count,
        },
        schema=BATCH_SCHEMA,
    )


def _executors(samples: int) -> pd.DataFrame:
    rows = []
    for i in range(samples):
        for executor_id in ("driver", "1"):
            rows.append(
                {
                    "sample_time_ms": T0_MS + i * 2000,
                    "executor_id": executor_id,
                    "is_active": True,
                    "memory_used_bytes": (100 + 10 * i) * 1024 * 1024,
                    "max_memory_bytes": 1024 * 1024 * 1024,
                    "total_gc_time_ms": 5 * i,
                    "peak_jvm_heap_bytes": (300 + 20 * i) * 1024 * 1024 if i else None,
                    "peak_on_heap_execution_bytes": None,
                    "peak_on_heap_storage_bytes": None,
                }
            )
    return pd.DataFrame(rows).astype(
        {
            "peak_jvm_heap_bytes": "Int64",
            "peak_on_heap_execution_bytes": "Int64",
            "peak_on_heap_storage_bytes": "Int64",
        }
    )


def make_run(
    root: Path,
    experiment: str = "exp-a",
    run_id: str = "run-001",
    *,
    batches: int | None = 5,
    executors: bool = True,
    complete: bool = True,
    summary_overrides: dict[str, Any] | None = None,
) -> Path:
    """A synthetic run directory; batches=None leaves batches.parquet out, 0 writes an empty one."""
    run_dir = root / experiment / run_id
    run_dir.mkdir(parents=True)
    overrides = summary_overrides or {}
    spec = {
        "schema_version": 1,
        "run_id": run_id,
        "experiment": overrides.get("experiment", experiment),
        "manifest": {"name": overrides.get("experiment", experiment), "rates": [1000, 2000]},
        "spark_conf": {"spark.streaming.backpressure.enabled": "true", "spark.ssl.keyPassword": "hunter2"},
        "versions": {"spark": "3.5.3", "python": "3.11"},
    }
    (run_dir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    summary = _summary(run_id, experiment)
    summary.update(overrides)
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    if batches is not None:
        pq.write_table(_batches(batches), run_dir / "batches.parquet")
    if executors:
        _executors(4).to_parquet(run_dir / "executors.parquet", index=False)
    if complete:
        (run_dir / "COMPLETE").touch()
    return run_dir


def _run_section(html: str, anchor: str) -> str:
    start = html.index(f'<section class="run" id="{anchor}">')
    end = html.find('<section class="run"', start + 1)
    return html[start : end if end > 0 else len(html)]


def _report(tmp_path: Path, *paths: Path) -> str:
    output = build_report(list(paths), tmp_path / "out" / "report.html")
    assert output == tmp_path / "out" / "report.html"
    return output.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------------------
# find_run_dirs


def test_find_run_dirs_accepts_run_experiment_and_root_dirs(tmp_path: Path) -> None:
    root = tmp_path / "out"
    a1 = make_run(root, "exp-a", "run-002")
    a2 = make_run(root, "exp-a", "run-001")
    b1 = make_run(root, "exp-b", "run-001", complete=False)

    assert find_run_dirs([a1]) == [a1]
    assert find_run_dirs([root / "exp-a"]) == [a2, a1]
    assert find_run_dirs([root]) == [a2, a1, b1]


def test_find_run_dirs_deduplicates_overlapping_paths(tmp_path: Path) -> None:
    root = tmp_path / "out"
    run = make_run(root)

    assert find_run_dirs([root, root / "exp-a", run]) == [run]


def test_find_run_dirs_rejects_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"

    with pytest.raises(UsageError, match=re.escape(str(missing))):
        find_run_dirs([missing])


def test_find_run_dirs_rejects_dir_without_runs(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / "exp").mkdir(parents=True)
    (empty / "exp" / "notes.txt").write_text("hello", encoding="utf-8")

    with pytest.raises(UsageError, match=re.escape(str(empty))):
        find_run_dirs([empty])


# ---------------------------------------------------------------------------------------------------------
# build_report


def test_report_contains_summary_and_figures(tmp_path: Path) -> None:
    run = make_run(tmp_path / "runs", run_id="run-xyz")

    html = _report(tmp_path, run)

    assert "bpbench report" in html
    assert "run-xyz" in html
    assert "exp-a" in html
    assert "outcome-stable" in html and ">stable<" in html
    assert "123,456" in html  # produced
    assert "123,000" in html  # processed
    assert "2,050.0" in html  # throughput
    assert "1,875" in html  # total delay max
    assert 'id="run-run-xyz"' in html and 'href="#run-run-xyz"' in html
    images = re.findall(
        r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', _run_section(html, "run-run-xyz")
    )
    assert len(images) == 2, "one image per run figure: the timeline, and memory and GC"
    assert "Input, delays, rate limit and Kafka lag" in html and "Memory (UMM, JVM heap) and GC" in html
    assert "<details>" in html and "spark.streaming.backpressure.enabled" in html and "3.5.3" in html


def test_report_is_self_contained(tmp_path: Path) -> None:
    html = _report(tmp_path, make_run(tmp_path / "runs"))

    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.IGNORECASE)
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html.lower() and "@import" not in html and "url(" not in html


def test_report_renders_missing_and_null_values_as_dash(tmp_path: Path) -> None:
    overrides = {
        "backlog": None,
        "lost": None,
        "throughput_rps": None,
        "sched_delay_ms": None,
        "total_delay_ms": {"p50": None},
        "outcome": None,
        "backpressure": None,
    }
    run = make_run(tmp_path / "runs", summary_overrides=overrides)
    summary_path = run / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    del summary["delay_slope"], summary["batch_interval_ms"], summary["target_rate_rps"]
    summary_path.write_text(json.dumps(summary), encoding="utf-8")

    html = _report(tmp_path, run)

    assert html.count('<td class="num">–</td>') >= 10
    assert "outcome-unknown" in html
    assert len(re.findall(r'<img src="data:image/png;base64,', _run_section(html, "run-run-001"))) == 2


def test_report_escapes_names(tmp_path: Path) -> None:
    run = make_run(tmp_path / "runs", "xss", summary_overrides={"experiment": "<script>alert(1)</script>"})

    html = _report(tmp_path, run)

    assert "<script>alert(1)" not in html
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_report_lists_incomplete_run(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    make_run(root, "exp-a", "run-done")
    make_run(root, "exp-a", "run-crashed", complete=False)

    html = _report(tmp_path, root)

    incomplete = html[html.index('id="incomplete"') :]
    assert "exp-a/run-crashed" in incomplete and "no COMPLETE marker" in incomplete
    summary_table = html[html.index('id="summary"') : html.index('id="runs"')]
    assert "run-done" in summary_table and "run-crashed" not in summary_table


def test_report_with_only_incomplete_runs_still_renders(tmp_path: Path) -> None:
    run = make_run(tmp_path / "runs", complete=False)

    html = _report(tmp_path, run)

    assert "no COMPLETE marker" in html and "No complete runs were found." in html


@pytest.mark.parametrize("batches", [0, None], ids=["empty-parquet", "no-parquet"])
def test_report_without_batches(tmp_path: Path, batches: int | None) -> None:
    run = make_run(
        tmp_path / "runs",
        batches=batches,
        executors=False,
        summary_overrides={"batches": 0, "outcome": "app_failed"},
    )

    html = _report(tmp_path, run)

    assert "no batches were recorded" in html
    assert "data:image/png" not in html
    assert "outcome-app_failed" in html


def test_report_handles_many_runs_and_duplicate_run_ids(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    for index in range(6):
        make_run(root, f"exp-{index % 2}", f"run-{index // 2}", batches=3, executors=False)

    html = _report(tmp_path, root)

    anchors = re.findall(r'<section class="run" id="([^"]+)"', html)
    assert len(anchors) == 6 and len(set(anchors)) == 6
    runs = html[html.index('<section id="runs">') :]
    # Batches but no executor samples or GC events: the timeline only, one per run.
    assert len(re.findall(r'<img src="data:image/png;base64,', runs)) == 6
    # The six runs differ only by experiment name: one configuration of six repetitions, overlaid.
    assert 'id="fig-config-1-overlay"' in html


def test_report_notes_unreadable_parquet(tmp_path: Path) -> None:
    run = make_run(tmp_path / "runs", executors=False)
    (run / "batches.parquet").write_bytes(b"not parquet")

    html = _report(tmp_path, run)

    assert "batches.parquet could not be read" in html
    assert "no batches were recorded" in html


def test_report_redacts_secret_spark_conf(tmp_path: Path) -> None:
    html = _report(tmp_path, make_run(tmp_path / "runs"))

    assert "spark.ssl.keyPassword" in html and "hunter2" not in html


def test_report_leaves_no_partial_file(tmp_path: Path) -> None:
    _report(tmp_path, make_run(tmp_path / "runs"))

    out_dir = tmp_path / "out"
    assert sorted(p.name for p in out_dir.iterdir()) == ["report.html", "report_figures"]
    assert not list(tmp_path.rglob("*.partial"))
    assert not list((tmp_path / "runs").rglob("report.html"))


def test_report_replaces_existing_output(tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    output.write_text("old", encoding="utf-8")

    build_report([make_run(tmp_path / "runs")], output)

    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def _fault(start_ms: int, **figures: Any) -> dict[str, Any]:
    return {
        "index": 0, "action": "kill_executor", "target": "executor 0", "failed": None,
        "start_ms": start_ms, "end_ms": start_ms, "lost_records": 0, "duplicated_records": 0,
        "sched_recovered_s": None, "backlog_before": 10, "backlog_recovered_s": None,
        "rate_before_rps": 1000.0, "rate_lowest_rps": 100.0, "rate_after_rps": 900.0, **figures,
    }  # fmt: skip


def test_faults_are_marked_and_their_recovery_compared(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    plain = make_run(runs, run_id="plain")
    faulted = [
        make_run(
            runs,
            experiment="exp-b",
            run_id=f"kill-{i}",
            summary_overrides={"faults": [_fault(1_700_000_004_000, sched_recovered_s=s, lost_records=lost)]},
        )
        for i, (s, lost) in enumerate([(6.5, 0), (8.5, 40)])
    ]
    html = _report(tmp_path, plain, *faulted)
    assert "Recovery: scheduling delay (s)" in html and "Lost to faults" in html
    # The median of 6.5 and 8.5 s, and the records lost over both runs' faults, as single values.
    assert "7.5" in html
    plain_only = _report(tmp_path / "plain", plain)
    assert "Recovery: scheduling delay" not in plain_only


def test_fault_spans_put_faults_on_the_runs_time_axis() -> None:
    faults = [
        _fault(1_000_010_000),
        {**_fault(1_000_020_000), "action": "pause_broker", "end_ms": 1_000_030_000},
        {**_fault(1_000_040_000), "failed": "no executor alive"},
    ]
    spans = figures.fault_spans(faults, origin=1_000_000_000)
    assert spans == [
        figures.FaultSpan(10.0, 10.0, "kill_executor"),
        figures.FaultSpan(20.0, 30.0, "pause_broker"),
    ]
