"""Topic creation waits for every partition's leader; the tests' offset reads retry retriable errors."""

from __future__ import annotations

from concurrent.futures import Future

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import ClusterMetadata, PartitionMetadata, TopicMetadata

from harness.errors import HarnessError
from harness.platform import kafka_broker
from harness.platform.kafka_broker import create_topic, wait_for_leaders
from tests.kafka_offsets import retry_retriable


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def metadata(name: str, leaders: list[int], partition_error: KafkaError | None = None) -> ClusterMetadata:
    topic = TopicMetadata()
    topic.topic = name
    for number, leader in enumerate(leaders):
        partition = PartitionMetadata()
        partition.id, partition.leader = number, leader
        partition.replicas = partition.isrs = [leader] if leader >= 0 else []
        partition.error = partition_error
        topic.partitions[number] = partition
    cluster = ClusterMetadata()
    cluster.topics[name] = topic
    return cluster


class FakeAdmin:
    """Answers metadata requests from ``answers`` in turn, the last one for ever; an exception is raised.

    Offset requests fail with NOT_LEADER_FOR_PARTITION for the first ``offset_failures`` of them.
    """

    def __init__(self, *answers: ClusterMetadata | Exception, offset_failures: int = 0) -> None:
        self.answers = list(answers)
        self.calls = 0
        self.offset_calls = 0
        self.offset_failures = offset_failures
        self.created: list[tuple[str, int, int]] = []

    def list_topics(self, topic: str | None = None, timeout: float = -1) -> ClusterMetadata:
        assert timeout > 0
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        if isinstance(answer, Exception):
            raise answer
        return answer

    def list_offsets(self, requests: dict, request_timeout: float = -1) -> dict:
        assert request_timeout > 0
        self.offset_calls += 1
        futures = {}
        for position in requests:
            future: Future = Future()
            if self.offset_calls <= self.offset_failures:
                future.set_exception(not_leader())
            else:
                future.set_result(object())
            futures[position] = future
        return futures

    def create_topics(self, topics: list) -> dict[str, Future]:
        done: Future = Future()
        done.set_result(None)
        for topic in topics:
            self.created.append((topic.topic, topic.num_partitions, topic.replication_factor))
        return {topic.topic: done for topic in topics}


def test_waits_until_every_partition_has_a_leader() -> None:
    clock = FakeClock()
    admin = FakeAdmin(
        metadata("t", [-1, -1]),
        metadata("t", [1, -1]),
        metadata("t", [1, -1]),
        metadata("t", [1, 1]),
        metadata("t", [-1, -1]),  # never reached
    )
    wait_for_leaders(admin, "t", 2, timeout_s=10, clock=clock, sleep=clock.sleep)
    assert admin.calls == 4
    assert clock.now == pytest.approx(1000.0 + 3 * kafka_broker.LEADER_POLL_S)


def test_topic_missing_partitions_missing_errors_and_failed_requests_all_count_as_not_ready() -> None:
    clock = FakeClock()
    admin = FakeAdmin(
        KafkaException(KafkaError(KafkaError._TRANSPORT)),
        ClusterMetadata(),  # the topic is not there yet
        metadata("t", [1]),  # one of its two partitions
        metadata("t", [1, 1], partition_error=KafkaError(KafkaError.LEADER_NOT_AVAILABLE)),
        metadata("t", [1, 1]),
    )
    wait_for_leaders(admin, "t", 2, timeout_s=10, clock=clock, sleep=clock.sleep)
    assert admin.calls == 5


def test_a_partition_that_never_gets_a_leader_fails_after_the_deadline() -> None:
    clock = FakeClock()
    admin = FakeAdmin(metadata("t", [1, -1, 1]))
    with pytest.raises(HarnessError, match=r"topic t .* not ready within 3 s: partitions 1 \(no leader\)"):
        wait_for_leaders(admin, "t", 3, timeout_s=3, clock=clock, sleep=clock.sleep)
    assert clock.now >= 1003.0
    assert admin.calls == pytest.approx(3 / kafka_broker.LEADER_POLL_S + 1, abs=1)


def test_a_ready_topic_takes_one_metadata_request() -> None:
    admin = FakeAdmin(metadata("t", [1, 1]))
    wait_for_leaders(admin, "t", 2, clock=lambda: 0.0, sleep=pytest.fail)
    assert (admin.calls, admin.offset_calls) == (1, 1)


def test_leaders_in_the_metadata_must_also_answer_offset_requests() -> None:
    """The broker's metadata names a leader a moment before that leader serves the partition."""
    clock = FakeClock()
    admin = FakeAdmin(metadata("t", [1, 1]), offset_failures=2)
    wait_for_leaders(admin, "t", 2, timeout_s=10, clock=clock, sleep=clock.sleep)
    assert (admin.calls, admin.offset_calls) == (3, 3)

    admin = FakeAdmin(metadata("t", [1, 1]), offset_failures=10**6)
    with pytest.raises(HarnessError, match=r"partitions 0 \(offset request: .*Not leader"):
        wait_for_leaders(admin, "t", 2, timeout_s=1, clock=clock, sleep=clock.sleep)


def test_no_offset_request_until_every_leader_is_known() -> None:
    clock = FakeClock()
    admin = FakeAdmin(metadata("t", [-1, 1]), metadata("t", [1, 1]))
    wait_for_leaders(admin, "t", 2, timeout_s=10, clock=clock, sleep=clock.sleep)
    assert (admin.calls, admin.offset_calls) == (2, 1)


def test_create_topic_returns_only_once_the_leaders_are_known() -> None:
    admin = FakeAdmin(metadata("t", [-1, -1]), metadata("t", [-1, 1]), metadata("t", [1, 1]))
    create_topic(admin, "t", 2, replication_factor=1)
    assert admin.created == [("t", 2, 1)]
    assert admin.calls == 3


def not_leader() -> KafkaException:
    return KafkaException(KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION))


def test_offset_reads_retry_leadership_errors_until_they_pass() -> None:
    clock = FakeClock()
    outcomes: list[object] = [
        not_leader(),
        KafkaException(KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART)),
        KafkaException(KafkaError(KafkaError.LEADER_NOT_AVAILABLE)),
        42,
    ]

    def read() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome  # type: ignore[return-value]

    assert retry_retriable(read, timeout_s=5, clock=clock, sleep=clock.sleep) == 42
    assert not outcomes


def test_offset_reads_give_up_after_the_deadline_and_at_once_on_other_errors() -> None:
    clock = FakeClock()
    calls = []

    def always(exc: KafkaException):
        def read() -> int:
            calls.append(clock.now)
            raise exc

        return read

    with pytest.raises(KafkaException) as raised:
        retry_retriable(always(not_leader()), timeout_s=2, clock=clock, sleep=clock.sleep)
    assert raised.value.args[0].code() == KafkaError.NOT_LEADER_FOR_PARTITION
    assert clock.now >= 1002.0 and len(calls) > 2

    calls.clear()
    with pytest.raises(KafkaException):
        retry_retriable(
            always(KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED))),
            clock=clock,
            sleep=clock.sleep,
        )
    assert len(calls) == 1


class DeletingAdmin:
    """Deletes the first topic, refuses the second (a cluster that forbids it)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def delete_topics(self, names: list[str], operation_timeout: float = -1) -> dict[str, Future]:
        assert operation_timeout > 0
        self.asked += names
        done: Future = Future()
        done.set_result(None)
        refused: Future = Future()
        refused.set_exception(KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)))
        return {name: done if i == 0 else refused for i, name in enumerate(names)}


def test_delete_topics_asks_once_and_a_refusal_keeps_the_topic_quietly() -> None:
    admin = DeletingAdmin()
    kafka_broker.delete_topics(admin, ["run", "run-control"])  # type: ignore[arg-type]
    assert admin.asked == ["run", "run-control"]
    kafka_broker.delete_topics(admin, [])  # type: ignore[arg-type]
    assert admin.asked == ["run", "run-control"]
