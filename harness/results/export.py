"""``bpbench export``: run directories as CSV, for R and spreadsheet users.

Each run's Parquet tables become ``<out>/<experiment>/<run-id>/<table>.csv``; every run's summary
becomes one row of ``<out>/summaries.csv``, nested keys flattened with dots (``total_delay_ms.p95``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from harness.results.store import find_run_dirs, write_csv


def flatten(mapping: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested keys as dotted paths to leaves (``total_delay_ms.p95``); a list or an empty mapping is one
    leaf. The report labels configurations by the same paths."""
    flat: dict[str, Any] = {}
    for key, value in mapping.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = value
    return flat


def _cell(value: Any) -> Any:
    """A leaf as one CSV cell: lists and mappings as JSON."""
    return json.dumps(value) if isinstance(value, list | dict) else value


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_csv(path, frame)


def export_csv(paths: list[Path], out: Path) -> list[Path]:
    """Write the CSV files; returns them, ``summaries.csv`` first."""
    written = []
    summaries = []
    for run_dir in find_run_dirs(paths):
        summary_path = run_dir / "summary.json"
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {}
        experiment = summary.get("experiment", run_dir.parent.name)
        run_id = summary.get("run_id", run_dir.name)
        complete = (run_dir / "COMPLETE").exists()
        summaries.append(
            {"path": str(run_dir), "complete": complete, **{k: _cell(v) for k, v in flatten(summary).items()}}
        )
        for table in sorted(run_dir.glob("*.parquet")):
            target = out / experiment / run_id / f"{table.stem}.csv"
            _write_csv(pd.read_parquet(table), target)
            written.append(target)
    _write_csv(pd.DataFrame(summaries), out / "summaries.csv")
    return [out / "summaries.csv", *written]
