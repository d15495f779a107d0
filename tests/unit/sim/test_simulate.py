"""``bpbench simulate`` and ``bpbench tune`` on a recorded run: run directories of the real schema that
the report reads, and exit status 2 naming what the model does not cover."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from harness.cli import main
from harness.paths import REPO_ROOT
from harness.results.tables import BACKEND_TABLES, TABLE_COLUMNS
from harness.spec.manifest import load_experiment
from reports.runs import Run, load_run

RUN = REPO_ROOT / "tests" / "fixtures" / "runs" / "capped-direct" / "fded7560961b-r1"


def manifest_of(run: Path, folder: Path, **workload: object) -> Path:
    """The recorded run's manifest, with some workload fields changed, as a file."""
    data = json.loads((run / "spec.json").read_text())["manifest"]
    data["workload"].update(workload)
    data["run"]["drain_timeout_s"] = 30
    path = folder / "sim.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_simulated_runs_have_the_real_schema_and_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = manifest_of(RUN, tmp_path, generator={"profile": "constant", "rate": 200})
    out = tmp_path / "sim"
    assert main(["simulate", str(manifest), "--calibrate", str(RUN), "--out", str(out)]) == 0
    assert "capped-direct/" in capsys.readouterr().out
    [run_dir] = [p.parent for p in out.glob("*/*/COMPLETE")]
    spec = json.loads((run_dir / "spec.json").read_text())
    assert spec["simulated"] is True
    calibration = spec["simulation"]["calibration"]
    assert calibration["runs"][0]["run_id"] == "fded7560961b-r1"
    assert {"fixed_ms", "per_record_ms"} <= set(calibration["cost"])
    # Model version 3: the residuals of each calibration run in batch order, one run's drawn per run.
    assert spec["simulation"]["model_version"] == 3
    [residuals] = calibration["cost"]["residual_runs_ms"]
    assert len(residuals) == calibration["quality"]["batches"]
    assert calibration["cost"]["residual_block_batches"] == 10
    assert {"r2", "mae_ms", "batches"} <= set(calibration["quality"])
    summary = json.loads((run_dir / "summary.json").read_text())
    real = json.loads((RUN / "summary.json").read_text())
    assert set(real) - {"collector_cpu_frac"} <= set(summary)
    assert summary["produced"] == 200 * 10 and summary["simulated"] is True
    for name, columns in TABLE_COLUMNS.items():
        if name not in BACKEND_TABLES:
            assert list(pd.read_parquet(run_dir / f"{name}.parquet").columns) == columns
    loaded = load_run(run_dir)
    assert isinstance(loaded, Run)
    assert main(["compare", str(RUN), str(run_dir)]) == 0
    assert "| Throughput" in capsys.readouterr().out


def test_same_manifest_same_files(tmp_path: Path) -> None:
    manifest = manifest_of(RUN, tmp_path)
    for out in ("a", "b"):
        assert main(["simulate", str(manifest), "--calibrate", str(RUN), "--out", str(tmp_path / out)]) == 0
    [a] = list((tmp_path / "a").glob("*/*/batches.parquet"))
    [b] = list((tmp_path / "b").glob("*/*/batches.parquet"))
    assert pd.read_parquet(a).equals(pd.read_parquet(b))


@pytest.mark.parametrize(
    ("workload", "named"),
    [
        ({"source": "structured", "app": "sum"}, "workload.source: structured is not simulated"),
        ({"app": "sum"}, "a run of stateless_sum (python, 1032-byte records), but the manifest runs sum"),
    ],
)
def test_what_the_model_does_not_cover_exits_2_writing_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], workload: dict[str, object], named: str
) -> None:
    manifest = manifest_of(RUN, tmp_path, **workload)
    out = tmp_path / "sim"
    assert main(["simulate", str(manifest), "--calibrate", str(RUN), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not out.exists()


def test_an_incomplete_calibration_run_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = manifest_of(RUN, tmp_path)
    assert (
        main(["simulate", str(manifest), "--calibrate", str(RUN.parent), "--out", str(tmp_path / "o")]) == 2
    )
    assert "not a run directory" in capsys.readouterr().err


def test_tune_prints_the_best_and_writes_a_confirmation_manifest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = manifest_of(RUN, tmp_path, generator={"profile": "constant", "rate": 150})
    confirm = tmp_path / "confirm.yaml"
    args = ["tune", str(manifest), "--calibrate", str(RUN), "--confirm", str(confirm)]
    grid = [
        "--grid",
        "config.backpressure.pid.proportional=0.5,1",
        "--grid",
        "config.backpressure.pid.min_rate=50,400",
    ]
    assert main([*args, *grid, "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 settings x 1 runs simulated")
    assert out.count("config.backpressure.pid.proportional=") == 3
    runs = load_experiment(confirm)
    assert runs[0].experiment.endswith("-confirm")
    pids = [run.manifest.config.backpressure.pid for run in runs]
    assert 1 <= len(pids) <= 2 and pids[-1].proportional in (0.5, 1.0)


def test_tune_with_a_bad_grid_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = manifest_of(RUN, tmp_path)
    args = ["tune", str(manifest), "--calibrate", str(RUN), "--confirm", str(tmp_path / "c.yaml")]
    assert main([*args, "--grid", "config.backpressure.pid.integral"]) == 2
    assert "FIELD=V1,V2" in capsys.readouterr().err
    assert main([*args, "--grid", "config.backpressure.pid.integral=-1,0.2"]) == 2
    assert "matrix.config.backpressure.pid.integral" in capsys.readouterr().err
    assert not (tmp_path / "c.yaml").exists()


def test_a_report_shows_the_simulated_run_beside_the_real_one(tmp_path: Path) -> None:
    from reports.runs import group_configurations

    out = tmp_path / "sim"
    manifest = manifest_of(RUN, tmp_path)
    assert main(["simulate", str(manifest), "--calibrate", str(RUN), "--out", str(out)]) == 0
    [sim] = [p.parent for p in out.glob("*/*/COMPLETE")]
    configs = group_configurations([load_run(RUN), load_run(sim)])
    labels = sorted(dict(c.fields)["simulated"] for c in configs)
    assert labels == ["false", "true"]
    # The fixture is of schema version 1, which a report does not mix with today's: report the simulated
    # run alone (a real run of today's schema sits beside it, as the integration test shows).
    report = tmp_path / "report.html"
    assert main(["report", str(sim), "-o", str(report)]) == 0
    assert sim.name in report.read_text()
