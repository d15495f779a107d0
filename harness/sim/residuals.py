"""The cost model's noise: residuals drawn in blocks of consecutive batches (a moving-block bootstrap).

Processing time in a real run moves in stretches (a run of slow batches, then a fast one) that the
batch's size does not explain; residuals drawn one by one, independently, never make such a stretch.
Here a run's residuals are blocks of ``block`` consecutive residuals of one calibration run, each block
picked at random among every block the calibration runs offer, until there are enough.
"""

from __future__ import annotations

import numpy as np

# Ten batches: in the simulator benchmark's calibration runs (2 s batches, 29 or 30 fitted batches a
# run) the residuals' autocorrelation around their common mean is 0.66 at lag 1, above 0.5 up to lag 7
# and about half that, 0.35, at lags 9 and 10 (docs/simulator.md). A block of ten keeps most of that
# dependence and still leaves such a run 21 different blocks (20 would leave 11, 30 one).
RESIDUAL_BLOCK_BATCHES = 10


def block_bootstrap(
    runs: tuple[tuple[float, ...], ...], block: int, count: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` residuals: blocks of ``block`` consecutive residuals of one run each (a run shorter than
    the block is one block), every block any run offers equally likely. Block 1 is the independent draw
    with replacement from all residuals, the same values as ``rng.choice`` for the same generator."""
    series = [np.asarray(run, dtype=float) for run in runs if run]
    if not series or count <= 0:
        return np.zeros(max(count, 0))
    if block < 1:
        raise ValueError(f"residual block of {block} batches: it must be at least 1")
    firsts, sizes = [], []
    offset = 0
    for run in series:
        size = min(block, len(run))
        starts = len(run) - size + 1
        firsts.append(offset + np.arange(starts))
        sizes.append(np.full(starts, size))
        offset += len(run)
    first, size = np.concatenate(firsts), np.concatenate(sizes)
    picks = rng.integers(0, len(first), size=-(-count // int(size.min())))
    # Position of every drawn residual in the runs laid end to end: each block's first, then onwards.
    lengths = size[picks]
    block_starts = np.repeat(first[picks], lengths)
    within = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.concatenate(series)[(block_starts + within)[:count]]
