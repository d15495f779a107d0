"""The simulation: a generator's profile into Kafka, a direct stream or receivers taking from it under
Spark's rate limits, one job at a time, and Spark's PID estimator after every batch.

Times are milliseconds from the first batch (batch k is generated at ``k * interval``). Each part
follows the Spark class named in its docstring; docs/simulator.md says where each one is weak.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from generators.profiles import RateProfile
from harness.control.pid import PIDRateEstimator
from harness.sim.residuals import RESIDUAL_BLOCK_BATCHES, block_bootstrap

# Guava's SmoothBursty RateLimiter (Spark's receiver RateLimiter) stores at most one second of permits.
BURST_S = 1.0
# spark.streaming.blockInterval's default.
DEFAULT_BLOCK_INTERVAL_MS = 200
# spark.streaming.kafka.minRatePerPartition's default.
DEFAULT_MIN_RATE_PER_PARTITION = 1
UNLIMITED = math.inf


@dataclass(frozen=True)
class CostModel:
    """Processing time of a batch, ms: ``fixed + per_record * records + per_state_record * state``,
    plus ``checkpoint_ms`` on every ``checkpoint_every``-th batch (index ``checkpoint_phase`` modulo it),
    plus ``startup_ms[k]`` on the first batches, plus a residual. A run's residuals come from one
    calibration run, picked once per simulated run, drawn in circular blocks of ``residual_block_batches``
    consecutive batches (``residual_runs_ms``: each calibration run's residuals in batch order;
    ``harness.sim.residuals``)."""

    fixed_ms: float
    per_record_ms: float
    per_state_record_ms: float = 0.0
    checkpoint_ms: float = 0.0
    checkpoint_every: int | None = None
    checkpoint_phase: int = 0
    startup_ms: tuple[float, ...] = ()
    residual_runs_ms: tuple[tuple[float, ...], ...] = ()
    residual_block_batches: int = RESIDUAL_BLOCK_BATCHES

    def is_checkpoint(self, index: int) -> bool:
        return self.checkpoint_every is not None and index % self.checkpoint_every == self.checkpoint_phase

    def mean_ms(self, index: int, records: int, state_records: int) -> float:
        """The model's processing time of batch ``index`` without the residual."""
        ms = self.fixed_ms + self.per_record_ms * records + self.per_state_record_ms * state_records
        if self.is_checkpoint(index):
            ms += self.checkpoint_ms
        if index < len(self.startup_ms):
            ms += self.startup_ms[index]
        return ms


@dataclass(frozen=True)
class Scenario:
    """What one run of a manifest asks of the model (``harness.sim.simulate.scenario`` builds it)."""

    interval_ms: int
    profile: RateProfile
    duration_s: float
    load_start_ms: int  # the generator's schedule starts (may be before the first batch)
    drain_timeout_ms: int
    source: str  # "direct" or "receiver"
    partitions: int
    record_bytes: int
    backpressure: bool
    pid: tuple[float, float, float, float]  # proportional, integral, derived, min_rate
    source_start_ms: int = 0  # the source takes nothing before (records wait in Kafka)
    initial_rate: int | None = None
    max_rate_per_partition: int | None = None
    min_rate_per_partition: int = DEFAULT_MIN_RATE_PER_PARTITION
    receivers: int = 1
    block_interval_ms: int = DEFAULT_BLOCK_INTERVAL_MS
    receiver_max_rate: int | None = None
    in_flight_budget: int | None = None
    state_timeout_ms: int | None = None
    storage_pool_bytes: int | None = None
    held_bytes_factor: float = 1.0
    stop_grace_ms: int = 60_000  # how long the harness waits for the app to stop (APP_STOP_TIMEOUT_S)

    @property
    def load_end_ms(self) -> int:
        return self.load_start_ms + round(self.duration_s * 1000)

    @property
    def horizon_ms(self) -> int:
        """The latest the run can stop: the drain timeout after the load ends (or the source starts)."""
        return max(self.load_end_ms, self.source_start_ms, 0) + self.drain_timeout_ms


@dataclass
class Trace:
    """What a simulated run did; times in ms from the first batch."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    published: list[tuple[int, int, float]] = field(default_factory=list)  # (time, stream, rate)
    offsets: list[tuple[int, int, int]] = field(default_factory=list)  # (time, produced, committed)
    held: list[tuple[int, int, int]] = field(default_factory=list)  # (time, taken bytes, held bytes)
    produced: int = 0
    processed: int = 0
    backlog: int = 0  # left in Kafka at the stop: never taken by the source
    drained: bool = False
    stop_ms: int = 0
    oom_ms: int | None = None
    oom_detail: str = ""


# Sources --------------------------------------------------------------------------------------------------


def partition_counts(records: int, partitions: int) -> np.ndarray:
    """Records ``0 .. records - 1`` spread round-robin over the partitions (the generator produces with no
    key, so Kafka's partitioner spreads them evenly)."""
    p = np.arange(partitions)
    return np.maximum((records - p + partitions - 1) // partitions, 0)


def direct_batch(
    lag: np.ndarray,
    rate: float | None,
    interval_ms: int,
    max_rate_per_partition: int | None,
    min_rate_per_partition: int = DEFAULT_MIN_RATE_PER_PARTITION,
) -> np.ndarray:
    """Records per partition that ``DirectKafkaInputDStream.maxMessagesPerPartition`` and ``clamp`` let
    into a batch, given each partition's lag. ``rate`` is the estimated rate limit (None or <= 0: none):
    split over partitions by lag, capped per partition by ``maxRatePerPartition``, times the batch's
    seconds truncated to a Long, at least ``minRatePerPartition``, and never more than the lag."""
    lag = np.asarray(lag, dtype=np.int64)
    cap = max_rate_per_partition or 0
    if rate is not None and rate > 0:
        total = int(lag.sum())
        if total == 0:
            return np.zeros_like(lag)  # Spark's share is 0/0 (NaN): no limit, and nothing to take
        limits = lag / float(total) * rate
        if cap > 0:
            limits = np.minimum(limits, cap)
    elif cap > 0:
        limits = np.full(lag.shape, float(cap))
    else:
        return lag.copy()
    if limits.sum() <= 0:
        return lag.copy()
    messages = np.maximum((interval_ms / 1000.0 * limits).astype(np.int64), min_rate_per_partition)
    return np.minimum(messages, lag)


class TokenBucket:
    """A receiver's ``RateLimiter`` (Guava's SmoothBursty under Spark's ``BlockGenerator``): permits
    accrue at the rate, at most one second's worth are stored, and a new rate scales the stored permits
    as Guava's ``setRate`` does. Created at ``initialRate`` capped by ``receiver.maxRate``."""

    def __init__(self, rate: float, max_rate: float = UNLIMITED) -> None:
        self.max_rate = max_rate
        self.rate = min(rate, max_rate)
        self.tokens = 0.0

    def update(self, rate: float) -> None:
        """``RateLimiter.updateRate``: rates <= 0 are ignored, others capped at ``maxRate``."""
        if rate <= 0:
            return
        new = min(rate, self.max_rate)
        if math.isfinite(self.rate) and self.rate > 0 and math.isfinite(new):
            self.tokens *= new / self.rate
        else:
            self.tokens = 0.0
        self.rate = new

    def take(self, wanted: int, dt_ms: int) -> int:
        """Permits for up to ``wanted`` records after ``dt_ms`` of accrual; the rest waits in Kafka."""
        if not math.isfinite(self.rate):
            return wanted
        self.tokens = min(self.tokens + self.rate * dt_ms / 1000.0, self.rate * BURST_S)
        taken = min(wanted, int(self.tokens))
        self.tokens -= taken
        return taken


# Controller -----------------------------------------------------------------------------------------------


class Controller:
    """Spark's ``RateController`` around the PID port: fed each completed batch's end time, records and
    delays; what it computes is published as a Long (``rateLimit.set(newRate.toLong)``) at the batch's
    end, so it reaches only what is generated (direct) or taken (receivers) after that."""

    def __init__(self, interval_ms: int, pid: tuple[float, float, float, float]) -> None:
        self.estimator = PIDRateEstimator(interval_ms, *pid)

    def completed(self, end_ms: int, records: int, processing_ms: int, scheduling_ms: int) -> int | None:
        rate = self.estimator.compute(end_ms, records, processing_ms, scheduling_ms)
        return None if rate is None else int(rate)


# The loop -------------------------------------------------------------------------------------------------


class _Jobs:
    """One job at a time, first in first out (``JobScheduler`` with ``concurrentJobs`` 1)."""

    def __init__(self, sc: Scenario, cost: CostModel, rng: np.random.Generator) -> None:
        self.sc, self.cost = sc, cost
        self.free_at = 0
        self.noise = block_bootstrap(
            cost.residual_runs_ms, cost.residual_block_batches, sc.horizon_ms // sc.interval_ms + 2, rng
        )
        self.recent: list[tuple[int, int]] = []  # (batch time, records) within the state timeout

    def run(self, index: int, time_ms: int, records: int) -> tuple[int, int, int]:
        """(start, end, processing ms) of batch ``index`` generated at ``time_ms``."""
        state = 0
        if self.sc.state_timeout_ms is not None:
            self.recent = [(t, n) for t, n in self.recent if t > time_ms - self.sc.state_timeout_ms]
            state = sum(n for _, n in self.recent)
            self.recent.append((time_ms, records))
        mean = self.cost.mean_ms(index, records, state)
        processing = max(1, round(mean + self.noise[min(index, len(self.noise) - 1)]))
        start = max(time_ms, self.free_at)
        self.free_at = start + processing
        return start, start + processing, processing


def simulate(sc: Scenario, cost: CostModel, seed: int = 1) -> Trace:
    """One run. Deterministic for a seed: the residuals are the only randomness."""
    rng = np.random.default_rng(seed)
    if sc.source == "receiver":
        return _Receivers(sc, cost, rng).run()
    return _Direct(sc, cost, rng).run()


class _Loop:
    """What both sources share: the batch clock, the jobs, the controllers and the stop rule (the
    harness waits for the app to process everything produced, at most ``drain_timeout``)."""

    def __init__(self, sc: Scenario, cost: CostModel, rng: np.random.Generator, streams: int) -> None:
        self.sc = sc
        self.jobs = _Jobs(sc, cost, rng)
        self.trace = Trace()
        self.total = sc.profile.total_records(sc.duration_s)
        self.trace.produced = self.total
        self.hard_end = sc.horizon_ms
        self.controllers = (
            [Controller(sc.interval_ms, sc.pid) for _ in range(streams)] if sc.backpressure else []
        )
        self.updates: list[tuple[int, int, int]] = []  # (time, stream, rate), in time order
        self.applied = 0
        self.ends: list[int] = []  # completion times, in order (FIFO) ...
        self.cumulative: list[int] = []  # ... and records processed by then
        self.consumed = 0
        self.stop = self.hard_end

    def produced_at(self, times_ms: np.ndarray) -> np.ndarray:
        """Records in Kafka at each time."""
        seconds = (np.asarray(times_ms, dtype=np.float64) - self.sc.load_start_ms) / 1000.0
        return self.sc.profile.records_before_many(seconds, self.sc.duration_s)

    def visible_at(self, times_ms: np.ndarray) -> np.ndarray:
        """Records the source can take at each time: none before it is up."""
        times = np.asarray(times_ms)
        return np.where(times < self.sc.source_start_ms, 0, self.produced_at(times))

    def due_updates(self, before_ms: int) -> list[tuple[int, int, int]]:
        """Rates published before ``before_ms`` not yet applied."""
        start = self.applied
        while self.applied < len(self.updates) and self.updates[self.applied][0] < before_ms:
            self.applied += 1
        return self.updates[start : self.applied]

    def batch(self, index: int, time_ms: int, per_stream: list[int]) -> None:
        records = sum(per_stream)
        start, end, processing = self.jobs.run(index, time_ms, records)
        self.consumed += records
        self.trace.batches.append({
            "batch_time_ms": time_ms, "input_records": records, "start_ms": start, "end_ms": end,
            "processing_time_ms": processing, "scheduling_delay_ms": start - time_ms,
        })  # fmt: skip
        self.ends.append(end)
        self.cumulative.append(self.consumed)
        for stream, controller in enumerate(self.controllers):
            rate = controller.completed(end, per_stream[stream], processing, start - time_ms)
            if rate is not None:
                self.updates.append((end, stream, rate))
                self.trace.published.append((end, stream, float(rate)))
        drained_in_time = end <= self.hard_end
        if self.consumed >= self.total and drained_in_time and not self.trace.drained:
            self.trace.drained = True
            self.stop = max(end, self.sc.load_end_ms)

    def processed_by(self, time_ms: int) -> int:
        done = bisect_right(self.ends, time_ms)
        return self.cumulative[done - 1] if done else 0

    def taken_by(self, time_ms: int) -> int:
        """Records the source has taken from Kafka by ``time_ms``."""
        return self.processed_by(time_ms)

    def finish(self) -> Trace:
        """Statuses at the end. A run that did not drain is asked to stop at the drain timeout: no
        batch is generated after it, and the jobs already queued run on until the app exits or the
        harness kills it ``stop_grace_ms`` later (a graceful stop processes the data received)."""
        trace = self.trace
        stop = self.stop if trace.drained or trace.oom_ms is not None else self.stop + self.sc.stop_grace_ms
        trace.stop_ms = min(stop, max([self.stop, *self.ends]))
        stop = trace.stop_ms
        for row in trace.batches:
            if row["end_ms"] <= stop:
                row["status"] = "COMPLETED"
            else:
                row["status"] = "PROCESSING" if row["start_ms"] <= stop else "QUEUED"
                row["processing_time_ms"] = None
                if row["start_ms"] > stop:
                    row["scheduling_delay_ms"] = None
        trace.processed = sum(r["input_records"] for r in trace.batches if r["status"] == "COMPLETED")
        # The direct stream leaves in Kafka what no finished batch read; receivers what they never took
        # (blocks they took but no batch processed are lost when the app stops).
        trace.backlog = trace.produced - (
            self.taken_by(self.stop) if self.sc.source == "receiver" else trace.processed
        )
        trace.published = [p for p in trace.published if p[0] <= stop]
        return trace


class _Direct(_Loop):
    """``DirectKafkaInputDStream``: each batch is sized when it is generated, from the lag of each
    partition and the latest published rate (``initialRate`` before the first; none with backpressure
    off, where only ``maxRatePerPartition`` caps)."""

    def __init__(self, sc: Scenario, cost: CostModel, rng: np.random.Generator) -> None:
        super().__init__(sc, cost, rng, streams=1)

    def run(self) -> Trace:
        sc = self.sc
        interval = sc.interval_ms
        times = np.arange(0, self.hard_end + interval, interval, dtype=np.int64)
        produced = self.visible_at(times)
        consumed = np.zeros(sc.partitions, dtype=np.int64)
        latest = -1  # RateController's rateLimit before the first estimate
        for index, time_ms in enumerate(times.tolist()):
            if time_ms > self.stop:
                break
            for _, _, rate in self.due_updates(time_ms):
                latest = rate
            if sc.backpressure:
                estimate: float | None = latest if latest > 0 else (sc.initial_rate or 0)
            else:
                estimate = None
            lag = partition_counts(int(produced[index]), sc.partitions) - consumed
            taken = direct_batch(
                lag, estimate, interval, sc.max_rate_per_partition, sc.min_rate_per_partition
            )
            consumed += taken
            self.batch(index, time_ms, [int(taken.sum())])
        # The direct stream commits a batch's offsets when it completes: lag is produced - processed.
        samples = np.arange(0, self.stop + 1, 1000, dtype=np.int64)
        made = self.produced_at(samples)
        self.trace.offsets = [
            (int(t), int(n), self.processed_by(int(t))) for t, n in zip(samples, made, strict=True)
        ]
        return self.finish()


class _Receivers(_Loop):
    """``ReceiverInputDStream`` with one Kafka receiver per stream: each takes from its share of the
    partitions through its token bucket (and within its share of the in-flight budget), its
    ``BlockGenerator`` cuts a block every block interval, and a batch gets the blocks finished before
    it is generated (``ReceivedBlockTracker.allocateBlocksToBatch``)."""

    def __init__(self, sc: Scenario, cost: CostModel, rng: np.random.Generator) -> None:
        super().__init__(sc, cost, rng, streams=sc.receivers)
        if sc.initial_rate is not None:
            start = float(sc.initial_rate)
        else:
            start = float(sc.receiver_max_rate) if sc.receiver_max_rate else UNLIMITED
        cap = float(sc.receiver_max_rate) if sc.receiver_max_rate else UNLIMITED
        self.buckets = [TokenBucket(start, cap) for _ in range(sc.receivers)]
        # Partition p goes to receiver p mod receivers (Kafka's range/round-robin assignment of a group).
        owners = np.arange(sc.partitions) % sc.receivers
        self.share = [float(np.mean(owners == r)) for r in range(sc.receivers)]
        self.held_times: list[int] = []

    def run(self) -> Trace:
        sc = self.sc
        block = sc.block_interval_ms
        ticks = np.arange(block, self.hard_end + sc.interval_ms + block, block, dtype=np.int64)
        produced = self.visible_at(ticks)
        taken = [0] * sc.receivers
        pending = [0] * sc.receivers  # taken into blocks not yet given to a batch
        budget = None if sc.in_flight_budget is None else sc.in_flight_budget / sc.receivers
        tick = 0
        rb = sc.record_bytes
        for index in range(len(ticks)):
            time_ms = index * sc.interval_ms
            if time_ms > self.stop:
                break
            # Blocks that ended before this batch's time belong to it.
            while tick < len(ticks) and ticks[tick] < time_ms:
                end = int(ticks[tick])
                for _, stream, rate in self.due_updates(end - block + 1):
                    self.buckets[stream].update(rate)
                done = self.processed_by(end)
                for r in range(sc.receivers):
                    available = int(produced[tick] * self.share[r]) - taken[r]
                    if budget is not None:
                        room = budget - (taken[r] - done * self.share[r]) * rb
                        available = min(available, max(0, math.ceil(room / rb)))
                    got = self.buckets[r].take(max(0, available), block)
                    taken[r] += got
                    pending[r] += got
                held = (sum(taken) - done) * rb
                self.trace.held.append((end, sum(taken) * rb, held))
                self.held_times.append(end)
                if self._out_of_memory(end, held):
                    break
                tick += 1
            if self.trace.oom_ms is not None:
                self.stop = self.trace.oom_ms
                break
            self.batch(index, time_ms, pending)
            pending = [0] * sc.receivers
        samples = np.arange(0, self.stop + 1, 1000, dtype=np.int64)
        made = self.produced_at(samples)
        self.trace.offsets = [
            (int(t), int(n), self.taken_by(int(t))) for t, n in zip(samples, made, strict=True)
        ]
        return self.finish()

    def taken_by(self, time_ms: int) -> int:
        done = bisect_right(self.held_times, time_ms)
        return self.trace.held[done - 1][1] // self.sc.record_bytes if done else 0

    def _out_of_memory(self, time_ms: int, held: int) -> bool:
        pool = self.sc.storage_pool_bytes
        if pool is None or held * self.sc.held_bytes_factor <= pool:
            return False
        self.trace.oom_ms = time_ms
        self.trace.oom_detail = (
            f"received-not-processed blocks ({held * self.sc.held_bytes_factor / 2**20:,.0f} MiB in memory) "
            f"exceeded the storage pool ({pool / 2**20:,.0f} MiB) at {time_ms / 1000:,.1f} s"
        )
        return True
