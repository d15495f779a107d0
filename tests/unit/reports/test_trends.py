"""What the claim rules read from a run's tables."""

from __future__ import annotations

import pandas as pd
import pytest

from reports.trends import batch_trends, in_flight_trend, loaded_batches

T0 = 1_800_000_000_000


def batches(delays: list[float], records: list[int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "batch_time_ms": [T0 + i * 2000 for i in range(len(delays))],
            "status": "COMPLETED",
            "input_records": records,
            "scheduling_delay_ms": delays,
            "processing_time_ms": [1500.0] * len(delays),
        }
    )


def test_loaded_batches_skip_the_warmup_and_the_drain() -> None:
    frame = batches([0.0] * 10, [2000] * 7 + [0, 0, 0])
    loaded = loaded_batches(frame, warmup_s=4.0)
    assert loaded["batch_time_ms"].tolist() == [T0 + i * 2000 for i in range(2, 7)]
    assert loaded_batches(pd.DataFrame(), 0.0).empty


def test_batch_trends_slope_and_held_share() -> None:
    # Scheduling delay rising 1,000 ms per 2 s batch: 500 ms/s; 4 of 10 batches under 90 % of 2,000.
    frame = batches([1000.0 * i for i in range(10)], [2000] * 6 + [1500] * 4)
    trends = batch_trends(frame, 0.0, offered_per_batch=2000.0, held_below=0.9)
    assert trends.sched is not None and trends.sched.slope == pytest.approx(500.0)
    assert trends.sched.low == pytest.approx(500.0) and trends.sched.high == pytest.approx(500.0)
    assert trends.proc is not None and trends.proc.slope == pytest.approx(0.0)
    assert trends.held_share == pytest.approx(0.4)


def test_in_flight_trend_sums_streams_and_reads_troughs() -> None:
    # Two streams, each sampled every second; stream 0's trough grows by 200 records per 2 s batch,
    # stream 1 holds a flat sawtooth: 100 records/s in all.
    rows = []
    for s in range(40):
        rows.append(
            {
                "time_ms": T0 + s * 1000,
                "stream_id": 0,
                "taken_records": 100 * s + 500 * (s % 2),
                "processed_records": 0,
            }
        )
        rows.append(
            {
                "time_ms": T0 + s * 1000,
                "stream_id": 1,
                "taken_records": 1000 * (s % 2),
                "processed_records": 0,
            }
        )
    trend = in_flight_trend(pd.DataFrame(rows), 2000)
    assert trend is not None and trend.slope == pytest.approx(100.0)
    assert in_flight_trend(pd.DataFrame(), 2000) is None
