"""Exit statuses and messages of the command line for bad input."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import yaml

from harness import cli
from harness.cli import main
from harness.paths import REPO_ROOT

DEMO = REPO_ROOT / "experiments" / "demo.yaml"


def test_validate_accepts_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(DEMO)]) == 0
    assert "demo.yaml: ok (1 run: 1 cell x 1 repetition)" in capsys.readouterr().out


def test_validate_reports_every_bad_file_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"name": "x", "workload": {"generator": {"profile": "constant", "rate": "fast"}}, "extra": 1}
        )
    )
    assert main(["validate", str(DEMO), str(bad), str(tmp_path / "missing.yaml")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml: extra: unknown key" in err
    assert "bad.yaml: workload.generator.rate: Input should be a valid number" in err
    assert "missing.yaml: no such manifest" in err
    assert "Traceback" not in err


def test_run_with_a_bad_manifest_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {"name": "x", "workload": {"generator": {"profile": "constant", "rate": 5}, "app": "nope"}}
        )
    )
    out = tmp_path / "results"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    assert "workload.app" in capsys.readouterr().err
    assert not out.exists()


def test_report_of_a_missing_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", str(tmp_path / "nothing"), "-o", str(tmp_path / "r.html")]) == 2
    assert "nothing" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


def test_run_without_java_exits_2_before_anything_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    out = tmp_path / "results"
    assert main(["run", str(DEMO), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "`java` was not found on PATH" in err and "JDK 17" in err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_compare_prints_the_two_sides(capsys: pytest.CaptureFixture[str]) -> None:
    runs = REPO_ROOT / "tests" / "fixtures" / "runs"
    assert main(["compare", str(runs / "receiver"), str(runs / "capped-direct")]) == 0
    out = capsys.readouterr().out
    assert "| Throughput" in out and "Baseline:" in out
    assert main(["compare", str(runs / "receiver"), str(runs / "nothing-here")]) == 2


def test_a_file_the_harness_cannot_write_is_a_harness_failure_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def disk_full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "report.html"))

    monkeypatch.setattr(cli, "_run", disk_full)
    assert main(["run", str(DEMO), "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"harness failure: {tmp_path / 'report.html'}: No space left on device" in err
    assert "Traceback" not in err
