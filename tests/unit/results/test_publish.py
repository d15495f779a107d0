"""bpbench publish: what a published replication keeps of each run, and that the report reads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.results.publish import PUBLISHED_TABLES, publish
from reports.builder import claim_results, load_runs
from reports.claims import as_records

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runs"


def test_publish_keeps_what_the_verdicts_read_and_leaves_logs_behind(tmp_path: Path) -> None:
    source = FIXTURES / "receiver"
    published = publish([source], tmp_path / "runs")
    assert len(published.copied) == 2 and not published.left_out
    for run in published.copied:
        names = {p.name for p in run.iterdir()}
        assert {"spec.json", "summary.json", "events.jsonl", "COMPLETE", "batches.parquet"} <= names
        assert names <= {
            "spec.json",
            "summary.json",
            "events.jsonl",
            "COMPLETE",
            "artifact_statistics.json",
        } | {f"{table}.parquet" for table in PUBLISHED_TABLES}
        events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
        assert all(event["kind"] == "failure_evidence" for event in events)
    # The report judges the copy exactly as it judges the original runs.
    assert as_records(claim_results([tmp_path / "runs"])) == as_records(claim_results([source]))


def test_an_interrupted_run_is_left_out_with_its_reason(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(FIXTURES / "receiver", source / "receiver")
    (source / "receiver" / "5ad03313d531-r2" / "COMPLETE").unlink()
    published = publish([source], tmp_path / "runs")
    assert [p.name for p in published.copied] == ["5ad03313d531-r1"]
    assert published.left_out[0][1].startswith("no COMPLETE marker")


def test_publish_refuses_a_folder_that_already_holds_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(FIXTURES / "receiver", tmp_path / "out" / "runs" / "receiver")
    assert main(["publish", str(FIXTURES / "receiver"), "-o", str(tmp_path / "out")]) == 2
    assert "already holds runs; publish into a new folder" in capsys.readouterr().err


def test_publish_command_writes_runs_report_and_verdicts(tmp_path: Path) -> None:
    out = tmp_path / "published"
    assert main(["publish", str(FIXTURES / "receiver"), "-o", str(out)]) == 0
    verdicts = json.loads((out / "verdicts.json").read_text())
    assert [v["claim"] for v in verdicts] == [r.claim.id for r in claim_results([out / "runs"])]
    html = (out / "report.html").read_text()
    for verdict in verdicts:
        assert f'id="claim-{verdict["claim"].lower()}"' in html
    runs, skipped = load_runs([out / "runs"])
    assert len(runs) == 2 and not skipped
    # The page carries its figures; no PNG and SVG files beside it.
    assert "data:image/png;base64," in html and not (out / "report_figures").exists()
