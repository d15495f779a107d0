"""What the claim rules read from a run's tables: slopes with intervals and per-batch shares.

Pure functions over the tables' frames, so old runs (whose summary.json has no intervals) are judged
by the same numbers as new ones. Slopes are Theil-Sen with their interval
(``harness.results.summary.theil_sen_per_s``), over the batches under load: the completed batches
after the manifest's warm-up, up to the last batch that took in records (after it, Spark only
drains what is queued).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from harness.results.summary import Slope, interval_minima, theil_sen_per_s


@dataclass(frozen=True)
class BatchTrends:
    sched: Slope | None
    proc: Slope | None
    # Share of the batches under load that took in less than ``held_below`` of the offered records.
    held_share: float | None


NO_TRENDS = BatchTrends(None, None, None)


def loaded_batches(batches: pd.DataFrame, warmup_s: float) -> pd.DataFrame:
    """Completed batches after the warm-up, up to the last one that took in records."""
    needed = {"status", "batch_time_ms", "input_records", "scheduling_delay_ms", "processing_time_ms"}
    if batches.empty or not needed <= set(batches.columns):
        return pd.DataFrame()
    done = batches[(batches["status"] == "COMPLETED") & batches["processing_time_ms"].notna()]
    done = done.sort_values("batch_time_ms")
    if done.empty:
        return done
    done = done[done["batch_time_ms"] >= done["batch_time_ms"].iloc[0] + warmup_s * 1000]
    taking = done[done["input_records"] > 0]
    return done if taking.empty else done[done["batch_time_ms"] <= taking["batch_time_ms"].iloc[-1]]


def batch_trends(
    batches: pd.DataFrame,
    warmup_s: float,
    offered_per_batch: float | None,
    held_below: float,
) -> BatchTrends:
    """Scheduling delay's and processing time's slopes (ms/s), and the share of batches held back."""
    loaded = loaded_batches(batches, warmup_s)
    if loaded.empty:
        return NO_TRENDS
    times = loaded["batch_time_ms"].astype(float).tolist()
    held = None
    if offered_per_batch:
        held = float((loaded["input_records"] < held_below * offered_per_batch).mean())
    return BatchTrends(
        theil_sen_per_s(times, loaded["scheduling_delay_ms"].astype(float).tolist()),
        theil_sen_per_s(times, loaded["processing_time_ms"].astype(float).tolist()),
        held,
    )


def in_flight_trend(in_flight: pd.DataFrame, interval_ms: float | None) -> Slope | None:
    """Slope (records/s) of the records received and not yet processed, summed over the input streams
    (each at its latest sample), fitted to each batch interval's lowest value: like the Kafka lag, it
    climbs between two batches and drops when one is processed."""
    needed = {"time_ms", "stream_id", "taken_records", "processed_records"}
    if in_flight.empty or not interval_ms or not needed <= set(in_flight.columns):
        return None
    frame = in_flight.assign(records=in_flight["taken_records"] - in_flight["processed_records"])
    wide = frame.pivot_table(index="time_ms", columns="stream_id", values="records", aggfunc="last")
    total = wide.sort_index().ffill().fillna(0).sum(axis=1)
    samples = list(zip(total.index.astype(float), total.astype(float), strict=True))
    times, values = interval_minima(samples, samples[0][0], None, int(interval_ms))
    return theil_sen_per_s(times, values)
