"""The paper's claims C1-C3, the seed scenarios S1-S3 and GOVERNOR's claims G1-G2, checked on the runs
present as paired, falsifiable rules.

Each rule is a pure function of ``ClaimRun`` records (numbers from a run's summary, spec and tables)
and returns a ``ClaimResult``: REPRODUCED, NOT REPRODUCED or INCONCLUSIVE, the sentence with the
numbers that decided it, and the runs behind it. docs/report.md states the rules (the same text as
each ``Claim.rule``, which the report prints beside the verdict); tests/unit/reports/test_claims.py
reaches every verdict of every rule with synthetic runs.

Building blocks, each testable on its own:

* per-run checks (``delay_bounded``, ``within_capacity``, ``engaged``, ``healthy``, ``degraded``,
  ``overloaded``, ``delay_grows``, ...) answer True, False or None (the numbers are missing, or a
  slope's interval straddles its threshold);
* growth is read from Theil-Sen slope intervals (``harness.results.summary.Slope``): a slope grows
  when its whole interval lies above the threshold and is bounded when it lies at or below it;
* twins (``twin``): the run that differs only in backpressure on/off (same settings otherwise, same
  repetition index); ``controller_twin``: the Spark PID run that differs from a GOVERNOR run only in
  the rate controller;
* ``decide`` folds runs into configurations (majority of repetitions) and configurations into a
  verdict; a configuration with fewer than ``MIN_REPETITIONS`` runs can never decide one.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from harness.results.outcomes import FAILURE_OUTCOMES, MEASURED_OUTCOMES, Outcome
from harness.results.summary import (
    UNSTABLE_LAG_SHARE,
    UNSTABLE_SLOPE_MS_PER_S,
    Position,
    Slope,
    position,
)

# Scheduling delay or processing time growing faster than this (ms per second of run) grows without
# bound: the outcome rule's bar.
SLOPE_THRESHOLD_MS_PER_S = UNSTABLE_SLOPE_MS_PER_S
# Data received and not processed growing faster than this share of the offered rate grows (C3):
# the outcome rule's bar for the Kafka lag.
IN_FLIGHT_GROWTH_SHARE = UNSTABLE_LAG_SHARE
# A run spending at least this share of its time in GC pauses is "many GC operations" (C2).
HIGH_GC_SHARE = 0.10
# Input above throughput by more than this share counts as input beyond capacity (C3).
OVERLOAD_MARGIN = 0.05
# Backpressure engaged (C1) when at least ENGAGED_SHARE of the batches under load took in less than
# HELD_BELOW of the offered records per batch.
HELD_BELOW = 0.90
ENGAGED_SHARE = 0.25
# Fewer repetitions than this in a configuration (a cell) never decide a verdict.
MIN_REPETITIONS = 3
# The two axes a pressure level is measured on (``reports.runs.pressure_level``): the in-flight data
# budget (the paper's axis, the queue's qosmax), else input bytes per second per byte of task memory.
# Levels are compared on one axis only.
BUDGET_AXIS = "in-flight budget"
INTENSITY_AXIS = "input per task memory"
# GOVERNOR's claims (G1, G2): its controller kind, the kinds that are Spark's PID (built in, or its
# PIDRateEstimator plugged in), the app they are about, and the throughput gain that is more than
# noise between two runs (G1).
GOVERNOR = "governor"
PID_KINDS = ("spark", "pid")
COUNT_SLIDING_APP = "count_sliding_window"
THROUGHPUT_MARGIN = 0.05


class Verdict(StrEnum):
    REPRODUCED = "REPRODUCED"
    NOT_REPRODUCED = "NOT REPRODUCED"
    INCONCLUSIVE = "INCONCLUSIVE"

    @property
    def css(self) -> str:
        return "verdict-" + self.name.lower().replace("_", "-")


@dataclass(frozen=True)
class ClaimRun:
    """What the rules need of one run."""

    run_id: str
    config: str
    backpressure: bool | None
    outcome: str | None
    imported: bool = False
    app: str | None = None
    stateful: bool | None = None
    pressure: float | None = None
    pressure_axis: str = INTENSITY_AXIS
    # The run's settings without its backpressure section, and its repetition index: twins share both.
    pair: str | None = None
    repetition: int | None = None
    # The rate controller's kind (config.backpressure.controller.kind), the settings without the
    # controller (controller twins share them, and the repetition index), and the window apps'
    # workload.window.size (tuples per key for the count windows).
    controller: str | None = None
    controller_pair: str | None = None
    window_size: float | None = None
    batch_interval_ms: float | None = None
    # Least-squares slope of total delay (summary.json), shown; the rules use the intervals below.
    delay_slope: float | None = None
    # Theil-Sen slopes with intervals over the batches under load: scheduling delay and processing
    # time (ms/s), and the receivers' records in flight (records/s, from in_flight.parquet).
    sched_trend: Slope | None = None
    proc_trend: Slope | None = None
    in_flight_trend: Slope | None = None
    proc_time_p50_ms: float | None = None
    proc_time_p95_ms: float | None = None
    sched_p95_ms: float | None = None
    offered_rate_rps: float | None = None
    input_rate_rps: float | None = None
    throughput_rps: float | None = None
    # Share of the batches under load that took in less than HELD_BELOW of the offered records.
    held_share: float | None = None
    gc_time_frac: float | None = None
    lost: float | None = None
    failed_batch_records: float | None = None
    oom_count: float | None = None
    executors_lost: float | None = None
    # Input streams (receivers), to compare a logged per-stream limit with the offered rate.
    streams: int = 1
    # For the seed scenarios: the pressure profile, its base rate, the configured rate cap (records/s
    # over all partitions or receivers), the PID's floor, and what the tables show against them.
    profile: str | None = None
    base_rate_rps: float | None = None
    rate_cap_rps: float | None = None
    min_rate_rps: float | None = None
    max_batch_rate_rps: float | None = None
    # The lowest rate limit Spark logged ("Received a new rate limit"; receivers only), per stream.
    min_logged_limit_rps: float | None = None


@dataclass(frozen=True)
class Check:
    """One run's answer to a rule's question, with the numbers it looked at."""

    run_id: str
    config: str
    # Whether this run's answer supports the claim; None when its numbers are missing.
    supports: bool | None
    answer: str
    detail: str
    # The twin the run was compared with, for paired rules.
    twin_id: str | None = None


@dataclass(frozen=True)
class Claim:
    id: str
    title: str
    statement: str
    rule: str


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    verdict: Verdict
    reason: str
    checks: list[Check] = field(default_factory=list)

    @property
    def run_ids(self) -> list[str]:
        return [check.run_id for check in self.checks]


# ---------------------------------------------------------------------------------------------------------
# Populations


def measured(run: ClaimRun) -> bool:
    """Our run measured the system under test: not imported, the load was produced, nothing broke
    in the harness (an app that failed without OOM evidence says nothing about backpressure)."""
    return not run.imported and run.outcome in MEASURED_OUTCOMES


def failed(run: ClaimRun) -> bool:
    """Out of memory or an executor lost, by outcome or by evidence counted in the summary."""
    return run.outcome in FAILURE_OUTCOMES or bool(run.oom_count) or bool(run.executors_lost)


def format_bytes(size: float) -> str:
    """A size in binary units, three significant digits: ``64 MiB``, ``20 GiB``, ``1.5 KiB``."""
    value, unit = float(size), "B"
    for larger in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024:
            break
        value, unit = value / 1024, larger
    text = f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return f"{text} {unit}"


def format_pressure(level: float, axis: str = INTENSITY_AXIS) -> str:
    """A pressure level as shown: ``in-flight budget 20 GiB``, or for a run without a budget its
    input bytes per second per byte of task memory as MB/s per GiB of task memory."""
    if axis == BUDGET_AXIS:
        return f"{BUDGET_AXIS} {format_bytes(level)}"
    return f"{level * 2**30 / 1e6:.3g} MB/s per GiB of task memory"


def pressure_levels(runs: Iterable[ClaimRun], axis: str | None = None) -> list[float]:
    """The distinct levels of the runs on ``axis`` (every axis when None), smallest first."""
    return sorted(
        {
            run.pressure
            for run in runs
            if run.pressure is not None and (axis is None or run.pressure_axis == axis)
        }
    )


def pressure_axis(runs: Sequence[ClaimRun]) -> str | None:
    """The axis to compare levels on: the in-flight budget when runs span two or more budgets, else
    the intensity when they span two or more intensities; None when neither has two levels."""
    for axis in (BUDGET_AXIS, INTENSITY_AXIS):
        if len(pressure_levels(runs, axis)) >= 2:
            return axis
    return None


def below_largest_level(runs: Sequence[ClaimRun]) -> list[ClaimRun]:
    """The runs without those at the largest level of their axis, per axis that has two or more
    levels; a run without a level stays."""
    largest = {
        axis: levels[-1]
        for axis in (BUDGET_AXIS, INTENSITY_AXIS)
        if len(levels := pressure_levels(runs, axis)) >= 2
    }
    return [
        r
        for r in runs
        if r.pressure is None or r.pressure_axis not in largest or r.pressure < largest[r.pressure_axis]
    ]


def _find_twin(
    run: ClaimRun,
    runs: Sequence[ClaimRun],
    key: Callable[[ClaimRun], str | None],
    other_arm: Callable[[ClaimRun], bool],
) -> ClaimRun | None:
    """The one run among ``runs`` with ``run``'s ``key`` and repetition index that is on the other arm;
    None when there is none, or more than one."""
    if key(run) is None or run.repetition is None:
        return None
    found = [r for r in runs if key(r) == key(run) and r.repetition == run.repetition and other_arm(r)]
    return found[0] if len(found) == 1 else None


def twin(run: ClaimRun, runs: Sequence[ClaimRun]) -> ClaimRun | None:
    """The run that differs from ``run`` only in backpressure on/off: same settings otherwise (app,
    budget, rate, memory, ...), same repetition index; None when there is none (or not just one)."""
    if run.backpressure is None:
        return None
    return _find_twin(
        run, runs, lambda r: r.pair, lambda r: r.backpressure is (not run.backpressure) and measured(r)
    )


def controller_twin(run: ClaimRun, runs: Sequence[ClaimRun]) -> ClaimRun | None:
    """The run that differs from a GOVERNOR run only in the rate controller, with Spark's PID (kind
    ``spark`` or ``pid``) in its place: same settings otherwise, same repetition index; None for a run
    that is not GOVERNOR's or has no such twin (or not just one). The twin may have failed: the rule
    decides what a failed pair says."""
    if run.controller != GOVERNOR:
        return None
    return _find_twin(run, runs, lambda r: r.controller_pair, lambda r: r.controller in PID_KINDS)


# ---------------------------------------------------------------------------------------------------------
# Per-run checks


def _grows(trend: Slope | None, threshold: float) -> bool | None:
    """True when the slope's interval lies above ``threshold``, False when at or below it, None when it
    straddles it or there is no slope."""
    found = position(trend, threshold)
    return None if found in (None, Position.STRADDLES) else found is Position.ABOVE


def _all(*answers: bool | None) -> bool | None:
    """False when any answer is False, True when all are True, else None."""
    if any(a is False for a in answers):
        return False
    return True if all(a is True for a in answers) else None


def _any(*answers: bool | None) -> bool | None:
    """True when any answer is True, False when all are False, else None."""
    if any(a is True for a in answers):
        return True
    return False if all(a is False for a in answers) else None


def delay_bounded(run: ClaimRun) -> bool | None:
    """The scheduling delay's slope interval lies at or below the threshold."""
    grows = _grows(run.sched_trend, SLOPE_THRESHOLD_MS_PER_S)
    return None if grows is None else not grows


def within_capacity(run: ClaimRun) -> bool | None:
    """The median batch was processed within one batch interval: its input rate was at or below
    the processing rate (records / processing time)."""
    if run.proc_time_p50_ms is None or not run.batch_interval_ms:
        return None
    return run.proc_time_p50_ms <= run.batch_interval_ms


def data_lost(run: ClaimRun) -> bool | None:
    """Records produced and neither processed nor left in Kafka, or records of batches Spark gave up on."""
    if (run.lost is not None and run.lost > 0) or (run.failed_batch_records or 0) > 0:
        return True
    return None if run.lost is None else False


def engaged(run: ClaimRun, other: ClaimRun | None = None) -> bool | None:
    """Backpressure demonstrably held the input back: at least ENGAGED_SHARE of the batches took in
    less than HELD_BELOW of the offered records, or Spark logged a limit below a stream's share of the
    offered rate, or the off twin ``other`` was overloaded (its scheduling delay grew)."""
    held = None if run.held_share is None else run.held_share >= ENGAGED_SHARE
    logged = None
    if run.min_logged_limit_rps is not None and run.offered_rate_rps:
        logged = run.min_logged_limit_rps < run.offered_rate_rps / max(run.streams, 1)
    twin_grew = None if other is None else _grows(other.sched_trend, SLOPE_THRESHOLD_MS_PER_S)
    signs = (held, logged, twin_grew)
    # A sign that could not be read (no logs on the direct stream, no twin) is no evidence either way.
    return True if True in signs else None if all(sign is None for sign in signs) else False


def healthy(run: ClaimRun) -> bool | None:
    """Spark-side health: no OOM, no executor lost, no data lost, bounded scheduling delay, median
    processing time within the batch interval."""
    if failed(run):
        return False
    lost = data_lost(run)
    return _all(None if lost is None else not lost, delay_bounded(run), within_capacity(run))


def c1_holds(run: ClaimRun, other: ClaimRun | None = None) -> bool | None:
    """Healthy with backpressure engaged. A healthy run in which backpressure never engaged did not
    test it (None); an unhealthy run contradicts C1 whether or not it engaged."""
    health = healthy(run)
    if health is not True:
        return health
    return True if engaged(run, other) else None


def degraded(run: ClaimRun) -> bool | None:
    """C2's Spark-side symptoms: OOM or executor lost, data lost, GC share at least HIGH_GC_SHARE, or
    processing time growing (its slope interval above the threshold). Kafka lag is not one: holding
    input back in Kafka is what backpressure is for."""
    gc = None if run.gc_time_frac is None else run.gc_time_frac >= HIGH_GC_SHARE
    return _any(failed(run), data_lost(run), gc, _grows(run.proc_trend, SLOPE_THRESHOLD_MS_PER_S))


def overloaded(run: ClaimRun) -> bool | None:
    """Input exceeded capacity: the median or the 95th-percentile batch took longer than the
    interval to process, or the input rate exceeded the throughput by more than the margin."""
    slow = [
        value > run.batch_interval_ms
        for value in (run.proc_time_p50_ms, run.proc_time_p95_ms)
        if value is not None and run.batch_interval_ms
    ]
    rate_over = None
    if run.input_rate_rps is not None and run.throughput_rps is not None:
        rate_over = run.input_rate_rps > (1 + OVERLOAD_MARGIN) * run.throughput_rps
    return _any(*slow, rate_over)


def ran_out_of_memory(run: ClaimRun) -> bool:
    return run.outcome == Outcome.OOM or bool(run.oom_count)


def delay_grows(run: ClaimRun) -> bool | None:
    """Received data and scheduling delay grow: the scheduling delay's slope interval lies above the
    threshold and, where measured (receivers), so does the records in flight's (above
    IN_FLIGHT_GROWTH_SHARE of the offered rate); or the run ran out of memory (the received data
    outgrew the heap before the delay could)."""
    if ran_out_of_memory(run):
        return True
    sched = _grows(run.sched_trend, SLOPE_THRESHOLD_MS_PER_S)
    if run.in_flight_trend is None or not run.offered_rate_rps:
        return sched
    return _all(sched, _grows(run.in_flight_trend, IN_FLIGHT_GROWTH_SHARE * run.offered_rate_rps))


def grows_more_than(run: ClaimRun, other: ClaimRun | None) -> bool | None:
    """The scheduling delay grew faster than in ``other``: the intervals do not overlap. An OOM counts
    as faster unless ``other`` ran out of memory too."""
    if other is None:
        return None
    if ran_out_of_memory(run):
        return None if ran_out_of_memory(other) else True
    mine, theirs = run.sched_trend, other.sched_trend
    if mine is None or theirs is None:
        return None
    if mine.low > theirs.high:
        return True
    return False if mine.high < theirs.low else None


# ---------------------------------------------------------------------------------------------------------
# Folding repetitions and configurations


def majority(answers: Sequence[bool | None]) -> bool | None:
    """True or False when more than half of the known answers say so; None on a tie or no answer."""
    known = [a for a in answers if a is not None]
    yes = sum(1 for a in known if a)
    if known and yes * 2 > len(known):
        return True
    if known and (len(known) - yes) * 2 > len(known):
        return False
    return None


def by_configuration(
    runs: Iterable[ClaimRun], check: Callable[[ClaimRun], bool | None]
) -> dict[str, bool | None]:
    answers: dict[str, list[bool | None]] = defaultdict(list)
    for run in runs:
        answers[run.config].append(check(run))
    return {config: majority(values) for config, values in answers.items()}


def repetitions(runs: Iterable[ClaimRun]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for run in runs:
        counts[run.config] += 1
    return dict(counts)


def too_few(runs: Iterable[ClaimRun]) -> list[str]:
    """Configurations with fewer than MIN_REPETITIONS runs."""
    return [config for config, n in repetitions(runs).items() if n < MIN_REPETITIONS]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str


def decide(
    population: Sequence[ClaimRun], answers: dict[str, bool | None], what: tuple[str, str]
) -> Decision:
    """The verdict over configurations: NOT REPRODUCED when a configuration with at least
    MIN_REPETITIONS runs contradicts the claim (by majority), REPRODUCED when every configuration has
    that many and supports it, else INCONCLUSIVE. ``what`` names a supporting and a contradicting
    configuration's answer for the reason."""
    few = set(too_few(population))
    against = [c for c, a in answers.items() if a is False and c not in few]
    undecided = [c for c, a in answers.items() if a is None]
    if against:
        return Decision(
            Verdict.NOT_REPRODUCED, f"{len(against)} configuration(s) {what[1]}: {'; '.join(against)}"
        )
    if answers and not few and not undecided:
        return Decision(Verdict.REPRODUCED, f"every configuration {what[0]} ({len(answers)})")
    parts = []
    if few:
        parts.append(
            f"{len(few)} configuration(s) with fewer than {MIN_REPETITIONS} repetitions: "
            + "; ".join(sorted(few))
        )
    if undecided:
        parts.append(f"{len(undecided)} without a majority or the numbers: {'; '.join(undecided)}")
    return Decision(Verdict.INCONCLUSIVE, ", ".join(parts) or "no configuration")


def _number(value: float | None, decimals: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}{unit}"


def _trend(trend: Slope | None, unit: str, decimals: int = 1) -> str:
    if trend is None:
        return "–"
    return f"{trend.slope:,.{decimals}f} [{trend.low:,.{decimals}f}, {trend.high:,.{decimals}f}]{unit}"


def _answer(value: bool | None, yes: str, no: str) -> str:
    return "unknown" if value is None else yes if value else no


def paired_checks(
    population: Sequence[ClaimRun],
    runs: Sequence[ClaimRun],
    supports: Callable[[ClaimRun, ClaimRun | None], bool | None],
    answer: Callable[[ClaimRun, ClaimRun | None], str],
    detail: Callable[[ClaimRun, ClaimRun | None], str],
    find_twin: Callable[[ClaimRun, Sequence[ClaimRun]], ClaimRun | None] = twin,
) -> tuple[list[Check], dict[str, bool | None]]:
    """Each run's check against its twin among ``runs`` (``find_twin``), and each configuration's
    majority answer."""
    twins = {id(r): find_twin(r, runs) for r in population}
    checks = [
        Check(
            r.run_id,
            r.config,
            supports(r, other),
            answer(r, other),
            detail(r, other),
            None if other is None else other.run_id,
        )
        for r in population
        for other in (twins[id(r)],)
    ]
    return checks, by_configuration(population, lambda r: supports(r, twins[id(r)]))


def _two_part_answer(
    first: bool | None, second: bool | None, first_as: tuple[str, str, str], second_as: tuple[str, str, str]
) -> str:
    """A run's answer to a two-part rule: each part's words for (True, False, None); the second part
    is told only when the first is True."""

    def words(value: bool | None, choices: tuple[str, str, str]) -> str:
        return choices[2] if value is None else choices[0] if value else choices[1]

    return words(first, first_as) + (words(second, second_as) if first is True else "")


def _app_kinds(runs: Iterable[ClaimRun]) -> set[bool | None]:
    return {run.stateful for run in runs}


def _kinds_text(kinds: set[bool | None]) -> str:
    if {True, False} <= kinds:
        return "stateless and stateful apps"
    if True in kinds:
        return "stateful apps only"
    if False in kinds:
        return "stateless apps only"
    return "apps of unknown kind"


def _sentence(reason: str, scope: str) -> str:
    """``reason`` as a sentence, with ``scope`` in brackets."""
    return f"{reason[0].upper()}{reason[1:]} ({scope})."


def _result(claim: Claim, verdict: Verdict, reason: str, checks: list[Check] | None = None) -> ClaimResult:
    return ClaimResult(claim, verdict, reason, checks or [])


def _level_of(run: ClaimRun) -> str:
    return "no level" if run.pressure is None else format_pressure(run.pressure, run.pressure_axis)


def failures_by_level(runs: Sequence[ClaimRun]) -> str:
    """OOM or lost executors per pressure level, every level: ``in-flight budget 5 GiB 0 of 3; ...``."""
    counts: dict[tuple[str, float], list[int]] = {}
    for run in runs:
        key = (run.pressure_axis, run.pressure if run.pressure is not None else float("inf"))
        counts.setdefault(key, [0, 0])
        counts[key][0] += failed(run)
        counts[key][1] += 1
    parts = []
    for (axis, level), (bad, total) in sorted(counts.items()):
        name = "no level" if level == float("inf") else format_pressure(level, axis)
        parts.append(f"{name} {bad} of {total}")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------------------
# C1

C1_STATEMENT = (
    "Backpressure keeps small and medium pipelines stable (bounded scheduling delay, input rate held at "
    "or below processing rate), for stateless and stateful applications alike."
)
C1_RULE = (
    f"Runs with backpressure on that measured the system, at every pressure level but the largest of "
    f"their axis (in-flight budget, or input per task memory for runs without a budget). A run holds "
    f"when Spark stayed healthy (no OOM, no executor lost, no records lost, the scheduling delay's "
    f"Theil-Sen slope interval at or below {SLOPE_THRESHOLD_MS_PER_S:g} ms/s, median processing time "
    f"within the batch interval) and backpressure demonstrably engaged (at least {ENGAGED_SHARE:.0%} of "
    f"the batches took in less than {HELD_BELOW:.0%} of the offered records, or Spark logged a limit "
    f"below a stream's share of the offered rate, or the off twin's scheduling delay grew); it "
    f"contradicts C1 when Spark was not healthy; a healthy run in which backpressure never engaged did "
    f"not test it. A configuration answers by the majority of its repetitions and needs "
    f"{MIN_REPETITIONS} of them. REPRODUCED: every configuration holds and stateless and stateful apps "
    f"are both covered; NOT REPRODUCED: a configuration fails; INCONCLUSIVE otherwise. Failures (OOM, "
    f"lost executors) are counted at every level, the largest included."
)

C1 = Claim("C1", "Backpressure keeps small and medium pipelines stable", C1_STATEMENT, C1_RULE)


def _c1_answer(run: ClaimRun, other: ClaimRun | None) -> str:
    return _two_part_answer(
        healthy(run),
        engaged(run, other),
        ("healthy", "not healthy", "health unknown"),
        (", engaged", ", not engaged", ""),
    )


def _c1_detail(run: ClaimRun, other: ClaimRun | None) -> str:
    held = None if run.held_share is None else run.held_share * 100
    twin_text = (
        "no off twin" if other is None else f"off twin {other.run_id}: {_trend(other.sched_trend, ' ms/s')}"
    )
    return (
        f"{_level_of(run)}; outcome {run.outcome}; "
        f"scheduling delay slope {_trend(run.sched_trend, ' ms/s')}; "
        f"p50 processing {_number(run.proc_time_p50_ms, 0, ' ms')} vs interval "
        f"{_number(run.batch_interval_ms, 0, ' ms')}; lost {_number(run.lost, 0)}; batches held back "
        f"{_number(held, 0, ' %')}; lowest logged limit {_number(run.min_logged_limit_rps, 0, ' rec/s')} "
        f"of offered {_number(run.offered_rate_rps, 0, ' rec/s')}; {twin_text}"
    )


def check_c1(runs: Sequence[ClaimRun]) -> ClaimResult:
    candidates = [r for r in runs if r.backpressure is True and measured(r)]
    population = below_largest_level(candidates)
    if not population:
        return _result(
            C1,
            Verdict.INCONCLUSIVE,
            "No run with backpressure on below the largest pressure level measured the system.",
        )
    checks, answers = paired_checks(population, runs, c1_holds, _c1_answer, _c1_detail)
    decision = decide(population, answers, ("held", "did not stay healthy"))
    holding = [r for r in population if answers.get(r.config) is True]
    kinds = _kinds_text(_app_kinds(population))
    scope = (
        f"{len(answers)} configuration(s), {len(population)} run(s), {kinds}; OOM or lost executors at "
        f"every level, backpressure on: {failures_by_level(candidates)}"
    )
    verdict, reason = decision.verdict, decision.reason
    if verdict is Verdict.REPRODUCED and not {True, False} <= _app_kinds(holding):
        verdict, reason = Verdict.INCONCLUSIVE, f"{reason}, but not for stateless and stateful apps both"
    return _result(C1, verdict, _sentence(reason, scope), checks)


# ---------------------------------------------------------------------------------------------------------
# C2

C2_STATEMENT = (
    "For data-intensive pipelines backpressure is not enough: the Unified Memory Manager cannot absorb "
    "surges; throughput degrades, latency rises, GC runs often, executors run out of memory and data is "
    "lost, worst for stateful applications."
)
C2_RULE = (
    f"Runs with backpressure on that measured the system, at two or more pressure levels on one axis: the "
    f"in-flight budget (the queue's qosmax in the paper) of the runs that have one, else input bytes per "
    f"second per byte of task memory. A run is degraded on the Spark side when it ran out of memory, lost "
    f"an executor, lost records, spent at least {HIGH_GC_SHARE:.0%} of its time in GC, or its processing "
    f"time grew (Theil-Sen slope interval above {SLOPE_THRESHOLD_MS_PER_S:g} ms/s); Kafka lag alone is "
    f"not degradation (holding input back in Kafka is what backpressure does). Every configuration at the "
    f"largest and the smallest level needs {MIN_REPETITIONS} repetitions. REPRODUCED: at least half of "
    f"the runs at the largest level are degraded, a larger share than at the smallest, and stateful apps "
    f"no less than stateless ones there; NOT REPRODUCED: the largest level is degraded no more than the "
    f"smallest, or stateful apps less than stateless ones; INCONCLUSIVE otherwise. Every level's share "
    f"is reported."
)

C2 = Claim("C2", "For data-intensive pipelines backpressure is not enough", C2_STATEMENT, C2_RULE)


def _share(runs: Sequence[ClaimRun]) -> float | None:
    known = [d for r in runs if (d := degraded(r)) is not None]
    return sum(known) / len(known) if known else None


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _c2_detail(run: ClaimRun) -> str:
    gc = None if run.gc_time_frac is None else run.gc_time_frac * 100
    return (
        f"{_level_of(run)}; outcome {run.outcome}; GC {_number(gc, 1, ' %')}; lost {_number(run.lost, 0)}; "
        f"processing time slope {_trend(run.proc_trend, ' ms/s')}; app {run.app or '–'}"
    )


def _c2_check(run: ClaimRun, at_largest: bool) -> Check:
    """At the largest level a degraded run supports C2; at the smallest, a healthy one does."""
    is_degraded = degraded(run)
    supports = None if is_degraded is None else is_degraded == at_largest
    return Check(
        run.run_id, run.config, supports, _answer(is_degraded, "degraded", "not degraded"), _c2_detail(run)
    )


def check_c2(runs: Sequence[ClaimRun]) -> ClaimResult:
    population = [r for r in runs if r.backpressure is True and measured(r) and r.pressure is not None]
    axis = pressure_axis(population)
    if axis is None:
        counts = [len(pressure_levels(population, a)) for a in (BUDGET_AXIS, INTENSITY_AXIS)]
        return _result(
            C2,
            Verdict.INCONCLUSIVE,
            f"Runs with backpressure on cover {max(counts)} pressure level(s) on one axis; "
            "the rule needs two or more to tell a data-intensive pipeline from a light one.",
        )
    population = [r for r in population if r.pressure_axis == axis]
    levels = pressure_levels(population, axis)
    at = {level: [r for r in population if r.pressure == level] for level in levels}
    top, bottom = at[levels[-1]], at[levels[0]]
    checks = [_c2_check(r, at_largest=True) for r in top] + [_c2_check(r, at_largest=False) for r in bottom]
    share_top, share_bottom = _share(top), _share(bottom)
    stateful, stateless = (
        _share([r for r in top if r.stateful]),
        _share([r for r in top if r.stateful is False]),
    )
    every = "; ".join(
        f"{format_pressure(level, axis)} {_percent(_share(at[level]))} of {len(at[level])}"
        for level in levels
    )
    kinds = (
        f"stateful {_percent(stateful)} vs stateless {_percent(stateless)} degraded at the largest level"
        if stateful is not None and stateless is not None
        else "stateful vs stateless not compared (one kind at the largest level)"
    )
    numbers = f"degraded per level: {every}; {kinds}"
    few = too_few(top + bottom)
    if few:
        return _result(
            C2, Verdict.INCONCLUSIVE,
            f"{len(few)} configuration(s) at the largest or smallest level with fewer than "
            f"{MIN_REPETITIONS} repetitions: {'; '.join(few)} ({numbers}).", checks,
        )  # fmt: skip
    if share_top is None or share_bottom is None:
        return _result(
            C2, Verdict.INCONCLUSIVE, f"Degradation unknown at an end of the range ({numbers}).", checks
        )
    stateful_less = stateful is not None and stateless is not None and stateful < stateless
    if share_top <= share_bottom or stateful_less:
        why = (
            "no more degraded than the smallest"
            if share_top <= share_bottom
            else "stateful apps less degraded"
        )
        return _result(C2, Verdict.NOT_REPRODUCED, f"At the largest level {why} ({numbers}).", checks)
    if share_top >= 0.5:
        return _result(
            C2, Verdict.REPRODUCED, f"Backpressure was not enough at the largest level ({numbers}).", checks
        )
    return _result(
        C2,
        Verdict.INCONCLUSIVE,
        f"More degradation at the largest level, but under half of its runs ({numbers}).",
        checks,
    )


# ---------------------------------------------------------------------------------------------------------
# C3

C3_STATEMENT = (
    "Without backpressure, received data and scheduling delay grow without bound once input exceeds capacity."
)
C3_RULE = (
    f"Runs with backpressure off that measured the system and were overloaded: median or 95th-percentile "
    f"processing time above the batch interval, or input rate above throughput by more than "
    f"{OVERLOAD_MARGIN:.0%}. A run supports C3 when its scheduling delay grows (Theil-Sen slope interval "
    f"above {SLOPE_THRESHOLD_MS_PER_S:g} ms/s) and, where measured (receivers, in_flight.parquet), so "
    f"do the records received and not processed (interval above {IN_FLIGHT_GROWTH_SHARE:.0%} of the "
    f"offered rate), or it ran out of memory; and when its scheduling delay grew faster than its twin's "
    f"with backpressure on (the intervals apart). A configuration answers by the majority of its "
    f"repetitions and needs {MIN_REPETITIONS} of them. REPRODUCED: every overloaded configuration "
    f"supports it; NOT REPRODUCED: one contradicts it; INCONCLUSIVE otherwise (no twin, no overloaded "
    f"run, intervals that straddle the threshold)."
)

C3 = Claim("C3", "Without backpressure, delay grows without bound", C3_STATEMENT, C3_RULE)


def c3_supports(run: ClaimRun, other: ClaimRun | None) -> bool | None:
    return _all(delay_grows(run), grows_more_than(run, other))


def _c3_answer(run: ClaimRun, other: ClaimRun | None) -> str:
    return _two_part_answer(
        delay_grows(run),
        grows_more_than(run, other),
        ("grows", "bounded", "growth unknown"),
        (", more than on", ", not more than on", ", no twin to compare"),
    )


def _c3_detail(run: ClaimRun, other: ClaimRun | None) -> str:
    twin_text = (
        "no on twin" if other is None else f"on twin {other.run_id}: {_trend(other.sched_trend, ' ms/s')}"
    )
    return (
        f"scheduling delay slope {_trend(run.sched_trend, ' ms/s')}; in flight "
        f"{_trend(run.in_flight_trend, ' rec/s', 0)}; p50/p95 processing {_number(run.proc_time_p50_ms, 0)}/"
        f"{_number(run.proc_time_p95_ms, 0, ' ms')} vs interval {_number(run.batch_interval_ms, 0, ' ms')}; "
        f"outcome {run.outcome}; {twin_text}"
    )


def check_c3(runs: Sequence[ClaimRun]) -> ClaimResult:
    off = [r for r in runs if r.backpressure is False and measured(r)]
    if not off:
        return _result(C3, Verdict.INCONCLUSIVE, "No run with backpressure off measured the system.")
    population = [r for r in off if overloaded(r)]
    if not population:
        return _result(
            C3,
            Verdict.INCONCLUSIVE,
            f"None of the {len(off)} run(s) with backpressure off had input "
            "above capacity, so nothing could grow without bound.",
        )
    checks, answers = paired_checks(population, runs, c3_supports, _c3_answer, _c3_detail)
    decision = decide(
        population,
        answers,
        ("grew, and faster than with backpressure", "did not grow faster than with backpressure"),
    )
    grew = sum(1 for c in checks if c.supports)
    return _result(
        C3,
        decision.verdict,
        _sentence(decision.reason, f"{grew} of {len(checks)} overloaded run(s) supported it"),
        checks,
    )


# ---------------------------------------------------------------------------------------------------------
# The seed scenarios (PAPERS.md section 3)

# A token bucket may hand out slightly more than its rate within one batch.
CAP_TOLERANCE = 1.10
# A burst "got in" when some batch took in at least this multiple of the base rate.
BURST_SHARE = 1.5
# The PID "reached" its floor when a logged limit came within this factor of minRate.
FLOOR_REACHED = 1.10


def _scenario(
    claim: Claim,
    population: Sequence[ClaimRun],
    supports: Callable[[ClaimRun], bool | None],
    answers_as: tuple[str, str],
    detail: Callable[[ClaimRun], str],
    missing: str | None,
    what: str,
) -> ClaimResult:
    """A seed scenario's verdict over configurations, as for the paper's claims; INCONCLUSIVE with
    ``missing`` as the reason when part of the population the rule needs is absent."""
    if not population:
        return _result(claim, Verdict.INCONCLUSIVE, f"No {what}.")
    checks = [
        Check(r.run_id, r.config, supports(r), _answer(supports(r), *answers_as), detail(r))
        for r in population
    ]
    decision = decide(population, by_configuration(population, supports), ("behaved as claimed", "did not"))
    verdict, reason = decision.verdict, decision.reason
    if missing and verdict is Verdict.REPRODUCED:
        verdict, reason = Verdict.INCONCLUSIVE, f"{reason}, but {missing}"
    held = sum(1 for c in checks if c.supports)
    return _result(
        claim,
        verdict,
        _sentence(reason, f"{held} of {len(checks)} {what} as claimed"),
        checks,
    )


S1 = Claim(
    "S1",
    "A step above capacity: backpressure holds the input, without it the delay grows",
    "The input rate stepped to a new level every 100 s: without backpressure the scheduling delay reached "
    "minutes once the rate passed capacity; with it, the input rate stayed at capacity.",
    f"Runs with a step profile that measured the system. With backpressure on a run supports the claim when "
    f"its scheduling delay's Theil-Sen slope interval lies at or below {SLOPE_THRESHOLD_MS_PER_S:g} ms/s "
    f"(above it: contradicts); with it off, when it was overloaded and the interval lies above that (an "
    f"off run never overloaded says nothing). Each configuration needs {MIN_REPETITIONS} repetitions. "
    f"REPRODUCED: both sides present and every configuration supports it; NOT REPRODUCED: one contradicts "
    f"it; INCONCLUSIVE otherwise.",
)


def s1_supports(run: ClaimRun) -> bool | None:
    if run.backpressure:
        return delay_bounded(run)
    if overloaded(run) is False:
        return None  # below capacity the step says nothing about unbounded growth
    return _grows(run.sched_trend, SLOPE_THRESHOLD_MS_PER_S)


def check_s1(runs: Sequence[ClaimRun]) -> ClaimResult:
    population = [r for r in runs if r.profile == "step" and measured(r)]
    sides = {r.backpressure for r in population}
    return _scenario(
        S1, population, s1_supports, ("as claimed", "not as claimed"),
        lambda r: f"backpressure {'on' if r.backpressure else 'off'}; "
        f"scheduling delay slope {_trend(r.sched_trend, ' ms/s')}",
        None if sides >= {True, False} else "only one side (backpressure on or off) is present",
        "run(s) with a step profile",
    )  # fmt: skip


S2 = Claim(
    "S2",
    "A start burst: only a rate cap bounds the first batches",
    "A job that handled about 1,000 events/s was hit with 50,000/s in its first seconds; backpressure alone "
    "lets the first batches take the burst, so keep maxRate at about 150-200 % of the sustainable rate.",
    f"Runs with a burst profile and backpressure on. With a rate cap a run supports the claim when no batch "
    f"took in more than {CAP_TOLERANCE:.0%} of the cap; without one, when some batch took in at least "
    f"{BURST_SHARE:g} times the base rate. Each configuration needs {MIN_REPETITIONS} repetitions. "
    f"REPRODUCED: capped and uncapped runs present and every configuration supports it; NOT REPRODUCED: "
    f"one contradicts it; INCONCLUSIVE otherwise.",
)


def s2_supports(run: ClaimRun) -> bool | None:
    if run.max_batch_rate_rps is None:
        return None
    if run.rate_cap_rps is not None:
        return run.max_batch_rate_rps <= run.rate_cap_rps * CAP_TOLERANCE
    if run.base_rate_rps is None:
        return None
    return run.max_batch_rate_rps >= run.base_rate_rps * BURST_SHARE


def check_s2(runs: Sequence[ClaimRun]) -> ClaimResult:
    population = [r for r in runs if r.profile == "burst" and r.backpressure is True and measured(r)]
    kinds = {r.rate_cap_rps is not None for r in population}
    return _scenario(
        S2, population, s2_supports, ("as claimed", "not as claimed"),
        lambda r: f"cap {_number(r.rate_cap_rps, 0, ' rec/s')}; largest batch rate "
        f"{_number(r.max_batch_rate_rps, 0, ' rec/s')}; base {_number(r.base_rate_rps, 0, ' rec/s')}",
        None if kinds >= {True, False} else "capped and uncapped runs are not both present",
        "run(s) with a burst profile and backpressure on",
    )  # fmt: skip


S3 = Claim(
    "S3",
    "The PID never goes below minRate",
    "Spark's PID never lowers the rate below spark.streaming.backpressure.pid.minRate (100 records/s by "
    "default), even for a job that cannot keep up with it.",
    f'Runs with backpressure on whose rate limits Spark logged ("Received a new rate limit", receivers '
    f"only: logged_rate_limits.parquet) and whose lowest logged limit came within {FLOOR_REACHED:.0%} of "
    f"their minRate (runs that never came near the floor do not test it). A run supports the claim when "
    f"its lowest logged limit is at least minRate. Each configuration needs {MIN_REPETITIONS} "
    f"repetitions. REPRODUCED: every such configuration does; NOT REPRODUCED: one goes below; "
    f"INCONCLUSIVE: no logged limits, none near the floor, or too few repetitions. The limits replayed "
    f"from the batches are not used: the replay applies the floor itself.",
)


def s3_supports(run: ClaimRun) -> bool | None:
    if run.min_logged_limit_rps is None or run.min_rate_rps is None:
        return None
    if run.min_logged_limit_rps > run.min_rate_rps * FLOOR_REACHED:
        return None  # the floor was never tested
    return run.min_logged_limit_rps >= run.min_rate_rps


def check_s3(runs: Sequence[ClaimRun]) -> ClaimResult:
    on = [r for r in runs if r.backpressure is True and measured(r)]
    if not any(r.min_logged_limit_rps is not None for r in on):
        return _result(
            S3, Verdict.INCONCLUSIVE,
            "No run with backpressure on has rate limits logged by Spark (only receivers log them).",
        )  # fmt: skip
    population = [r for r in on if s3_supports(r) is not None]
    return _scenario(
        S3, population, s3_supports, ("at or above", "below"),
        lambda r: f"lowest logged limit {_number(r.min_logged_limit_rps, 1, ' rec/s')}; "
        f"minRate {_number(r.min_rate_rps, 0)}",
        None,
        "run(s) with backpressure on whose logged limit reached its minRate",
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# GOVERNOR (PAPERS.md section 4): paired with Spark's PID, on the count-based sliding window

G1 = Claim(
    "G1",
    "GOVERNOR: more throughput than Spark's PID on the count-based sliding window",
    "On the count-based sliding window, GOVERNOR achieves higher throughput than Spark's PID (up to +26 %).",
    f"Runs with GOVERNOR's controller (config.backpressure.controller.kind governor) on "
    f"{COUNT_SLIDING_APP}, each paired with its twin that differs only in the controller, Spark's PID "
    f"(kind spark or pid), with the same repetition index. A pair supports the claim when GOVERNOR's "
    f"throughput (summary throughput_rps) exceeds its twin's by more than {THROUGHPUT_MARGIN:.0%}; it "
    f"contradicts it otherwise, whether GOVERNOR's is lower or within {THROUGHPUT_MARGIN:.0%} of the "
    f"twin's (the claim says higher; a difference within the margin is noise); a pair with a run that "
    f"did not measure the system (app failed, harness error, ...) or failed (OOM, executor lost), or "
    f"without a throughput, is undecided. A configuration answers by the majority of its pairs and "
    f"needs {MIN_REPETITIONS} of them; one without a pair is undecided. REPRODUCED: every configuration "
    f"supports it; NOT REPRODUCED: one contradicts it; INCONCLUSIVE otherwise (no runs with both "
    f"controllers, too few pairs, undecided pairs). The reason gives each configuration's median gain.",
)

G2 = Claim(
    "G2",
    "GOVERNOR: bounded delay where Spark's PID lets it grow, at the largest window",
    "At the largest window (GOVERNOR: 120 tuples) Spark's PID lets the delay grow without bound while "
    "GOVERNOR keeps it bounded.",
    f"The pairs of G1 (a GOVERNOR run on {COUNT_SLIDING_APP} and its twin with Spark's PID) at the "
    f"largest workload.window.size among them. A pair supports the claim when the PID twin's delay grows "
    f"(its scheduling delay's Theil-Sen slope interval above {SLOPE_THRESHOLD_MS_PER_S:g} ms/s and, where "
    f"measured, the records in flight's above {IN_FLIGHT_GROWTH_SHARE:.0%} of the offered rate; or it "
    f"ran out of memory) and GOVERNOR's is bounded (its scheduling delay's interval at or below "
    f"{SLOPE_THRESHOLD_MS_PER_S:g} ms/s, and no OOM). It contradicts the claim when GOVERNOR's delay "
    f"grows too (interval above, or OOM), or when the PID's does not grow (the claim's premise is "
    f"absent); the reason says which. A pair with a run that did not measure the system, or whose "
    f"deciding interval straddles the threshold, is undecided. A configuration answers by the majority "
    f"of its pairs and needs {MIN_REPETITIONS} of them. REPRODUCED: every configuration at that size "
    f"supports it; NOT REPRODUCED: one contradicts it; INCONCLUSIVE otherwise (no runs with both "
    f"controllers, too few pairs, undecided pairs).",
)

NO_PAIRS = "No runs with both controllers"


def governor_runs(runs: Sequence[ClaimRun]) -> list[ClaimRun]:
    """Our GOVERNOR runs on the count-based sliding window, measured or not (a failed run makes its
    pair undecided, not absent)."""
    return [r for r in runs if r.controller == GOVERNOR and r.app == COUNT_SLIDING_APP and not r.imported]


def throughput_gain(run: ClaimRun, other: ClaimRun | None) -> float | None:
    """GOVERNOR's throughput over its PID twin's, minus one; None without a twin, when either run did
    not measure the system or failed, or a throughput is missing (or the twin's is 0)."""
    if other is None or not all(measured(r) and not failed(r) for r in (run, other)):
        return None
    if run.throughput_rps is None or not other.throughput_rps:
        return None
    return run.throughput_rps / other.throughput_rps - 1


def g1_supports(run: ClaimRun, other: ClaimRun | None) -> bool | None:
    gain = throughput_gain(run, other)
    return None if gain is None else gain > THROUGHPUT_MARGIN


def _gain_text(gain: float | None) -> str:
    return "–" if gain is None else f"{gain:+.1%}"


def _g1_answer(run: ClaimRun, other: ClaimRun | None) -> str:
    gain = throughput_gain(run, other)
    if other is None:
        return "no PID twin"
    if gain is None:
        return "unknown (a run failed or did not measure)"
    if gain > THROUGHPUT_MARGIN:
        return f"higher ({_gain_text(gain)})"
    return (
        f"lower ({_gain_text(gain)})" if gain < -THROUGHPUT_MARGIN else f"within noise ({_gain_text(gain)})"
    )


def _pid_text(other: ClaimRun | None) -> str:
    return (
        "no PID twin"
        if other is None
        else f"PID twin {other.run_id} ({other.controller}, outcome {other.outcome})"
    )


def _g1_detail(run: ClaimRun, other: ClaimRun | None) -> str:
    theirs = None if other is None else other.throughput_rps
    return (
        f"window size {_number(run.window_size, 0)}; GOVERNOR throughput "
        f"{_number(run.throughput_rps, 0, ' rec/s')} (outcome {run.outcome}) vs "
        f"{_number(theirs, 0, ' rec/s')}; {_pid_text(other)}"
    )


def _no_pairs(claim: Claim, candidates: Sequence[ClaimRun]) -> ClaimResult:
    if not candidates:
        why = f"no run with GOVERNOR's controller on {COUNT_SLIDING_APP}"
    else:
        why = (
            f"none of the {len(candidates)} GOVERNOR run(s) on {COUNT_SLIDING_APP} has a twin with Spark's "
            "PID that differs only in the controller"
        )
    return _result(claim, Verdict.INCONCLUSIVE, f"{NO_PAIRS}: {why}.")


def governor_pairs(
    runs: Sequence[ClaimRun],
) -> tuple[list[ClaimRun], dict[int, ClaimRun | None], list[ClaimRun]]:
    """GOVERNOR's runs on the count-based sliding window, each one's PID twin (by ``id``), and those
    that have one."""
    candidates = governor_runs(runs)
    twins = {id(r): controller_twin(r, runs) for r in candidates}
    return candidates, twins, [r for r in candidates if twins[id(r)] is not None]


def check_g1(runs: Sequence[ClaimRun]) -> ClaimResult:
    candidates, twins, pairs = governor_pairs(runs)
    if not pairs:
        return _no_pairs(G1, candidates)
    checks, answers = paired_checks(
        candidates, runs, g1_supports, _g1_answer, _g1_detail, find_twin=controller_twin
    )
    decision = decide(
        pairs, answers, ("had more throughput with GOVERNOR", "did not have more throughput with GOVERNOR")
    )
    gains: dict[str, list[float]] = defaultdict(list)
    for r in pairs:
        if (gain := throughput_gain(r, twins[id(r)])) is not None:
            gains[r.config].append(gain)
    medians = "; ".join(f"{config} {_gain_text(statistics.median(gains[config]))}" for config in gains)
    largest = max((g for values in gains.values() for g in values), default=None)
    scope = (
        f"{len(pairs)} pair(s) in {len(answers)} configuration(s); median gain per configuration: "
        f"{medians or '–'}; largest gain of a pair {_gain_text(largest)} (paper: up to +26 %)"
    )
    return _result(G1, decision.verdict, _sentence(decision.reason, scope), checks)


def g2_parts(run: ClaimRun, other: ClaimRun | None) -> tuple[bool | None, bool | None]:
    """Whether the PID twin's delay grows, and whether GOVERNOR's stays bounded (an OOM is not)."""
    if other is None or not (measured(run) and measured(other)):
        return None, None
    return delay_grows(other), False if ran_out_of_memory(run) else delay_bounded(run)


def g2_supports(run: ClaimRun, other: ClaimRun | None) -> bool | None:
    pid_grows, governor_bounded = g2_parts(run, other)
    return _all(pid_grows, governor_bounded)


def _g2_answer(run: ClaimRun, other: ClaimRun | None) -> str:
    if other is None:
        return "no PID twin"
    pid_grows, governor_bounded = g2_parts(run, other)
    if governor_bounded is False:
        return "GOVERNOR's delay grows too"
    if pid_grows is False:
        return "PID's delay does not grow (premise absent)"
    if pid_grows and governor_bounded:
        return "PID's delay grows, GOVERNOR's bounded"
    return "unknown (a run did not measure, or an interval straddles the threshold)"


def _g2_detail(run: ClaimRun, other: ClaimRun | None) -> str:
    theirs = (
        ""
        if other is None
        else (
            f"; scheduling delay slope {_trend(other.sched_trend, ' ms/s')}, in flight "
            f"{_trend(other.in_flight_trend, ' rec/s', 0)}"
        )
    )
    return (
        f"window size {_number(run.window_size, 0)}; GOVERNOR scheduling delay slope "
        f"{_trend(run.sched_trend, ' ms/s')} (outcome {run.outcome}); {_pid_text(other)}{theirs}"
    )


def check_g2(runs: Sequence[ClaimRun]) -> ClaimResult:
    candidates, twins, pairs = governor_pairs(runs)
    if not pairs:
        return _no_pairs(G2, candidates)
    sizes = sorted({r.window_size for r in pairs if r.window_size is not None})
    if not sizes:
        return _result(G2, Verdict.INCONCLUSIVE, "No pair has a window size (workload.window.size).")
    largest = sizes[-1]
    at_largest = [r for r in candidates if r.window_size == largest]
    checks, answers = paired_checks(
        at_largest, runs, g2_supports, _g2_answer, _g2_detail, find_twin=controller_twin
    )
    decision = decide(
        [r for r in at_largest if twins[id(r)] is not None],
        answers,
        ("kept the delay bounded where the PID's grew", "did not"),
    )
    parts = [g2_parts(r, twins[id(r)]) for r in at_largest]
    grew = sum(1 for _, bounded in parts if bounded is False)
    no_premise = sum(1 for grows, bounded in parts if grows is False and bounded is not False)
    held = sum(1 for c in checks if c.supports)
    scope = (
        f"window size {largest:g}, the largest among the pairs (GOVERNOR's: 120); {held} of "
        f"{len(checks)} GOVERNOR run(s) as claimed, {grew} with GOVERNOR's delay growing too, {no_premise} "
        f"whose PID twin's delay did not grow (the claim's premise absent)"
    )
    return _result(G2, decision.verdict, _sentence(decision.reason, scope), checks)


RULES: tuple[Callable[[Sequence[ClaimRun]], ClaimResult], ...] = (
    check_c1,
    check_c2,
    check_c3,
    check_s1,
    check_s2,
    check_s3,
    check_g1,
    check_g2,
)


def evaluate(runs: Sequence[ClaimRun]) -> list[ClaimResult]:
    return [rule(runs) for rule in RULES]


def as_records(results: Sequence[ClaimResult]) -> list[dict[str, Any]]:
    """The verdicts as JSON-ready records: each claim's verdict, its reason and every run's answer."""
    return [
        {
            "claim": result.claim.id,
            "title": result.claim.title,
            "verdict": str(result.verdict),
            "reason": result.reason,
            "checks": [
                {
                    "run_id": check.run_id,
                    "config": check.config,
                    "supports": check.supports,
                    "answer": check.answer,
                    "detail": check.detail,
                }
                for check in result.checks
            ],
        }
        for result in results
    ]
