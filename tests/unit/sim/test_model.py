"""The simulator's parts against hand-worked sequences: the receiver's token bucket over blocks, the direct
stream's per-partition split, the controller's first call and its batch of publish lag, determinism."""

from __future__ import annotations

import dataclasses

import numpy as np

from generators.profiles import ConstantProfile, StepProfile
from harness.sim.model import (
    UNLIMITED,
    Controller,
    CostModel,
    Scenario,
    TokenBucket,
    direct_batch,
    partition_counts,
    simulate,
)


def scenario(**changes: object) -> Scenario:
    base = Scenario(
        interval_ms=2000,
        profile=ConstantProfile(rate=1000),
        duration_s=120,
        load_start_ms=-20_000,  # 20,000 records wait in Kafka when the stream starts
        drain_timeout_ms=10_000,
        source="direct",
        partitions=1,
        record_bytes=1000,
        backpressure=True,
        pid=(1.0, 0.2, 0.0, 100.0),
        initial_rate=200,
    )
    return dataclasses.replace(base, **changes)


def sizes(trace, count: int) -> list[int]:  # noqa: ANN001 - a Trace
    return [b["input_records"] for b in trace.batches[:count]]


# The receiver's token bucket -----------------------------------------------------------------------------


def test_token_bucket_takes_the_rate_per_block_and_stores_at_most_a_second() -> None:
    bucket = TokenBucket(100.0)
    # 200 ms blocks at 100 records/s: 20 records a block while Kafka has plenty.
    assert [bucket.take(10_000, 200) for _ in range(3)] == [20, 20, 20]
    # Two idle seconds (nothing to take) store one second of permits, not two ...
    for _ in range(10):
        assert bucket.take(0, 200) == 0
    # ... so the next block takes that second's 100 and the ones after it the rate again.
    assert [bucket.take(10_000, 200) for _ in range(3)] == [100, 20, 20]


def test_token_bucket_updates_like_spark_rate_limiter() -> None:
    bucket = TokenBucket(100.0, max_rate=60.0)  # initialRate 100 capped by receiver.maxRate 60
    assert bucket.take(10_000, 200) == 12
    bucket.update(0)  # ignored, as RateLimiter.updateRate ignores rates <= 0
    bucket.update(-5)
    assert bucket.take(10_000, 200) == 12
    bucket.update(25.0)
    assert bucket.take(10_000, 200) == 5
    bucket.update(500.0)  # capped at maxRate again
    assert bucket.take(10_000, 200) == 12


def test_unlimited_bucket_takes_everything() -> None:
    bucket = TokenBucket(UNLIMITED)
    assert bucket.take(123_456, 200) == 123_456


def test_receiver_blocks_reach_the_batch_after_they_are_cut() -> None:
    # 100 records/s into a receiver limited to 50/s, 500 ms blocks, 1 s batches: a block ending at a
    # batch time goes to the next batch, so batch 1 s has the block [0, 0.5 s) only.
    sc = scenario(
        source="receiver", interval_ms=1000, block_interval_ms=500, profile=ConstantProfile(rate=100),
        load_start_ms=0, duration_s=4, backpressure=False, initial_rate=50, drain_timeout_ms=2000,
    )  # fmt: skip
    trace = simulate(sc, CostModel(fixed_ms=10, per_record_ms=0.0))
    assert sizes(trace, 5) == [0, 25, 50, 50, 50]


# The direct stream's per-partition split ---------------------------------------------------------------


def test_direct_stream_splits_the_rate_by_lag_and_truncates_per_partition() -> None:
    # 100 records/s over partitions lagging 1,000 and 2,000: 33.3 and 66.7 records/s, 2 s batches:
    # (2 * 33.3).toLong = 66 and (2 * 66.7).toLong = 133.
    assert direct_batch(np.array([1000, 2000]), 100.0, 2000, None).tolist() == [66, 133]
    # maxRatePerPartition 50 caps the larger share only.
    assert direct_batch(np.array([1000, 2000]), 100.0, 2000, 50).tolist() == [66, 100]
    # Without a rate, only the cap; without either, everything lagging.
    assert direct_batch(np.array([1000, 2000]), None, 2000, 30).tolist() == [60, 60]
    assert direct_batch(np.array([1000, 2000]), None, 2000, None).tolist() == [1000, 2000]
    # minRatePerPartition (1) never takes more than a partition has.
    assert direct_batch(np.array([0, 400]), 100.0, 2000, None).tolist() == [0, 200]
    assert direct_batch(np.array([3, 4000]), 10.0, 2000, None, min_rate_per_partition=5).tolist() == [3, 19]


def test_partitions_share_records_round_robin() -> None:
    assert partition_counts(7, 3).tolist() == [3, 2, 2]
    assert partition_counts(0, 2).tolist() == [0, 0]


# The controller ------------------------------------------------------------------------------------------


def test_controller_first_call_returns_nothing_and_empty_batches_are_skipped() -> None:
    controller = Controller(2000, (1.0, 0.2, 0.0, 100.0))
    assert controller.completed(1000, 0, 100, 0) is None  # no records: Spark skips the batch
    assert controller.completed(2100, 400, 100, 0) is None  # first valid call: only records 4,000/s
    # processing rate 4,000/s again, no scheduling delay: the error is 0, the rate 4,000, as a Long.
    assert controller.completed(4100, 400, 100, 0) == 4000
    assert controller.completed(6100, 400, 300, 0) == 1333  # 4000 - (4000 - 1333.3): truncated


def test_a_rate_reaches_the_batches_generated_after_it_is_published() -> None:
    # 100 ms a batch: batch 0's call only starts the PID, batch 1's computes 4,000/s at 2.1 s, so batch
    # 2 (generated at 4 s) is the first to take more than initialRate's 200/s x 2 s.
    trace = simulate(scenario(), CostModel(fixed_ms=100, per_record_ms=0.0))
    assert sizes(trace, 3) == [400, 400, 8000]
    assert trace.published[0] == (2100, 0, 4000.0)


def test_a_rate_published_at_a_batch_time_misses_that_batch() -> None:
    # 3 s a batch: batch 1 (generated at 2 s) runs 3-6 s, so its rate is published at 6 s: batch 3,
    # generated at that same instant, still has initialRate (the publication is asynchronous).
    trace = simulate(scenario(), CostModel(fixed_ms=3000, per_record_ms=0.0))
    assert trace.published[0][0] == 6000
    assert sizes(trace, 4) == [400, 400, 400, 400]
    assert sizes(trace, 5)[4] != 400


def test_backpressure_off_ignores_initial_rate_on_the_direct_stream() -> None:
    trace = simulate(scenario(backpressure=False), CostModel(fixed_ms=100, per_record_ms=0.0))
    assert sizes(trace, 1) == [20_000]
    assert trace.published == []


def test_receiver_keeps_initial_rate_with_backpressure_off() -> None:
    sc = scenario(source="receiver", backpressure=False, initial_rate=100, block_interval_ms=200)
    trace = simulate(sc, CostModel(fixed_ms=100, per_record_ms=0.0))
    # 20 records a 200 ms block while Kafka is full; batch 2 s gets the 9 blocks that ended before it
    # (at 0.2 to 1.8 s), every later batch 10.
    assert sizes(trace, 6) == [0, 180, 200, 200, 200, 200]


def test_in_flight_budget_holds_receivers_back() -> None:
    sc = scenario(
        source="receiver", backpressure=False, initial_rate=None, in_flight_budget=50 * 1000,
        block_interval_ms=200,
    )  # fmt: skip
    # Processing is slow (10 s a batch), so nothing is processed for a while: the receiver stops at
    # the budget of 50 records (and one record over, as it checks before each take).
    trace = simulate(sc, CostModel(fixed_ms=10_000, per_record_ms=0.0))
    assert max(held for _, _, held in trace.held[:20]) <= 50 * 1000


# Jobs, memory, determinism -------------------------------------------------------------------------------


def test_jobs_run_one_at_a_time_first_in_first_out() -> None:
    trace = simulate(
        scenario(backpressure=False, load_start_ms=0), CostModel(fixed_ms=3000, per_record_ms=0.0)
    )
    rows = trace.batches[:3]
    assert [r["start_ms"] for r in rows] == [0, 3000, 6000]
    assert [r["scheduling_delay_ms"] for r in rows] == [0, 1000, 2000]
    assert [r["end_ms"] - r["batch_time_ms"] for r in rows] == [3000, 4000, 5000]


def test_checkpoint_and_startup_costs_land_on_their_batches() -> None:
    cost = CostModel(
        fixed_ms=100, per_record_ms=0.0, checkpoint_ms=500, checkpoint_every=5, checkpoint_phase=2,
        startup_ms=(1000.0,),
    )  # fmt: skip
    trace = simulate(scenario(backpressure=False), cost)
    times = [b["processing_time_ms"] for b in trace.batches[:8]]
    assert times == [1100, 100, 600, 100, 100, 100, 100, 600]


def test_received_data_over_the_storage_pool_is_an_oom() -> None:
    sc = scenario(source="receiver", backpressure=False, initial_rate=None, storage_pool_bytes=5_000_000)
    trace = simulate(sc, CostModel(fixed_ms=100, per_record_ms=0.0))
    assert trace.oom_ms is not None and "storage pool" in trace.oom_detail
    assert trace.stop_ms == trace.oom_ms


def test_same_seed_same_run_other_seed_other_run() -> None:
    cost = CostModel(fixed_ms=100, per_record_ms=0.2, residual_runs_ms=(tuple(np.linspace(-80, 80, 17)),))
    steps = [{"duration_s": 10, "rate": 500}, {"duration_s": 10, "rate": 3000}]
    sc = scenario(profile=StepProfile(steps=steps), duration_s=20, load_start_ms=0)
    first, again, other = simulate(sc, cost, seed=7), simulate(sc, cost, seed=7), simulate(sc, cost, seed=8)
    assert first.batches == again.batches and first.published == again.published
    assert [b["processing_time_ms"] for b in first.batches] != [
        b["processing_time_ms"] for b in other.batches
    ]


def test_the_run_drains_then_stops() -> None:
    trace = simulate(
        scenario(load_start_ms=0, initial_rate=None), CostModel(fixed_ms=100, per_record_ms=0.01)
    )
    assert trace.drained and trace.processed == trace.produced == 120_000
    assert all(b["status"] == "COMPLETED" for b in trace.batches)


def test_an_undrained_run_stops_at_the_drain_timeout_and_its_queued_jobs_run_for_the_grace() -> None:
    # 5 s a batch, a batch every 2 s: never drained. The load ends at 10 s, the drain times out at 20 s
    # (the last batch generated), and the queued jobs run until the harness's grace ends at 32 s.
    sc = scenario(backpressure=False, load_start_ms=0, duration_s=10, stop_grace_ms=12_000)
    trace = simulate(sc, CostModel(fixed_ms=5000, per_record_ms=0.0))
    assert not trace.drained and trace.stop_ms == 32_000
    assert [b["batch_time_ms"] for b in trace.batches] == list(range(0, 20_001, 2000))
    assert [b["status"] for b in trace.batches] == ["COMPLETED"] * 6 + ["PROCESSING"] + ["QUEUED"] * 4
    assert trace.processed == sum(b["input_records"] for b in trace.batches[:6])
    assert trace.backlog == trace.produced - trace.processed


def test_receivers_leave_in_kafka_only_what_they_never_took() -> None:
    sc = scenario(source="receiver", backpressure=False, initial_rate=100, load_start_ms=0, duration_s=10)
    trace = simulate(sc, CostModel(fixed_ms=100, per_record_ms=0.0))
    taken = trace.held[-1][1] // sc.record_bytes
    assert 0 < taken < trace.produced
    assert trace.backlog == trace.produced - taken
