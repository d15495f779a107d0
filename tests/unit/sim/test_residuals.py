"""The residuals' block bootstrap: blocks are consecutive batches of one calibration run, a seed always
draws the same, block 1 is the independent draw, and a slow stretch makes simulated runs differ."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from generators.profiles import ConstantProfile
from harness.sim.model import CostModel, Scenario, simulate
from harness.sim.residuals import RESIDUAL_BLOCK_BATCHES, block_bootstrap

# Two calibration runs whose residuals say where they come from: run 0 is 0, 1, 2, ..., 29 and run 1
# is 1000, 1001, ..., 1024.
RUNS = (tuple(float(i) for i in range(30)), tuple(1000.0 + i for i in range(25)))
SHORT_RUN = (5000.0, 5001.0, 5002.0)


def draw(block: int, count: int = 200, seed: int = 1, runs: tuple = RUNS) -> np.ndarray:
    return block_bootstrap(runs, block, count, np.random.default_rng(seed))


def test_blocks_are_consecutive_residuals_of_one_run_starting_wherever_a_whole_block_fits() -> None:
    drawn = draw(block=10, count=10 * 400 - 4, seed=3)
    assert len(drawn) == 3996  # the last block cut at the count
    blocks = np.append(drawn, [np.nan] * 4).reshape(-1, 10)[:-1]
    assert all(np.array_equal(b, np.arange(b[0], b[0] + 10)) for b in blocks)
    firsts = blocks[:, 0]
    assert set(firsts[firsts < 1000]) == set(range(21))  # 30 residuals: blocks start at 0 to 20
    assert set(firsts[firsts >= 1000]) == {1000.0 + i for i in range(16)}  # 25: at 0 to 15


def test_a_run_shorter_than_the_block_is_one_block() -> None:
    drawn = draw(block=10, count=2000, runs=(*RUNS, SHORT_RUN))
    starts = np.flatnonzero(drawn == 5000.0)
    assert len(starts) > 0 and np.sum(drawn >= 5000) == 3 * len(starts)
    assert all(list(drawn[i : i + 3]) == list(SHORT_RUN) for i in starts[starts < len(drawn) - 3])


def test_same_seed_same_draw_other_seed_other_draw() -> None:
    assert np.array_equal(draw(block=10, seed=7), draw(block=10, seed=7))
    assert not np.array_equal(draw(block=10, seed=7), draw(block=10, seed=8))


def test_block_one_is_the_independent_draw() -> None:
    everything = np.concatenate([np.asarray(run) for run in RUNS])
    independent = np.random.default_rng(11).choice(everything, size=300)
    assert np.array_equal(draw(block=1, count=300, seed=11), independent)


def test_no_residuals_draw_zeros_and_a_block_below_one_is_refused() -> None:
    assert np.array_equal(draw(block=10, count=4, runs=()), np.zeros(4))
    with pytest.raises(ValueError, match="at least 1"):
        draw(block=0)


def test_the_default_block_is_ten_batches() -> None:
    assert CostModel(fixed_ms=1, per_record_ms=0).residual_block_batches == RESIDUAL_BLOCK_BATCHES == 10


def p95_total_delays(cost: CostModel, seeds: range) -> list[float]:
    """p95 total delay of a 60 s run at a constant rate (2 s batches, no backpressure) for each seed."""
    sc = Scenario(
        interval_ms=2000,
        profile=ConstantProfile(rate=500),
        duration_s=60,
        load_start_ms=0,
        drain_timeout_ms=10_000,
        source="direct",
        partitions=1,
        record_bytes=100,
        backpressure=False,
        pid=(1.0, 0.2, 0.0, 100.0),
    )
    delays = []
    for seed in seeds:
        batches = simulate(sc, cost, seed).batches
        delays.append(float(np.percentile([b["end_ms"] - b["batch_time_ms"] for b in batches], 95)))
    return delays


def test_a_slow_stretch_spreads_the_p95_across_seeds_and_independent_draws_do_not() -> None:
    # Two calibration runs of 100 batches: one steady, one with a stretch of 40 batches 800 ms slower.
    rng = np.random.default_rng(2)
    steady = tuple(rng.normal(0, 20, 100))
    stretched = tuple(rng.normal(0, 20, 100) + np.r_[np.zeros(30), np.full(40, 800.0), np.zeros(30)])
    cost = CostModel(fixed_ms=600, per_record_ms=0.0, residual_runs_ms=(steady, stretched))
    blocks = p95_total_delays(cost, range(1, 41))
    independent = p95_total_delays(dataclasses.replace(cost, residual_block_batches=1), range(1, 41))
    # One residual in five is slow: a run's 30-odd independent draws nearly always hold two or more,
    # so its p95 is a slow batch's every time. Blocks of ten also make runs that miss the stretch.
    assert max(independent) - min(independent) < 100
    assert min(independent) > 1300
    fast = [p95 for p95 in blocks if p95 < 700]
    assert len(fast) >= 5 and max(blocks) > 1300
