"""The Structured Streaming path: Spark's Kafka source, one micro-batch per processing-time trigger.

Structured Streaming has no adaptive rate controller; the Kafka source's ``maxOffsetsPerTrigger``,
``minOffsetsPerTrigger`` and ``maxTriggerDelay`` bound each micro-batch. An app hands in what its
query does to the records (by default nothing: the micro-batch's record values) and a function that
computes a micro-batch's report from the result, and this module does the rest:

* each micro-batch's report is kept until Spark announces the batch's progress (the batch is then
  committed to the query's log), and written to ``batches.jsonl`` with the progress' trigger time;
* the progress itself goes to ``progress.jsonl`` (Spark's JSON, one line per micro-batch);
* the batch's offset ranges go to ``offsets.jsonl`` in the JVM helper's format, and its end offsets
  are committed to the run's consumer group, so the harness measures lag and backlog exactly as for
  the direct DStream (the Kafka source itself commits nothing to Kafka).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from pyspark import RDD
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery, StreamingQueryListener

from apps.driver import OFFSETS_FILE, STOP_FILE, AppConfig, BatchOutput, announce_driver

PROGRESS_FILE = "progress.jsonl"
FrameReport = Callable[[DataFrame], dict[str, Any]]


def record_values(frame: DataFrame) -> RDD:
    """A micro-batch's record values as bytes."""
    return frame.select("value").rdd.map(lambda row: bytes(row.value))


def offset_ranges(progress: dict[str, Any], topic: str) -> list[list[int]]:
    """``[partition, start, end]`` per partition of ``topic`` that a micro-batch's progress read."""
    ranges = []
    for source in progress.get("sources", []):
        start = _offsets(source.get("startOffset")).get(topic, {})
        end = _offsets(source.get("endOffset")).get(topic, {})
        for partition, until in end.items():
            ranges.append([int(partition), int(start.get(partition, 0)), int(until)])
    return sorted(ranges)


def _offsets(value: Any) -> dict[str, dict[str, int]]:
    # The Kafka source reports offsets as a JSON object, or as a string holding one.
    if isinstance(value, str):
        return json.loads(value)
    return value or {}


def trigger_time_ms(progress: dict[str, Any]) -> int:
    """The progress' ``timestamp`` (the trigger's start, ISO 8601 in UTC) as epoch milliseconds."""
    return round(datetime.fromisoformat(progress["timestamp"].replace("Z", "+00:00")).timestamp() * 1000)


class _BatchAccount(StreamingQueryListener):
    """Writes a micro-batch's report, progress and offsets once Spark reports the batch done."""

    def __init__(self, config: AppConfig, reports: dict[int, dict[str, Any]], lock: threading.Lock) -> None:
        self._config = config
        self._reports = reports
        self._lock = lock
        self._output = BatchOutput(config.output_dir)
        self._committer = Consumer({
            "bootstrap.servers": config.bootstrap_servers,
            "group.id": config.group_id,
            "enable.auto.commit": False,
        })  # fmt: skip

    def onQueryStarted(self, event: Any) -> None:
        pass

    def onQueryProgress(self, event: Any) -> None:
        progress = json.loads(event.progress.json)
        batch_id = int(progress["batchId"])
        with self._lock:
            report = self._reports.pop(batch_id, None)
        _append(self._config.output_dir / PROGRESS_FILE, progress)
        if report is None:  # no batch of this query's run reported it (progress of an idle trigger)
            return
        batch_time_ms = trigger_time_ms(progress)
        ranges = offset_ranges(progress, self._config.topic)
        _append(self._config.output_dir / OFFSETS_FILE, {"batch_time_ms": batch_time_ms, "ranges": ranges})
        self._output.write_ms(batch_time_ms, batch_id=batch_id, **report)
        if ranges:
            self._committer.commit(
                offsets=[TopicPartition(self._config.topic, p, end) for p, _start, end in ranges],
                asynchronous=False,
            )

    def onQueryIdle(self, event: Any) -> None:
        pass

    def onQueryTerminated(self, event: Any) -> None:
        self._committer.close()


def _append(path: Path, entry: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


def run_structured(
    config: AppConfig,
    report: FrameReport,
    query: Callable[[DataFrame], DataFrame] = lambda records: records.select("value"),
) -> None:
    """Read the topic with Structured Streaming, run ``query`` on the records, report every
    micro-batch of its result, stop when asked."""
    spark = SparkSession.builder.getOrCreate()
    if not spark.sparkContext.getConf().contains("spark.sql.shuffle.partitions"):
        # A stateful query keeps one state store per shuffle partition; Spark's default of 200
        # would cost most of each micro-batch on a few cores.
        spark.conf.set("spark.sql.shuffle.partitions", str(spark.sparkContext.defaultParallelism))
    reports: dict[int, dict[str, Any]] = {}
    lock = threading.Lock()
    spark.streams.addListener(_BatchAccount(config, reports, lock))

    def each_batch(frame: DataFrame, batch_id: int) -> None:
        result = report(frame)
        with lock:
            reports[batch_id] = result

    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", config.bootstrap_servers)
        .option("subscribe", config.topic)
        .option("startingOffsets", "earliest")
    )
    for key, value in config.kafka_params.items():  # the cluster's client settings (security)
        reader = reader.option(f"kafka.{key}", value)
    for key, value in config.source_options.items():
        reader = reader.option(key, value)
    running: StreamingQuery = (
        query(reader.load())
        # Each micro-batch hands on what it changed: its records, or the stateful apps' changed keys.
        .writeStream.outputMode("update")
        .foreachBatch(each_batch)
        .trigger(processingTime=f"{config.batch_interval_ms} milliseconds")
        .option("checkpointLocation", str(config.checkpoint_dir))
        .start()
    )
    announce_driver(spark.sparkContext, config)
    stop_file = config.output_dir / STOP_FILE
    # awaitTermination re-raises the query's failure, which ends the driver with a non-zero status.
    while not stop_file.exists():
        if running.awaitTermination(0.5):
            return
    running.stop()
    spark.stop()
