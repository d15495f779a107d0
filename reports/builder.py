"""Turns run directories into one self-contained HTML report."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from pyarrow import ArrowException

from harness.store import SCHEMA_VERSION, find_run_dirs
from harness.summary import OUTCOMES
from reports import figures

MISSING = "–"
TEMPLATE = "report.html.j2"
KNOWN_OUTCOMES = frozenset(OUTCOMES)
# Spark's own default for spark.redaction.regex: a shared report must not carry credentials.
_REDACT = re.compile(r"(?i)secret|password|token|access[.]key")
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


# ---------------------------------------------------------------------------------------------------------
# Finding runs


# ---------------------------------------------------------------------------------------------------------
# Loading runs


@dataclass
class Run:
    path: Path
    spec: dict[str, Any]
    summary: dict[str, Any]
    batches: pd.DataFrame
    executors: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(self.summary.get("run_id") or self.spec.get("run_id") or self.path.name)

    @property
    def experiment(self) -> str:
        return str(self.summary.get("experiment") or self.spec.get("experiment") or self.path.parent.name)


@dataclass(frozen=True)
class SkippedRun:
    name: str
    reason: str


def _display_name(run_dir: Path) -> str:
    return f"{run_dir.parent.name}/{run_dir.name}"


def _read_json(path: Path) -> dict[str, Any]:
    """Reads a schema-versioned JSON object; ValueError carries a reason fit for the report."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ValueError(f"{path.name} is missing") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path.name} is unreadable: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path.name} is not a JSON object")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise ValueError(f"{path.name} has unsupported schema_version {version!r}")
    return data


def _read_parquet(path: Path, notes: list[str]) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame()
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, ArrowException) as exc:
        # A damaged file must not cost the whole report: say so in the run's section instead.
        notes.append(f"{path.name} could not be read: {exc}")
        return pd.DataFrame()


def load_run(run_dir: Path) -> Run | SkippedRun:
    if not (run_dir / "COMPLETE").exists():
        return SkippedRun(_display_name(run_dir), "no COMPLETE marker")
    try:
        spec = _read_json(run_dir / "spec.json")
        summary = _read_json(run_dir / "summary.json")
    except ValueError as exc:
        return SkippedRun(_display_name(run_dir), str(exc))
    notes: list[str] = []
    batches = _read_parquet(run_dir / "batches.parquet", notes)
    executors = _read_parquet(run_dir / "executors.parquet", notes)
    return Run(run_dir, spec, summary, batches, executors, notes)


# ---------------------------------------------------------------------------------------------------------
# Formatting


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fmt_number(value: Any, decimals: int = 0) -> str:
    """Thousands-separated number, or the missing marker for null, NaN and non-numbers."""
    number = _as_number(value)
    if number is None:
        return MISSING if value is None or isinstance(value, float) else str(value)
    return f"{number:,.{decimals}f}"


def fmt_on_off(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return MISSING


def _nested(summary: dict[str, Any], key: str, sub: str) -> Any:
    group = summary.get(key)
    return group.get(sub) if isinstance(group, dict) else None


@dataclass(frozen=True)
class Column:
    """One summary-table column after run id, experiment and outcome; group spans a two-level header."""

    label: str
    cell: Callable[[dict[str, Any]], str]
    group: str | None = None


def _plain(key: str, decimals: int = 0) -> Callable[[dict[str, Any]], str]:
    return lambda summary: fmt_number(summary.get(key), decimals)


def _percentile(key: str, sub: str) -> Callable[[dict[str, Any]], str]:
    return lambda summary: fmt_number(_nested(summary, key, sub), 0)


SUMMARY_COLUMNS: tuple[Column, ...] = (
    Column("Backpressure", lambda summary: fmt_on_off(summary.get("backpressure"))),
    Column("Target rate (rec/s)", _plain("target_rate_rps")),
    Column("Duration (s)", _plain("duration_s", 1)),
    Column("Produced", _plain("produced")),
    Column("Processed", _plain("processed")),
    Column("Backlog", _plain("backlog")),
    Column("Lost", _plain("lost")),
    Column("Throughput (rec/s)", _plain("throughput_rps", 1)),
    Column("Input rate (rec/s)", _plain("input_rate_rps", 1)),
    Column("p50", _percentile("sched_delay_ms", "p50"), "Scheduling delay (ms)"),
    Column("p95", _percentile("sched_delay_ms", "p95"), "Scheduling delay (ms)"),
    Column("max", _percentile("sched_delay_ms", "max"), "Scheduling delay (ms)"),
    Column("p50", _percentile("total_delay_ms", "p50"), "Total delay (ms)"),
    Column("p95", _percentile("total_delay_ms", "p95"), "Total delay (ms)"),
    Column("max", _percentile("total_delay_ms", "max"), "Total delay (ms)"),
    Column("p50", _percentile("proc_time_ms", "p50"), "Processing time (ms)"),
    Column("p95", _percentile("proc_time_ms", "p95"), "Processing time (ms)"),
    Column("Delay slope (ms/s)", _plain("delay_slope", 2)),
    Column("Batches", _plain("batches")),
)


@dataclass(frozen=True)
class HeaderCell:
    label: str
    colspan: int = 1
    rowspan: int = 1


def header_rows(columns: Iterable[Column]) -> tuple[list[HeaderCell], list[HeaderCell]]:
    """Two header rows: ungrouped columns span both, consecutive columns of one group share a top cell."""
    top: list[HeaderCell] = []
    bottom: list[HeaderCell] = []
    previous_group: str | None = None
    for column in columns:
        if column.group is None:
            top.append(HeaderCell(column.label, rowspan=2))
        elif column.group == previous_group:
            top[-1] = HeaderCell(column.group, colspan=top[-1].colspan + 1)
        else:
            top.append(HeaderCell(column.group))
        if column.group is not None:
            bottom.append(HeaderCell(column.label))
        previous_group = column.group
    return top, bottom


# ---------------------------------------------------------------------------------------------------------
# Views handed to the template


@dataclass(frozen=True)
class FigureView:
    title: str
    data_uri: str


@dataclass
class RunView:
    anchor: str
    run_id: str
    experiment: str
    outcome: str
    outcome_class: str
    path: str
    cells: list[str]
    figures: list[FigureView]
    no_batches: bool
    notes: list[str]
    spark_conf: list[tuple[str, str]]
    versions: list[tuple[str, str]]
    manifest_json: str


def _outcome(summary: dict[str, Any]) -> tuple[str, str]:
    outcome = summary.get("outcome")
    if not isinstance(outcome, str) or not outcome:
        return MISSING, "outcome-unknown"
    # Only known outcomes become class names: anything else from the file stays plain text.
    return outcome, f"outcome-{outcome}" if outcome in KNOWN_OUTCOMES else "outcome-unknown"


def _anchor(run_id: str, taken: set[str]) -> str:
    base = "run-" + (_ANCHOR_UNSAFE.sub("-", run_id).strip("-") or "unnamed")
    anchor, suffix = base, 2
    while anchor in taken:
        anchor, suffix = f"{base}-{suffix}", suffix + 1
    taken.add(anchor)
    return anchor


def _pairs(mapping: Any, redact: bool = False) -> list[tuple[str, str]]:
    if not isinstance(mapping, dict):
        return []
    pairs = []
    for key, value in sorted(mapping.items(), key=lambda item: str(item[0])):
        text = "*********(redacted)" if redact and _REDACT.search(str(key)) else str(value)
        pairs.append((str(key), text))
    return pairs


def _positive(value: Any) -> float | None:
    number = _as_number(value)
    return float(number) if number is not None and number > 0 else None


def _first_batch_ms(batches: pd.DataFrame) -> float | None:
    if "batch_time_ms" not in batches.columns:
        return None
    first = pd.to_numeric(batches["batch_time_ms"], errors="coerce").min()
    return None if pd.isna(first) else float(first)


def _run_figures(run: Run) -> tuple[list[FigureView], bool]:
    """The run's figures and whether the batch figure had to be left out for lack of batches."""
    interval_ms = _positive(run.summary.get("batch_interval_ms"))
    target_rps = _positive(run.summary.get("target_rate_rps"))
    target_per_batch = target_rps * interval_ms / 1000.0 if target_rps and interval_ms else None
    views: list[FigureView] = []
    batch_png = figures.batch_figure(
        run.batches, target_per_batch=target_per_batch, batch_interval_ms=interval_ms
    )
    if batch_png is not None:
        views.append(FigureView("Input size and delay per batch", figures.png_data_uri(batch_png)))
    if not run.executors.empty:
        memory_png = figures.executor_memory_figure(run.executors, origin_ms=_first_batch_ms(run.batches))
        if memory_png is not None:
            views.append(FigureView("Executor memory", figures.png_data_uri(memory_png)))
    return views, batch_png is None


def run_view(run: Run, taken_anchors: set[str]) -> RunView:
    outcome, outcome_class = _outcome(run.summary)
    run_figures, no_batches = _run_figures(run)
    return RunView(
        anchor=_anchor(run.run_id, taken_anchors),
        run_id=run.run_id,
        experiment=run.experiment,
        outcome=outcome,
        outcome_class=outcome_class,
        path=str(run.path),
        cells=[column.cell(run.summary) for column in SUMMARY_COLUMNS],
        figures=run_figures,
        no_batches=no_batches,
        notes=run.notes,
        spark_conf=_pairs(run.spec.get("spark_conf"), redact=True),
        versions=_pairs(run.spec.get("versions")),
        manifest_json=json.dumps(run.spec.get("manifest"), indent=2, sort_keys=True, default=str),
    )


# ---------------------------------------------------------------------------------------------------------
# Rendering


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_report(runs: list[RunView], skipped: list[SkippedRun], generated_at: datetime) -> str:
    top, bottom = header_rows(SUMMARY_COLUMNS)
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            generated_at=generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            runs=runs,
            skipped=skipped,
            header_top=top,
            header_bottom=bottom,
        )
    )


def _write_atomically(output: Path, text: str) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_suffix(".html.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)


def build_report(paths: list[Path], output: Path) -> Path:
    """Writes one self-contained HTML file at `output` (atomically) and returns output."""
    output = Path(output)
    runs: list[RunView] = []
    skipped: list[SkippedRun] = []
    anchors: set[str] = set()
    for run_dir in find_run_dirs(paths):
        loaded = load_run(run_dir)
        if isinstance(loaded, SkippedRun):
            skipped.append(loaded)
        else:
            runs.append(run_view(loaded, anchors))
    html = render_report(runs, skipped, datetime.now(UTC))
    _write_atomically(output, html)
    return output
