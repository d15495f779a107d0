"""The four paper apps, in Python and on the JVM, run with spark-submit against a real Kafka broker.

Each case produces the same small input (3 ranks x 4 steps x 2 records of 4 values, every third
record expensive, computed ``COST_FACTOR`` times), lets the app consume it in two batches, stops it
through the STOP file and checks every line of its ``batches.jsonl`` against a plain-Python
computation on the records that batch consumed. The Python apps are checked the same way on JSON
sensor events, and on Structured Streaming. Two more cases check that the state timeout empties the
state (JVM apps, and Structured Streaming's state store).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from confluent_kafka import Producer

from apps import apps_where
from apps.driver import BATCHES_FILE, OFFSETS_FILE, STOP_FILE, AppConfig
from apps.records import encode, encode_event
from harness import jvm
from harness.net import LOOPBACK, free_port
from harness.platform.kafka_broker import KafkaBroker
from harness.run.spark_app import SparkApp, spark_environment
from harness.run.supervisor import ProcessSupervisor

RANKS, STEPS, COPIES, VALUES_PER_RECORD = 3, 4, 2, 4
COST_FACTOR = 5  # expensive records are computed this many times: the results must not change
EVENT_BYTES = 150
RECORDS_PER_BATCH = 12  # maxRatePerPartition x 1 s batches: the 24 records arrive in two batches
STATE_TIMEOUT_S = 120  # longer than a run: no key leaves the state unless a test sets a short timeout
RUN_TIMEOUT_S = 120.0
EXIT_TIMEOUT_S = 120.0  # a Python app behind its batches finishes them before it exits

Record = tuple[int, int, list[float]]  # rank, step, values


# The four paper apps, each in both implementations (the window apps have their own test).
PAPER_APPS = sorted(apps_where(jvm_class=True, window=None))


# --- input and the plain-Python reference ----------------------------------------------------------


def input_records() -> list[Record]:
    """Every key twice, the copies in separate halves (batches); values are exact multiples of 1/64.

    They run from -7/64 to 71/64, so both clamped histogram bins are used, and none lies on a bin edge.
    """
    records = []
    for _copy in range(COPIES):
        for rank in range(RANKS):
            for step in range(STEPS):
                first = len(records) * VALUES_PER_RECORD
                values = [(2 * ((first + j) % 40) - 7) / 64 for j in range(VALUES_PER_RECORD)]
                records.append((rank, step, values))
    return records


def sensor_events() -> list[Record]:
    """JSON layout: 3 sensors x 8 events, one reading each (multiples of 1/64: 6 decimals at most)."""
    return [(i % RANKS, 0, [(2 * (i % 40) - 7) / 64]) for i in range(RANKS * 8)]


def grouped(records: list[Record]) -> dict[tuple[int, int], list[float]]:
    by_key = defaultdict(list)
    for rank, step, values in records:
        by_key[(rank, step)].extend(values)
    return by_key


def histogram(values: list[float]) -> list[int]:
    bins = [0] * 10
    for value in values:
        bins[0 if value < 0 else 9 if value >= 1 else int(value * 10)] += 1
    return bins


def expected_report(
    app: str, batch: list[Record], consumed: list[Record], with_state: bool = True, with_steps: bool = True
) -> dict:
    """The figures of one batch: ``batch`` is what it consumed, ``consumed`` all records so far (no
    key leaves a state here). ``with_state``: the whole state's figures (report_state, or Structured
    Streaming's running total); ``with_steps``: GlobalSUM's and GlobalHistogram's per-step state."""
    in_batch, in_state = grouped(batch), grouped(consumed)
    values = [v for vs in in_batch.values() for v in vs]
    steps = {step for _, step, _ in batch}
    step_values = {step: [v for _, s, vs in consumed if s == step for v in vs] for step in steps}
    all_steps = {step for _, step, _ in consumed}
    report = {"keys": len(in_batch), "records": len(batch)}
    if app == "global_histogram":
        state_values = [v for vs in in_state.values() for v in vs]
        report |= {"histogram": histogram(values), "histogram_total": len(values)}
        if with_steps:
            report |= {
                "steps": len(steps),
                "step_histogram": histogram([v for vs in step_values.values() for v in vs]),
            }
        if with_state:
            report |= {"state_keys": len(in_state), "state_histogram": histogram(state_values)}
        if with_state and with_steps:
            report["state_steps"] = len(all_steps)
        return report
    report |= {"values": len(values), "value_sum": sum(values)}
    if app == "sum" and with_state:
        report |= {"state_keys": len(in_state), "state_value_sum": sum(sum(vs) for vs in in_state.values())}
    if app == "global_sum":
        report["local_mean_sum"] = sum(sum(vs) / len(vs) for vs in in_batch.values())
        if with_steps:
            report |= {
                "steps": len(steps),
                "step_mean_sum": sum(sum(vs) / len(vs) for vs in step_values.values()),
            }
        if with_state:
            report |= {
                "state_keys": len(in_state),
                "global_mean_sum": sum(sum(vs) / len(vs) for vs in in_state.values()),
            }
        if with_state and with_steps:
            report["state_steps"] = len(all_steps)
    return report


# --- Kafka and spark-submit -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[KafkaBroker, ProcessSupervisor]]:
    jvm.build_helper()
    with ProcessSupervisor() as supervisor:
        kafka = KafkaBroker(tmp_path_factory.mktemp("kafka"), supervisor)
        kafka.start()
        yield kafka, supervisor


def produce(
    bootstrap_servers: str,
    topic: str,
    records: list[Record],
    layout: str = "artifact",
    expensive_every: int | None = None,
) -> None:
    """The records in order; every ``expensive_every``-th (from the first) flagged expensive."""
    delivered = []
    producer = Producer({"bootstrap.servers": bootstrap_servers, "acks": "all", "log_level": 3})
    for i, (rank, step, values) in enumerate(records):
        expensive = expensive_every is not None and i % expensive_every == 0
        if layout == "json":
            payload = encode_event(rank, 1_700_000_000_000 + i, values[0], EVENT_BYTES, expensive)
        else:
            payload = encode(rank, step, np.array(values, dtype=np.float32), expensive)
        producer.produce(topic, payload, on_delivery=lambda err, _msg: delivered.append(err is None))
    assert producer.flush(30) == 0
    assert delivered == [True] * len(records)


def spark_conf(name: str) -> dict[str, str]:
    return {
        "spark.master": "local[2]",
        "spark.app": f"bpbench-test-{name}",
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        "spark.ui.port": str(free_port()),
        "spark.ui.showConsoleProgress": "false",
        "spark.streaming.kafka.maxRatePerPartition": str(RECORDS_PER_BATCH),
    }


def submit_command(app: str, implementation: str, config_file: Path, output_dir: Path) -> list[str]:
    """spark-submit for one app, built by the harness itself."""
    config = AppConfig.from_file(config_file)
    logs = output_dir.parent
    spark_app = SparkApp(app, implementation, config, logs / "spark-conf", logs / "driver.log")
    return spark_app.submit_command(spark_conf(f"{app}-{implementation}"))


def write_config(
    folder: Path,
    bootstrap_servers: str,
    topic: str,
    state_timeout_s: float,
    layout: str,
    source: str,
    report_state: bool,
) -> Path:
    output_dir = folder / "out"
    output_dir.mkdir(parents=True)
    config = AppConfig(bootstrap_servers, topic, f"group-{topic}", 1000, output_dir).to_json()
    config |= {
        "checkpoint_dir": str(folder / "checkpoint"),
        "state_timeout_s": state_timeout_s,
        "layout": layout,
        "cost_factor": COST_FACTOR,
        "source": source,
        "ranks": RANKS,  # the stateful apps' partitioner: one partition per rank
        "report_state": report_state,
        # Structured Streaming's cap, as the direct stream's maxRatePerPartition caps its batches.
        "source_options": {"maxOffsetsPerTrigger": str(RECORDS_PER_BATCH)} if source == "structured" else {},
    }
    path = folder / "app-config.json"
    path.write_text(json.dumps(config))
    return path


def batches(output_dir: Path) -> list[dict]:
    path = output_dir / BATCHES_FILE
    complete = path.read_text().split("\n")[:-1] if path.exists() else []
    return [json.loads(line) for line in complete if line.strip()]


def logged_offsets(output_dir: Path) -> int:
    """How many records the direct stream's offset log says the batches covered."""
    lines = (output_dir / OFFSETS_FILE).read_text().splitlines()
    return sum(until - start for line in lines for _, start, until in json.loads(line)["ranges"])


def consumed(reported: list[dict]) -> int:
    return sum(line["records"] for line in reported)


def run_app(
    broker: tuple[KafkaBroker, ProcessSupervisor],
    folder: Path,
    app: str,
    implementation: str,
    done: Callable[[list[dict]], bool],
    state_timeout_s: float = STATE_TIMEOUT_S,
    layout: str = "artifact",
    source: str = "direct",
    report_state: bool = False,
) -> list[dict]:
    """Produce the input to a topic of its own, run the app on it until ``done`` holds for its
    batches, stop it through the STOP file and return its batches; the app must exit with 0."""
    kafka, supervisor = broker
    topic = f"paper-{app}-{implementation}-{folder.name}"
    kafka.create_topic(topic, partitions=1)  # one partition: batches take the records in produced order
    records = sensor_events() if layout == "json" else input_records()
    produce(kafka.bootstrap_servers, topic, records, layout, expensive_every=3)
    config_file = write_config(
        folder, kafka.bootstrap_servers, topic, state_timeout_s, layout, source, report_state
    )
    output_dir = folder / "out"
    with supervisor.scope():
        process = supervisor.start(
            f"spark-app:{topic}",
            submit_command(app, implementation, config_file, output_dir),
            folder / "spark-app.log",
            env=spark_environment(folder / "conf"),
            cwd=folder,
        )
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while not done(batches(output_dir)):
            assert process.alive(), f"the app exited early:\n{process.log_tail(40)}"
            assert time.monotonic() < deadline, f"the app did not get there:\n{process.log_tail(40)}"
            time.sleep(0.2)
        (output_dir / STOP_FILE).touch()
        try:
            code = process.popen.wait(timeout=EXIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            code = None
        assert code == 0, f"exit {code}:\n{process.log_tail(40)}"
    assert (output_dir / "driver.json").exists()
    return batches(output_dir)


def assert_report_equals(line: dict, expected: dict) -> None:
    """Counts exactly; means up to rounding, since the order of a float sum is Spark's."""
    reported = {key: line.get(key) for key in expected}
    floats = {key for key, value in expected.items() if isinstance(value, float)}
    assert {k: v for k, v in reported.items() if k not in floats} == {
        k: v for k, v in expected.items() if k not in floats
    }, line
    assert {k: reported[k] for k in floats} == pytest.approx({k: expected[k] for k in floats}), line


# --- the test -------------------------------------------------------------------------------------


def assert_batches_match_the_reference(
    app: str, reported: list[dict], records: list[Record], with_state: bool = True, with_steps: bool = True
) -> None:
    """Each batch's figures against the records it consumed (in produced order: one partition)."""
    offset = 0
    for line in reported:
        batch = records[offset : offset + line["records"]]
        offset += line["records"]
        expected = expected_report(app, batch, records[:offset], with_state, with_steps)
        assert_report_equals(line, expected)
        # No more than that: without report_state, nothing from a scan of the whole state.
        assert set(line) - {"batch_time_ms", "batch_id"} == set(expected), line
    assert offset == len(records)


# The Python apps without report_state are checked on sensor events (below). The Java apps handle the
# flag in shared code (BatchLog, TimedState), so the app with the most state checks it without.
@pytest.mark.parametrize(
    ("app", "implementation", "report_state"),
    [(app, impl, True) for app in PAPER_APPS for impl in ("jvm", "python")]
    + [("global_histogram", "jvm", False)],
)
def test_app_reports_what_it_consumed(
    broker: tuple[KafkaBroker, ProcessSupervisor],
    tmp_path: Path,
    app: str,
    implementation: str,
    report_state: bool,
) -> None:
    records = input_records()
    reported = run_app(
        broker,
        tmp_path,
        app,
        implementation,
        lambda lines: consumed(lines) >= len(records),
        report_state=report_state,
    )

    assert max(line["records"] for line in reported) == RECORDS_PER_BATCH
    assert logged_offsets(tmp_path / "out") == len(records)
    assert_batches_match_the_reference(app, reported, records, with_state=report_state)


@pytest.mark.parametrize("app", PAPER_APPS)
def test_python_apps_read_sensor_events(
    broker: tuple[KafkaBroker, ProcessSupervisor], tmp_path: Path, app: str
) -> None:
    """Without report_state: each batch's line has what the batch updated, and no state figures."""
    events = sensor_events()
    reported = run_app(
        broker, tmp_path, app, "python", lambda lines: consumed(lines) >= len(events), layout="json"
    )
    assert_batches_match_the_reference(app, reported, events, with_state=False)


@pytest.mark.parametrize(
    ("app", "layout"), [(app, "artifact") for app in PAPER_APPS] + [("global_sum", "json")]
)
def test_structured_streaming_apps_report_what_they_consumed(
    broker: tuple[KafkaBroker, ProcessSupervisor], tmp_path: Path, app: str, layout: str
) -> None:
    """The same figures on Structured Streaming, the stateful apps' state in Spark's state store;
    micro-batches without records (Spark runs them to check the state's timeouts) report zeros.
    Its state figures are always reported (a running total of each key's change, no scan), and it
    keeps no per-step state."""
    records = sensor_events() if layout == "json" else input_records()
    reported = run_app(
        broker,
        tmp_path,
        app,
        "python",
        lambda lines: consumed(lines) >= len(records),
        layout=layout,
        source="structured",
    )
    assert max(line["records"] for line in reported) == RECORDS_PER_BATCH
    assert logged_offsets(tmp_path / "out") == len(records)
    assert_batches_match_the_reference(app, reported, records, with_steps=False)


def test_jvm_state_drops_keys_after_the_timeout(
    broker: tuple[KafkaBroker, ProcessSupervisor], tmp_path: Path
) -> None:
    """mapWithState's timeout, as the JVM apps configure it; the Python apps' is unit-tested.

    Spark drops stale keys when it scans the whole state, on a checkpointed batch (every tenth).
    """

    def state_emptied(lines: list[dict]) -> bool:
        return consumed(lines) == len(input_records()) and lines[-1]["state_keys"] == 0

    reported = run_app(broker, tmp_path, "sum", "jvm", state_emptied, state_timeout_s=2, report_state=True)
    assert max(line["state_keys"] for line in reported) == RANKS * STEPS


def test_structured_state_drops_keys_after_the_timeout(
    broker: tuple[KafkaBroker, ProcessSupervisor], tmp_path: Path
) -> None:
    """The state store's processing-time timeout: keys leave in micro-batches without records."""

    def state_emptied(lines: list[dict]) -> bool:
        return consumed(lines) == len(input_records()) and lines[-1]["state_keys"] == 0

    reported = run_app(
        broker, tmp_path, "sum", "python", state_emptied, state_timeout_s=2, source="structured"
    )
    assert max(line["state_keys"] for line in reported) == RANKS * STEPS
    assert reported[-1]["state_value_sum"] == pytest.approx(0.0, abs=1e-9)
