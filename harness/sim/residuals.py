"""The cost model's noise: one calibration run's residuals, drawn in circular blocks of consecutive batches.

Processing time in a real run moves in two ways the batch's size does not explain: the run as a whole
is slow or fast, and within it come stretches of slow batches, then fast ones. So the draw has two
levels. A simulated run first picks one calibration run, every run equally likely; then its residuals
are blocks of ``block`` consecutive residuals of that run only, each block starting at any of its
batches, equally likely, and wrapping from its last batch to its first (a circular block bootstrap:
every batch of the run is drawn equally often, its first and last ones too). A run shorter than the
block is wrapped around as often as the block needs.
"""

from __future__ import annotations

import numpy as np

# Ten batches: in the simulator benchmark's calibration runs (2 s batches, 29 or 30 fitted batches a
# run) the residuals' autocorrelation around each run's own mean is 0.38 at lag 1, 0.09 to 0.23 at lags
# 2 to 6 and negative from lag 7 on (a slow stretch of about ten batches in a run, then faster ones;
# docs/simulator.md). A block of ten keeps such a stretch whole; the run's own level is the first pick.
RESIDUAL_BLOCK_BATCHES = 10


def block_bootstrap(
    runs: tuple[tuple[float, ...], ...], block: int, count: int, rng: np.random.Generator
) -> np.ndarray:
    """``count`` residuals of one calibration run picked at random: circular blocks of ``block``
    consecutive residuals of it, each starting at any of its batches and wrapping from its end to its
    start. Block 1 is the independent draw with replacement from the picked run's residuals (not from
    all runs' residuals, as model version 1 drew them)."""
    series = [np.asarray(run, dtype=float) for run in runs if run]
    if not series or count <= 0:
        return np.zeros(max(count, 0))
    if block < 1:
        raise ValueError(f"residual block of {block} batches: it must be at least 1")
    picked = series[rng.integers(len(series))]
    starts = rng.integers(0, len(picked), size=-(-count // block))
    positions = (starts[:, np.newaxis] + np.arange(block)) % len(picked)
    return picked[positions.ravel()[:count]]
