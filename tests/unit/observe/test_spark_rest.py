"""Parsing Spark's REST answers: executors (live and removed) and receivers across polls."""

from __future__ import annotations

from harness.observe.spark_rest import SparkRestCollector, parse_spark_time
from harness.results.tables import EXECUTOR_COLUMNS

EXECUTOR = {
    "id": "driver",
    "isActive": True,
    "memoryUsed": 7516,
    "maxMemory": 455501414,
    "totalGCTime": 475,
    "completedTasks": 124,
    "failedTasks": 0,
    "memoryMetrics": {"usedOnHeapStorageMemory": 7516, "totalOnHeapStorageMemory": 455501414},
    "peakMemoryMetrics": {
        "JVMHeapMemory": 143718448,
        "OnHeapExecutionMemory": 0,
        "OnHeapStorageMemory": 117214,
    },
}


REMOVED = {
    "id": "1",
    "isActive": False,
    "removeTime": "2026-11-21T10:23:30.000GMT",
    "removeReason": "Command exited with code 52",
}


def test_parse_spark_time_is_utc_epoch_ms() -> None:
    assert parse_spark_time("2026-11-21T10:23:22.000GMT") == 1795256602000


class FakeDriver:
    """Answers like the driver's REST API would, from canned pages."""

    def __init__(self) -> None:
        self.down = False
        self.urls: list[str] = []

    def __call__(self, url: str) -> list[dict]:
        self.urls.append(url)
        if self.down:
            raise OSError("connection refused")
        return [EXECUTOR, REMOVED]


def test_executors_are_sampled_with_their_peaks_and_removals() -> None:
    driver = FakeDriver()
    collector = SparkRestCollector("http://127.0.0.1:4040/", "app-1", fetch=driver, clock=lambda: 1000.0)
    collector.poll()
    collector.poll()
    driver.down = True
    collector.poll()
    assert collector.failed_polls == 1
    executors, columns = collector.tables()["executors"]
    assert columns == EXECUTOR_COLUMNS
    assert collector.latest_heap_bytes() == 143718448  # the live executor's peak; the removed one is ignored
    assert len(executors) == 4
    removed = executors[1]
    assert removed["executor_id"] == "1" and not removed["is_active"]
    assert removed["remove_reason"].endswith("exited with code 52")
    assert removed["remove_time_ms"] == 1795256610000
    assert executors[0]["sample_time_ms"] == 1_000_000
    assert executors[0]["peak_jvm_heap_bytes"] == 143718448
    assert driver.urls[0] == "http://127.0.0.1:4040/api/v1/applications/app-1/allexecutors"


RECEIVER = {
    "streamId": 0,
    "streamName": "KafkaRecordReceiver-0",
    "isActive": True,
    "executorId": "0",
    "executorHost": "127.0.0.1",
    "lastErrorTime": "2026-11-21T10:23:31.000GMT",
    "lastErrorMessage": "Restarting receiver with delay 2000 ms",
    "lastError": "java.io.IOException",
    "avgEventRate": 812.5,
    "eventRates": [[1795256602000, 800.0], [1795256604000, 825.0]],
}


def test_receivers_are_sampled_and_their_event_rates_kept_across_polls() -> None:
    later = dict(RECEIVER, eventRates=[[1795256604000, 830.0], [1795256606000, 790.0]], lastErrorTime=None)
    answers = iter([[EXECUTOR], [RECEIVER], [EXECUTOR], [later]])
    collector = SparkRestCollector("http://ui", "app", fetch=lambda url: next(answers), source="receiver")
    collector.poll()
    collector.poll()
    tables = collector.tables()
    samples, _ = tables["receivers"]
    assert [s["avg_event_rate_rps"] for s in samples] == [812.5, 812.5]
    assert samples[0]["last_error_time_ms"] == parse_spark_time(RECEIVER["lastErrorTime"])
    assert samples[1]["last_error_time_ms"] is None
    rates, columns = tables["receiver_rates"]
    assert columns == ["stream_id", "batch_time_ms", "event_rate_rps"]
    assert [(r["batch_time_ms"], r["event_rate_rps"]) for r in rates] == [
        (1795256602000, 800.0),
        (1795256604000, 830.0),
        (1795256606000, 790.0),
    ]


def test_each_source_asks_only_for_what_it_has() -> None:
    def asked(source: str) -> list[str]:
        urls: list[str] = []
        SparkRestCollector("http://ui", "app", fetch=lambda url: urls.append(url) or [], source=source).poll()
        return [url.removeprefix("http://ui/api/v1/applications/app/") for url in urls]

    # The batches come from the driver's listener (test_streaming_batches), never from this API.
    assert asked("direct") == ["allexecutors"]
    assert asked("receiver") == ["allexecutors", "streaming/receivers"]
    assert asked("structured") == ["allexecutors"]
