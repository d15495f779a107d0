"""Open-loop Kafka producer: record i is due at the instant its pressure profile gives, whatever
happened before it.

The generator never waits for the system under test. When it falls behind, the lateness of each
send against its due time shows it (no coordinated omission). Per second of schedule it records
records planned, sent, acknowledged and failed, the lateness p50 / p99 / max, and how many records
were actually sent during that second (whatever their due time).

Where one process cannot reach the rate, ``processes`` workers share the schedule: worker k of n sends
records k, k + n, k + 2n, ... at their own due times, all against one start instant. Each worker keeps
its own counts and every lateness it measured; the coordinating process adds the counts up and
computes the percentiles over all the workers' sends together, so the figures are those of one
schedule, exact whatever the number of workers.

Run as ``python -m generators.produce --config FILE`` (JSON, ``generators.config.GeneratorConfig``):
a bad config exits with status 2; a failed worker stops the others and exits with status 1; SIGTERM or Ctrl-C
stops every worker, which flushes what it sent, and the result says ``interrupted``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import queue
import signal
import sys
import tempfile
import threading
import time
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import partial
from multiprocessing.connection import wait as wait_for_any
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from confluent_kafka import KafkaError, Message, Producer

from generators.config import ConfigError, GeneratorConfig
from generators.files import write_atomically

CHUNK_RECORDS = 2048  # due times computed at once, at most (at the peak rate)
POLL_EVERY = 1024  # sends between two polls of the producer when there is no idle time to poll in
MAX_SLEEP_S = 0.1  # the longest sleep, so a stop is seen quickly at low rates
FLUSH_TIMEOUT_S = 60.0
STOP_FLUSH_TIMEOUT_S = 5.0
FULL_QUEUE_WAIT_S = 0.005
READY_TIMEOUT_S = 60.0
START_MARGIN_S = 0.2  # between the last worker being ready and the schedule's start
EXIT_GRACE_S = FLUSH_TIMEOUT_S + 15.0
SCHEDSTAT = Path("/proc/thread-self/schedstat")

# librdkafka settings for throughput. Only failed deliveries are reported (a Python call per
# acknowledgement would cost as much as the send): once the producer is flushed, acked = sent - failed.
PRODUCER_SETTINGS: dict[str, Any] = {
    "acks": "all",
    "enable.idempotence": True,
    "linger.ms": 5,
    "batch.size": 1_000_000,
    "batch.num.messages": 10_000,
    "compression.type": "none",
    "queue.buffering.max.messages": 1_000_000,
    "queue.buffering.max.kbytes": 131_072,
    "delivery.report.only.error": True,
    "log_level": 3,
}


def producer_settings(config: GeneratorConfig) -> dict[str, Any]:
    return {
        **PRODUCER_SETTINGS,
        **config.client_config,
        "bootstrap.servers": config.bootstrap_servers,
        "message.max.bytes": max(1_000_000, 2 * config.record_stream.record_bytes),
    }


def thread_cpu_wait_s() -> float | None:
    """Seconds the calling thread has spent runnable but waiting for a CPU (the kernel's run-queue
    delay, Linux's per-thread ``schedstat``); None where the kernel does not tell."""
    try:
        return int(SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


class ProducerLike(Protocol):
    def produce(
        self, topic: str, value: bytes, key: bytes | None, partition: int, on_delivery: Callable[..., None]
    ) -> None: ...
    def poll(self, timeout: float) -> int: ...
    def flush(self, timeout: float) -> int: ...
    def purge(self) -> None: ...


@dataclass
class ShareStats:
    """What one worker did with its share of the schedule, per second of schedule (index = second)."""

    planned: np.ndarray  # int64: records of the share due in the second
    sent: np.ndarray  # int64: of those, handed to the producer
    failed: np.ndarray  # int64: of those, not acknowledged (delivery error, or still pending at the end)
    queue_full: np.ndarray  # int64: of those, sent only after waiting for room in the producer's queue
    cpu_wait_ms: np.ndarray  # float64: the sending thread's wait for a CPU in the second (NaN: unknown)
    sent_during: np.ndarray  # int64: records handed over during the second, whatever their due time
    lateness_ms: np.ndarray  # float32, one per send, in send order (so second by second)
    send_duration_s: float  # from the start to the last send
    ack_duration_s: float  # from the start to the end of the flush
    unflushed: int  # still pending when the flush timed out (counted in failed)
    interrupted: bool

    def save(self, path: Path) -> None:
        arrays = {f.name: np.asarray(getattr(self, f.name)) for f in fields(self)}
        with path.open("wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path: Path) -> ShareStats:
        with np.load(path) as data:
            values = {f.name: data[f.name] for f in fields(cls)}
        for name in ("send_duration_s", "ack_duration_s"):
            values[name] = float(values[name])
        values["unflushed"] = int(values["unflushed"])
        values["interrupted"] = bool(values["interrupted"])
        return cls(**values)


class ShareSender:
    """Sends share ``share`` of ``shares`` (records ``share, share + shares, ...``) at their due times.

    The clock and the sleep are injectable, so the schedule can be tested without waiting; the clock
    is any monotonic clock in seconds (every worker's ``time.monotonic`` is the same system clock).
    ``cpu_wait`` reads how long this thread has waited for a CPU so far (seconds, None if unknown): a
    late second in which the sender waited for a CPU was made late by the machine, not the schedule.
    """

    def __init__(
        self,
        config: GeneratorConfig,
        share: int,
        shares: int,
        producer: ProducerLike,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cpu_wait: Callable[[], float | None] = thread_cpu_wait_s,
    ) -> None:
        if not 0 <= share < shares:
            raise ValueError(f"share {share} of {shares}")
        self.config = config
        self.share = share
        self.shares = shares
        self.stopping = False
        self._producer = producer
        self._clock = clock
        self._sleep = sleep
        self._cpu_wait = cpu_wait
        self._records = config.record_stream
        self._failed = [0] * config.seconds
        self._queue_full = [0] * config.seconds

    def stop(self) -> None:
        self.stopping = True

    def _on_delivery(self, second: int, error: KafkaError | None, _: Message | None) -> None:
        if error is not None:
            self._failed[second] += 1

    def due_times(self, start_s: float, end_s: float) -> tuple[int, np.ndarray]:
        """The first record number of the share due in ``[start_s, end_s)``, and its due times there."""
        cfg = self.config
        due = cfg.profile.due_times_array(start_s, min(end_s, cfg.duration_s), cfg.duration_s)
        first = cfg.profile.records_before(start_s)
        offset = (self.share - first) % self.shares
        return first + offset, due[offset :: self.shares]

    def chunks(self, second: int) -> Iterator[tuple[int, np.ndarray]]:
        """``due_times`` of the second in slices of about ``CHUNK_RECORDS`` records at the peak rate, so
        that computing the next slice delays the sends by a fraction of a millisecond, not tens of them."""
        cfg = self.config
        slices = min(1000, max(1, math.ceil(cfg.profile.max_rate(cfg.duration_s) / CHUNK_RECORDS)))
        for j in range(slices):
            start_s = (second * slices + j) / slices
            if start_s >= cfg.duration_s:
                return
            yield self.due_times(start_s, (second * slices + j + 1) / slices)

    def planned_per_second(self) -> np.ndarray:
        """Records of the share due in each second: those numbered ``share`` modulo ``shares`` among the
        schedule's records of that second, counted without computing their due times."""
        cfg = self.config
        bounds = np.concatenate(([0], np.cumsum(cfg.profile.planned_per_second(cfg.duration_s))))
        # Records numbered share mod shares below b: ceil((b - share) / shares), for b >= 0.
        below = -((self.share - bounds) // self.shares)
        return np.diff(np.maximum(below, 0)).astype(np.int64)

    def run(self, start: float, start_ms: int = 0) -> ShareStats:
        """Send the share with the schedule's second 0 at clock value ``start`` (``start_ms`` on the
        wall clock, for records that carry a timestamp), then flush."""
        self._payload = self._records.payload_function(start_ms)
        seconds = self.config.seconds
        planned = self.planned_per_second()
        sent = np.zeros(seconds, dtype=np.int64)
        sent_during = np.zeros(seconds + 1, dtype=np.int64)
        cpu_wait_ms = np.full(seconds, np.nan)
        lateness_parts: list[np.ndarray] = []
        for second in range(seconds):
            if self.stopping:
                break
            parts = []
            waited_before = self._cpu_wait()
            for first, due in self.chunks(second):
                lateness = self._send(second, first, due, start)
                parts.append(lateness)
                sent_at = np.floor(due[: lateness.size] + lateness.astype(np.float64) / 1000.0).astype(
                    np.int64
                )
                counts = np.bincount(sent_at)
                if counts.size > sent_during.size:
                    sent_during = np.pad(sent_during, (0, counts.size - sent_during.size))
                sent_during[: counts.size] += counts
                if self.stopping:
                    break
            sent[second] = sum(part.size for part in parts)
            waited_after = self._cpu_wait()
            if waited_before is not None and waited_after is not None:
                cpu_wait_ms[second] = (waited_after - waited_before) * 1000.0
            if not self.stopping and sent[second] != planned[second]:
                raise AssertionError(f"second {second}: sent {sent[second]} of {planned[second]} records")
            lateness_parts.extend(parts)
        interrupted = self.stopping
        send_duration = self._clock() - start
        unflushed = self._producer.flush(STOP_FLUSH_TIMEOUT_S if interrupted else FLUSH_TIMEOUT_S)
        if unflushed:
            # Still unconfirmed: purged, so that their delivery reports come back as failures.
            self._producer.purge()
            self._producer.flush(STOP_FLUSH_TIMEOUT_S)
        ack_duration = self._clock() - start
        used = max(1, int(np.flatnonzero(sent_during).max(initial=0)) + 1)
        return ShareStats(
            planned=planned,
            sent=sent,
            failed=np.asarray(self._failed, dtype=np.int64),
            queue_full=np.asarray(self._queue_full, dtype=np.int64),
            cpu_wait_ms=cpu_wait_ms,
            sent_during=sent_during[: max(used, seconds)],
            lateness_ms=np.concatenate(lateness_parts) if lateness_parts else np.empty(0, np.float32),
            send_duration_s=send_duration,
            ack_duration_s=ack_duration,
            unflushed=unflushed,
            interrupted=interrupted,
        )

    def _send(self, second: int, first: int, due: np.ndarray, start: float) -> np.ndarray:
        """Send the records of one second; the lateness of each send in ms (fewer if stopped)."""
        cfg = self.config
        # The hot loop: everything it touches is a local name.
        produce = self._producer.produce
        poll = self._producer.poll
        clock = self._clock
        payload_of = self._payload
        topic = cfg.topic
        step_by = self.shares
        on_delivery = partial(self._on_delivery, second)
        lateness = array("f")
        append = lateness.append
        i = first
        for d in due.tolist():
            if self.stopping:
                break
            now = clock() - start
            if now < d:
                now = self._wait(d, start)
                if self.stopping:
                    break
            payload = payload_of(i, d)
            try:
                produce(topic, payload, None, -1, on_delivery)  # positional: no keyword parsing
            except BufferError:
                # The producer's queue is full (the broker is behind): the wait counts as lateness.
                self._queue_full[second] += 1
                handed = self._produce_when_room(payload, on_delivery, start)
                if handed is None:
                    break
                now = handed
            append((now - d) * 1000.0)
            i += step_by
            if not len(lateness) % POLL_EVERY:
                poll(0)
        return np.frombuffer(lateness, dtype=np.float32).copy()

    def _wait(self, due: float, start: float) -> float:
        """Serve the producer, then sleep until ``due``; returns the time then."""
        while True:
            self._producer.poll(0)
            now = self._clock() - start
            ahead = due - now
            if ahead <= 0 or self.stopping:
                return now
            self._sleep(min(ahead, MAX_SLEEP_S))

    def _produce_when_room(
        self, payload: bytes, on_delivery: Callable[..., None], start: float
    ) -> float | None:
        while not self.stopping:
            self._producer.poll(FULL_QUEUE_WAIT_S)
            try:
                self._producer.produce(self.config.topic, payload, None, -1, on_delivery)
            except BufferError:
                continue
            return self._clock() - start
        return None


# ---------------------------------------------------------------------------------------------------------
# Merging the workers' figures


def _percentiles(lateness: np.ndarray) -> dict[str, float | None]:
    if not lateness.size:
        return {"lateness_p50_ms": None, "lateness_p99_ms": None, "lateness_max_ms": None}
    p50, p99 = np.percentile(lateness, [50, 99])
    return {
        "lateness_p50_ms": float(p50),
        "lateness_p99_ms": float(p99),
        "lateness_max_ms": float(lateness.max()),
    }


def merge_rows(shares: Sequence[ShareStats]) -> list[dict[str, Any]]:
    """One row per second: counts added over the shares, percentiles over all their sends together.

    Seconds after the schedule in which late records were still sent get rows of their own (nothing
    planned in them, only ``sent_during``).
    """
    seconds = max(share.planned.size for share in shares)
    during_size = max(share.sent_during.size for share in shares)
    during = np.zeros(max(seconds, during_size), dtype=np.int64)
    for share in shares:
        during[: share.sent_during.size] += share.sent_during
    bounds = [np.concatenate(([0], np.cumsum(share.sent))) for share in shares]
    rows = []
    for second in range(during.size):
        inside = second < seconds
        lateness = (
            np.concatenate(
                [s.lateness_ms[b[second] : b[second + 1]] for s, b in zip(shares, bounds, strict=True)]
            )
            if inside
            else np.empty(0, np.float32)
        )
        sent = sum(int(s.sent[second]) for s in shares) if inside else 0
        failed = sum(int(s.failed[second]) for s in shares) if inside else 0
        queue_full = sum(int(s.queue_full[second]) for s in shares) if inside else 0
        waits = [
            float(s.cpu_wait_ms[second]) for s in shares if inside and not np.isnan(s.cpu_wait_ms[second])
        ]
        rows.append(
            {
                "second": second,
                "planned": sum(int(s.planned[second]) for s in shares) if inside else 0,
                "sent": sent,
                "acked": sent - failed,
                "failed": failed,
                "queue_full": queue_full,
                "cpu_wait_ms": max(waits) if waits else None,
                **_percentiles(lateness.astype(np.float64)),
                "sent_during": int(during[second]),
            }
        )
    return rows


def merge_result(
    config: GeneratorConfig, shares: Sequence[ShareStats], rows: Sequence[dict[str, Any]], start_wall: float
) -> dict[str, Any]:
    sent = sum(r["sent"] for r in rows)
    planned = sum(r["planned"] for r in rows)
    send_s = max(share.send_duration_s for share in shares)
    overall = _percentiles(np.concatenate([s.lateness_ms for s in shares]).astype(np.float64))
    return {
        "target_rate_rps": planned / config.duration_s,
        "planned": planned,
        "sent": sent,
        "acked": sum(r["acked"] for r in rows),
        "failed": sum(r["failed"] for r in rows),
        "queue_full": sum(r["queue_full"] for r in rows),
        "unflushed": sum(share.unflushed for share in shares),
        "interrupted": any(share.interrupted for share in shares),
        "processes": len(shares),
        "start_time_ms": int(start_wall * 1000),
        "send_duration_s": send_s,
        "ack_duration_s": max(share.ack_duration_s for share in shares),
        "achieved_rate_rps": sent / send_s if send_s > 0 else 0.0,
        "record_bytes": config.record_stream.record_bytes,
        **overall,
    }


# ---------------------------------------------------------------------------------------------------------
# Processes


class GeneratorFailed(RuntimeError):
    """A worker failed; the others were stopped."""


def _watch_parent(parent: int, sender: ShareSender) -> None:
    """Stop the worker if the coordinating process is gone (it was killed, say)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    sender.stop()


def _worker(
    raw_config: dict[str, Any],
    share: int,
    out: str,
    start_at: Any,
    start_wall: Any,
    go: Any,
    ready: Any,
    parent: int,
) -> None:
    config = GeneratorConfig.from_json(raw_config)
    producer = Producer(producer_settings(config))
    sender = ShareSender(config, share, config.processes, producer)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: sender.stop())
    threading.Thread(target=_watch_parent, args=(parent, sender), daemon=True).start()
    # Metadata first, so that the first sends do not wait for the connection.
    producer.list_topics(config.topic, timeout=30)
    ready.put(share)
    while not go.wait(MAX_SLEEP_S):
        if sender.stopping:
            return
    sender.run(start_at.value, round(start_wall.value * 1000)).save(Path(out))


class Coordinator:
    """Starts the workers, gives them one start instant, stops them all however it ends, merges."""

    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.stopping = False
        # Forked: the coordinator has no threads and no Kafka client yet, and forked workers need no
        # resource-tracker process (spawned ones do, and it would outlive the coordinator by a moment).
        self._context = multiprocessing.get_context("fork")
        self._workers: list[Any] = []

    def stop(self, *_: object) -> None:
        self.stopping = True

    def run(self) -> dict[str, Any]:
        cfg = self.config
        with tempfile.TemporaryDirectory(prefix=".generator-", dir=cfg.result_path.parent) as work:
            outs = [Path(work) / f"share-{k}.npz" for k in range(cfg.processes)]
            try:
                start_wall = self._run_workers(outs)
            finally:
                self._stop_workers()
            missing = [k for k, out in enumerate(outs) if not out.exists()]
            if missing:
                if self.stopping:
                    raise GeneratorFailed(f"stopped before worker {missing[0]} had sent anything")
                raise GeneratorFailed(f"worker {missing[0]} left no statistics")
            shares = [ShareStats.load(out) for out in outs]
        rows = merge_rows(shares)
        result = merge_result(cfg, shares, rows, start_wall)
        result["interrupted"] = result["interrupted"] or self.stopping
        write_atomically(cfg.stats_path, "".join(json.dumps(row) + "\n" for row in rows))
        write_atomically(cfg.result_path, json.dumps(result, indent=2))
        return result

    def _run_workers(self, outs: list[Path]) -> float:
        ctx = self._context
        start_at = ctx.Value("d", 0.0, lock=False)
        start_wall_at = ctx.Value("d", 0.0, lock=False)
        go = ctx.Event()
        ready = ctx.Queue()
        raw = self.config.to_json()
        for k, out in enumerate(outs):
            args = (raw, k, str(out), start_at, start_wall_at, go, ready, os.getpid())
            worker = ctx.Process(target=_worker, args=args, name=f"generator-{k}")
            worker.start()
            self._workers.append(worker)
        waiting = set(range(len(outs)))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while waiting:
            self._check_workers(finished_ok=False)
            if self.stopping:
                return time.time()
            if time.monotonic() > deadline:
                raise GeneratorFailed(f"workers {sorted(waiting)} not ready after {READY_TIMEOUT_S:.0f} s")
            try:
                waiting.discard(ready.get(timeout=MAX_SLEEP_S))
            except queue.Empty:
                continue
        start_wall = time.time() + START_MARGIN_S
        start_wall_at.value = start_wall
        start_at.value = time.monotonic() + START_MARGIN_S
        go.set()
        while (running := [w for w in self._workers if w.is_alive()]) and not self.stopping:
            self._check_workers(finished_ok=True)
            wait_for_any([worker.sentinel for worker in running], timeout=MAX_SLEEP_S)
        self._check_workers(finished_ok=True)
        return start_wall

    def _check_workers(self, finished_ok: bool) -> None:
        for k, worker in enumerate(self._workers):
            code = worker.exitcode
            if code is None or (code == 0 and finished_ok):
                continue
            if self.stopping and code in (0, -signal.SIGTERM, -signal.SIGINT):
                continue
            raise GeneratorFailed(f"worker {k} (pid {worker.pid}) exited with status {code}")

    def _signal_workers(self, sig: signal.Signals) -> None:
        for worker in self._workers:
            if worker.is_alive() and worker.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, sig)

    def _stop_workers(self) -> None:
        """SIGTERM the workers still running (they flush and save), again each second in case one had
        not yet set up its handler; SIGKILL those still running after ``EXIT_GRACE_S``."""
        deadline = time.monotonic() + EXIT_GRACE_S
        while time.monotonic() < deadline:
            running = [worker for worker in self._workers if worker.is_alive()]
            if not running:
                break
            self._signal_workers(signal.SIGTERM)
            wait_for_any([worker.sentinel for worker in running], timeout=1.0)
        for worker in self._workers:
            if worker.is_alive():
                worker.kill()
            worker.join()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        config = GeneratorConfig.from_file(args.config)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    coordinator = Coordinator(config)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, coordinator.stop)
    try:
        coordinator.run()
    except GeneratorFailed as exc:
        print(f"generator failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
