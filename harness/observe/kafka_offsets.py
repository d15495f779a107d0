"""Kafka offsets over time: each partition's end offset, the app's committed offset, and the lag."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import OFFSET_INVALID, Consumer, KafkaException, TopicPartition

from harness.errors import HarnessError
from harness.observe.base import Rows, RunContext, SampleColumns
from harness.results.tables import OFFSET_COLUMNS

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class PartitionOffsets:
    partition: int
    end_offset: int
    committed_offset: int | None  # None: the group has committed nothing for this partition yet
    lag: int


class OffsetReader:
    """Reads a consumer group's position against a topic's end, without joining the group."""

    def __init__(
        self, bootstrap_servers: str, topic: str, group_id: str, client_config: dict[str, str] | None = None
    ) -> None:
        self.topic = topic
        self._consumer = Consumer(
            {
                **(client_config or {}),
                "bootstrap.servers": bootstrap_servers,
                "group.id": group_id,
                "enable.auto.commit": False,
                "log_level": 3,
            }
        )
        metadata = self._consumer.list_topics(topic, timeout=TIMEOUT_S)
        self._partitions = [TopicPartition(topic, p) for p in sorted(metadata.topics[topic].partitions)]

    def read(self) -> list[PartitionOffsets]:
        offsets = []
        try:
            for position in self._consumer.committed(self._partitions, timeout=TIMEOUT_S):
                low, high = self._consumer.get_watermark_offsets(position, timeout=TIMEOUT_S, cached=False)
                committed = None if position.offset == OFFSET_INVALID else position.offset
                start = low if committed is None else committed
                offsets.append(PartitionOffsets(position.partition, high, committed, max(0, high - start)))
        except KafkaException as exc:
            raise HarnessError(f"Kafka did not answer for the offsets of topic {self.topic}: {exc}") from exc
        return offsets

    def lag(self) -> int:
        return sum(p.lag for p in self.read())

    def close(self) -> None:
        self._consumer.close()


class KafkaOffsetsCollector:
    name = "kafka_offsets"

    def __init__(
        self,
        bootstrap_servers: str,
        topic: str,
        group_id: str,
        clock: Callable[[], float] = time.time,
        client_config: dict[str, str] | None = None,
        reader: Callable[..., OffsetReader] = OffsetReader,
    ) -> None:
        self._args = (bootstrap_servers, topic, group_id, client_config)
        self._make_reader = reader
        self._clock = clock
        self._reader: OffsetReader | None = None
        self._rows = SampleColumns(OFFSET_COLUMNS)
        self.failed_polls = 0

    def start(self) -> None:
        self._reader = self._make_reader(*self._args)

    def poll(self) -> None:
        if self._reader is None:
            return
        try:
            offsets = self._reader.read()
        except HarnessError:  # a poll Kafka did not answer
            self.failed_polls += 1
            return
        sample_time_ms = round(self._clock() * 1000)
        self._rows.extend(
            {"sample_time_ms": sample_time_ms, "partition": p.partition, "end_offset": p.end_offset,
             "committed_offset": p.committed_offset, "lag": p.lag}
            for p in offsets
        )  # fmt: skip

    def stop(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"offsets": (self._rows.rows(), OFFSET_COLUMNS)}


def for_run(run: RunContext) -> KafkaOffsetsCollector:
    return KafkaOffsetsCollector(
        run.bootstrap_servers, run.topic, run.group_id, client_config=run.kafka_client_config
    )
