"""A results folder cut down to what a published replication needs (``bpbench publish``).

Per complete run: its ``spec.json`` and ``summary.json``, the failure evidence of its event log, and
the tables the report's verdicts and figures read. Logs, raw app output and the samples no verdict
uses stay behind, so a whole experiment fits in a repository, and anyone can rebuild the report and
its verdicts from the copy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from harness.errors import UsageError
from harness.results.store import COMPLETE_MARKER, RunDirectory, copy_file, find_run_dirs, write_text

PUBLISHED_FILES = ("spec.json", "summary.json", "artifact_statistics.json")
# batches: delays, sizes and trends; in_flight: the budget's records in flight; rate_limits and
# logged_rate_limits: the PID's limits (replayed and as Spark logged them); jvm and executors: the
# memory figures; offsets: the lag figure.
PUBLISHED_TABLES = (
    "batches",
    "in_flight",
    "rate_limits",
    "logged_rate_limits",
    "jvm",
    "executors",
    "offsets",
)
# The event log's lines the report reads.
PUBLISHED_EVENTS = frozenset({"failure_evidence"})


@dataclass(frozen=True)
class Published:
    copied: list[Path]
    left_out: list[tuple[Path, str]]


def publish(paths: list[Path], out: Path) -> Published:
    """Copies the published part of every complete run under ``paths`` to ``out/<experiment>/<run-id>/``
    (``COMPLETE`` last, so an interrupted copy reads as incomplete). ``out`` must hold no run yet."""
    out = Path(out)
    sources = find_run_dirs(paths)
    if out.exists() and any(out.rglob("spec.json")):
        raise UsageError(f"{out}: already holds runs; publish into a new folder")
    copied, left_out = [], []
    for source in sources:
        if not (source / COMPLETE_MARKER).exists():
            left_out.append((source, "no COMPLETE marker (an interrupted run)"))
            continue
        spec = json.loads((source / "spec.json").read_text(encoding="utf-8"))
        target = RunDirectory(out, str(spec["experiment"]), str(spec["run_id"]))
        target.path.mkdir(parents=True, exist_ok=True)
        for name in PUBLISHED_FILES + tuple(f"{table}.parquet" for table in PUBLISHED_TABLES):
            if (source / name).is_file():
                copy_file(source / name, target.file(name))
        write_text(target.file("events.jsonl"), _published_events(source / "events.jsonl"))
        target.mark_complete()
        copied.append(target.path)
    return Published(copied, left_out)


def _published_events(path: Path) -> str:
    if not path.is_file():
        return ""
    kept = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and event.get("kind") in PUBLISHED_EVENTS:
            kept.append(line)
    return "".join(f"{line}\n" for line in kept)
