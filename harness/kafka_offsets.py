"""Offsets in Kafka: how far a consumer group is behind the end of a topic."""

from __future__ import annotations

from confluent_kafka import OFFSET_INVALID, Consumer, TopicPartition

TIMEOUT_S = 10.0


def consumer_lag(bootstrap_servers: str, topic: str, group_id: str) -> int:
    """Records in ``topic`` past the offsets ``group_id`` has committed (all of them if none)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "enable.auto.commit": False,
            "log_level": 3,
        }
    )
    try:
        metadata = consumer.list_topics(topic, timeout=TIMEOUT_S)
        partitions = [TopicPartition(topic, p) for p in sorted(metadata.topics[topic].partitions)]
        committed = consumer.committed(partitions, timeout=TIMEOUT_S)
        lag = 0
        for position in committed:
            low, high = consumer.get_watermark_offsets(position, timeout=TIMEOUT_S)
            start = low if position.offset == OFFSET_INVALID else position.offset
            lag += max(0, high - start)
        return lag
    finally:
        consumer.close()
