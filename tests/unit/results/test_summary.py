"""The summary's statistics and the outcome rule, on rows whose answers are known."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.results.outcomes import Evidence
from harness.results.store import SCHEMA_VERSION
from harness.results.summary import (
    Position,
    RunFacts,
    Slope,
    classify,
    gc_statistics,
    percentiles,
    position,
    slope_per_s,
    summarize,
    theil_sen_per_s,
)

T0 = 1_800_000_000_000


def batch(i: int, records: int, delay: float, status: str = "COMPLETED") -> dict:
    return {
        "batch_id": T0 + i * 2000,
        "batch_time_ms": T0 + i * 2000,
        "status": status,
        "input_records": records,
        "scheduling_delay_ms": delay / 2,
        "processing_time_ms": delay / 2,
        "total_delay_ms": delay,
        "output_ops_failed": 0,
    }


FACTS = RunFacts(
    run_id="r1",
    experiment="e",
    batch_interval_ms=2000,
    backpressure=True,
    target_rate_rps=1000.0,
    duration_s=30.0,
    warmup_s=0.0,
    generator={"acked": 20000, "send_duration_s": 20.0, "achieved_rate_rps": 1000.0, "failed": 0},
    processed=20000,
    backlog=0,
    drained=True,
    app_failed=False,
    load_end_ms=T0 + 9 * 2000,
)


def test_percentiles_and_empty() -> None:
    assert percentiles([1, 2, 3, 4, 100]) == {"p50": 3.0, "p95": pytest.approx(80.8), "max": 100.0}
    assert percentiles([]) == {"p50": None, "p95": None, "max": None}


def test_slope_is_per_second() -> None:
    times = [T0 + i * 2000 for i in range(5)]
    assert slope_per_s(times, [100 + 50 * i for i in range(5)]) == pytest.approx(25.0)
    assert slope_per_s(times[:2], [1, 2]) is None


def test_summary_of_a_steady_run() -> None:
    batches = [batch(i, 2000, 400.0) for i in range(10)] + [
        batch(10, 0, 300.0),
        batch(11, 5, 0, "PROCESSING"),
    ]
    summary = summarize(FACTS, batches, [])
    assert summary["outcome"] == "stable"
    assert summary["batches"] == 11
    assert summary["produced"] == 20000 and summary["processed"] == 20000 and summary["lost"] == 0
    assert summary["throughput_rps"] == pytest.approx(1000.0)  # 2000 records per 2 s batch under load
    assert summary["input_rate_rps"] == pytest.approx(1000.0)
    assert summary["total_delay_ms"]["max"] == 400.0
    assert summary["delay_slope"] == pytest.approx(0.0)
    assert summary["schema_version"] == SCHEMA_VERSION


def test_loss_is_what_is_neither_processed_nor_in_the_backlog() -> None:
    facts = replace(FACTS, processed=19000, backlog=600, drained=False)
    summary = summarize(facts, [batch(i, 1900, 400.0) for i in range(10)], [])
    assert summary["lost"] == 400
    assert summary["outcome"] == "unstable"


def test_growing_delay_is_unstable() -> None:
    batches = [batch(i, 2000, 400.0 + 1000 * i) for i in range(10)]
    summary = summarize(FACTS, batches, [])
    assert summary["delay_slope"] == pytest.approx(500.0)
    assert summary["outcome"] == "unstable"


def test_warmup_excludes_early_batches() -> None:
    batches = [batch(0, 10, 9000.0)] + [batch(i, 2000, 400.0) for i in range(1, 10)]
    assert summarize(replace(FACTS, warmup_s=2.0), batches, [])["total_delay_ms"]["max"] == 400.0


def test_outcome_precedence() -> None:
    assert classify(replace(FACTS, app_failed=True), None) == "app_failed"
    slow_generator = {**FACTS.generator, "achieved_rate_rps": 900.0}
    assert classify(replace(FACTS, generator=slow_generator), None) == "generator_saturated"
    assert classify(FACTS, Slope(12.0, 11.0, 13.0)) == "unstable"
    assert classify(FACTS, Slope(9.0, 8.0, 9.5)) == "stable"
    assert classify(FACTS, Slope(9.0, 5.0, 14.0)) == "inconclusive_slope"
    # Lag threshold: 5 % of the 1,000 records/s target.
    assert classify(FACTS, None, Slope(60.0, 51.0, 70.0)) == "unstable"
    assert classify(FACTS, None, Slope(60.0, 20.0, 70.0)) == "inconclusive_slope"
    assert classify(FACTS, Slope(0.0, -1.0, 1.0), Slope(0.0, -5.0, 50.0)) == "stable"
    # Growth anywhere wins over a straddling interval elsewhere; not draining is unstable.
    assert classify(FACTS, Slope(9.0, 5.0, 14.0), Slope(99.0, 80.0, 120.0)) == "unstable"
    assert classify(replace(FACTS, drained=False), None) == "unstable"


def test_position_of_an_interval_against_a_threshold() -> None:
    assert position(Slope(5.0, 4.0, 6.0), 3.0) is Position.ABOVE
    assert position(Slope(5.0, 4.0, 6.0), 6.0) is Position.BELOW
    assert position(Slope(5.0, 4.0, 6.0), 5.0) is Position.STRADDLES
    assert position(None, 5.0) is None


def test_theil_sen_against_hand_worked_values() -> None:
    # Pairwise slopes of (0 s, 0) (1 s, 1) (2 s, 2) (3 s, 30): 1, 1, 10, 1, 14.5, 28; sorted
    # 1, 1, 1, 10, 14.5, 28: the median is (1 + 10) / 2 = 5.5, where least squares would say 8.6.
    fit = theil_sen_per_s([T0, T0 + 1000, T0 + 2000, T0 + 3000], [0.0, 1.0, 2.0, 30.0])
    assert fit is not None and fit.slope == pytest.approx(5.5)
    assert fit.low <= fit.slope <= fit.high
    assert theil_sen_per_s([T0, T0 + 1000], [0.0, 1.0]) is None


def _lag_rows(lags: list[float], every_ms: int = 500) -> list[dict]:
    return [{"sample_time_ms": T0 + i * every_ms, "partition": 0, "lag": lag} for i, lag in enumerate(lags)]


def test_a_sawtooth_flat_underneath_is_stable_however_tall_it_grows() -> None:
    # A step in the input: the lag's per-batch teeth grow with the rate (up to 4,000 records), but each
    # batch's commit takes it back to 0: the app keeps up. Four samples per 2 s batch.
    lags = [(200 + 40 * b) * (i % 4) * 5 for b in range(60) for i in range(4)]
    facts = replace(FACTS, load_end_ms=T0 + 120_000)
    batches = [batch(i, 2000, 400.0) for i in range(60)]
    summary = summarize(facts, batches, [], offsets=_lag_rows(lags))
    assert max(lags) > 4000
    assert summary["lag_slope_ci_rps"] == [0.0, 0.0]
    assert summary["outcome"] == "stable"


def test_a_clearly_growing_lag_is_unstable() -> None:
    # The trough rises by 300 records per 2 s batch: 150 records/s against a 50 records/s threshold.
    lags = [300 * b + 1000 * (i % 4) for b in range(30) for i in range(4)]
    facts = replace(FACTS, load_end_ms=T0 + 60_000)
    summary = summarize(facts, [batch(i, 2000, 400.0) for i in range(30)], [], offsets=_lag_rows(lags))
    low, high = summary["lag_slope_ci_rps"]
    assert 50 < low <= summary["lag_slope_rps"] <= high
    assert summary["lag_slope_rps"] == pytest.approx(150.0)
    assert summary["outcome"] == "unstable"


def test_a_short_noisy_lag_is_inconclusive() -> None:
    # Five troughs that wander by hundreds of records: a slope near 50 records/s that the interval cannot
    # place on either side of the threshold.
    troughs = [0, 400, 50, 600, 250]
    lags = [t + 1000 * (i % 4) for t in troughs for i in range(4)]
    facts = replace(FACTS, load_end_ms=T0 + 10_000)
    summary = summarize(facts, [batch(i, 2000, 400.0) for i in range(5)], [], offsets=_lag_rows(lags))
    low, high = summary["lag_slope_ci_rps"]
    assert low < 50 < high
    assert summary["outcome"] == "inconclusive_slope"


def test_executor_peaks() -> None:
    samples = [
        {"executor_id": "1", "is_active": True, "peak_jvm_heap_bytes": 10, "peak_on_heap_storage_bytes": 5,
         "peak_on_heap_execution_bytes": 0},
        {"executor_id": "1", "is_active": True, "peak_jvm_heap_bytes": 30, "peak_on_heap_storage_bytes": 7,
         "peak_on_heap_execution_bytes": 0},
    ]  # fmt: skip
    summary = summarize(FACTS, [batch(i, 2000, 400.0) for i in range(10)], samples)
    assert summary["peak_heap_bytes"] == 30
    assert summary["peak_storage_mem_bytes"] == 7
    assert summary["peak_execution_mem_bytes"] is None


def test_evidence_decides_oom_and_lost_executors_first() -> None:
    oom = Evidence("oom", "executor 1", "Command exited with code 52")
    lost = Evidence("executor_lost", "executor 2", "Worker shutting down")
    failed = replace(FACTS, app_failed=True)
    assert classify(replace(failed, evidence=(lost, oom)), None) == "oom"
    assert classify(replace(failed, evidence=(lost,)), None) == "executor_lost"
    summary = summarize(replace(FACTS, evidence=(oom, lost)), [batch(i, 2000, 400.0) for i in range(10)], [])
    assert (summary["outcome"], summary["oom_count"], summary["executors_lost"]) == ("oom", 1, 1)
    assert summary["evidence"][0] == {
        "kind": "oom",
        "source": "executor 1",
        "detail": "Command exited with code 52",
    }


def test_growing_lag_is_unstable_even_with_bounded_delay() -> None:
    batches = [batch(i, 1000, 400.0) for i in range(10)]
    growing = [
        {"sample_time_ms": T0 + s * 1000, "partition": p, "lag": 100 * s} for s in range(18) for p in (0, 1)
    ]
    summary = summarize(FACTS, batches, [], offsets=growing)
    assert summary["lag_slope_rps"] == pytest.approx(200.0)  # two partitions, 100 records/s each
    assert summary["outcome"] == "unstable"
    steady = [{**row, "lag": 5} for row in growing]
    assert summarize(FACTS, batches, [], offsets=steady)["outcome"] == "stable"


def test_the_lag_between_two_commits_does_not_count_as_growth() -> None:
    # 1,000 records/s, committed every 2 s batch: the lag climbs to 2,000 and drops back to 0. Over a
    # short window whose samples end on a peak, a fit over every sample sees growth that is not there.
    batches = [batch(i, 2000, 400.0) for i in range(10)]
    sawtooth = [
        {"sample_time_ms": T0 + s * 1000, "partition": 0, "lag": 1000 * (s % 2)} for s in range(9)
    ] + [{"sample_time_ms": T0 + 9 * 1000, "partition": 0, "lag": 2000}]
    facts = replace(FACTS, load_end_ms=T0 + 9 * 1000)
    assert slope_per_s([r["sample_time_ms"] for r in sawtooth], [r["lag"] for r in sawtooth]) > 50
    summary = summarize(facts, batches, [], offsets=sawtooth)
    assert summary["lag_slope_rps"] == pytest.approx(0.0, abs=1e-6)
    assert summary["outcome"] == "stable"


def test_gc_statistics_prefer_executor_jvms() -> None:
    events = [
        {"source": "driver", "kind": "young", "pause_ms": 100.0},
        {"source": "executor-11", "kind": "young", "pause_ms": 30.0},
        {"source": "executor-11", "kind": "full", "pause_ms": 270.0},
        {"source": "executor-12", "kind": "concurrent", "pause_ms": 0.0},
    ]
    stats = gc_statistics(events, duration_s=10.0)
    assert stats == {
        "gc_count": 2,
        "full_gc_count": 1,
        "gc_pause_total_ms": 300.0,
        "gc_pause_max_ms": 270.0,
        "gc_time_frac": pytest.approx(300 / (10_000 * 2)),
    }
    assert gc_statistics(events[:1], 10.0)["gc_time_frac"] == pytest.approx(0.01)
    assert gc_statistics([], 10.0)["gc_count"] is None


def test_batches_spark_gave_up_on_are_counted_with_their_records() -> None:
    batches = [batch(i, 2000, 400.0) for i in range(10)]
    batches[3]["output_ops_failed"] = 1
    batches[7]["output_ops_failed"] = 2
    facts = replace(FACTS, processed=16000)
    summary = summarize(facts, batches, [])
    assert summary["failed_batches"] == 2 and summary["failed_batch_records"] == 4000
    assert summary["lost"] == 4000
    assert summarize(FACTS, batches[:3], [])["failed_batches"] == 0
