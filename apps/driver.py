"""What every app's driver shares: its configuration, the handshake with the harness, the batch
output file, and the stop protocol.

The harness starts the app with ``--config FILE`` (JSON). Once streaming has started the driver
writes ``driver.json`` (application id, UI address) into its output directory; it stops gracefully,
finishing the batches it has, when the harness creates ``STOP`` there.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from pyspark import SparkContext
from pyspark.streaming import StreamingContext

from apps.records import RecordFormat

HANDSHAKE_FILE = "driver.json"
STOP_FILE = "STOP"
BATCHES_FILE = "batches.jsonl"
# The direct stream's offset ranges per batch, written by the JVM helper.
OFFSETS_FILE = "offsets.jsonl"
# The plugged rate controller's decisions, written by the JVM helper (bpbench.jvm.control.DecisionLog).
CONTROLLER_FILE = "controller.jsonl"
# Spark's statistics of each batch, written by the JVM helper's listener.
STREAMING_BATCHES_FILE = "streaming-batches.jsonl"
BATCH_STATS_LISTENER = "bpbench.jvm.BatchStatsListener"


@dataclass(frozen=True)
class AppConfig:
    bootstrap_servers: str
    topic: str
    group_id: str
    batch_interval_ms: int
    output_dir: Path
    source: str = "direct"  # "direct", "receiver" or "socket"
    receivers: int = 1
    checkpoint_dir: Path | None = None  # the stateful apps' (default: output_dir/checkpoint)
    state_timeout_s: float = 20.0  # a key not updated this long leaves the state (the paper's 20 s)
    source_options: dict[str, str] = field(default_factory=dict)  # Structured Streaming's Kafka source
    layout: str = "artifact"  # the records' layout (apps/records.py)
    cost_factor: int = 1  # an expensive record's per-record computation is repeated this many times
    kafka_params: dict[str, str] = field(default_factory=dict)  # the cluster's client settings (security)
    # The window apps' (apps/window_apps.py): size and slide in tuples (count) or seconds (time).
    window_size: float | None = None
    window_slide: float | None = None
    top_k: int | None = None
    checkpoint_interval_batches: int = 10  # the window apps' state is checkpointed this often
    socket_port: int | None = None  # source "socket": the harness's line server on 127.0.0.1
    ranks: int = 1  # distinct ranks (sensors): the stateful apps' partitioner has one partition each
    report_state: bool = False  # scan the whole state every batch for its size (the original does not)
    storage_level: str = "MEMORY_ONLY"  # receivers' blocks (the original: StorageLevels.MEMORY_ONLY)
    # Receivers hold back while the bytes they handed to Spark less the bytes Spark processed exceed
    # this (None: unlimited); the driver publishes processed counts on the control topic.
    in_flight_budget: int | None = None
    control_topic: str | None = None  # source "receiver": processed counts and receivers' in-flight bytes
    # The plugged rate controller (bpbench.jvm.control.Controllers); None: Spark's built-in backpressure.
    controller: dict[str, Any] | None = None

    @classmethod
    def from_file(cls, path: Path) -> AppConfig:
        raw = json.loads(path.read_text())
        raw["output_dir"] = Path(raw["output_dir"])
        raw["checkpoint_dir"] = Path(raw.get("checkpoint_dir") or raw["output_dir"] / "checkpoint")
        return cls(**{key: raw[key] for key in cls.__dataclass_fields__ if key in raw})

    @property
    def record_format(self) -> RecordFormat:
        return RecordFormat(self.layout, self.cost_factor)  # type: ignore[arg-type]

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        return {key: str(value) if isinstance(value, Path) else value for key, value in raw.items()}


def parse_args() -> AppConfig:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", type=Path, required=True)
    return AppConfig.from_file(parser.parse_args().config)


def epoch_ms(batch_time: datetime) -> int:
    # PySpark hands foreachRDD a naive local datetime made from the batch's epoch milliseconds.
    return round(batch_time.timestamp() * 1000)


class BatchOutput:
    """Appends one JSON line per batch, as the app's own account of what it processed (or, with
    another file name, one line per result the app reports)."""

    def __init__(self, output_dir: Path, file_name: str = BATCHES_FILE) -> None:
        self._path = output_dir / file_name
        self._lock = threading.Lock()

    def write(self, batch_time: datetime, **fields: Any) -> None:
        self.write_ms(epoch_ms(batch_time), **fields)

    def write_ms(self, batch_time_ms: int, **fields: Any) -> None:
        line = json.dumps({"batch_time_ms": batch_time_ms, **fields})
        with self._lock, self._path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def _write_atomic(path: Path, payload: dict[str, Any]) -> None:
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(payload))
    os.replace(partial, path)


def announce_driver(sc: SparkContext, config: AppConfig) -> None:
    """The handshake: streaming has started, and this is where the driver's UI answers."""
    _write_atomic(
        config.output_dir / HANDSHAKE_FILE,
        {"app_id": sc.applicationId, "ui_url": sc.uiWebUrl, "pid": os.getpid()},
    )


def jvm_helper(ssc: StreamingContext, name: str):  # noqa: ANN201 - a Py4J proxy
    """An instance of one of the JVM helper's classes (``apps/jvm``)."""
    jvm = ssc.sparkContext._jvm
    # Jars given with --jars are visible only to the context class loader, not to Py4J's lookup.
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    return loader.loadClass(name).newInstance()


def run_until_stopped(ssc: StreamingContext, config: AppConfig) -> None:
    """Start streaming, announce the driver, and stop gracefully when asked (or fail loudly).

    Spark's statistics of every batch go to ``streaming-batches.jsonl`` as the driver has them.
    """
    jvm_helper(ssc, BATCH_STATS_LISTENER).attach(ssc._jssc, str(config.output_dir))
    ssc.start()
    announce_driver(ssc.sparkContext, config)
    stop_file = config.output_dir / STOP_FILE
    # awaitTerminationOrTimeout re-raises a failure of the streaming job, which ends the driver
    # with a non-zero status: the harness records that as the run's outcome.
    while not stop_file.exists():
        if ssc.awaitTerminationOrTimeout(0.5):
            return
    ssc.stop(stopSparkContext=True, stopGraceFully=True)
