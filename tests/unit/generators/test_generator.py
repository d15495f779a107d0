"""The generator's schedule, shares and statistics, with an injected clock and a fake producer (the
sending to a real broker is an integration test)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from confluent_kafka import KafkaError

from apps.records import decode
from generators.produce import (
    ConfigError,
    GeneratorConfig,
    ShareSender,
    ShareStats,
    main,
    merge_result,
    merge_rows,
)
from generators.profiles import parse_profile
from harness.run.load import LoadGenerator
from harness.spec.manifest import Workload

STEP = {"profile": "step", "steps": [{"duration_s": 1, "rate": 10}, {"duration_s": 1, "rate": 7}]}


def config(
    tmp_path: Path,
    profile: dict[str, Any] = STEP,
    duration_s: float = 2.0,
    ranks: int = 3,
    steps: int | None = None,
    **overrides: Any,
):
    fields: dict[str, Any] = {
        "bootstrap_servers": "127.0.0.1:1",
        "topic": "t",
        "profile": parse_profile(profile),
        "duration_s": duration_s,
        "records": {"layout": "artifact", "values": 4, "ranks": ranks, "steps": steps},
        "seed": 1,
        "stats_path": tmp_path / "stats.jsonl",
        "result_path": tmp_path / "result.json",
    }
    return GeneratorConfig(**{**fields, **overrides})


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds > 0
        # A real clock always moves on; a float sum may not, for less than its last digit.
        self.now = max(self.now + seconds, math.nextafter(self.now, math.inf))


class FakeProducer:
    """Takes ``cost_s`` of the clock per send; fails the records listed; may be full or never flush."""

    def __init__(
        self, clock: FakeClock, cost_s: float = 0.0, fail: set[int] = frozenset(), full_for: int = 0
    ) -> None:
        self.clock = clock
        self.cost_s = cost_s
        self.fail = fail
        self.full_for = full_for
        self.stuck = False
        self.sent: list[tuple[bytes, float]] = []
        self._reports: list[Any] = []
        self._pending: list[Any] = []

    def produce(self, topic: str, value: bytes, key: None, partition: int, on_delivery: Any) -> None:
        assert topic == "t" and key is None and partition == -1
        if self.full_for:
            self.full_for -= 1
            raise BufferError("Local: Queue full")
        self.clock.now += self.cost_s
        number = len(self.sent)
        self.sent.append((value, self.clock.now))
        if number in self.fail:
            self._reports.append(on_delivery)
        else:
            self._pending.append(on_delivery)

    def poll(self, timeout: float) -> int:
        self.clock.now += timeout
        reports, self._reports = self._reports, []
        for on_delivery in reports:
            on_delivery(KafkaError(KafkaError._MSG_TIMED_OUT), None)
        return len(reports)

    def flush(self, timeout: float) -> int:
        self.poll(0)
        if self.stuck:
            return len(self._pending)
        self._pending = []  # acknowledged: no report (only errors are reported)
        return 0

    def purge(self) -> None:
        self._reports, self._pending = self._reports + self._pending, []
        self.stuck = False


def run_share(cfg: GeneratorConfig, share: int, shares: int, producer: FakeProducer) -> ShareStats:
    clock = producer.clock
    sender = ShareSender(cfg, share, shares, producer, clock=clock, sleep=clock.sleep)
    return sender.run(start=clock.now)


def key(cfg: GeneratorConfig, i: int) -> tuple[int, int]:
    rank, step, _ = decode(cfg.record_stream.payload(i, 0.0))
    return rank, step


def test_keys_cycle_ranks_then_steps(tmp_path: Path) -> None:
    unbounded = config(tmp_path, ranks=3, steps=None)
    assert [key(unbounded, i) for i in range(7)] == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1), (0, 2)]
    bounded = config(tmp_path, ranks=2, steps=2)
    assert [key(bounded, i) for i in range(6)] == [(0, 0), (1, 0), (0, 1), (1, 1), (0, 0), (1, 0)]


@pytest.mark.parametrize(
    "records",
    [
        {"values": 4, "ranks": 3},
        {"values": 4, "ranks": 3, "steps": 2},
        {"values": 4, "ranks": 5, "key_skew": {"distribution": "zipf", "exponent": 1.2}},
        {"values": 4, "ranks": 2, "cost_shift": {"cost_factor": 3, "shares": [{"from_s": 0, "share": 0.5}]}},
        {"layout": "json", "ranks": 4, "event_bytes": 120},
    ],
)
def test_the_senders_payload_function_gives_the_records_payloads(tmp_path: Path, records: dict) -> None:
    stream = config(tmp_path, records=records).record_stream
    payload_of = stream.payload_function(start_ms=1_000)
    assert [payload_of(i, i / 10) for i in range(40)] == [stream.payload(i, i / 10, 1_000) for i in range(40)]


def test_config_round_trips_through_json(tmp_path: Path) -> None:
    original = config(tmp_path, processes=3)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(original.to_json()))
    assert GeneratorConfig.from_file(path) == original


FAST_STEPS = {
    "profile": "step",
    "steps": [{"duration_s": 1.3, "rate": 5000}, {"duration_s": 1, "rate": 9001}],
}


@pytest.mark.parametrize("shares", [1, 2, 3, 7])
@pytest.mark.parametrize(
    "profile",
    [
        {"profile": "ramp", "start_rate": 5, "end_rate": 40, "ramp_s": 3},
        FAST_STEPS,
    ],  # 1 and 5 slices a second
)
def test_shares_cover_the_schedule_exactly_once(tmp_path: Path, shares: int, profile: dict[str, Any]) -> None:
    cfg = config(tmp_path, profile, duration_s=2.7)
    schedule = list(cfg.profile.due_times(cfg.duration_s))
    seen: dict[int, float] = {}
    for share in range(shares):
        sender = ShareSender(cfg, share, shares, FakeProducer(FakeClock()))
        for first, due in (chunk for second in range(cfg.seconds) for chunk in sender.chunks(second)):
            for n, d in enumerate(due.tolist()):
                number = first + n * shares
                assert number % shares == share and number not in seen
                seen[number] = d
    assert [seen[i] for i in range(len(schedule))] == schedule
    per_share = [
        ShareSender(cfg, k, shares, FakeProducer(FakeClock())).planned_per_second() for k in range(shares)
    ]
    assert np.sum(per_share, axis=0).tolist() == cfg.profile.planned_per_second(cfg.duration_s)
    for k, counts in enumerate(per_share):
        sender = ShareSender(cfg, k, shares, FakeProducer(FakeClock()))
        assert counts.tolist() == [sum(due.size for _, due in sender.chunks(s)) for s in range(cfg.seconds)]


def test_on_time_sender_sends_every_record_of_its_share_when_due(tmp_path: Path) -> None:
    cfg = config(tmp_path, ranks=2, steps=3)
    producer = FakeProducer(FakeClock())
    start = producer.clock.now
    stats = ShareSender(cfg, 1, 2, producer, clock=producer.clock, sleep=producer.clock.sleep).run(start)
    numbers = list(range(1, 17, 2))  # 10 + 7 records; share 1 of 2 has the odd ones
    due = list(cfg.profile.due_times(cfg.duration_s))
    assert [decode(value)[:2] for value, _ in producer.sent] == [key(cfg, i) for i in numbers]
    assert [at - start for _, at in producer.sent] == pytest.approx([due[i] for i in numbers])
    assert stats.planned.tolist() == [5, 3] and stats.sent.tolist() == [5, 3]
    assert stats.failed.tolist() == [0, 0] and not stats.interrupted
    assert stats.lateness_ms == pytest.approx(np.zeros(8), abs=1e-6)
    assert stats.sent_during.tolist() == [5, 3]


def test_saturated_sender_is_late_and_never_skips_records(tmp_path: Path) -> None:
    # 1,000 records/s asked, 500/s possible (2 ms a send): everything is still sent, late, and said so.
    cfg = config(tmp_path, {"profile": "constant", "rate": 1000}, duration_s=2.0)
    producer = FakeProducer(FakeClock(), cost_s=0.002)
    stats = run_share(cfg, 0, 1, producer)
    assert stats.planned.tolist() == [1000, 1000] and stats.sent.tolist() == [1000, 1000]
    assert stats.sent_during.tolist() == [500, 500, 500, 500]
    # Record i is handed over at 2 i ms (the send takes 2 ms from there), due at i ms: lateness i ms.
    assert stats.lateness_ms == pytest.approx(np.arange(2000.0), rel=1e-5, abs=1e-5)
    assert stats.send_duration_s == pytest.approx(4.0)


def test_failures_count_in_the_second_the_record_was_due(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    producer = FakeProducer(FakeClock(), fail={0, 3, 12})
    stats = run_share(cfg, 0, 1, producer)
    assert stats.failed.tolist() == [2, 1]
    rows = merge_rows([stats])
    assert [(r["sent"], r["acked"], r["failed"]) for r in rows] == [(10, 8, 2), (7, 6, 1)]


def test_records_unconfirmed_at_the_end_are_purged_and_count_as_failed(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    producer = FakeProducer(FakeClock())
    producer.stuck = True
    stats = run_share(cfg, 0, 1, producer)
    assert stats.unflushed == 17 and stats.failed.tolist() == [10, 7]


def test_a_full_producer_queue_counts_as_lateness(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    producer = FakeProducer(FakeClock(), full_for=4)  # the first record waits 4 polls of 5 ms
    stats = run_share(cfg, 0, 1, producer)
    assert stats.sent.tolist() == [10, 7]
    assert stats.lateness_ms[0] == pytest.approx(20.0, rel=1e-4)
    assert stats.queue_full.tolist() == [1, 0]  # one send waited (four polls), the others found room


def test_the_time_the_sender_waited_for_a_cpu_is_kept_per_second(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    producer = FakeProducer(FakeClock())
    readings = iter([10.0, 10.004, 10.004, 10.0045])  # seconds waited so far, read around each second
    sender = ShareSender(cfg, 0, 1, producer, clock=producer.clock, sleep=producer.clock.sleep)
    sender._cpu_wait = lambda: next(readings)
    stats = sender.run(start=producer.clock.now)
    assert stats.cpu_wait_ms == pytest.approx([4.0, 0.5])


def test_a_kernel_that_does_not_tell_leaves_the_cpu_wait_unknown(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    producer = FakeProducer(FakeClock())
    sender = ShareSender(cfg, 0, 1, producer, clock=producer.clock, sleep=producer.clock.sleep)
    sender._cpu_wait = lambda: None
    stats = sender.run(start=producer.clock.now)
    assert np.isnan(stats.cpu_wait_ms).all()
    assert [row["cpu_wait_ms"] for row in merge_rows([stats])] == [None, None]


def test_a_stopped_sender_says_so_and_keeps_the_plan(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    clock = FakeClock()
    producer = FakeProducer(clock)
    sender = ShareSender(cfg, 0, 1, producer, clock=clock)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(producer.sent) == 4:
            sender.stop()

    sender._sleep = sleep
    stats = sender.run(clock.now)
    assert stats.interrupted and stats.planned.tolist() == [10, 7] and stats.sent.tolist() == [4, 0]


def share_stats(
    lateness: list[list[float]], planned: list[int], failed: list[int], cpu_wait_ms: list[float] | None = None
) -> ShareStats:
    sent = [len(second) for second in lateness]
    return ShareStats(
        planned=np.array(planned),
        sent=np.array(sent),
        failed=np.array(failed),
        queue_full=np.array([len(second) // 2 for second in lateness]),
        cpu_wait_ms=np.array(cpu_wait_ms or [0.0] * len(lateness)),
        sent_during=np.array(sent),
        lateness_ms=np.array([x for second in lateness for x in second], dtype=np.float32),
        send_duration_s=1.9,
        ack_duration_s=2.1,
        unflushed=0,
        interrupted=False,
    )


def test_merged_rows_add_counts_and_take_percentiles_over_all_sends(tmp_path: Path) -> None:
    a = share_stats(
        [[0.0] * 98 + [50.0, 90.0], [1.0]], planned=[100, 1], failed=[1, 0], cpu_wait_ms=[7.5, 1.0]
    )
    b = share_stats([[2.0] * 100, [3.0, 5.0]], planned=[100, 2], failed=[0, 2], cpu_wait_ms=[0.5, np.nan])
    rows = merge_rows([a, b])
    everything = np.array([0.0] * 98 + [50.0, 90.0] + [2.0] * 100)
    first = rows[0]
    assert (first["planned"], first["sent"], first["acked"], first["failed"]) == (200, 200, 199, 1)
    assert first["lateness_p99_ms"] == pytest.approx(np.percentile(everything, 99))
    assert first["lateness_p50_ms"] == pytest.approx(np.percentile(everything, 50))
    assert first["lateness_max_ms"] == 90.0
    assert first["cpu_wait_ms"] == 7.5  # the sender that waited longest
    assert rows[1] == {
        "second": 1,
        "planned": 3,
        "sent": 3,
        "acked": 1,
        "failed": 2,
        "queue_full": 1,
        "cpu_wait_ms": 1.0,  # the other sender's wait is unknown
        "lateness_p50_ms": 3.0,
        "lateness_p99_ms": pytest.approx(np.percentile([1.0, 3.0, 5.0], 99)),
        "lateness_max_ms": 5.0,
        "sent_during": 3,
    }
    result = merge_result(config(tmp_path), [a, b], rows, start_wall=10.0)
    assert (result["planned"], result["sent"], result["acked"], result["processes"]) == (203, 203, 200, 2)
    assert result["queue_full"] == 50 + 50 + 0 + 1
    assert result["lateness_p99_ms"] == pytest.approx(np.percentile([*everything, 1.0, 3.0, 5.0], 99))


def test_late_sends_after_the_schedule_get_rows_of_their_own() -> None:
    late = share_stats([[0.0], [1500.0]], planned=[1, 1], failed=[0, 0])
    late.sent_during = np.array([1, 0, 1])
    rows = merge_rows([late])
    assert [(r["second"], r["planned"], r["sent"], r["sent_during"]) for r in rows] == [
        (0, 1, 1, 1),
        (1, 1, 1, 0),
        (2, 0, 0, 1),
    ]


def test_share_stats_survive_saving(tmp_path: Path) -> None:
    stats = share_stats([[0.5, 1.5], [2.5]], planned=[2, 1], failed=[0, 1])
    stats.save(tmp_path / "share.npz")
    loaded = ShareStats.load(tmp_path / "share.npz")
    assert merge_rows([loaded]) == merge_rows([stats])
    assert (loaded.send_duration_s, loaded.unflushed, loaded.interrupted) == (1.9, 0, False)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"processes": 0}, "processes: Input should be greater than or equal to 1"),
        ({"processes": "many"}, "processes: Input should be a valid integer"),
        ({"processes": True}, "processes: Input should be a valid integer"),
        ({"duration_s": -1}, "duration_s: Input should be greater than 0"),
        ({"duration_s": "5"}, "duration_s: Input should be a valid number"),
        ({"seed": 1.5}, "seed: Input should be a valid integer"),
        ({"profile": {"profile": "constant", "rate": -5}}, "profile.constant.rate"),
        ({"threads": 2}, "threads: Extra inputs are not permitted"),
        ({"topic": None}, "topic: Input should be a valid string"),
        ({"topic": ""}, "topic: String should have at least 1 character"),
        ({"stats_path": ""}, "stats_path: Value error, must be a file's path"),
        ({"records": [1]}, "records: Input should be a valid dictionary"),
    ],
)
def test_a_bad_config_exits_2_naming_the_file_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], named: str
) -> None:
    raw = {**config(tmp_path).to_json(), **change}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=named):
        GeneratorConfig.from_file(path)
    assert main(["--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and named in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]


def test_a_missing_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(tmp_path / "nope.json")]) == 2
    assert "nope.json: cannot read it" in capsys.readouterr().err


def test_the_runner_passes_the_manifest_s_process_count_on(tmp_path: Path) -> None:
    workload = Workload.model_validate(
        {"generator": {"profile": "constant", "rate": 100}, "producer": {"processes": 3}, "duration_s": 5}
    )
    load = LoadGenerator(tmp_path, workload, "127.0.0.1:1", "t")
    assert GeneratorConfig.from_json(load.config.to_json()).processes == 3
    assert (
        Workload.model_validate({"generator": {"profile": "constant", "rate": 100}}).producer.processes == 1
    )


def test_a_fast_schedule_sent_slice_by_slice_is_on_time_and_complete(tmp_path: Path) -> None:
    cfg = config(tmp_path, FAST_STEPS, duration_s=2.7)
    producer = FakeProducer(FakeClock())
    stats = run_share(cfg, 1, 2, producer)
    assert stats.sent.tolist() == stats.planned.tolist() == [2500, 3900, 3150]
    assert float(np.abs(stats.lateness_ms).max()) < 1e-3
    assert stats.sent_during.tolist()[:3] == [2500, 3900, 3150]
