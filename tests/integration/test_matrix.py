"""A 2-cell x 2-repetition matrix on the real stack, interrupted midway and resumed: each run once."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from tests.integration.conftest import (
    assert_nothing_left_running,
    run_bpbench,
    start_bpbench,
    started_pids,
    write_manifest,
)


def complete_runs(experiment: Path) -> list[Path]:
    return sorted(marker.parent for marker in experiment.glob("*/COMPLETE"))


def test_matrix_resumes_where_it_was_interrupted(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        name="matrix",
        workload={"duration_s": 6, "generator": {"profile": "constant", "rate": 100}},
        run={"drain_timeout_s": 60, "poll_interval_s": 1, "warmup_s": 0},
    )
    data = manifest.read_text() + "matrix:\n  config.backpressure.enabled: [true, false]\nrepetitions: 2\n"
    manifest.write_text(data)
    out = tmp_path / "results"
    experiment = out / "matrix"

    first = start_bpbench("run", str(manifest), "--out", str(out))
    try:
        deadline = time.monotonic() + 400
        while len(complete_runs(experiment)) < 2:
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "two runs did not complete in time"
            time.sleep(0.5)
        first.send_signal(signal.SIGINT)
        _, stderr = first.communicate(timeout=180)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130, stderr[-3000:]
    done_first = {run: (run / "COMPLETE").stat().st_mtime_ns for run in complete_runs(experiment)}
    assert len(done_first) in (2, 3)  # the interrupt may land just after a third run completed

    second = run_bpbench("run", str(manifest), "--out", str(out))
    assert second.returncode == 0, second.stderr[-3000:]
    assert second.stderr.count("complete, skipped") == len(done_first)

    runs = complete_runs(experiment)
    assert len(runs) == 4
    assert {run.name[-2:] for run in runs} == {"r1", "r2"}
    for run in runs:
        kinds = [json.loads(line)["kind"] for line in (run / "events.jsonl").read_text().splitlines()]
        assert kinds.count("run_started") == 1 and kinds.count("run_finished") == 1, run.name
        summary = json.loads((run / "summary.json").read_text())
        assert summary["processed"] == summary["produced"] == 600
    # Runs completed before the interrupt were not touched again.
    assert all((run / "COMPLETE").stat().st_mtime_ns == mtime for run, mtime in done_first.items())
    specs = [json.loads((run / "spec.json").read_text())["manifest"] for run in runs]
    assert sorted(spec["config"]["backpressure"]["enabled"] for spec in specs) == [False, False, True, True]
    assert (experiment / "report.html").exists()
    assert_nothing_left_running(started_pids(out))
