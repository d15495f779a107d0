"""Run directories: layout, atomic writes, and the COMPLETE marker written last.

Every file is written to a ``.partial`` sibling and renamed into place (``write_atomically``, the one
atomic write of the harness), so a reader never sees half a file; a run directory without ``COMPLETE``
is an interrupted run and is redone on the next run.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError, UsageError

if TYPE_CHECKING:
    import pandas as pd

# 2: the outcome inconclusive_slope and the slopes' confidence intervals (delay_slope_ci_ms_per_s,
# lag_slope_ci_rps), gc_pause_total_ms and gc_pause_max_ms in summary.json; in_flight.parquet.
SCHEMA_VERSION = 2
# Versions the report reads: a version-1 run's outcome came from the delay's least-squares slope alone.
READABLE_SCHEMA_VERSIONS = (1, 2)
COMPLETE_MARKER = "COMPLETE"


def _partial(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """``write`` fills a ``.partial`` sibling of ``path``, which is then renamed into place.

    A write that fails (a full disk) removes its ``.partial`` file and raises ``HarnessError`` naming
    ``path``, which is left as it was.
    """
    partial = _partial(path)
    try:
        write(partial)
        os.replace(partial, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        if exc.filename is not None and Path(exc.filename) not in (path, partial):
            reason += f": {exc.filename}"  # the source of a copy
        raise HarnessError(f"could not write {path}: {reason}") from exc


def write_text(path: Path, text: str) -> None:
    write_atomically(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def write_json(path: Path, payload: Any) -> None:
    write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")


def write_table(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """A Parquet table with the given columns in order, even when there are no rows."""
    import pandas as pd  # here, so the CLI's quick commands do not load pandas

    frame = pd.DataFrame(rows, columns=columns)
    write_atomically(path, lambda partial: frame.to_parquet(partial, index=False))


def write_csv(path: Path, frame: pd.DataFrame) -> None:
    write_atomically(path, lambda partial: frame.to_csv(partial, index=False))


def copy_file(source: Path, path: Path) -> None:
    write_atomically(path, lambda partial: shutil.copyfile(source, partial))


class RunDirectory:
    """``<out>/<experiment>/<run-id>/``."""

    def __init__(self, out: Path, experiment: str, run_id: str) -> None:
        self.path = out / experiment / run_id

    @property
    def complete(self) -> bool:
        return (self.path / COMPLETE_MARKER).exists()

    @property
    def logs(self) -> Path:
        return self.path / "logs"

    @property
    def app(self) -> Path:
        return self.path / "app"

    def prepare(self) -> None:
        """Start afresh: an earlier interrupted attempt's files are removed."""
        if self.path.exists():
            shutil.rmtree(self.path)
        for folder in (self.path, self.logs, self.app):
            folder.mkdir(parents=True)

    def file(self, name: str) -> Path:
        return self.path / name

    def mark_complete(self) -> None:
        write_text(self.path / COMPLETE_MARKER, "")


def find_run_dirs(paths: list[Path]) -> list[Path]:
    """Run directories (those with ``spec.json``) named by ``paths`` or found below them, sorted.

    A path may be a run directory, an experiment directory or a results root. A path that does not
    exist or holds no run directory is a UsageError naming it.
    """
    found: set[Path] = set()
    for path in map(Path, paths):
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        if (path / "spec.json").is_file():
            found.add(path)
            continue
        runs = {spec.parent for spec in path.rglob("spec.json") if spec.is_file()} if path.is_dir() else set()
        if not runs:
            raise UsageError(f"{path}: holds no run directory (no spec.json found)")
        found |= runs
    return sorted(found)
