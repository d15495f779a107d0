"""Recovery figures of a fault, on synthetic batches, lags and limits."""

from __future__ import annotations

from harness.results.recovery import FaultWindow, fault_recovery

INTERVAL = 2000
RATE = 10.0  # a batch holds 20 records: levels below are their own


def batch(t: int, sched: int, records: int = 100, failed: int = 0) -> dict:
    return {
        "batch_time_ms": t,
        "scheduling_delay_ms": sched,
        "input_records": records,
        "output_ops_failed": failed,
    }


def lag(t: int, value: int) -> dict:
    return {"sample_time_ms": t, "partition": 0, "lag": value}


def test_a_stall_is_over_when_a_batch_after_it_starts_within_the_interval() -> None:
    window = FaultWindow(index=0, action="stall_driver", start_ms=20_000, end_ms=30_000)
    batches = [batch(t, 100) for t in range(0, 20_000, INTERVAL)]
    # Queued during the stall: batches of 20-30 s start late, the first after it starts 3 s late,
    # the next 1.5 s late (under the 2 s interval: recovered at 32 + 1.5 s).
    batches += [batch(t, 12_000) for t in range(20_000, 30_000, INTERVAL)]
    batches += [batch(30_000, 3_000), batch(32_000, 1_500), batch(34_000, 100)]
    # Lag: a sawtooth whose troughs are 50 before, up to 5,000 after, back to 40 at 41 s.
    offsets = [lag(t, 50 + (t % INTERVAL) // 10) for t in range(10_000, 20_000, 500)]
    offsets += [lag(t, 5_000) for t in range(30_000, 40_000, 500)]
    offsets += [lag(41_000, 40), lag(43_000, 30)]
    limits = [(t, 1000.0) for t in range(0, 20_000, INTERVAL)] + [
        (31_000, 400.0),
        (33_000, 300.0),
        (35_000, 600.0),
    ]
    [entry] = fault_recovery([window], batches, offsets, limits, INTERVAL, lost=0, target_rate_rps=RATE)
    assert entry["sched_recovered_s"] == 13.5
    assert entry["backlog_before"] == 50 and entry["backlog_recovered_s"] == 21.0
    assert (entry["rate_before_rps"], entry["rate_lowest_rps"], entry["rate_after_rps"]) == (
        1000.0,
        300.0,
        600.0,
    )
    assert entry["lost_records"] == 0 and entry["duplicated_records"] == 0


def test_loss_goes_to_the_fault_whose_window_holds_the_failed_batch() -> None:
    first = FaultWindow(index=0, action="kill_executor", start_ms=10_000, end_ms=10_000, target="executor 0")
    second = FaultWindow(index=1, action="kill_executor", start_ms=20_000, end_ms=20_000, target="executor 1")
    batches = [
        batch(8_000, 0),
        batch(12_000, 0, failed=1, records=70),
        batch(22_000, 0, failed=2, records=30),
    ]
    entries = fault_recovery([second, first], batches, [], [], INTERVAL, lost=-5, target_rate_rps=RATE)
    assert [(e["index"], e["lost_records"]) for e in entries] == [(0, 70), (1, 30)]
    # Duplicates cannot be told apart between two faults.
    assert [e["duplicated_records"] for e in entries] == [None, None]


def test_what_never_recovered_or_was_never_measured_is_null() -> None:
    window = FaultWindow(index=0, action="pause_broker", start_ms=10_000, end_ms=20_000)
    batches = [batch(t, 100) for t in range(0, 10_000, INTERVAL)] + [
        batch(t, 9_000) for t in range(10_000, 40_000, INTERVAL)
    ]
    [entry] = fault_recovery([window], batches, [], [], INTERVAL, lost=None, target_rate_rps=RATE)
    assert entry["sched_recovered_s"] is None
    assert entry["backlog_before"] is None and entry["backlog_recovered_s"] is None
    assert (
        entry["rate_before_rps"] is None
        and entry["rate_lowest_rps"] is None
        and entry["rate_after_rps"] is None
    )


def test_a_failed_fault_is_listed_with_its_reason() -> None:
    window = FaultWindow(
        index=0, action="kill_executor", start_ms=5_000, end_ms=5_000, failed="no executor alive"
    )
    [entry] = fault_recovery([window], [], [], [], INTERVAL, lost=None, target_rate_rps=RATE)
    assert entry["failed"] == "no executor alive"


def test_a_runs_only_fault_is_given_what_the_run_lost_or_duplicated() -> None:
    # A receiver's executor killed: its stored blocks are lost without any batch failing.
    window = FaultWindow(index=0, action="kill_receiver_executor", start_ms=10_000, end_ms=10_000)
    [entry] = fault_recovery([window], [batch(12_000, 0)], [], [], INTERVAL, lost=2_092, target_rate_rps=RATE)
    assert (entry["lost_records"], entry["duplicated_records"]) == (2_092, 0)
    [entry] = fault_recovery([window], [batch(12_000, 0)], [], [], INTERVAL, lost=-7, target_rate_rps=RATE)
    assert (entry["lost_records"], entry["duplicated_records"]) == (0, 7)


def test_recovery_counts_once_the_series_stays_recovered() -> None:
    # The kill's effect comes a little later: the first batch after it still starts on time, the
    # next ones do not, and from 20 s on they do again; the lag climbs only after the kill too.
    window = FaultWindow(index=0, action="kill_receiver_executor", start_ms=10_000, end_ms=10_000)
    batches = [batch(t, 100) for t in range(0, 12_000, INTERVAL)]
    batches += [batch(t, 6_000) for t in range(12_000, 20_000, INTERVAL)]
    batches += [batch(t, 200) for t in range(20_000, 30_000, INTERVAL)]
    offsets = [lag(t, 10) for t in range(0, 12_000, 1000)]
    offsets += [lag(t, 3_000) for t in range(12_000, 24_000, 1000)]
    offsets += [lag(t, 5) for t in range(24_000, 30_000, 1000)]
    [entry] = fault_recovery([window], batches, offsets, [], INTERVAL, lost=0, target_rate_rps=RATE)
    assert entry["sched_recovered_s"] == 10.2  # the batch of 20 s, started at 20.2 s
    assert entry["backlog_recovered_s"] == 14.0
    # A series still above its level at the end never recovered.
    worse = [*offsets, lag(31_000, 9_000)]
    assert (
        fault_recovery([window], batches, worse, [], INTERVAL, lost=0, target_rate_rps=RATE)[0][
            "backlog_recovered_s"
        ]
        is None
    )


def test_the_level_is_at_least_a_batchs_worth_of_records() -> None:
    # At 500 records/s in 2 s batches the lowest lag varies by up to 1,000 with the sampling: a lag
    # back under 1,000 is back, whatever it was just before the fault.
    window = FaultWindow(index=0, action="pause_broker", start_ms=10_000, end_ms=20_000)
    offsets = [lag(t, 5) for t in range(0, 10_000, 1000)]
    offsets += [lag(t, 4_000) for t in range(20_000, 26_000, 1000)]
    offsets += [lag(t, 5 + (t // 1000 % 2) * 900) for t in range(26_000, 40_000, 1000)]
    [entry] = fault_recovery([window], [], offsets, [], INTERVAL, lost=0, target_rate_rps=500.0)
    assert entry["backlog_before"] == 1_000 and entry["backlog_recovered_s"] == 16.0
