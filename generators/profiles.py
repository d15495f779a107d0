"""Pressure profiles: the rate the load generator asks for at each instant, and the schedule that follows.

A profile has one job, to say the rate now (records per second, ``t`` in seconds from the start of the
load). Everything the open-loop generator needs follows from the cumulative count
``N(t) = integral of rate(u) du over [0, t]``:

* record ``i`` (0-based) is due at the first instant at which ``N`` passes ``i`` with a positive rate,
  ``inf {t : N(t) > i}``. Where ``N`` increases strictly (any positive rate) that is the ``t`` with
  ``N(t) = i``: for a constant rate ``r`` it is exactly ``i / r``, record 0 at 0, as the constant-rate
  generator always did. Where the rate is zero for a while (a pause in a trace, a zero base rate before a
  burst) nothing falls due: the next record is due when the rate turns positive again, so the seconds of
  the pause plan no records;
* a load of ``duration_s`` seconds sends ``floor(N(duration_s))`` records, hence every due time is before
  ``duration_s``;
* second ``s`` plans the records due in ``[s, s + 1)``.

Counts that floating point lands within a hair of an integer are taken as that integer, so 1,000
records/s for 3 s is exactly 3,000 records and 0.29 records/s for 100 s is 29, not 28.

Due times are computed in closed form on each piece of the rate: a constant piece inverts exactly, a
linear piece (a ramp) by the quadratic formula, and a sine numerically (safeguarded Newton on the
monotone ``N``), all with numpy, one second of schedule at a time. ``due_times`` yields Python floats for a
sending loop; ``due_times_array`` returns the same values as a numpy array for a window of the schedule,
the fast path for bulk work.

Trace files are read, checked and kept when the model is validated, so a bad file fails where the
manifest is loaded, with the field and the line named. A relative ``file`` resolves against the
``base_dir`` entry of the pydantic validation context (normally the directory of the manifest that names
it), and against the working directory when no context gives one; the model then holds the resolved,
absolute path, so a dumped profile validates again from anywhere. Validate with
``parse_profile(data, base_dir=...)`` or ``Model.model_validate(data, context={"base_dir": ...})``.
"""

from __future__ import annotations

import csv
import math
from abc import abstractmethod
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, Union

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "BASE_DIR_CONTEXT",
    "PROFILE_NAMES",
    "BurstProfile",
    "ConstantProfile",
    "PeriodicProfile",
    "Profile",
    "RampProfile",
    "RateProfile",
    "SineProfile",
    "Step",
    "StepProfile",
    "TraceProfile",
    "parse_profile",
]

BASE_DIR_CONTEXT = "base_dir"
"""Key of the validation context that relative trace paths resolve against."""

_BLOCK = 1 << 16  # records inverted at once: bounds the memory used at very high rates
_SNAP_ABS = 1e-9  # how close to an integer a count must be to count as that integer ...
_SNAP_REL = 1e-12  # ... plus this much per record, as rounding error grows with the count


# Field checks. They raise ValueError naming the field so that pydantic reports it where it was written.


def _finite(value: float, info: ValidationInfo) -> None:
    if not math.isfinite(value):
        raise ValueError(f"{info.field_name} must be a finite number")


def _positive(value: float, info: ValidationInfo) -> float:
    _finite(value, info)
    if value <= 0:
        raise ValueError(f"{info.field_name} must be > 0")
    return value


def _non_negative(value: float, info: ValidationInfo) -> float:
    _finite(value, info)
    if value < 0:
        raise ValueError(f"{info.field_name} must be >= 0")
    return value


Positive = Annotated[float, AfterValidator(_positive)]
NonNegative = Annotated[float, AfterValidator(_non_negative)]


def _check_time(name: str, value: float) -> float:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")
    return float(value)


# Counting: N(t) is a float, the number of records is an integer.


def _snap(counts: np.ndarray) -> np.ndarray:
    nearest = np.rint(counts)
    close = np.abs(counts - nearest) <= _SNAP_ABS + _SNAP_REL * np.abs(counts)
    return np.where(close, nearest, counts)


def _records_before(counts: np.ndarray) -> np.ndarray:
    """Records due before the instants where ``N`` is ``counts``: i is due before t iff i < N(t)."""
    return np.maximum(np.ceil(_snap(counts)), 0).astype(np.int64)


def _records_in(curve: _Curve, duration_s: float) -> int:
    return int(math.floor(_snap(curve.cumulative(np.array([duration_s])))[0]))


# The arithmetic of a schedule, built by each profile for a horizon and valid on [0, horizon].


class _Curve(Protocol):
    def cumulative(self, t: np.ndarray) -> np.ndarray:
        """N at each instant of ``t``."""

    def invert(self, k: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Due times of records ``k``, all known to be due in ``[lo, hi)`` (up to rounding)."""

    def peak(self, duration_s: float) -> float:
        """The highest rate on ``[0, duration_s)``."""


@dataclass(frozen=True)
class _Pieces:
    """A piecewise-linear rate: piece j starts at ``starts[j]`` at rate ``rates[j]`` and changes by
    ``slopes[j]`` per second until the next piece starts. The last piece runs on (its slope must be 0)."""

    starts: np.ndarray
    rates: np.ndarray
    slopes: np.ndarray
    counts: np.ndarray  # N at the start of each piece

    @classmethod
    def build(cls, starts: Any, rates: Any, slopes: Any | None = None) -> _Pieces:
        """Pieces from their starts (the first at 0, increasing), start rates and slopes (default flat)."""
        starts = np.asarray(starts, dtype=np.float64)
        rates = np.asarray(rates, dtype=np.float64)
        slopes = np.zeros_like(rates) if slopes is None else np.asarray(slopes, dtype=np.float64)
        lengths = np.diff(starts)
        areas = rates[:-1] * lengths + 0.5 * slopes[:-1] * lengths * lengths
        # Snapped, so that a record due exactly where a piece starts (after a pause, say) is found in
        # that piece and not a rounding error earlier, at the end of the previous one.
        counts = _snap(np.concatenate(([0.0], np.cumsum(areas))))
        return cls(starts, rates, slopes, counts)

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        j = np.searchsorted(self.starts, t, side="right") - 1
        tau = t - self.starts[j]
        return self.counts[j] + self.rates[j] * tau + 0.5 * self.slopes[j] * tau * tau

    def invert(self, k: np.ndarray, lo: float, hi: float) -> np.ndarray:
        # The last piece whose start count is <= k: where pieces of zero rate add nothing, that is the
        # piece after them, where the rate is positive again (the ``inf {t : N(t) > k}`` of the schedule).
        j = np.searchsorted(self.counts, k, side="right") - 1
        rest = k - self.counts[j]
        rate = self.rates[j]
        slope = self.slopes[j]
        with np.errstate(divide="ignore", invalid="ignore"):
            flat = rest / rate
            # rate * tau + slope * tau^2 / 2 = rest, in the form that stays accurate when slope is small
            # or negative and has no 0/0 unless rest is 0 (the first record of a ramp from zero).
            root = np.sqrt(np.maximum(rate * rate + 2.0 * slope * rest, 0.0))
            curved = 2.0 * rest / (rate + root)
        tau = np.where(slope == 0.0, flat, curved)
        return self.starts[j] + np.where(np.isfinite(tau), tau, 0.0)

    def peak(self, duration_s: float) -> float:
        inside = self.starts < duration_s
        if not inside.any():
            return float(self.rates[0])
        ends = np.minimum(np.append(self.starts[1:], np.inf), duration_s)[inside]
        rates = self.rates[inside]
        at_ends = rates + self.slopes[inside] * (ends - self.starts[inside])
        return float(max(rates.max(), at_ends.max()))


@dataclass(frozen=True)
class _Sine:
    """``rate(t) = mean + amplitude * sin(2 pi (t - phase) / period)`` and its integral in closed form."""

    mean: float
    amplitude: float
    period: float
    phase: float

    def _angle(self, t: np.ndarray) -> np.ndarray:
        # Reduce before scaling so the angle keeps its precision hours into a run.
        return 2.0 * np.pi * np.mod(t - self.phase, self.period) / self.period

    def rate(self, t: np.ndarray) -> np.ndarray:
        return self.mean + self.amplitude * np.sin(self._angle(t))

    def cumulative(self, t: np.ndarray) -> np.ndarray:
        wave = self.amplitude * self.period / (2.0 * np.pi)
        start = np.cos(self._angle(np.zeros(1)))[0]
        return self.mean * t + wave * (start - np.cos(self._angle(t)))

    def invert(self, k: np.ndarray, lo: float, hi: float) -> np.ndarray:
        """Newton on ``N(t) = k``, kept inside a bracket that shrinks each step and falling back to
        bisection where Newton would leave it (near a zero rate when amplitude equals mean)."""
        n_lo, n_hi = self.cumulative(np.array([lo, hi]))
        low = np.full_like(k, lo)
        high = np.full_like(k, hi)
        t = np.clip(lo + (k - n_lo) * (hi - lo) / max(n_hi - n_lo, 1e-300), lo, hi)
        tolerance = 1e-12 * max(1.0, hi)
        for _ in range(200):
            error = self.cumulative(t) - k
            low = np.where(error < 0, t, low)
            high = np.where(error >= 0, t, high)
            rate = self.rate(t)
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = t - error / rate
            inside = (rate > 0) & (newton >= low) & (newton <= high)
            step = np.where(inside, newton, 0.5 * (low + high))
            done = np.max(np.abs(step - t), initial=0.0) <= tolerance
            t = step
            if done:
                break
        return t

    def peak(self, duration_s: float) -> float:
        first_crest = (self.phase + self.period / 4.0) % self.period
        if first_crest < duration_s:
            return self.mean + self.amplitude
        return float(self.rate(np.array([0.0, duration_s])).max())


def _edges(start_s: float, end_s: float) -> np.ndarray:
    """``start_s``, the whole seconds strictly between, ``end_s``: the schedule is computed by second."""
    inner = np.arange(math.floor(start_s) + 1, math.ceil(end_s), dtype=np.float64)
    return np.concatenate(([start_s], inner, [end_s]))


def _due_chunks(curve: _Curve, edges: np.ndarray, limit: int | None) -> Iterator[np.ndarray]:
    """Due times of the records due between consecutive ``edges`` (and with index < ``limit``), in order.

    Counts decide which interval a record belongs to; its computed time is clipped into that interval, so
    times and per-second counts never disagree by a rounding error, and kept non-decreasing.
    """
    firsts = _records_before(curve.cumulative(edges))
    if limit is not None:
        firsts = np.minimum(firsts, limit)
    previous = -math.inf
    edge_list, first_list = edges.tolist(), firsts.tolist()
    bounds = zip(edge_list[:-1], edge_list[1:], first_list[:-1], first_list[1:], strict=True)
    for lo, hi, first, stop in bounds:
        below_hi = float(np.nextafter(hi, -math.inf))
        for block in range(first, stop, _BLOCK):
            k = np.arange(block, min(block + _BLOCK, stop), dtype=np.float64)
            times = np.clip(curve.invert(k, lo, hi), lo, below_hi)
            times[0] = max(times[0], previous)
            np.maximum.accumulate(times, out=times)
            previous = float(times[-1])
            yield times


# The profiles.


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateProfile(_Strict):
    """The face every profile shares: a subclass says the rate now (``_rate``) and builds the arithmetic
    of its schedule (``_curve``); counts, due times and peaks follow from those here, the same way for all."""

    def rate_at(self, t: float) -> float:
        """Records per second asked for at ``t`` seconds from the start (``t >= 0``)."""
        return float(self._rate(_check_time("t", t)))

    def due_times(self, duration_s: float) -> Iterator[float]:
        """The intended send time of each record of a load of ``duration_s`` seconds, in order, all
        ``< duration_s``; as many as ``total_records(duration_s)``."""
        duration_s = _check_time("duration_s", duration_s)
        curve = self._curve(duration_s)
        for chunk in _due_chunks(curve, _edges(0.0, duration_s), _records_in(curve, duration_s)):
            yield from chunk.tolist()

    def due_times_array(self, start_s: float, end_s: float, duration_s: float | None = None) -> np.ndarray:
        """The due times in ``[start_s, end_s)`` as one float64 array: the values ``due_times`` yields
        there, without a Python object per record.

        Without ``duration_s`` these are the records of an unbounded load; with it, only those of a load
        of that length (which can leave out the last record due before ``duration_s``, as
        ``total_records`` rounds down). The first of them is record number ``records_before(start_s)``.
        """
        start_s = _check_time("start_s", start_s)
        end_s = _check_time("end_s", end_s)
        if end_s < start_s:
            raise ValueError(f"end_s ({end_s}) must be >= start_s ({start_s})")
        horizon = end_s if duration_s is None else max(end_s, _check_time("duration_s", duration_s))
        curve = self._curve(horizon)
        limit = None if duration_s is None else _records_in(curve, duration_s)
        chunks = list(_due_chunks(curve, _edges(start_s, end_s), limit))
        return np.concatenate(chunks) if chunks else np.empty(0, dtype=np.float64)

    def records_before(self, t: float) -> int:
        """How many records fall due before ``t``: the index of the first record due at or after ``t``."""
        t = _check_time("t", t)
        return int(_records_before(self._curve(t).cumulative(np.array([t])))[0])

    def records_before_many(self, times_s: np.ndarray, duration_s: float) -> np.ndarray:
        """``records_before`` at each instant of ``times_s`` (int64) for a load of ``duration_s`` seconds:
        nothing before 0, never more than ``total_records(duration_s)``; one curve for all instants, the
        fast path for a simulator that asks at every block or batch."""
        duration_s = _check_time("duration_s", duration_s)
        times = np.clip(np.asarray(times_s, dtype=np.float64), 0.0, duration_s)
        curve = self._curve(duration_s)
        total = _records_in(curve, duration_s)
        return np.minimum(_records_before(curve.cumulative(times)), total)

    def planned_per_second(self, duration_s: float) -> list[int]:
        """Records due in each second ``[0, 1), [1, 2), ...`` of a load of ``duration_s`` seconds (the last
        second may be partial); they sum to ``total_records(duration_s)``."""
        duration_s = _check_time("duration_s", duration_s)
        curve = self._curve(duration_s)
        total = _records_in(curve, duration_s)
        seconds = np.arange(math.ceil(duration_s), dtype=np.float64)
        before = np.minimum(_records_before(curve.cumulative(seconds)), total)
        return np.diff(np.append(before, total)).tolist()

    def total_records(self, duration_s: float) -> int:
        """``floor(N(duration_s))``: the records a load of ``duration_s`` seconds sends."""
        duration_s = _check_time("duration_s", duration_s)
        return _records_in(self._curve(duration_s), duration_s)

    def max_rate(self, duration_s: float) -> float:
        """The highest rate asked for within ``[0, duration_s)``: what the producer must be able to reach."""
        duration_s = _check_time("duration_s", duration_s)
        return float(self._curve(duration_s).peak(duration_s))

    @abstractmethod
    def _rate(self, t: float) -> float:
        """The rate at ``t >= 0``."""

    @abstractmethod
    def _curve(self, horizon_s: float) -> _Curve:
        """The schedule's arithmetic, valid on ``[0, horizon_s]``."""


class ConstantProfile(RateProfile):
    """The same rate throughout: the baseline the other shapes are compared with."""

    profile: Literal["constant"] = "constant"
    rate: Positive

    def _rate(self, t: float) -> float:
        return self.rate

    def _curve(self, horizon_s: float) -> _Curve:
        return _Pieces.build([0.0], [self.rate])


class Step(_Strict):
    """One level of a step profile; a rate of 0 is a pause."""

    duration_s: Positive
    rate: NonNegative


class StepProfile(RateProfile):
    """Levels held for a while each, such as a rate changed every 100 s, to see how backpressure settles
    after each change. After the last step its rate holds."""

    profile: Literal["step"] = "step"
    steps: tuple[Step, ...]

    @field_validator("steps")
    @classmethod
    def _not_empty(cls, steps: tuple[Step, ...]) -> tuple[Step, ...]:
        if not steps:
            raise ValueError("steps must list at least one step")
        return steps

    @model_validator(mode="after")
    def _some_load(self) -> StepProfile:
        if all(step.rate == 0 for step in self.steps):
            raise ValueError("steps: every rate is 0, so the profile asks for no records")
        return self

    def _starts(self) -> np.ndarray:
        durations = [step.duration_s for step in self.steps]
        return np.concatenate(([0.0], np.cumsum(durations)[:-1]))

    def _rate(self, t: float) -> float:
        return self.steps[int(np.searchsorted(self._starts(), t, side="right")) - 1].rate

    def _curve(self, horizon_s: float) -> _Curve:
        return _Pieces.build(self._starts(), [step.rate for step in self.steps])


class RampProfile(RateProfile):
    """A linear change of rate over ``ramp_s`` seconds, then ``end_rate`` holds: finds the rate at which
    the system stops keeping up, and how backpressure follows a load that moves all the time."""

    profile: Literal["ramp"] = "ramp"
    start_rate: NonNegative
    end_rate: NonNegative
    ramp_s: Positive

    @model_validator(mode="after")
    def _some_load(self) -> RampProfile:
        if self.start_rate == 0 and self.end_rate == 0:
            raise ValueError("start_rate and end_rate are both 0, so the profile asks for no records")
        return self

    def _rate(self, t: float) -> float:
        if t >= self.ramp_s:
            return self.end_rate
        return self.start_rate + (self.end_rate - self.start_rate) * t / self.ramp_s

    def _curve(self, horizon_s: float) -> _Curve:
        slope = (self.end_rate - self.start_rate) / self.ramp_s
        return _Pieces.build([0.0, self.ramp_s], [self.start_rate, self.end_rate], [slope, 0.0])


class BurstProfile(RateProfile):
    """One spike of ``burst_rate`` on top of ``base_rate`` for ``burst_s`` from ``burst_start_s`` (0 by
    default): the job sized for a steady load that is hit by far more, at its start."""

    profile: Literal["burst"] = "burst"
    base_rate: NonNegative
    burst_rate: Positive
    burst_start_s: NonNegative = 0.0
    burst_s: Positive

    def _rate(self, t: float) -> float:
        in_burst = self.burst_start_s <= t < self.burst_start_s + self.burst_s
        return self.base_rate + self.burst_rate if in_burst else self.base_rate

    def _curve(self, horizon_s: float) -> _Curve:
        peak = self.base_rate + self.burst_rate
        end = self.burst_start_s + self.burst_s
        if self.burst_start_s == 0:
            return _Pieces.build([0.0, end], [peak, self.base_rate])
        return _Pieces.build([0.0, self.burst_start_s, end], [self.base_rate, peak, self.base_rate])


class PeriodicProfile(RateProfile):
    """Square-wave bursts: ``burst_rate`` on top of ``base_rate`` for ``burst_s`` at the start of every
    ``period_s``, the whole wave delayed by ``phase_s``; tests whether backpressure recovers between
    bursts or ratchets down."""

    profile: Literal["periodic"] = "periodic"
    base_rate: NonNegative
    burst_rate: Positive
    period_s: Positive
    burst_s: Positive
    phase_s: NonNegative = 0.0

    @model_validator(mode="after")
    def _burst_fits(self) -> PeriodicProfile:
        if self.burst_s >= self.period_s:
            raise ValueError(f"burst_s ({self.burst_s}) must be < period_s ({self.period_s})")
        return self

    def _rate(self, t: float) -> float:
        # The last burst to open at or before t, with the arithmetic of _curve, so both agree at the edges.
        cycle = math.floor((t - self.phase_s) / self.period_s) + 1
        opens = self.phase_s + cycle * self.period_s
        while opens > t:
            cycle -= 1
            opens = self.phase_s + cycle * self.period_s
        in_burst = t < opens + self.burst_s
        return self.base_rate + self.burst_rate if in_burst else self.base_rate

    def _curve(self, horizon_s: float) -> _Curve:
        first = math.floor(-self.phase_s / self.period_s)  # the last burst to open at or before 0
        last = math.ceil((horizon_s - self.phase_s) / self.period_s)
        opens = self.phase_s + np.arange(first, last + 1, dtype=np.float64) * self.period_s
        starts = np.column_stack((opens, opens + self.burst_s)).ravel()
        rates = np.tile([self.base_rate + self.burst_rate, self.base_rate], opens.size)
        at_zero = int(np.searchsorted(starts, 0.0, side="right")) - 1
        keep = slice(at_zero, max(at_zero + 1, int(np.searchsorted(starts, horizon_s, side="right"))))
        starts = starts[keep].copy()
        starts[0] = 0.0
        return _Pieces.build(starts, rates[keep])


class SineProfile(RateProfile):
    """A smooth wave, ``mean_rate + amplitude * sin(2 pi (t - phase_s) / period_s)``, like a daily cycle
    compressed: no edges for backpressure to react to, only a trend."""

    profile: Literal["sine"] = "sine"
    mean_rate: Positive
    amplitude: NonNegative
    period_s: Positive
    phase_s: NonNegative = 0.0

    @model_validator(mode="after")
    def _never_negative(self) -> SineProfile:
        if self.amplitude > self.mean_rate:
            raise ValueError(
                f"amplitude ({self.amplitude}) must be <= mean_rate ({self.mean_rate}), "
                "or the rate would go negative"
            )
        return self

    def _rate(self, t: float) -> float:
        return float(self._curve(t).rate(np.array([t]))[0])

    def _curve(self, horizon_s: float) -> _Sine:
        return _Sine(self.mean_rate, self.amplitude, self.period_s, self.phase_s)


def _resolve(file: Path, context: Any) -> Path:
    base = context.get(BASE_DIR_CONTEXT) if isinstance(context, dict) else None
    file = file.expanduser()
    if not file.is_absolute():
        file = Path(base if base is not None else Path.cwd()) / file
    return file.resolve()


def _number(text: str, column: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {column} is not a number: {text.strip()!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {column} must be a finite number")
    return value


def _read_trace(path: Path, shown: Path) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The times and rates of a trace CSV; a ValueError names the file as written and the line."""
    where = f"trace file {shown}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"{where}: not found (looked for {path})") from None
    except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
        raise ValueError(f"{where}: cannot read it ({exc.__class__.__name__})") from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if header is None or [cell.strip() for cell in header] != ["time_s", "rate"]:
        raise ValueError(f"{where}: line 1: the header must be time_s,rate")
    times: list[float] = []
    rates: list[float] = []
    for row in reader:
        line = f"{where}: line {reader.line_num}"
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise ValueError(f"{line}: expected 2 columns (time_s,rate), found {len(row)}")
        time_s = _number(row[0], "time_s", line)
        rate = _number(row[1], "rate", line)
        if not times and time_s != 0:
            raise ValueError(f"{line}: the first time_s must be 0, not {time_s:g}")
        if times and time_s <= times[-1]:
            raise ValueError(f"{line}: time_s must increase ({time_s:g} after {times[-1]:g})")
        if rate < 0:
            raise ValueError(f"{line}: rate must be >= 0")
        times.append(time_s)
        rates.append(rate)
    if not times:
        raise ValueError(f"{where}: no rows after the header")
    if not any(rates):
        raise ValueError(f"{where}: every rate is 0, so the trace asks for no records")
    return tuple(times), tuple(rates)


class TraceProfile(RateProfile):
    """A recorded or hand-written load replayed: a CSV ``time_s,rate`` whose rate holds from its row's
    ``time_s`` until the next row's (the last one holds on), multiplied by ``scale``.

    The file is read when the model is validated (see the module docstring for how a relative ``file``
    resolves), and what was read is what the schedule uses, even if the file changes later.
    """

    profile: Literal["trace"] = "trace"
    file: Path
    scale: Positive = 1.0

    _times: tuple[float, ...] = PrivateAttr(default=())
    _rates: tuple[float, ...] = PrivateAttr(default=())

    @field_validator("file")
    @classmethod
    def _readable(cls, file: Path, info: ValidationInfo) -> Path:
        # Checked here so that errors carry the field's location; kept below, once the model exists.
        path = _resolve(file, info.context)
        _read_trace(path, shown=file)
        return path

    @model_validator(mode="after")
    def _keep(self) -> TraceProfile:
        self._times, self._rates = _read_trace(self.file, shown=self.file)
        return self

    def _rate(self, t: float) -> float:
        return self._rates[bisect_right(self._times, t) - 1] * self.scale

    def _curve(self, horizon_s: float) -> _Curve:
        return _Pieces.build(self._times, np.asarray(self._rates) * self.scale)


# The registry: a new profile is one class above and one line here.
_PROFILES = (
    ConstantProfile,
    StepProfile,
    RampProfile,
    BurstProfile,
    PeriodicProfile,
    SineProfile,
    TraceProfile,
)

Profile = Annotated[Union[_PROFILES], Field(discriminator="profile")]  # noqa: UP007 - a union of the registry
"""Any profile, told apart by its ``profile`` field (for manifests and generator configs)."""

PROFILE_NAMES: tuple[str, ...] = tuple(cls.model_fields["profile"].default for cls in _PROFILES)

_ADAPTER: TypeAdapter[Profile] = TypeAdapter(Profile)


def parse_profile(data: Any, base_dir: Path | None = None) -> RateProfile:
    """Validate any profile; relative trace files resolve against ``base_dir`` (else the working directory).

    Raises pydantic's ValidationError, whose locations and messages name the bad field.
    """
    context = None if base_dir is None else {BASE_DIR_CONTEXT: Path(base_dir)}
    return _ADAPTER.validate_python(data, context=context)
