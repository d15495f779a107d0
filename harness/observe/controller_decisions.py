"""The plugged rate controller's decisions, as the JVM helper writes them.

With ``config.backpressure.controller`` of any kind but ``spark``, the helper's ``DecisionLog``
appends one JSON line to ``controller.jsonl`` in the app's output folder per decision (a completed
batch's statistics, the rate returned, the limit after it) and, on the direct stream, per planned
batch (the limit applied to it). Each poll reads what was appended since the last.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.driver import CONTROLLER_FILE
from harness.observe.base import JsonLinesTail, Rows, RunContext
from harness.results.tables import CONTROLLER_COLUMNS


def decision_row(raw: dict[str, Any]) -> dict[str, Any]:
    """A line of the decision log as a row; a ``batch_cap`` line leaves the statistics empty."""
    if raw["event"] not in ("decision", "batch_cap"):
        raise ValueError(f"unknown event {raw['event']!r}")
    return {column: raw.get(column) for column in CONTROLLER_COLUMNS}


class ControllerDecisionsCollector:
    name = "controller"
    # The runner reads the app's file once more after the app stopped.
    reads_app_files = True

    def __init__(self, path: Path) -> None:
        self._file = JsonLinesTail(path, decision_row)
        self._rows: Rows = []

    @property
    def bad_lines(self) -> int:
        return self._file.bad_lines

    def start(self) -> None:
        pass

    def poll(self) -> None:
        self._rows.extend(self._file.read_new())

    def stop(self) -> None:
        pass

    def tables(self) -> dict[str, tuple[Rows, list[str]]]:
        return {"controller": (list(self._rows), CONTROLLER_COLUMNS)}


def for_run(run: RunContext) -> ControllerDecisionsCollector | None:
    """Only a run with a plugged controller has decisions to collect."""
    if not run.manifest.config.backpressure.plugged:
        return None
    return ControllerDecisionsCollector(run.app_output / CONTROLLER_FILE)
