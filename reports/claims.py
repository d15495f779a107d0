"""The paper's claims C1-C3 checked on the runs present, as small SLO-style rules.

Each rule is a pure function of ``ClaimRun`` records (numbers from a run's summary and spec) and
returns a ``ClaimResult``: REPRODUCED, NOT REPRODUCED or INCONCLUSIVE, the sentence with the numbers
that decided it, and the runs behind it. docs/report.md states the rules; tests/unit/test_claims.py
checks each verdict on synthetic runs.

Building blocks, each testable on its own:

* per-run checks (``delay_bounded``, ``within_capacity``, ``overloaded``, ``delay_grows``,
  ``degraded``) answer True, False or None (the numbers are missing);
* ``majority`` folds a configuration's repetitions into one answer, so one odd repetition neither
  makes nor breaks a claim;
* ``verdict_over_configurations`` turns the configurations' answers into a verdict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from harness.results.outcomes import FAILURE_OUTCOMES, MEASURED_OUTCOMES, Outcome
from harness.results.summary import UNSTABLE_SLOPE_MS_PER_S

# Delay growing faster than this (ms per second of run) is growth without bound: the outcome rule's bar.
SLOPE_THRESHOLD_MS_PER_S = UNSTABLE_SLOPE_MS_PER_S
# A run spending at least this share of its time in GC pauses is "many GC operations" (C2).
HIGH_GC_SHARE = 0.10
# Throughput below this share of the input rate is degradation (C2).
DEGRADED_THROUGHPUT_SHARE = 0.90
# Input above throughput by more than this share counts as input beyond capacity (C3).
OVERLOAD_MARGIN = 0.05
DEGRADED_OUTCOMES = FAILURE_OUTCOMES | {Outcome.UNSTABLE}
# The two axes a pressure level is measured on (``reports.runs.pressure_level``): the in-flight data
# budget (the paper's axis, the queue's qosmax), else input bytes per second per byte of task memory.
# Levels are compared on one axis only.
BUDGET_AXIS = "in-flight budget"
INTENSITY_AXIS = "input per task memory"


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
    batch_interval_ms: float | None = None
    delay_slope: float | None = None
    proc_time_p50_ms: float | None = None
    input_rate_rps: float | None = None
    throughput_rps: float | None = None
    gc_time_frac: float | None = None
    lost: float | None = None
    oom_count: float | None = None
    executors_lost: float | None = None
    # For the seed scenarios: the pressure profile, its base rate, the configured rate cap (records/s
    # over all partitions or receivers), the PID's floor, and what the tables show against them.
    profile: str | None = None
    base_rate_rps: float | None = None
    rate_cap_rps: float | None = None
    min_rate_rps: float | None = None
    max_batch_rate_rps: float | None = None
    min_pid_limit_rps: float | None = None


@dataclass(frozen=True)
class Check:
    """One run's answer to a rule's question, with the numbers it looked at."""

    run_id: str
    config: str
    # Whether this run's answer supports the claim; None when its numbers are missing.
    supports: bool | None
    answer: str
    detail: str


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


# ---------------------------------------------------------------------------------------------------------
# Per-run checks


def delay_bounded(run: ClaimRun) -> bool | None:
    """Total (hence scheduling) delay does not grow faster than the threshold."""
    return None if run.delay_slope is None else run.delay_slope <= SLOPE_THRESHOLD_MS_PER_S


def within_capacity(run: ClaimRun) -> bool | None:
    """The median batch was processed within one batch interval: its input rate was at or below
    the processing rate (records / processing time)."""
    if run.proc_time_p50_ms is None or not run.batch_interval_ms:
        return None
    return run.proc_time_p50_ms <= run.batch_interval_ms


def overloaded(run: ClaimRun) -> bool | None:
    """Input exceeded capacity: the median batch took longer than the interval to process, or the
    input rate exceeded the throughput by more than the margin."""
    capacity = within_capacity(run)
    rate_over = None
    if run.input_rate_rps is not None and run.throughput_rps is not None:
        rate_over = run.input_rate_rps > (1 + OVERLOAD_MARGIN) * run.throughput_rps
    if capacity is False or rate_over:
        return True
    if capacity is None and rate_over is None:
        return None
    return False


def delay_grows(run: ClaimRun) -> bool | None:
    """Delay grows without bound: slope above the threshold, or the run ran out of memory (the
    received data outgrew the heap before the delay could)."""
    if run.outcome == Outcome.OOM or bool(run.oom_count):
        return True
    return None if run.delay_slope is None else run.delay_slope > SLOPE_THRESHOLD_MS_PER_S


def c1_holds(run: ClaimRun) -> bool | None:
    """Backpressure kept the run stable: delay bounded and input within capacity."""
    bounded, within = delay_bounded(run), within_capacity(run)
    if bounded is False or within is False:
        return False
    if bounded is None or within is None:
        return None
    return True


def degraded(run: ClaimRun) -> bool:
    """Any of C2's symptoms: OOM, executor lost, unstable, high GC share, loss, throughput degraded."""
    if run.outcome in DEGRADED_OUTCOMES or failed(run):
        return True
    if run.gc_time_frac is not None and run.gc_time_frac >= HIGH_GC_SHARE:
        return True
    if run.lost is not None and run.lost > 0:
        return True
    return bool(
        run.input_rate_rps
        and run.throughput_rps is not None
        and run.throughput_rps < DEGRADED_THROUGHPUT_SHARE * run.input_rate_rps
    )


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


def verdict_over_configurations(answers: dict[str, bool | None]) -> Verdict:
    """REPRODUCED when every configuration holds, NOT REPRODUCED when any fails, else INCONCLUSIVE."""
    if not answers:
        return Verdict.INCONCLUSIVE
    if any(answer is False for answer in answers.values()):
        return Verdict.NOT_REPRODUCED
    if all(answer is True for answer in answers.values()):
        return Verdict.REPRODUCED
    return Verdict.INCONCLUSIVE


def _number(value: float | None, decimals: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    return f"{value:,.{decimals}f}{unit}"


def _answer(value: bool | None, yes: str, no: str) -> str:
    return "unknown" if value is None else yes if value else no


def _c1_detail(run: ClaimRun) -> str:
    return (
        f"delay slope {_number(run.delay_slope, 2, ' ms/s')}; "
        f"p50 processing {_number(run.proc_time_p50_ms, 0, ' ms')} vs interval "
        f"{_number(run.batch_interval_ms, 0, ' ms')}; outcome {run.outcome}"
    )


def _c2_detail(run: ClaimRun) -> str:
    gc = None if run.gc_time_frac is None else run.gc_time_frac * 100
    return (
        f"outcome {run.outcome}; GC {_number(gc, 1, ' %')}; lost {_number(run.lost, 0)}; "
        f"throughput {_number(run.throughput_rps, 0)} of input {_number(run.input_rate_rps, 0)} rec/s; "
        f"app {run.app or '–'}"
    )


def _configs_answering(answers: dict[str, bool | None], value: bool | None) -> list[str]:
    return [config for config, answer in answers.items() if answer is value]


def _app_kinds(runs: Iterable[ClaimRun]) -> str:
    kinds = {run.stateful for run in runs}
    if kinds == {True, False}:
        return "stateless and stateful apps"
    if kinds == {True}:
        return "stateful apps only"
    if kinds == {False}:
        return "stateless apps only"
    return "apps of unknown kind"


# ---------------------------------------------------------------------------------------------------------
# The claims


def _result(claim: Claim, verdict: Verdict, reason: str, checks: list[Check] | None = None) -> ClaimResult:
    return ClaimResult(claim, verdict, reason, checks or [])


C1_STATEMENT = (
    "Backpressure keeps small and medium pipelines stable (bounded scheduling delay, input rate held at "
    "or below processing rate), for stateless and stateful applications alike."
)
C1_RULE = (
    f"Runs with backpressure on that measured the system and had no OOM or lost executor; when they span "
    f"several pressure levels on one axis (in-flight budget, or input per task memory for runs without "
    f"a budget), the largest level is left to C2. A run holds when its delay slope is at "
    f"most {SLOPE_THRESHOLD_MS_PER_S:g} ms/s and its median processing time is at most the batch interval. "
    f"A configuration holds when most of its repetitions hold. REPRODUCED: every configuration holds; "
    f"NOT REPRODUCED: one fails; INCONCLUSIVE: no such runs, or no majority."
)

C1 = Claim("C1", "Backpressure keeps small and medium pipelines stable", C1_STATEMENT, C1_RULE)


def check_c1(runs: Sequence[ClaimRun]) -> ClaimResult:
    candidates = [r for r in runs if r.backpressure is True and measured(r)]
    excluded_failures = [r for r in candidates if failed(r)]
    kept = {id(r) for r in below_largest_level(candidates)}
    population = [r for r in candidates if not failed(r) and id(r) in kept]
    if not population:
        return _result(
            C1,
            Verdict.INCONCLUSIVE,
            "No run with backpressure on below the largest pressure level "
            "measured the system without OOM or lost executors.",
        )
    checks = [
        Check(r.run_id, r.config, c1_holds(r), _answer(c1_holds(r), "stable", "not stable"), _c1_detail(r))
        for r in population
    ]
    answers = by_configuration(population, c1_holds)
    verdict = verdict_over_configurations(answers)
    held = sum(1 for c in checks if c.supports)
    scope = f"{len(answers)} configuration(s), {len(population)} run(s), {_app_kinds(population)}"
    if excluded_failures:
        scope += f"; {len(excluded_failures)} run(s) with OOM or lost executors left to C2"
    if verdict is Verdict.REPRODUCED:
        reason = f"Every configuration stayed stable: {held} of {len(checks)} runs held ({scope})."
    elif verdict is Verdict.NOT_REPRODUCED:
        failing = _configs_answering(answers, False)
        reason = f"{len(failing)} configuration(s) did not stay stable: {'; '.join(failing)} ({scope})."
    else:
        undecided = len(_configs_answering(answers, None))
        reason = f"No majority, or numbers missing, in {undecided} configuration(s) ({scope})."
    return _result(C1, verdict, reason, checks)


C2_STATEMENT = (
    "For data-intensive pipelines backpressure is not enough: the Unified Memory Manager cannot absorb "
    "surges; throughput degrades, latency rises, GC runs often, executors run out of memory and data is "
    "lost, worst for stateful applications."
)
C2_RULE = (
    f"Runs with backpressure on that measured the system, at two or more pressure levels on one axis: the "
    f"in-flight budget (the queue's qosmax in the paper) of the runs that have one, else input bytes per "
    f"second per byte of task memory. A run is degraded when it ran out of memory, lost an executor or "
    f"was unstable, spent at least {HIGH_GC_SHARE:.0%} of its time in GC, lost records, or reached less "
    f"than {DEGRADED_THROUGHPUT_SHARE:.0%} of its input rate. REPRODUCED: at least half of the runs at "
    f"the largest level are degraded, more than at the smallest level; NOT REPRODUCED: none at the "
    f"largest level is; INCONCLUSIVE otherwise, or with fewer than two levels."
)

C2 = Claim("C2", "For data-intensive pipelines backpressure is not enough", C2_STATEMENT, C2_RULE)


def _stateful_note(top: Sequence[ClaimRun]) -> str:
    stateful = [r for r in top if r.stateful is True]
    stateless = [r for r in top if r.stateful is False]
    if not stateful or not stateless:
        return "Stateful vs stateless: not compared (only one kind at the largest level)."
    share_stateful = sum(degraded(r) for r in stateful) / len(stateful)
    share_stateless = sum(degraded(r) for r in stateless) / len(stateless)
    worse = "worse" if share_stateful > share_stateless else "not worse"
    return (
        f"Stateful apps were {worse} than stateless ones at the largest level "
        f"({share_stateful:.0%} vs {share_stateless:.0%} degraded)."
    )


def _c2_check(run: ClaimRun, at_largest: bool) -> Check:
    """At the largest level a degraded run supports C2; at the smallest, a healthy one does."""
    is_degraded = degraded(run)
    level = "largest level" if at_largest else "smallest level"
    answer = "degraded" if is_degraded else "not degraded"
    return Check(run.run_id, run.config, is_degraded == at_largest, answer, f"{level}; {_c2_detail(run)}")


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
    top = [r for r in population if r.pressure == levels[-1]]
    bottom = [r for r in population if r.pressure == levels[0]]
    share_top = sum(degraded(r) for r in top) / len(top)
    share_bottom = sum(degraded(r) for r in bottom) / len(bottom)
    checks = [_c2_check(r, at_largest=True) for r in top] + [_c2_check(r, at_largest=False) for r in bottom]
    numbers = (
        f"{share_top:.0%} of {len(top)} run(s) degraded at the largest level "
        f"({format_pressure(levels[-1], axis)}) vs {share_bottom:.0%} of {len(bottom)} at the smallest "
        f"({format_pressure(levels[0], axis)}). "
        f"{_stateful_note(top)}"
    )
    if share_top >= 0.5 and share_top > share_bottom:
        return _result(
            C2, Verdict.REPRODUCED, "Backpressure was not enough at the largest level: " + numbers, checks
        )
    if share_top == 0:
        return _result(
            C2, Verdict.NOT_REPRODUCED, "Backpressure held even at the largest level: " + numbers, checks
        )
    return _result(C2, Verdict.INCONCLUSIVE, "Degradation not tied to the pressure level: " + numbers, checks)


C3_STATEMENT = (
    "Without backpressure, received data and scheduling delay grow without bound once input exceeds capacity."
)
C3_RULE = (
    f"Runs with backpressure off that measured the system and were overloaded: median processing time "
    f"above the batch interval, or input rate above throughput by more than {OVERLOAD_MARGIN:.0%}. A run "
    f"grows without bound when its delay slope exceeds {SLOPE_THRESHOLD_MS_PER_S:g} ms/s or it ran out of "
    f"memory. A configuration grows when most of its repetitions do. REPRODUCED: every overloaded "
    f"configuration grows; NOT REPRODUCED: one does not; INCONCLUSIVE: no backpressure-off run, none "
    f"overloaded, or no majority."
)

C3 = Claim("C3", "Without backpressure, delay grows without bound", C3_STATEMENT, C3_RULE)


def _c3_detail(run: ClaimRun) -> str:
    return (
        f"delay slope {_number(run.delay_slope, 2, ' ms/s')}; p50 processing "
        f"{_number(run.proc_time_p50_ms, 0, ' ms')} vs interval {_number(run.batch_interval_ms, 0, ' ms')}; "
        f"input {_number(run.input_rate_rps, 0)} vs throughput {_number(run.throughput_rps, 0)} rec/s; "
        f"outcome {run.outcome}"
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
    checks = [
        Check(r.run_id, r.config, delay_grows(r), _answer(delay_grows(r), "grows", "bounded"), _c3_detail(r))
        for r in population
    ]
    answers = by_configuration(population, delay_grows)
    verdict = verdict_over_configurations(answers)
    grew = sum(1 for c in checks if c.supports)
    scope = f"{grew} of {len(checks)} overloaded run(s) in {len(answers)} configuration(s) grew"
    if verdict is Verdict.REPRODUCED:
        reason = f"Delay grew without bound in every overloaded configuration: {scope}."
    elif verdict is Verdict.NOT_REPRODUCED:
        reason = f"Delay stayed bounded in {'; '.join(_configs_answering(answers, False))}: {scope}."
    else:
        reason = f"No majority, or numbers missing: {scope}."
    return _result(C3, verdict, reason, checks)


# ---------------------------------------------------------------------------------------------------------
# The seed scenarios (PAPERS.md section 3)

# A token bucket may hand out slightly more than its rate within one batch.
CAP_TOLERANCE = 1.10
# A burst "got in" when some batch took in at least this multiple of the base rate.
BURST_SHARE = 1.5
# The PID "reached" its floor when its limit came within this factor of minRate.
FLOOR_REACHED = 1.10


def _scenario(
    claim: Claim,
    population: Sequence[ClaimRun],
    supports: Callable[[ClaimRun], bool | None],
    answers_as: tuple[str, str],
    detail: Callable[[ClaimRun], str],
    enough: bool,
    what: str,
) -> ClaimResult:
    """A seed scenario's verdict: INCONCLUSIVE unless ``enough`` of the population is there (both
    sides of a comparison, say); otherwise over configurations, as for the paper's claims."""
    answers = by_configuration(population, supports)
    checks = [
        Check(r.run_id, r.config, supports(r), _answer(supports(r), *answers_as), detail(r))
        for r in population
    ]
    verdict = verdict_over_configurations(answers) if answers and enough else Verdict.INCONCLUSIVE
    if not population:
        return _result(claim, verdict, f"No {what}.")
    held = sum(1 for c in checks if c.supports)
    return _result(claim, verdict, f"{held} of {len(checks)} {what} behaved as claimed.", checks)


S1 = Claim(
    "S1",
    "A step above capacity: backpressure holds the input, without it the delay grows",
    "The input rate stepped to a new level every 100 s: without backpressure the scheduling delay reached "
    "minutes once the rate passed capacity; with it, the input rate stayed at capacity.",
    f"Runs with a step profile that measured the system. With backpressure on a run supports the claim when "
    f"its delay slope is at most {SLOPE_THRESHOLD_MS_PER_S:g} ms/s; with it off, when it was overloaded and "
    f"its delay slope exceeds that. REPRODUCED: every configuration supports it and both sides are present; "
    f"NOT REPRODUCED: one contradicts it; INCONCLUSIVE: a side is missing, or no majority.",
)


def s1_supports(run: ClaimRun) -> bool | None:
    if run.backpressure:
        return delay_bounded(run)
    if overloaded(run) is False:
        return None  # below capacity the step says nothing about unbounded growth
    return delay_grows(run)


def check_s1(runs: Sequence[ClaimRun]) -> ClaimResult:
    population = [r for r in runs if r.profile == "step" and measured(r)]
    return _scenario(
        S1, population, s1_supports, ("as claimed", "not as claimed"),
        lambda r: f"backpressure {'on' if r.backpressure else 'off'}; "
        f"delay slope {_number(r.delay_slope, 1, ' ms/s')}",
        {r.backpressure for r in population} >= {True, False},
        "run(s) with a step profile",
    )  # fmt: skip


S2 = Claim(
    "S2",
    "A start burst: only a rate cap bounds the first batches",
    "A job that handled about 1,000 events/s was hit with 50,000/s in its first seconds; backpressure alone "
    "lets the first batches take the burst, so keep maxRate at about 150-200 % of the sustainable rate.",
    f"Runs with a burst profile and backpressure on. With a rate cap a run supports the claim when no batch "
    f"took in more than {CAP_TOLERANCE:.0%} of the cap; without one, when some batch took in at least "
    f"{BURST_SHARE:g} times the base rate. REPRODUCED: every configuration supports it and both kinds are "
    f"present; NOT REPRODUCED: one contradicts it; INCONCLUSIVE otherwise.",
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
    return _scenario(
        S2, population, s2_supports, ("as claimed", "not as claimed"),
        lambda r: f"cap {_number(r.rate_cap_rps, 0, ' rec/s')}; largest batch rate "
        f"{_number(r.max_batch_rate_rps, 0, ' rec/s')}; base {_number(r.base_rate_rps, 0, ' rec/s')}",
        {r.rate_cap_rps is not None for r in population} >= {True, False},
        "run(s) with a burst profile and backpressure on",
    )  # fmt: skip


S3 = Claim(
    "S3",
    "The PID never goes below minRate",
    "Spark's PID never lowers the rate below spark.streaming.backpressure.pid.minRate (100 records/s by "
    "default), even for a job that cannot keep up with it.",
    f"Runs with backpressure on whose replayed PID limit came within {FLOOR_REACHED:.0%} of their minRate. "
    f"A run supports the claim when its lowest PID limit is at least minRate. REPRODUCED: every such "
    f"configuration does; NOT REPRODUCED: one goes below; INCONCLUSIVE: no run reached its floor.",
)


def s3_supports(run: ClaimRun) -> bool | None:
    if run.min_pid_limit_rps is None or run.min_rate_rps is None:
        return None
    if run.min_pid_limit_rps > run.min_rate_rps * FLOOR_REACHED:
        return None  # the floor was never tested
    return run.min_pid_limit_rps >= run.min_rate_rps


def check_s3(runs: Sequence[ClaimRun]) -> ClaimResult:
    population = [r for r in runs if r.backpressure is True and measured(r) and s3_supports(r) is not None]
    return _scenario(
        S3, population, s3_supports, ("at or above", "below"),
        lambda r: f"lowest PID limit {_number(r.min_pid_limit_rps, 1, ' rec/s')}; "
        f"minRate {_number(r.min_rate_rps, 0)}",
        bool(population),
        "run(s) with backpressure on whose PID reached its minRate",
    )  # fmt: skip


RULES: tuple[Callable[[Sequence[ClaimRun]], ClaimResult], ...] = (
    check_c1,
    check_c2,
    check_c3,
    check_s1,
    check_s2,
    check_s3,
)


def evaluate(runs: Sequence[ClaimRun]) -> list[ClaimResult]:
    return [rule(runs) for rule in RULES]
