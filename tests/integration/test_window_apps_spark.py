"""GOVERNOR's four window operators, in Python and on the JVM, run with spark-submit against a real
Kafka broker.

Each case produces 24 records (3 ranks x 8 steps, every other one expensive: its tuple value is
computed COST_FACTOR times, the same value) to a one-partition topic, lets the app consume
them in two batches of 2 s (1 s batches fall far behind on a loaded 2-core machine, and a graceful
stop finishes every batch queued), stops it once it has run enough batches for three checkpoints,
and checks
every batch (count windows) or window (time windows) against the plain-Python reference in
tests/window_reference.py, and that the window state was checkpointed exactly at the declared
interval, with checkpoint files on disk.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from apps.driver import CONTROLLER_FILE, AppConfig
from apps.window_apps import WINDOWS_FILE
from harness.platform.kafka_broker import KafkaBroker
from harness.run.spark_app import SparkApp, spark_environment
from harness.run.supervisor import ProcessSupervisor
from tests.integration.conftest import assert_nothing_left_running, run_bpbench, started_pids, write_manifest
from tests.integration.test_paper_apps_spark import (  # noqa: F401 - broker is a fixture
    assert_report_equals,
    batches,
    broker,
    consumed,
    logged_offsets,
    produce,
    spark_conf,
)
from tests.window_reference import Record, count_window_reports, time_window_report

RANKS, STEPS = 3, 8
BATCH_MS = 2000
RECORDS_PER_BATCH = 12  # maxRatePerPartition 6 x 2 s batches
CHECKPOINT_EVERY = 2  # batches
MIN_BATCHES = 6  # three checkpoints
EXPENSIVE_EVERY, COST_FACTOR = 2, 3  # records.cost_shift: a costlier operator, the same results
RUN_TIMEOUT_S = 180.0
EXIT_TIMEOUT_S = 180.0

# app -> window settings; time windows slide every batch, so every other window is checkpointed
CASES = {
    "count_sliding_window": {"window_size": 3, "window_slide": 2},
    "count_tumbling_window": {"window_size": 3, "window_slide": None},
    "time_sliding_window": {"window_size": 4.0, "window_slide": 2.0},
    "time_sliding_topk": {"window_size": 4.0, "window_slide": 2.0, "top_k": 2},
}


def input_records() -> list[Record]:
    """Ranks interleaved, steps in order; each rank's values rise with its step, ranks apart by 1/4
    so the top-k order is clear. Values are multiples of 1/64."""
    return [
        (rank, step, [rank / 4 + step / 64, rank / 4 - step / 64, step / 32])
        for step in range(STEPS)
        for rank in range(RANKS)
    ]


def app_config(folder: Path, bootstrap_servers: str, topic: str, settings: dict) -> AppConfig:
    output_dir = folder / "out"
    output_dir.mkdir(parents=True)
    config = AppConfig(bootstrap_servers, topic, f"group-{topic}", BATCH_MS, output_dir).to_json()
    config |= {
        "checkpoint_dir": str(folder / "checkpoint"),
        "checkpoint_interval_batches": CHECKPOINT_EVERY,
        "cost_factor": COST_FACTOR,
        **settings,
    }
    path = folder / "app-config.json"
    path.write_text(json.dumps(config))
    return AppConfig.from_file(path)


def submit_command(app: str, impl: str, config: AppConfig, folder: Path) -> list[str]:
    """spark-submit for one window app in one implementation, built by the harness; one partition per
    shuffle keeps the small batches cheap."""
    conf = spark_conf(app) | {
        "spark.streaming.kafka.maxRatePerPartition": str(RECORDS_PER_BATCH * 1000 // BATCH_MS),
        "spark.default.parallelism": "1",
    }
    return SparkApp(app, impl, config, folder / "spark-conf", folder / "driver.log").submit_command(conf)


def read_lines(path: Path) -> list[dict]:
    complete = path.read_text().split("\n")[:-1] if path.exists() else []
    return [json.loads(line) for line in complete if line.strip()]


def run_window_app(
    stack: tuple[KafkaBroker, ProcessSupervisor], folder: Path, app: str, impl: str, settings: dict
) -> list[dict]:
    """Produce the input, run the app until it has consumed it and run MIN_BATCHES batches, stop it
    through the STOP file; the app must exit with 0."""
    kafka, supervisor = stack
    topic = f"window-{app}-{impl}"
    kafka.create_topic(topic, partitions=1)
    produce(kafka.bootstrap_servers, topic, input_records(), expensive_every=EXPENSIVE_EVERY)
    config = app_config(folder, kafka.bootstrap_servers, topic, settings)
    output_dir = config.output_dir
    with supervisor.scope():
        process = supervisor.start(
            f"spark-app:{topic}",
            submit_command(app, impl, config, folder),
            folder / "spark-app.log",
            env=spark_environment(folder / "conf"),
            cwd=folder,
        )
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            lines = batches(output_dir)
            if consumed(lines) >= len(input_records()) and len(lines) >= MIN_BATCHES:
                break
            assert process.alive(), f"the app exited early:\n{process.log_tail(40)}"
            assert time.monotonic() < deadline, f"the app did not get there:\n{process.log_tail(40)}"
            time.sleep(0.2)
        (output_dir / "STOP").touch()
        try:
            code = process.popen.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, f"exit {code}:\n{process.log_tail(40)}"
    return batches(output_dir)


def checkpoint_times(first_batch_ms: int, times: list[int], every: int) -> list[int]:
    """The batch times Spark checkpoints at: multiples of the interval from the context's zero time,
    one batch before the first batch."""
    zero = first_batch_ms - BATCH_MS
    return [t for t in times if (t - zero) % (every * BATCH_MS) == 0]


def assert_checkpoint_files(folder: Path) -> None:
    checkpoint = folder / "checkpoint"
    assert list(checkpoint.glob("checkpoint-*")), "no metadata checkpoint written"
    assert list(checkpoint.rglob("rdd-*")), "no RDD checkpoint written"


@pytest.mark.parametrize("impl", ["python", "jvm"])
@pytest.mark.parametrize("app", sorted(CASES))
def test_window_app_matches_the_reference_and_checkpoints_on_time(
    broker: tuple[KafkaBroker, ProcessSupervisor],  # noqa: F811
    tmp_path: Path,
    app: str,
    impl: str,
) -> None:
    settings = CASES[app]
    records = input_records()
    reported = run_window_app(broker, tmp_path, app, impl, settings)

    assert consumed(reported) == len(records)
    assert max(line["records"] for line in reported) == RECORDS_PER_BATCH
    assert logged_offsets(tmp_path / "out") == len(records)
    sliced, offset = [], 0
    for line in reported:
        sliced.append(records[offset : offset + line["records"]])
        offset += line["records"]
    times = [line["batch_time_ms"] for line in reported]
    assert times == [times[0] + BATCH_MS * i for i in range(len(times))], "a batch went unreported"

    if app.startswith("count_"):
        size = settings["window_size"]
        expected = count_window_reports(sliced, size, settings["window_slide"] or size)
        for line, want in zip(reported, expected, strict=True):
            assert set(line) == {"batch_time_ms", *want, "checkpointed"}, line
            assert_report_equals(line, want)
        assert sum(line["windows"] for line in reported) > 0
        checkpointed = [line["batch_time_ms"] for line in reported if line["checkpointed"]]
    else:
        windows = read_lines(tmp_path / "out" / WINDOWS_FILE)
        slide_ms = round(settings["window_slide"] * 1000)
        zero = times[0] - BATCH_MS
        assert [w["batch_time_ms"] for w in windows] == [t for t in times if (t - zero) % slide_ms == 0]
        for line, batch in zip(reported, sliced, strict=True):
            assert set(line) == {"batch_time_ms", "keys", "records"}, line
            assert line["keys"] == len({rank for rank, _, _ in batch}), line
        timed = list(zip(times, sliced, strict=True))
        for window in windows:
            want = time_window_report(
                timed, window["batch_time_ms"], round(settings["window_size"] * 1000), settings.get("top_k")
            )
            assert set(window) == {"batch_time_ms", *want, "checkpointed"}, window
            if "top_k" in want:
                got_top, want_top = window["top_k"], want.pop("top_k")
                assert [rank for rank, _ in got_top] == [rank for rank, _ in want_top], window
                assert [m for _, m in got_top] == pytest.approx([m for _, m in want_top]), window
            assert_report_equals(window, want)
        assert any(w["window_tuples"] for w in windows) and windows[-1]["window_tuples"] == 0
        checkpointed = [w["batch_time_ms"] for w in windows if w["checkpointed"]]
        times = [w["batch_time_ms"] for w in windows]

    expected_checkpoints = checkpoint_times(reported[0]["batch_time_ms"], times, CHECKPOINT_EVERY)
    assert len(expected_checkpoints) >= 2
    assert checkpointed == expected_checkpoints
    assert_checkpoint_files(tmp_path)


# GOVERNOR's controller with its regions at the checkpoints, plugged into a Kafka receiver.
GOVERNOR = {"kind": "governor", "region_batches": 2, "warmup_regions": 2, "history_s": 20}
BACKPRESSURE = {"enabled": True, "initial_rate": 1000}


@pytest.mark.parametrize(
    ("impl", "source", "backpressure"),
    [
        ("python", {}, BACKPRESSURE),
        # The Java ports on the direct stream are checked against the reference above.
        ("jvm", {"source": "receiver", "receivers": 1}, {**BACKPRESSURE, "controller": GOVERNOR}),
    ],
    ids=["python", "jvm-receiver-governor"],
)
def test_a_window_app_runs_from_a_manifest_with_exact_accounting(
    tmp_path: Path, impl: str, source: dict, backpressure: dict
) -> None:
    """The whole harness: the manifest's window reaches the app, every record is accounted for, and
    the state is checkpointed into the run's own folder at the declared interval; the Java port also
    from Kafka receivers under a plugged rate controller."""
    window = {"size": 40, "slide": 1, "checkpoint_interval_batches": 2}
    manifest = write_manifest(
        tmp_path,
        name="window",
        workload={"app": "count_sliding_window", "impl": impl, "window": window, **source},
        config={"batch_interval_ms": 2000, "backpressure": backpressure},
    )
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    [spec] = list((out / "window").glob("*/spec.json"))
    run = spec.parent
    summary = json.loads((run / "summary.json").read_text())
    assert summary["produced"] == 250 * 16
    assert (summary["processed"], summary["backlog"], summary["lost"]) == (summary["produced"], 0, 0)
    lines = read_lines(run / "app" / "batches.jsonl")
    # 4 ranks, 1,000 tuples each: with slide 1, a window closes at every tuple from the 40th on.
    assert sum(line["windows"] for line in lines) == 4 * (1000 - 40 + 1)
    times = [line["batch_time_ms"] for line in lines]
    interval_ms = 2 * json.loads(spec.read_text())["manifest"]["config"]["batch_interval_ms"]
    zero = times[0] - interval_ms // 2
    assert [line["batch_time_ms"] for line in lines if line["checkpointed"]] == [
        t for t in times if (t - zero) % interval_ms == 0
    ]
    assert_checkpoint_files(run)
    if "controller" in backpressure:
        decisions = read_lines(run / "app" / CONTROLLER_FILE)
        made = [d for d in decisions if d["event"] == "decision"]
        assert made and not any(d.get("error") for d in made), decisions[-5:]
    assert_nothing_left_running(started_pids(out))
