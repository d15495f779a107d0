"""Reading a topic's offsets from tests, through the errors a broker gives while leadership settles.

Right after a topic is made, or while a broker catches up, offset requests can fail with
NOT_LEADER_FOR_PARTITION, LEADER_NOT_AVAILABLE or UNKNOWN_TOPIC_OR_PART: those, and any error Kafka
marks retriable, are tried again until a deadline; any other error is raised at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

T = TypeVar("T")

RETRY_TIMEOUT_S = 30.0
RETRY_POLL_S = 0.2
RETRIABLE_CODES = frozenset(
    {
        KafkaError.NOT_LEADER_FOR_PARTITION,
        KafkaError.LEADER_NOT_AVAILABLE,
        KafkaError.UNKNOWN_TOPIC_OR_PART,
        KafkaError._UNKNOWN_TOPIC,  # the client's own metadata does not have the topic yet
    }
)


def is_retriable(exc: KafkaException) -> bool:
    error = exc.args[0] if exc.args else None
    if not isinstance(error, KafkaError):
        return False
    return error.retriable() or error.code() in RETRIABLE_CODES


def retry_retriable(
    call: Callable[[], T],
    timeout_s: float = RETRY_TIMEOUT_S,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, again after each retriable ``KafkaException`` until ``timeout_s`` have passed; then
    the last such exception is raised."""
    deadline = clock() + timeout_s
    while True:
        try:
            return call()
        except KafkaException as exc:
            if not is_retriable(exc) or clock() >= deadline:
                raise
        sleep(RETRY_POLL_S)


def topic_end_offsets(bootstrap_servers: str, topic: str, partitions: int) -> list[int]:
    """Each partition's high watermark, read by a consumer of its own."""
    consumer = Consumer({"bootstrap.servers": bootstrap_servers, "group.id": "check", "log_level": 3})
    try:
        return [
            retry_retriable(
                lambda p=p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            )
            for p in range(partitions)
        ]
    finally:
        consumer.close()
