"""The receivers' data in flight over time, as they report it on the run's control topic.

Each Kafka receiver (``apps/jvm/.../InFlightGauge.java``) writes its state to the control topic every
200 ms: the records and bytes it took from Kafka, the records of its stream Spark processed, the
bytes in flight between the two, and whether the in-flight budget holds it back. The driver writes
each stream's processed count to the same topic; those lines are the receivers' input, not a series.
"""

from __future__ import annotations

import json
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

from harness.observe.base import Rows, RunContext
from harness.results.tables import IN_FLIGHT_COLUMNS

# At most this many messages a poll; the rest wait for the next (a receiver writes 5 a second).
MAX_MESSAGES = 10_000


def control_topic(topic: str) -> str:
    """The control topic of a run whose records go to ``topic``."""
    return f"{topic}-control"


def in_flight_row(message: dict[str, Any]) -> dict[str, Any] | None:
    """A receiver's report as a row; None for the driver's processed counts."""
    if message.get("kind") != "receiver":
        return None
    return {column: message[column] for column in IN_FLIGHT_COLUMNS}


class InFlightCollector:
    name = "in_flight"

    def __init__(
        self, bootstrap_servers: str, topic: str, client_config: dict[str, str] | None = None
    ) -> None:
        self._config = {
            **(client_config or {}),
            "bootstrap.servers": bootstrap_servers,
            "group.id": f"{topic}-reader",
            "enable.auto.commit": False,
            "log_level": 3,
        }
        self._topic = topic
        self._consumer: Consumer | None = None
        self._rows: Rows = []
        self.failed_polls = 0
        self.bad_messages = 0

    def start(self) -> None:
        self._consumer = Consumer(self._config)
        self._consumer.assign([TopicPartition(self._topic, 0, OFFSET_BEGINNING)])

    def poll(self) -> None:
        if self._consumer is None:
            return
        try:
            messages = self._consumer.consume(MAX_MESSAGES, timeout=0.1)
        except KafkaException:
            self.failed_polls += 1
            return
        for message in messages:
            if message.error():
                continue
            try:
                row = in_flight_row(json.loads(message.value()))
            except (ValueError, KeyError, TypeError):
                self.bad_messages += 1
                continue
            if row is not None:
                self._rows.append(row)

    def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"in_flight": (self._rows, IN_FLIGHT_COLUMNS)}


def for_run(run: RunContext) -> InFlightCollector | None:
    """Only receivers report their data in flight (on the run's control topic)."""
    if run.control_topic is None:
        return None
    return InFlightCollector(run.bootstrap_servers, run.control_topic, client_config=run.kafka_client_config)
