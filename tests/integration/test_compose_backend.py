"""The compose backend for real: Kafka and Spark in containers. Needs a Docker engine with Compose v2
(and network access for the images on first use); skipped with the reason where there is none."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from harness.platform.compose import COMPOSE_FILE, docker_problems
from tests.integration.conftest import assert_nothing_left_running, run_bpbench, started_pids, write_manifest

PROBLEMS = docker_problems()
pytestmark = pytest.mark.skipif(
    bool(PROBLEMS), reason=f"no usable Docker here: {PROBLEMS[0] if PROBLEMS else ''}"
)
RATE, DURATION = 250, 16


def project_containers(label: str) -> list[str]:
    result = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"label=com.docker.compose.project={label}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return result.stdout.split()


def test_demo_like_run_in_containers(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, name="compose-demo", platform={
        "backend": "compose",
        "spark": {"cores": 2, "driver_memory": "1g", "executor_memory": "1g"},
        "kafka": {"partitions": 2},
        "compose": {"workers": 1, "worker_memory_limit": "2g"},
    })  # fmt: skip
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out), timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = [p.parent for p in (out / "compose-demo").glob("*/COMPLETE")]
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == RATE * DURATION
    assert summary["processed"] == summary["produced"]
    containers = pd.read_parquet(run / "containers.parquet")
    assert {"kafka", "spark-master", "spark-worker"} <= set(containers.service)
    assert (containers.memory_bytes > 0).all()
    assert_nothing_left_running(started_pids(out))
    project = next(
        json.loads(line)["project"]
        for line in (out / "compose-demo" / "backend" / "events.jsonl").read_text().splitlines()
        if json.loads(line)["kind"] == "compose_up"
    )
    assert project_containers(project) == []


def test_up_and_down(tmp_path: Path) -> None:
    up = run_bpbench("up", "--out", str(tmp_path), timeout=1800)
    try:
        assert up.returncode == 0, up.stderr[-3000:]
        assert "127.0.0.1:9092" in up.stderr and "spark://127.0.0.1:" in up.stderr
        assert project_containers("bpbench")
    finally:
        down = run_bpbench("down", "--out", str(tmp_path))
    assert down.returncode == 0, down.stderr
    assert project_containers("bpbench") == []
    assert COMPOSE_FILE.exists()
