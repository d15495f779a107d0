"""The sustainable-rate search: bisection over probe outcomes, and the manifest's search block."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.errors import UsageError
from harness.run.search import Probe, SearchResult, bisect
from harness.spec.manifest import RateSearch, load_experiment


def prober(capacity: float, flaky_at: float | None = None):
    """A system that sustains rates up to ``capacity``; each probe has two repetitions."""
    probed: list[float] = []

    def probe(rate: float) -> Probe:
        probed.append(rate)
        second = "unstable" if rate == flaky_at else ("stable" if rate <= capacity else "oom")
        return Probe(rate, ("stable" if rate <= capacity else "unstable", second), ("a", "b"))

    return probe, probed


def test_bisection_closes_in_on_the_capacity() -> None:
    probe, probed = prober(capacity=7300)
    probes = bisect(RateSearch(low=1000, high=20000, precision=0.05, max_runs=10), probe)
    assert probed == [10500, 5750, 8125, 6938, 7532, 7235]
    result = SearchResult({"config.backpressure.enabled": True}, probes)
    assert result.sustainable_rps == 7235  # the best rate measured sustainable, not interpolated
    assert (7532 - 7235) <= 0.05 * 7532  # the bracket left is within the precision


def test_one_unstable_repetition_makes_a_rate_unsustainable() -> None:
    probe, probed = prober(capacity=7300, flaky_at=5750)
    probes = bisect(RateSearch(low=1000, high=20000, precision=0.05, max_runs=3), probe)
    assert probed == [10500, 5750, 3375]
    assert [p.sustainable for p in probes] == [False, False, True]
    assert SearchResult({}, probes).to_json()["sustainable_rps"] == 3375


def test_max_runs_and_nothing_sustainable() -> None:
    probe, probed = prober(capacity=10)
    probes = bisect(RateSearch(low=100, high=1000, precision=0.01, max_runs=4), probe)
    assert len(probed) == 4 and SearchResult({}, probes).sustainable_rps is None


def test_the_bracket_stops_at_one_record_per_second() -> None:
    probe, probed = prober(capacity=1000)
    bisect(RateSearch(low=10, high=12, precision=0.01, max_runs=10), probe)
    assert probed == [11]


BASE = {"name": "s", "workload": {"generator": {"profile": "constant", "rate": 100}}}


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_probes_are_runs_with_their_own_ids(tmp_path: Path) -> None:
    data = {
        **BASE,
        "search": {"low": 100, "high": 900},
        "matrix": {"config.backpressure.enabled": [True, False]},
    }
    specs = load_experiment(write(tmp_path, data))
    assert len(specs) == 2 and specs[0].search == RateSearch(low=100, high=900)
    probe = specs[0].at_rate(500)
    assert probe.manifest.workload.generator.rate == 500
    assert probe.cell == {"config.backpressure.enabled": True, "workload.generator.rate": 500}
    assert probe.run_id != specs[0].run_id and probe.run_id == specs[0].at_rate(500).run_id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"search": {"low": 500, "high": 400}},
         "s.yaml: search: search.low (500) must be below search.high (400)"),
        ({"search": {"low": 100, "high": 400, "precision": 1.5}},
         "s.yaml: search.precision: Input should be less"),
        ({"search": {"low": 100}}, "s.yaml: search.high: Field required"),
        ({"search": {"low": 100, "high": 400, "steps": 3}}, "s.yaml: search.steps: unknown key"),
        (
            {"search": {"low": 1, "high": 4}, "workload": {"generator": {"profile": "sine", "mean_rate": 5,
             "amplitude": 1, "period_s": 10}}},
            "s.yaml: search: needs workload.generator.profile: constant",
        ),
        (
            {"search": {"low": 1, "high": 4}, "matrix": {"workload.generator.rate": [1, 2]}},
            "s.yaml: matrix.workload.generator.rate: the search sets the rate",
        ),
    ],
)  # fmt: skip
def test_bad_search_settings_are_named(tmp_path: Path, change: dict, message: str) -> None:
    with pytest.raises(UsageError) as error:
        load_experiment(write(tmp_path, {**BASE, **change}))
    assert message in str(error.value)
