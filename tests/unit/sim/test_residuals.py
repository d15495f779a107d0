"""The residuals' two-level bootstrap: a simulated run draws from one calibration run only, in circular
blocks of its consecutive batches, every batch equally likely; a seed always draws the same, block 1
is the independent draw within the picked run, and slow and fast calibration runs make slow and fast
simulated runs."""

from __future__ import annotations

import numpy as np
import pytest

from generators.profiles import ConstantProfile
from harness.sim.model import CostModel, simulate
from harness.sim.residuals import RESIDUAL_BLOCK_BATCHES, block_bootstrap
from tests.unit.sim.test_model import scenario

# Two calibration runs whose residuals say where they come from: run 0 is 0, 1, 2, ..., 29 and run 1
# is 1000, 1001, ..., 1024.
RUNS = (tuple(float(i) for i in range(30)), tuple(1000.0 + i for i in range(25)))
SHORT_RUN = (5000.0, 5001.0, 5002.0)


def draw(block: int, count: int = 200, seed: int = 1, runs: tuple = RUNS) -> np.ndarray:
    return block_bootstrap(runs, block, count, np.random.default_rng(seed))


def picked_run(drawn: np.ndarray, runs: tuple = RUNS) -> int:
    """The one calibration run every drawn residual comes from (fails when they come from several)."""
    [picked] = {index for value in drawn for index, run in enumerate(runs) if value in run}
    return picked


@pytest.mark.parametrize("block", [1, RESIDUAL_BLOCK_BATCHES])
def test_a_draw_comes_from_one_calibration_run_and_every_run_gets_picked(block: int) -> None:
    picks = [picked_run(draw(block=block, seed=seed)) for seed in range(1, 41)]
    assert set(picks) == {0, 1}


def test_blocks_are_circular_a_block_near_the_end_goes_on_at_the_start() -> None:
    run = RUNS[0]
    drawn = draw(block=10, count=10 * 400 - 4, runs=(run,))
    assert len(drawn) == 3996  # the last block cut at the count
    blocks = np.append(drawn, [np.nan] * 4).reshape(-1, 10)[:-1]
    assert all(np.array_equal(b, (b[0] + np.arange(10)) % len(run)) for b in blocks)
    assert set(blocks[:, 0]) == set(run)  # a block starts at every batch, the last nine too
    assert [25, 26, 27, 28, 29, 0, 1, 2, 3, 4] in blocks.tolist()


def test_a_run_shorter_than_the_block_is_wrapped_around_as_often_as_the_block_needs() -> None:
    starts = set()
    for seed in range(1, 21):
        drawn = draw(block=10, count=10, seed=seed, runs=(SHORT_RUN,))
        start = SHORT_RUN.index(drawn[0])
        assert list(drawn) == [SHORT_RUN[(start + i) % 3] for i in range(10)]
        starts.add(start)
    assert starts == {0, 1, 2}


def test_every_batch_is_drawn_equally_often_so_the_drawn_mean_is_the_runs_mean() -> None:
    # Slow first and last batches: blocks that could not wrap would draw them less often than the middle.
    run = (900.0,) * 3 + (0.0,) * 24 + (900.0,) * 3
    drawn = np.concatenate([draw(block=10, count=30, seed=seed, runs=(run,)) for seed in range(2000)])
    assert np.mean(drawn) == pytest.approx(np.mean(run), abs=10)  # 180 ms
    positions = np.concatenate([draw(block=10, count=30, seed=seed, runs=RUNS[:1]) for seed in range(2000)])
    counts = np.bincount(positions.astype(int), minlength=30)
    assert counts.min() > 0.9 * len(positions) / 30 and counts.max() < 1.1 * len(positions) / 30


def test_block_one_is_the_independent_draw_within_the_picked_run() -> None:
    drawn = draw(block=1, count=300, seed=11)
    run = RUNS[picked_run(drawn)]
    assert set(drawn) == set(run)  # 300 draws from 25 or 30 values: every one comes up
    assert np.mean(np.diff(drawn) == 1) < 0.1  # not in order: each residual drawn on its own


def test_same_seed_same_draw_other_seed_other_draw() -> None:
    assert np.array_equal(draw(block=10, seed=7), draw(block=10, seed=7))
    assert not np.array_equal(draw(block=10, seed=7), draw(block=10, seed=8))


def test_no_residuals_draw_zeros_and_a_block_below_one_is_refused() -> None:
    assert np.array_equal(draw(block=10, count=4, runs=()), np.zeros(4))
    with pytest.raises(ValueError, match="at least 1"):
        draw(block=0)


def test_the_default_block_is_ten_batches() -> None:
    assert CostModel(fixed_ms=1, per_record_ms=0).residual_block_batches == RESIDUAL_BLOCK_BATCHES == 10


def p95_total_delays(cost: CostModel, seeds: range) -> list[float]:
    """p95 total delay of a 60 s run at a constant rate (2 s batches, no backpressure) for each seed."""
    sc = scenario(
        profile=ConstantProfile(rate=500),
        duration_s=60,
        load_start_ms=0,
        record_bytes=100,
        backpressure=False,
        initial_rate=None,
    )
    delays = []
    for seed in seeds:
        batches = simulate(sc, cost, seed).batches
        delays.append(float(np.percentile([b["end_ms"] - b["batch_time_ms"] for b in batches], 95)))
    return delays


def test_a_slow_and_a_fast_calibration_run_give_slow_and_fast_simulated_runs() -> None:
    # Two calibration runs of 30 batches, one fast and one 800 ms slower throughout.
    rng = np.random.default_rng(2)
    fast, slow = tuple(rng.normal(0, 20, 30)), tuple(rng.normal(800, 20, 30))
    cost = CostModel(fixed_ms=600, per_record_ms=0.0, residual_runs_ms=(fast, slow))
    p95s = np.array(p95_total_delays(cost, range(1, 41)))
    # Two levels, about 640 and 1,440 ms, and nothing between: a run never mixes the two.
    fast_runs, slow_runs = p95s[p95s < 1000], p95s[p95s >= 1000]
    assert len(fast_runs) >= 10 and len(slow_runs) >= 10
    assert fast_runs.max() - fast_runs.min() < 100 and slow_runs.max() - slow_runs.min() < 100
    assert slow_runs.min() - fast_runs.max() > 600
