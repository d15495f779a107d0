"""The report in a real browser: headless Debian Chromium over the DevTools protocol.

The page must load without a console error (which includes a resource that failed to load and any
Content-Security-Policy violation, so a report that reached for the network would fail here), every
image must decode, and the key sections must exist. A screenshot is saved to the test's tmp dir and,
when BPBENCH_SCREENSHOT_DIR is set, there too. The detector itself is tested on pages that are broken
on purpose, so a passing report is not a detector that never fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reports.builder import build_report
from reports.compare import compare
from tests.e2e.cdp import CHROMIUM, inspect_page

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "runs"
REPORT_SECTIONS = (
    "overview",
    "experiments",
    "environment",
    "matrix",
    "outcomes",
    "claims",
    "claim-c1",
    "claim-c2",
    "claim-c3",
    "comparison",
    "artifact",
    "summary",
    "runs",
    "run-oom-synthetic-r1",
    "fig-run-oom-synthetic-r1-timeline",
    "fig-claim-c2",
)
# A 1x1 transparent PNG.
GOOD_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def _save_screenshot(name: str, png: bytes, tmp_path: Path) -> Path:
    path = tmp_path / name
    path.write_bytes(png)
    extra = os.environ.get("BPBENCH_SCREENSHOT_DIR")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        (Path(extra) / name).write_bytes(png)
    return path


def _page(tmp_path: Path, name: str, body: str, head: str = "") -> str:
    path = tmp_path / name
    path.write_text(f"<!DOCTYPE html><html><head><title>t</title>{head}</head><body>{body}</body></html>")
    return path.as_uri()


def test_report_loads_cleanly_in_chromium(tmp_path: Path) -> None:
    output = build_report([FIXTURES], tmp_path / "report.html")

    report = inspect_page(output.as_uri(), tmp_path / "profile", REPORT_SECTIONS)

    assert report.problems == []
    assert report.title == "bpbench report"
    # 5 runs with a timeline and a memory figure each, one overlay, two claim figures.
    assert report.image_count >= 13
    screenshot = _save_screenshot("report.png", report.screenshot, tmp_path)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_page_loads_cleanly_in_chromium(tmp_path: Path) -> None:
    output = compare(FIXTURES / "receiver", FIXTURES / "synthetic-oom", tmp_path / "compare.html")

    report = inspect_page(output.as_uri(), tmp_path / "profile", ("sides", "comparison"))

    assert report.problems == []
    _save_screenshot("compare.png", report.screenshot, tmp_path)


def test_detector_passes_a_clean_page(tmp_path: Path) -> None:
    url = _page(tmp_path, "clean.html", f'<p id="here">fine</p><img alt="dot" src="{GOOD_PNG}">')

    report = inspect_page(url, tmp_path / "profile", ("here",))

    assert report.problems == [] and report.image_count == 1


def test_detector_catches_a_broken_image(tmp_path: Path) -> None:
    url = _page(tmp_path, "broken.html", '<img alt="corrupt" src="data:image/png;base64,AAAA">')

    report = inspect_page(url, tmp_path / "profile")

    assert report.broken_images == ["corrupt"]
    assert report.problems


def test_detector_catches_a_missing_image_file(tmp_path: Path) -> None:
    url = _page(tmp_path, "missing.html", '<img alt="gone" src="nowhere.png">')

    report = inspect_page(url, tmp_path / "profile")

    assert report.broken_images == ["gone"]
    assert any("nowhere.png" in error for error in report.console_errors), report.console_errors


def test_detector_catches_console_errors_and_exceptions(tmp_path: Path) -> None:
    url = _page(
        tmp_path,
        "errors.html",
        "<script>console.error('bad thing'); setTimeout(() => { throw new Error('boom'); }, 0);</script>",
    )

    report = inspect_page(url, tmp_path / "profile")

    assert any("bad thing" in error for error in report.console_errors), report.console_errors
    assert any("boom" in error for error in report.console_errors), report.console_errors


def test_detector_catches_a_blocked_network_request(tmp_path: Path) -> None:
    # The report's Content-Security-Policy forbids any fetch; the browser reports the violation.
    policy = '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:">'
    url = _page(tmp_path, "csp.html", '<img alt="remote" src="https://example.invalid/x.png">', head=policy)

    report = inspect_page(url, tmp_path / "profile")

    assert report.broken_images == ["remote"]
    assert any("Content Security Policy" in error for error in report.console_errors), report.console_errors


def test_detector_reports_missing_sections(tmp_path: Path) -> None:
    url = _page(tmp_path, "sections.html", '<div id="present"></div>')

    report = inspect_page(url, tmp_path / "profile", ("present", "absent"))

    assert report.missing_ids == ["absent"]
