"""CSV export of run directories."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main
from harness.results.export import export_csv, flatten


def make_run(root: Path, run_id: str) -> Path:
    run = root / "exp" / run_id
    run.mkdir(parents=True)
    (run / "spec.json").write_text(json.dumps({"run_id": run_id}))
    delays = {"p50": 1.0, "p95": 2.0}
    summary = {"run_id": run_id, "experiment": "exp", "total_delay_ms": delays, "evidence": []}
    (run / "summary.json").write_text(json.dumps(summary))
    pd.DataFrame({"batch_id": [1, 2], "input_records": [10, 20]}).to_parquet(run / "batches.parquet")
    (run / "COMPLETE").write_text("")
    return run


def test_flatten_nests_with_dots() -> None:
    nested = {"a": 1, "b": {"c": 2, "d": {"e": 3}}, "f": [1]}
    assert flatten(nested) == {"a": 1, "b.c": 2, "b.d.e": 3, "f": [1]}


def test_export_writes_tables_and_one_summary_row_per_run(tmp_path: Path) -> None:
    make_run(tmp_path / "results", "r1")
    make_run(tmp_path / "results", "r2")
    written = export_csv([tmp_path / "results"], tmp_path / "csv")
    assert written[0] == tmp_path / "csv" / "summaries.csv"
    summaries = pd.read_csv(written[0])
    assert list(summaries.run_id) == ["r1", "r2"]
    assert list(summaries["total_delay_ms.p95"]) == [2.0, 2.0]
    batches = pd.read_csv(tmp_path / "csv" / "exp" / "r1" / "batches.csv")
    assert list(batches.input_records) == [10, 20]
    assert not list((tmp_path / "csv").rglob("*.partial"))


def test_export_needs_a_format_and_existing_dirs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", str(tmp_path)])
    assert exit_info.value.code == 2
    assert main(["export", str(tmp_path / "none"), "--csv", "-o", str(tmp_path / "out")]) == 2
    assert "none: no such file or directory" in capsys.readouterr().err
