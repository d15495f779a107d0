"""Run directories of different schema versions: each readable alone, never mixed in one report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from reports.builder import build_report, load_runs

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runs"


def _with_version(run: Path, version: int) -> None:
    for name in ("spec.json", "summary.json"):
        data = json.loads((run / name).read_text())
        (run / name).write_text(json.dumps({**data, "schema_version": version}))


def test_version_1_runs_are_read_on_their_own(tmp_path: Path) -> None:
    runs, skipped = load_runs([FIXTURES / "receiver"])
    assert {run.summary["schema_version"] for run in runs} == {1} and len(runs) == 2 and not skipped


def test_a_folder_mixing_versions_is_reported_from_its_newest_runs_and_says_so(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "receiver", tmp_path / "receiver")
    _with_version(tmp_path / "receiver" / "5ad03313d531-r2", 2)
    runs, skipped = load_runs([tmp_path])
    assert [run.run_id for run in runs] == ["5ad03313d531-r2"]
    assert [s.name for s in skipped] == ["receiver/5ad03313d531-r1"]
    assert "schema_version 1 beside runs of version 2" in skipped[0].reason
    html = build_report([tmp_path], tmp_path / "report.html").read_text()
    assert "schema_version 1 beside runs of version 2" in html


def test_an_unknown_version_is_left_out_naming_the_versions_read(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "receiver", tmp_path / "receiver")
    _with_version(tmp_path / "receiver" / "5ad03313d531-r1", 9)
    runs, skipped = load_runs([tmp_path])
    assert [run.run_id for run in runs] == ["5ad03313d531-r2"]
    assert skipped[0].reason == "spec.json has schema_version 9; this version reads 1, 2"
