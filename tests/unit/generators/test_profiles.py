"""Pressure profiles: the rate each one asks for, the schedule that follows, and how bad input is reported."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from generators.profiles import (
    BASE_DIR_CONTEXT,
    PROFILE_NAMES,
    BurstProfile,
    ConstantProfile,
    PeriodicProfile,
    Profile,
    RampProfile,
    RateProfile,
    SineProfile,
    StepProfile,
    TraceProfile,
    parse_profile,
)

ADAPTER: TypeAdapter[Profile] = TypeAdapter(Profile)


def write_trace(directory: Path, text: str, name: str = "trace.csv") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def sine_integral(mean: float, amplitude: float, period: float, phase: float, t: float) -> float:
    angle = 2 * math.pi / period
    return mean * t + amplitude / angle * (math.cos(-angle * phase) - math.cos(angle * (t - phase)))


# Constant


@pytest.mark.parametrize(
    ("rate", "duration", "expected"),
    [(1000, 3, [1000, 1000, 1000]), (2.5, 2, [3, 2]), (3, 1.5, [3, 1]), (0.5, 4, [1, 0, 1, 0])],
)
def test_constant_plans_like_the_constant_rate_generator(
    rate: float, duration: float, expected: list[int]
) -> None:
    profile = ConstantProfile(rate=rate)
    assert profile.planned_per_second(duration) == expected
    assert profile.total_records(duration) == int(rate * duration)


@pytest.mark.parametrize(
    ("rate", "duration"), [(1000, 3), (3, 1.5), (2.5, 2), (7, 10), (0.29, 100), (1e5, 2)]
)
def test_constant_due_times_are_exactly_i_over_rate(rate: float, duration: float) -> None:
    profile = ConstantProfile(rate=rate)
    due = list(profile.due_times(duration))
    assert due == [i / rate for i in range(profile.total_records(duration))]
    assert due[0] == 0.0


def test_counts_that_land_on_an_integer_are_that_integer() -> None:
    assert ConstantProfile(rate=1000).total_records(3) == 3000
    assert ConstantProfile(rate=2.5).total_records(2) == 5
    assert ConstantProfile(rate=0.29).total_records(100) == 29  # 0.29 * 100 is 28.999999999999996
    assert ConstantProfile(rate=0.1).planned_per_second(30).count(1) == 3


def test_constant_rate_and_peak() -> None:
    profile = ConstantProfile(rate=1000)
    assert profile.rate_at(0) == profile.rate_at(5.5) == 1000.0
    assert profile.max_rate(60) == 1000.0
    assert profile.total_records(0) == 0 and profile.planned_per_second(0) == []
    assert list(profile.due_times(0)) == []


# Step


def test_step_rates_hold_until_the_next_step_and_the_last_holds_on() -> None:
    profile = StepProfile(steps=[{"duration_s": 2, "rate": 100}, {"duration_s": 3, "rate": 300}])
    assert [profile.rate_at(t) for t in (0, 1.999, 2, 4.9, 5, 100)] == [100, 100, 300, 300, 300, 300]
    assert profile.planned_per_second(5) == [100, 100, 300, 300, 300]
    assert profile.planned_per_second(7) == [100, 100, 300, 300, 300, 300, 300]
    assert profile.total_records(5) == 1100
    assert profile.max_rate(2) == 100 and profile.max_rate(2.5) == 300
    due = profile.due_times_array(0, 5)
    assert due[199] == pytest.approx(1.99) and due[200] == 2.0 and due[201] == pytest.approx(2 + 1 / 300)


def test_step_every_100_seconds() -> None:
    steps = [{"duration_s": 100, "rate": rate} for rate in (1000, 2000, 0, 3000)]
    planned = StepProfile(steps=steps).planned_per_second(450)
    assert planned[:100] == [1000] * 100 and planned[100:200] == [2000] * 100
    assert planned[200:300] == [0] * 100 and planned[300:] == [3000] * 150
    assert StepProfile(steps=steps).total_records(450) == 1000 * 100 + 2000 * 100 + 3000 * 150


def test_a_pause_plans_nothing_and_the_next_record_waits_for_the_rate() -> None:
    profile = StepProfile(
        steps=[{"duration_s": 1, "rate": 10}, {"duration_s": 2, "rate": 0}, {"duration_s": 1, "rate": 10}]
    )
    assert profile.planned_per_second(4) == [10, 0, 0, 10]
    due = list(profile.due_times(4))
    assert due[9] == pytest.approx(0.9) and due[10] == 3.0


# Ramp


def test_ramp_up_is_linear_then_holds() -> None:
    profile = RampProfile(start_rate=0, end_rate=100, ramp_s=10)
    assert [profile.rate_at(t) for t in (0, 2.5, 9, 10, 50)] == [0, 25, 90, 100, 100]
    assert profile.planned_per_second(12) == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95, 100, 100]
    assert profile.total_records(12) == 700
    assert profile.max_rate(5) == 50 and profile.max_rate(60) == 100
    # N(t) = 5 t^2 on the ramp: record k is due at sqrt(k / 5).
    due = profile.due_times_array(0, 10)
    assert due.size == 500
    assert due == pytest.approx(np.sqrt(np.arange(500) / 5), abs=1e-9)


def test_ramp_down_to_zero() -> None:
    profile = RampProfile(start_rate=100, end_rate=0, ramp_s=10)
    assert profile.planned_per_second(12) == [95, 85, 75, 65, 55, 45, 35, 25, 15, 5, 0, 0]
    assert profile.rate_at(5) == 50 and profile.rate_at(11) == 0
    assert profile.max_rate(12) == 100
    assert max(profile.due_times(12)) < 10


def test_ramp_between_two_positive_rates() -> None:
    profile = RampProfile(start_rate=1000, end_rate=2000, ramp_s=4)
    assert profile.planned_per_second(5) == [1125, 1375, 1625, 1875, 2000]


# Burst


def test_burst_at_start_adds_to_the_base() -> None:
    profile = BurstProfile(base_rate=1000, burst_rate=50000, burst_s=2)
    assert [profile.rate_at(t) for t in (0, 1.99, 2, 10)] == [51000, 51000, 1000, 1000]
    assert profile.planned_per_second(5) == [51000, 51000, 1000, 1000, 1000]
    assert profile.max_rate(5) == 51000


def test_burst_later_on_a_zero_base() -> None:
    profile = BurstProfile(base_rate=0, burst_rate=100, burst_start_s=3, burst_s=1.5)
    assert profile.planned_per_second(6) == [0, 0, 0, 100, 50, 0]
    assert [profile.rate_at(t) for t in (0, 3, 4.49, 4.5)] == [0, 100, 100, 0]
    due = list(profile.due_times(6))
    assert len(due) == 150 and due[0] == 3.0 and due[-1] < 4.5
    assert profile.max_rate(3) == 0 and profile.max_rate(3.5) == 100


# Periodic


def test_periodic_bursts_repeat_every_period() -> None:
    profile = PeriodicProfile(base_rate=10, burst_rate=90, period_s=5, burst_s=1)
    assert profile.planned_per_second(10) == [100, 10, 10, 10, 10, 100, 10, 10, 10, 10]
    assert [profile.rate_at(t) for t in (0, 0.99, 1, 5, 6, 10.5)] == [100, 100, 10, 100, 10, 100]
    assert profile.max_rate(10) == 100


def test_periodic_phase_delays_the_wave() -> None:
    profile = PeriodicProfile(base_rate=10, burst_rate=90, period_s=5, burst_s=1, phase_s=2)
    assert profile.planned_per_second(10) == [10, 10, 100, 10, 10, 10, 10, 100, 10, 10]
    assert profile.max_rate(2) == 10 and profile.max_rate(2.1) == 100


def test_periodic_burst_straddling_the_start() -> None:
    # Bursts in [-0.5, 0.5), [4.5, 5.5), [9.5, 10.5): half a burst (45 records) in seconds 0, 4, 5, 9.
    profile = PeriodicProfile(base_rate=10, burst_rate=90, period_s=5, burst_s=1, phase_s=4.5)
    assert profile.planned_per_second(10) == [55, 10, 10, 10, 55, 55, 10, 10, 10, 55]
    assert [profile.rate_at(t) for t in (0, 0.49, 0.5, 4.5)] == [100, 100, 10, 100]


def test_periodic_with_zero_base_only_sends_in_bursts() -> None:
    profile = PeriodicProfile(base_rate=0, burst_rate=20, period_s=2, burst_s=0.5)
    due = profile.due_times_array(0, 6, 6)
    assert due.size == 30
    assert np.all((due % 2) < 0.5)


# Sine


def test_sine_rate() -> None:
    profile = SineProfile(mean_rate=100, amplitude=50, period_s=4)
    assert [profile.rate_at(t) for t in (0, 1, 3)] == pytest.approx([100, 150, 50])
    shifted = SineProfile(mean_rate=100, amplitude=50, period_s=4, phase_s=1)
    assert [shifted.rate_at(t) for t in (1, 2, 4)] == pytest.approx([100, 150, 50])


def test_sine_plans_its_integral() -> None:
    profile = SineProfile(mean_rate=100, amplitude=50, period_s=4)
    # N(1) = 100 + 100 / pi = 131.8, N(2) = 200 + 200 / pi = 263.7, N(3) = 331.8, N(4) = 400.
    assert profile.planned_per_second(8) == [132, 132, 68, 68, 132, 132, 68, 68]
    assert profile.total_records(4) == 400 and profile.total_records(8) == 800


@pytest.mark.parametrize(("amplitude", "phase"), [(50.0, 0.0), (100.0, 0.0), (30.0, 2.5), (0.0, 0.0)])
def test_sine_due_times_invert_the_integral(amplitude: float, phase: float) -> None:
    profile = SineProfile(mean_rate=100, amplitude=amplitude, period_s=7, phase_s=phase)
    duration = 20.5
    total = profile.total_records(duration)
    assert total == math.floor(sine_integral(100, amplitude, 7, phase, duration))
    due = list(profile.due_times(duration))
    assert len(due) == total
    integrals = [sine_integral(100, amplitude, 7, phase, t) for t in due]
    assert integrals == pytest.approx(list(range(total)), abs=1e-6)
    edges = [math.ceil(sine_integral(100, amplitude, 7, phase, s) - 1e-9) for s in range(21)]
    assert profile.planned_per_second(duration) == np.diff(edges + [total]).tolist()


def test_sine_peak_within_the_duration() -> None:
    profile = SineProfile(mean_rate=100, amplitude=50, period_s=4)
    assert profile.max_rate(0.5) == pytest.approx(100 + 50 * math.sin(math.pi / 4))
    assert profile.max_rate(2) == 150
    assert SineProfile(mean_rate=100, amplitude=50, period_s=4, phase_s=2).max_rate(1) == pytest.approx(100)


# Trace


def test_trace_replays_a_csv_scaled(tmp_path: Path) -> None:
    path = write_trace(tmp_path, "time_s,rate\n0,100\n2,0\n3,50\n")
    profile = TraceProfile(file=path, scale=2)
    assert [profile.rate_at(t) for t in (0, 1.9, 2, 2.5, 3, 100)] == [200, 200, 0, 0, 100, 100]
    assert profile.planned_per_second(5) == [200, 200, 0, 100, 100]
    assert profile.max_rate(3) == 200
    due = list(profile.due_times(5))
    assert due[399] < 2 and due[400] == 3.0


def test_trace_with_fractional_times(tmp_path: Path) -> None:
    path = write_trace(tmp_path, "time_s, rate\n0, 10\n0.5, 30\n1.25, 0\n2, 8\n")
    profile = TraceProfile(file=path)
    # N(1) = 5 + 15 = 20, N(2) = 20 + 7.5 = 27.5, N(3) = 35.5: record 27 is due at 1.2333.
    assert profile.planned_per_second(3) == [20, 8, 7]
    assert profile.total_records(3) == 35


def test_relative_trace_files_resolve_against_the_base_dir(tmp_path: Path) -> None:
    (tmp_path / "traces").mkdir()
    write_trace(tmp_path / "traces", "time_s,rate\n0,5\n")
    data = {"profile": "trace", "file": "traces/trace.csv"}
    profile = parse_profile(data, base_dir=tmp_path)
    assert isinstance(profile, TraceProfile)
    assert profile.file == (tmp_path / "traces" / "trace.csv").resolve()
    assert profile.planned_per_second(2) == [5, 5]
    same = TraceProfile.model_validate(data, context={BASE_DIR_CONTEXT: tmp_path})
    assert same == profile
    # The resolved path makes a dumped profile valid again without a base directory.
    assert ADAPTER.validate_python(profile.model_dump()) == profile


def test_relative_trace_files_default_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_trace(tmp_path, "time_s,rate\n0,5\n")
    monkeypatch.chdir(tmp_path)
    assert TraceProfile(file="trace.csv").file == (tmp_path / "trace.csv").resolve()


def test_trace_is_read_once_when_validated(tmp_path: Path) -> None:
    path = write_trace(tmp_path, "time_s,rate\n0,5\n")
    profile = TraceProfile(file=path)
    path.write_text("time_s,rate\n0,1000\n")
    assert profile.rate_at(0) == 5


# Properties every profile has


def examples(directory: Path) -> list[RateProfile]:
    trace = write_trace(directory, "time_s,rate\n0,300\n1.5,0\n2.5,1234.5\n4,17\n")
    return [
        ConstantProfile(rate=333.3),
        StepProfile(
            steps=[
                {"duration_s": 1.3, "rate": 700},
                {"duration_s": 2, "rate": 0},
                {"duration_s": 1, "rate": 90},
            ]
        ),
        RampProfile(start_rate=10, end_rate=2000, ramp_s=3.7),
        RampProfile(start_rate=0, end_rate=500, ramp_s=2),
        BurstProfile(base_rate=100, burst_rate=5000, burst_start_s=1.25, burst_s=0.5),
        PeriodicProfile(base_rate=0, burst_rate=800, period_s=1.5, burst_s=0.4, phase_s=0.2),
        SineProfile(mean_rate=500, amplitude=500, period_s=2.2, phase_s=0.3),
        TraceProfile(file=trace, scale=1.5),
    ]


@pytest.mark.parametrize("duration", [6.0, 5.3])
def test_due_times_agree_with_the_counts(tmp_path: Path, duration: float) -> None:
    for profile in examples(tmp_path):
        due = np.fromiter(profile.due_times(duration), dtype=np.float64)
        total = profile.total_records(duration)
        planned = profile.planned_per_second(duration)
        assert due.size == total == sum(planned), profile
        assert len(planned) == math.ceil(duration)
        assert np.all(np.diff(due) > 0), profile
        assert due[0] >= 0 and due[-1] < duration
        assert np.bincount(due.astype(np.int64), minlength=len(planned)).tolist() == planned, profile
        assert np.array_equal(profile.due_times_array(0, duration, duration), due)


def test_windows_of_the_schedule_join_up(tmp_path: Path) -> None:
    for profile in examples(tmp_path):
        # Closed forms give the same bits whatever the window; the numeric inversion of a sine nearly so.
        tolerance = 1e-9 if isinstance(profile, SineProfile) else 0.0
        whole = profile.due_times_array(0, 6)
        parts = [profile.due_times_array(a, b) for a, b in [(0, 0.7), (0.7, 2), (2, 2), (2, 4.25), (4.25, 6)]]
        np.testing.assert_allclose(
            np.concatenate(parts), whole, rtol=0, atol=tolerance, err_msg=repr(profile)
        )
        first = profile.records_before(2)
        np.testing.assert_allclose(
            profile.due_times_array(2, 6), whole[first:], rtol=0, atol=tolerance, err_msg=repr(profile)
        )


def test_max_rate_bounds_the_rate_asked_for(tmp_path: Path) -> None:
    for profile in examples(tmp_path):
        sampled = max(profile.rate_at(t) for t in np.arange(0, 5, 0.01))
        assert profile.max_rate(5) >= sampled - 1e-9, profile
        assert profile.max_rate(5) == pytest.approx(sampled, rel=0.01), profile


def test_profiles_through_the_union(tmp_path: Path) -> None:
    assert PROFILE_NAMES == ("constant", "step", "ramp", "burst", "periodic", "sine", "trace")
    for profile in examples(tmp_path):
        again = ADAPTER.validate_python(profile.model_dump())
        assert type(again) is type(profile) and again == profile
        assert again.profile in PROFILE_NAMES
    assert ADAPTER.validate_json('{"profile": "constant", "rate": 5}') == ConstantProfile(rate=5)


def test_negative_instants_and_durations_are_refused() -> None:
    profile = ConstantProfile(rate=10)
    with pytest.raises(ValueError, match="t must be"):
        profile.rate_at(-1)
    with pytest.raises(ValueError, match="duration_s must be"):
        profile.total_records(-1)
    with pytest.raises(ValueError, match="end_s"):
        profile.due_times_array(2, 1)


# Validation


def error_of(data: dict[str, object], base_dir: Path | None = None) -> tuple[tuple[object, ...], str]:
    with pytest.raises(ValidationError) as caught:
        parse_profile(data, base_dir=base_dir)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return errors[0]["loc"], str(caught.value)


@pytest.mark.parametrize(
    ("data", "loc", "message"),
    [
        ({"profile": "constant", "rate": 0}, ("constant", "rate"), "rate must be > 0"),
        ({"profile": "constant", "rate": -5}, ("constant", "rate"), "rate must be > 0"),
        ({"profile": "constant", "rate": "nan"}, ("constant", "rate"), "rate must be a finite number"),
        ({"profile": "constant", "rate": 5, "burst": 1}, ("constant", "burst"), "Extra inputs"),
        ({"profile": "step", "steps": []}, ("step", "steps"), "steps must list at least one step"),
        (
            {"profile": "step", "steps": [{"duration_s": 1, "rate": -1}]},
            ("step", "steps", 0, "rate"),
            "rate must be >= 0",
        ),
        (
            {"profile": "step", "steps": [{"duration_s": 1, "rate": 5}, {"duration_s": 0, "rate": 5}]},
            ("step", "steps", 1, "duration_s"),
            "duration_s must be > 0",
        ),
        ({"profile": "step", "steps": [{"duration_s": 1, "rate": 0}]}, ("step",), "steps: every rate is 0"),
        ({"profile": "ramp", "start_rate": 0, "end_rate": 0, "ramp_s": 5}, ("ramp",), "both 0"),
        ({"profile": "ramp", "start_rate": -1, "end_rate": 5, "ramp_s": 5}, ("ramp", "start_rate"), ">= 0"),
        (
            {"profile": "ramp", "start_rate": 1, "end_rate": 5, "ramp_s": 0},
            ("ramp", "ramp_s"),
            "ramp_s must be > 0",
        ),
        (
            {"profile": "burst", "base_rate": -1, "burst_rate": 5, "burst_s": 1},
            ("burst", "base_rate"),
            ">= 0",
        ),
        ({"profile": "burst", "base_rate": 0, "burst_rate": 0, "burst_s": 1}, ("burst", "burst_rate"), "> 0"),
        (
            {"profile": "burst", "base_rate": 1, "burst_rate": 5, "burst_s": 1, "burst_start_s": -2},
            ("burst", "burst_start_s"),
            "burst_start_s must be >= 0",
        ),
        (
            {"profile": "periodic", "base_rate": 1, "burst_rate": 5, "period_s": 2, "burst_s": 2},
            ("periodic",),
            "burst_s (2.0) must be < period_s (2.0)",
        ),
        (
            {
                "profile": "periodic",
                "base_rate": 1,
                "burst_rate": 5,
                "period_s": 2,
                "burst_s": 1,
                "phase_s": -1,
            },
            ("periodic", "phase_s"),
            "phase_s must be >= 0",
        ),
        (
            {"profile": "sine", "mean_rate": 10, "amplitude": 11, "period_s": 5},
            ("sine",),
            "amplitude (11.0) must be <= mean_rate (10.0)",
        ),
        ({"profile": "sine", "mean_rate": 10, "amplitude": -1, "period_s": 5}, ("sine", "amplitude"), ">= 0"),
        ({"profile": "sine", "mean_rate": 10, "amplitude": 1, "period_s": 0}, ("sine", "period_s"), "> 0"),
        ({"profile": "surge", "rate": 5}, (), "Input tag 'surge' found using 'profile' does not match"),
        ({"rate": 5}, (), "Unable to extract tag using discriminator 'profile'"),
    ],
)
def test_bad_profiles_name_the_field(data: dict[str, object], loc: tuple[object, ...], message: str) -> None:
    found_loc, text = error_of(data)
    assert found_loc == loc
    assert message in text


def test_unknown_profile_lists_the_known_ones() -> None:
    _, text = error_of({"profile": "surge"})
    assert all(f"'{name}'" in text for name in PROFILE_NAMES)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "trace file x.csv: line 1: the header must be time_s,rate"),
        ("time,rate\n0,5\n", "trace file x.csv: line 1: the header must be time_s,rate"),
        ("time_s,rate\n", "trace file x.csv: no rows after the header"),
        ("time_s,rate\n1,5\n", "trace file x.csv: line 2: the first time_s must be 0, not 1"),
        ("time_s,rate\n0,5\n2,6\n2,7\n", "trace file x.csv: line 4: time_s must increase (2 after 2)"),
        ("time_s,rate\n0,5\n2,6\n1,7\n", "trace file x.csv: line 4: time_s must increase (1 after 2)"),
        ("time_s,rate\n0,5\n1,-3\n", "trace file x.csv: line 3: rate must be >= 0"),
        ("time_s,rate\n0,5\n1,fast\n", "trace file x.csv: line 3: rate is not a number: 'fast'"),
        ("time_s,rate\n0,5\n1,inf\n", "trace file x.csv: line 3: rate must be a finite number"),
        ("time_s,rate\n0,5\n1,6,7\n", "trace file x.csv: line 3: expected 2 columns (time_s,rate), found 3"),
        ("time_s,rate\n0,0\n\n4,0\n", "trace file x.csv: every rate is 0"),
    ],
)
def test_bad_trace_files_name_the_field_the_file_and_the_line(
    tmp_path: Path, text: str, message: str
) -> None:
    write_trace(tmp_path, text, name="x.csv")
    loc, error = error_of({"profile": "trace", "file": "x.csv"}, base_dir=tmp_path)
    assert loc == ("trace", "file")
    assert message in error


def test_missing_trace_file(tmp_path: Path) -> None:
    loc, error = error_of({"profile": "trace", "file": "missing.csv"}, base_dir=tmp_path)
    assert loc == ("trace", "file")
    assert f"trace file missing.csv: not found (looked for {tmp_path.resolve() / 'missing.csv'})" in error


def test_trace_scale_must_be_positive(tmp_path: Path) -> None:
    write_trace(tmp_path, "time_s,rate\n0,5\n")
    loc, error = error_of({"profile": "trace", "file": "trace.csv", "scale": 0}, base_dir=tmp_path)
    assert loc == ("trace", "scale") and "scale must be > 0" in error


def test_profiles_are_immutable() -> None:
    profile = ConstantProfile(rate=5)
    with pytest.raises(ValidationError):
        profile.rate = 6  # type: ignore[misc]
