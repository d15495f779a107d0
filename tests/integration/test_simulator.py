"""The simulator against real Kafka and Spark: calibrated on one short real run, it simulates a run of
the same app at another rate, and the simulated run lands near the real one.

Tolerances: throughput within the issue's goal (5 %): both runs drain, so this checks that the model
neither loses nor invents records and paces the load as the generator does; the outcome the same; the
p95 total delay within ``DELAY_TOLERANCE`` of the real run's or ``DELAY_SLACK_MS``, whichever is
larger. That is wider than the benchmark's goal of 25 %, which is below the spread of real runs here:
two real runs of nearly one setting, minutes apart, differed by 75 % in p95 total delay
(benchmarks/results/simulator.md), and this run's batches take a few hundred milliseconds, where one
slow batch moves the p95 by half.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.conftest import run_bpbench, write_manifest

pytestmark = pytest.mark.integration

THROUGHPUT_TOLERANCE = 0.05
DELAY_TOLERANCE = 0.75
DELAY_SLACK_MS = 400.0


def one_run(out: Path, experiment: str) -> Path:
    (run,) = [p.parent for p in (out / experiment).glob("*/COMPLETE")]
    return run


def test_a_run_simulated_from_another_rates_calibration_lands_near_the_real_run(tmp_path: Path) -> None:
    def manifest(name: str, rate: int) -> Path:
        return write_manifest(
            tmp_path, name=name,
            workload={"impl": "jvm", "duration_s": 30, "generator": {"profile": "constant", "rate": rate}},
        )  # fmt: skip

    out, simulated = tmp_path / "results", tmp_path / "simulated"
    validation = manifest("sim-validation", 700)
    for path in (manifest("sim-calibration", 1500), validation):
        result = run_bpbench("run", str(path), "--out", str(out))
        assert result.returncode == 0, result.stderr[-3000:]
    calibration_run, real_run = one_run(out, "sim-calibration"), one_run(out, "sim-validation")
    result = run_bpbench(
        "simulate", str(validation), "--calibrate", str(calibration_run), "--out", str(simulated)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    sim_run = simulated / "sim-validation" / real_run.name  # the same settings, the same run id
    spec = json.loads((sim_run / "spec.json").read_text())
    assert spec["simulated"] is True
    assert spec["simulation"]["calibration"]["runs"][0]["run_id"] == calibration_run.name

    real, sim = (json.loads((run / "summary.json").read_text()) for run in (real_run, sim_run))
    assert real["produced"] == sim["produced"] == 700 * 30
    assert abs(sim["throughput_rps"] / real["throughput_rps"] - 1) <= THROUGHPUT_TOLERANCE, (real, sim)
    assert sim["outcome"] == real["outcome"], (real["outcome"], sim["outcome"])
    real_p95, sim_p95 = real["total_delay_ms"]["p95"], sim["total_delay_ms"]["p95"]
    allowed = max(DELAY_TOLERANCE * real_p95, DELAY_SLACK_MS)
    assert abs(sim_p95 - real_p95) <= allowed, f"p95 total delay real {real_p95} ms, simulated {sim_p95} ms"
