"""The user's own app on real Kafka and real Spark: submitted as the built-in apps are, counted from its
own batches (or, without them, from Spark's listener), and a failing one recorded as app_failed."""

from __future__ import annotations

import shutil
from pathlib import Path

from harness.paths import REPO_ROOT
from harness.results.outcomes import GROWTH_OUTCOMES
from tests.integration.conftest import run_experiment

RATE, DURATION = 200, 16
EXAMPLE = REPO_ROOT / "examples" / "own_app" / "rank_max.py"

# As experiments/examples/own_app.yaml: a direct stream, a small rate, 1 s batches.
OWN_APP_RUN = {
    "workload": {
        "source": "direct",
        "duration_s": DURATION,
        "generator": {"profile": "constant", "rate": RATE},
        "records": {"layout": "artifact", "values": 16, "ranks": 4},
    },
    "config": {"batch_interval_ms": 1000, "backpressure": {"enabled": True}},
    "run": {"drain_timeout_s": 60, "poll_interval_s": 1},
}

# An app that keeps the driver protocol but writes no batches.jsonl of its own.
SILENT_APP = """\
from pyspark import SparkContext
from pyspark.streaming import StreamingContext

from apps.driver import parse_args, run_until_stopped
from apps.kafka_dstream import value_stream

config = parse_args()
ssc = StreamingContext(SparkContext.getOrCreate(), config.batch_interval_ms / 1000)
value_stream(ssc, config).count().pprint()
run_until_stopped(ssc, config)
"""

FAILING_APP = """\
import sys

print("rank_max: cannot read my lookup table, giving up", file=sys.stderr)
sys.exit(3)
"""


def own_app_run(folder: Path, name: str, script: str):
    workload = {**OWN_APP_RUN["workload"], "app": {"script": script}}
    return run_experiment(folder, name, **{**OWN_APP_RUN, "workload": workload})


def test_own_pyspark_app_outside_the_repository_processes_everything(tmp_path: Path) -> None:
    # A copy outside the repository, named relative to the manifest's folder.
    shutil.copyfile(EXAMPLE, tmp_path / "rank_max.py")
    finished = own_app_run(tmp_path, "own-app", "rank_max.py")
    summary = finished.summary
    assert summary["produced"] == RATE * DURATION
    assert summary["processed"] == summary["produced"]
    assert summary["lost"] == 0 and summary["backlog"] == 0
    assert summary["processed_from"] == "app_batches"
    assert summary["outcome"] in GROWTH_OUTCOMES, summary["evidence"]
    assert (finished.run / "app" / "batches.jsonl").read_text().count("max_by_rank") > 0


def test_own_app_without_batch_lines_is_counted_from_sparks_listener(tmp_path: Path) -> None:
    (tmp_path / "silent.py").write_text(SILENT_APP)
    summary = own_app_run(tmp_path, "own-app-silent", "silent.py").summary
    assert summary["processed_from"] == "spark_listener"
    assert summary["processed"] == summary["produced"] == RATE * DURATION
    assert summary["lost"] == 0


def test_own_app_that_exits_at_once_is_app_failed_with_its_log_tail(tmp_path: Path) -> None:
    (tmp_path / "failing.py").write_text(FAILING_APP)
    finished = own_app_run(tmp_path, "own-app-failing", "failing.py")
    assert finished.summary["outcome"] == "app_failed"
    [failure] = finished.events("app_failed")
    assert failure["phase"] == "startup"
    assert "cannot read my lookup table" in failure["log_tail"]
