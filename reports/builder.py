"""Turns run directories into one self-contained HTML report, with its figures also as PNG and SVG files.

``build_report(paths, output)`` is the entry point (the runner and ``bpbench report`` call it). It
reads every run's small files, groups runs into configurations, then draws one configuration at a
time, reading each run's tables only while its figures are drawn.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd

from harness.results.artifact import ARTIFACT_COLUMNS, THROUGHPUT_COLUMN
from harness.results.export import flatten
from harness.results.outcomes import OUTCOMES
from harness.results.store import find_run_dirs, write_text
from harness.results.summary import Slope
from harness.results.tables import select
from reports import figures
from reports.artifact import artifact_method, reported
from reports.claims import (
    CAP_TOLERANCE,
    ENGAGED_SHARE,
    HELD_BELOW,
    HIGH_GC_SHARE,
    INTENSITY_AXIS,
    SLOPE_THRESHOLD_MS_PER_S,
    THROUGHPUT_MARGIN,
    ClaimResult,
    ClaimRun,
    evaluate,
)
from reports.metrics import METRICS_BY_KEY, Metric, diff_percent, fmt_number, fmt_percent, metrics_for
from reports.runs import (
    IDENTITY_FIELDS,
    MISSING,
    TABLE_COLUMNS,
    Configuration,
    Run,
    SkippedRun,
    app_name,
    as_number,
    backpressure,
    controller_kind,
    group_configurations,
    is_stateful,
    load_run,
    load_tables,
    nested,
    one_schema_version,
    pressure_axis,
    pressure_level,
    pressure_text,
    read_table,
    record_bytes,
    repetition,
    window_size,
)
from reports.stats import MIN_RUNS, Estimate, TestResult, mann_whitney, median_ci
from reports.trends import NO_TRENDS, batch_trends, in_flight_trend

__all__ = ["build_report", "claim_results", "find_run_dirs", "load_run", "load_runs"]

TEMPLATE = "report.html.j2"
KNOWN_OUTCOMES = frozenset(OUTCOMES)
# Spark's own default for spark.redaction.regex: a shared report must not carry credentials.
_REDACT = re.compile(r"(?i)secret|password|token|access[.]key")
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
REDACTED = "*********(redacted)"


# ---------------------------------------------------------------------------------------------------------
# Formatting


def fmt_on_off(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return MISSING


def outcome_class(outcome: Any) -> str:
    # Only known outcomes become class names: anything else from the file stays plain text.
    return f"outcome-{outcome}" if outcome in KNOWN_OUTCOMES else "outcome-unknown"


def outcome_text(summary: dict[str, Any]) -> str:
    outcome = summary.get("outcome")
    return outcome if isinstance(outcome, str) and outcome else MISSING


@dataclass(frozen=True)
class Column:
    """One column of the runs table after run, configuration and outcome; group spans a two-level header."""

    label: str
    cell: Callable[[dict[str, Any]], str]
    group: str | None = None


def _plain(key: str, decimals: int = 0) -> Callable[[dict[str, Any]], str]:
    return lambda summary: fmt_number(summary.get(key), decimals)


def _percentile(key: str, sub: str) -> Callable[[dict[str, Any]], str]:
    return lambda summary: fmt_number(nested(summary, key, sub), 0)


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
    Column("GC share (%)", lambda s: fmt_number(_scaled(s.get("gc_time_frac"), 100), 2)),
    Column("Batches", _plain("batches")),
)


def _scaled(value: Any, factor: float) -> float | None:
    number = as_number(value)
    return None if number is None else number * factor


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


def _anchor(prefix: str, name: str, taken: set[str]) -> str:
    base = prefix + (_ANCHOR_UNSAFE.sub("-", name).strip("-") or "unnamed")
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
        text = REDACTED if redact and _REDACT.search(str(key)) else MISSING if value is None else str(value)
        pairs.append((str(key), text))
    return pairs


def _redacted_manifest(manifest: Any) -> Any:
    """The manifest with the values of secret-looking keys (e.g. in its spark_conf) hidden."""
    if isinstance(manifest, dict):
        return {
            key: REDACTED if _REDACT.search(str(key)) else _redacted_manifest(value)
            for key, value in manifest.items()
        }
    if isinstance(manifest, list):
        return [_redacted_manifest(item) for item in manifest]
    return manifest


# ---------------------------------------------------------------------------------------------------------
# Views handed to the template


@dataclass(frozen=True)
class FigureView:
    title: str
    anchor: str
    data_uri: str
    files: list[tuple[str, str]]  # (format, relative path)
    caption: str = ""


@dataclass
class RunView:
    anchor: str
    run_id: str
    experiment: str
    imported: bool
    config_label: str
    config_anchor: str
    repetition: int | None
    outcome: str
    outcome_class: str
    path: str
    cells: list[str]
    figures: list[FigureView] = field(default_factory=list)
    no_batches: bool = False
    notes: list[str] = field(default_factory=list)
    evidence: list[tuple[str, str, str]] = field(default_factory=list)
    spark_conf: list[tuple[str, str]] = field(default_factory=list)
    versions: list[tuple[str, str]] = field(default_factory=list)
    provenance: list[tuple[str, str]] = field(default_factory=list)
    manifest_json: str = ""


@dataclass(frozen=True)
class MetricRow:
    label: str
    median: str
    ci: str
    n: int
    values: str
    baseline: str = ""
    diff: str = ""
    test: str = ""
    significant: bool = False
    # "better" or "worse" when the difference is significant and the metric has a better direction.
    diff_class: str = ""


@dataclass
class ConfigView:
    anchor: str
    index: int
    label: str
    fields: list[tuple[str, str]]
    experiments: list[str]
    imported: bool
    runs: list[RunView]
    outcomes: str
    rows: list[MetricRow] = field(default_factory=list)
    overview: list[str] = field(default_factory=list)
    baseline_label: str = ""
    baseline_anchor: str = ""
    baseline_note: str = ""
    overlay: FigureView | None = None


@dataclass(frozen=True)
class CheckView:
    run_id: str
    run_anchor: str
    figure_anchor: str
    config: str
    config_anchor: str
    config_index: int
    answer: str
    supports_class: str
    detail: str


@dataclass(frozen=True)
class ClaimView:
    id: str
    title: str
    statement: str
    rule: str
    verdict: str
    verdict_class: str
    reason: str
    checks: list[CheckView]
    figure: FigureView | None


@dataclass(frozen=True)
class ArtifactRow:
    label: str
    anchor: str
    source: str
    app: str
    pressure: str
    record_bytes: str
    window: str
    values: list[str]
    matches: str


# ---------------------------------------------------------------------------------------------------------
# Figures on disk


class FigureStore:
    """Writes figure files to ``<stem>_figures.partial/`` and swaps it in when the report is done; with
    ``files`` false, keeps the figures in the page only."""

    def __init__(self, output: Path, files: bool = True) -> None:
        self.files = files
        self.final = output.with_name(f"{output.stem}_figures")
        self.partial = output.with_name(f"{output.stem}_figures.partial")
        shutil.rmtree(self.partial, ignore_errors=True)
        if files:
            self.partial.mkdir(parents=True)

    def add(self, rendered: figures.RenderedFigure, anchor: str, caption: str = "") -> FigureView:
        files = [("PNG", rendered.png, "png")]
        if rendered.svg is not None:
            files.append(("SVG", rendered.svg, "svg"))
        links = []
        for label, data, suffix in files if self.files else []:
            name = f"{rendered.name}.{suffix}"
            (self.partial / name).write_bytes(data)
            links.append((label, f"{self.final.name}/{name}"))
        return FigureView(rendered.title, anchor, rendered.data_uri, links, caption)

    def commit(self) -> None:
        if not self.files:
            return
        old = self.final.with_name(self.final.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.final.exists():
            os.replace(self.final, old)
        os.replace(self.partial, self.final)
        shutil.rmtree(old, ignore_errors=True)

    def discard(self) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------------
# Per run


def claim_run(run: Run, config_label: str, label: str | None = None) -> ClaimRun:
    """The numbers the claim rules need; ``label`` names the run where its id is not unique."""
    summary = run.summary
    app = app_name(run)
    return ClaimRun(
        run_id=label or run.run_id,
        config=config_label,
        backpressure=backpressure(run),
        outcome=summary.get("outcome") if isinstance(summary.get("outcome"), str) else None,
        imported=run.imported,
        app=app,
        stateful=is_stateful(app),
        pressure=pressure_level(run),
        pressure_axis=pressure_axis(run) or INTENSITY_AXIS,
        pair=None if run.imported else _settings_without(run.manifest, BACKPRESSURE_SECTION),
        repetition=repetition(run),
        controller=controller_kind(run),
        controller_pair=None if run.imported else _settings_without(run.manifest, CONTROLLER_SECTION),
        window_size=window_size(run),
        batch_interval_ms=as_number(summary.get("batch_interval_ms")),
        delay_slope=as_number(summary.get("delay_slope")),
        proc_time_p50_ms=as_number(nested(summary, "proc_time_ms", "p50")),
        proc_time_p95_ms=as_number(nested(summary, "proc_time_ms", "p95")),
        sched_p95_ms=as_number(nested(summary, "sched_delay_ms", "p95")),
        offered_rate_rps=as_number(summary.get("target_rate_rps")),
        input_rate_rps=as_number(summary.get("input_rate_rps")),
        throughput_rps=as_number(summary.get("throughput_rps")),
        gc_time_frac=as_number(summary.get("gc_time_frac")),
        lost=as_number(summary.get("lost")),
        failed_batch_records=as_number(summary.get("failed_batch_records")),
        oom_count=as_number(summary.get("oom_count")),
        executors_lost=as_number(summary.get("executors_lost")),
        **_table_facts(run),
        **_seed_facts(run),
    )


def _table_extreme(run: Run, table: str, column: str, pick: str) -> float | None:
    """The max or min of one column of a run's table; None when the table or column is missing."""
    values = read_table(run.path / f"{table}.parquet", [column], run.notes).get(column)
    values = values.dropna() if values is not None else []
    return float(getattr(values, pick)()) if len(values) else None


def _table_facts(run: Run) -> dict[str, Any]:
    """Slopes with intervals and the share of batches held back, from the run's tables."""
    if run.imported:
        return {}
    interval = as_number(run.summary.get("batch_interval_ms"))
    rate = as_number(run.summary.get("target_rate_rps"))
    offered = rate * interval / 1000 if rate and interval else None
    warmup = as_number(nested(run.manifest, "run", "warmup_s")) or 0.0
    batches = read_table(run.path / "batches.parquet", TABLE_COLUMNS["batches"], run.notes)
    trends = batch_trends(batches, warmup, offered, HELD_BELOW) if not batches.empty else NO_TRENDS
    in_flight = read_table(run.path / "in_flight.parquet", IN_FLIGHT_COUNTS, run.notes)
    return {
        "sched_trend": trends.sched,
        "proc_trend": trends.proc,
        "held_share": trends.held_share,
        "in_flight_trend": in_flight_trend(in_flight, interval),
        "min_logged_limit_rps": _table_extreme(run, "logged_rate_limits", "rate_rps", "min"),
    }


# The in-flight table's columns that count records received and not yet processed.
IN_FLIGHT_COUNTS = select("in_flight", ("time_ms", "stream_id", "taken_records", "processed_records"))


def _seed_facts(run: Run) -> dict[str, Any]:
    """What the seed-scenario rules need: the profile and rate settings, and the tables' extremes."""
    manifest = run.manifest
    workload = manifest.get("workload") or {}
    generator = workload.get("generator") or {}
    backpressure_conf = (manifest.get("config") or {}).get("backpressure") or {}
    partitions = ((manifest.get("platform") or {}).get("kafka") or {}).get("partitions") or 1
    receiving = workload.get("source") in ("receiver", "socket")
    if receiving:
        cap = backpressure_conf.get("max_rate")
        cap = cap * (workload.get("receivers") or 1) if cap else None
    else:
        cap = backpressure_conf.get("max_rate_per_partition")
        cap = cap * partitions if cap else None
    steps = generator.get("steps") or [{}]
    base = generator.get("base_rate", generator.get("rate", steps[0].get("rate")))
    # Spark's default floor when the manifest does not set one.
    min_rate = (backpressure_conf.get("pid") or {}).get("min_rate", DEFAULT_MIN_RATE)
    return {
        "profile": generator.get("profile"),
        "base_rate_rps": as_number(base),
        "rate_cap_rps": as_number(cap),
        "min_rate_rps": as_number(min_rate),
        "max_batch_rate_rps": _table_extreme(run, "rate_limits", "batch_rate_rps", "max"),
        "streams": int(workload.get("receivers") or 1) if workload.get("source") == "receiver" else 1,
    }


DEFAULT_MIN_RATE = 100.0


def _evidence(summary: dict[str, Any]) -> list[tuple[str, str, str]]:
    found = summary.get("evidence")
    if not isinstance(found, list):
        return []
    return [
        (str(e.get("kind", MISSING)), str(e.get("source", MISSING)), str(e.get("detail", "")))
        for e in found
        if isinstance(e, dict)
    ]


def _provenance(run: Run) -> list[tuple[str, str]]:
    spec = run.spec
    host = spec.get("host") if isinstance(spec.get("host"), dict) else {}
    memory = as_number(host.get("memory_bytes"))
    pairs = [
        ("run directory", str(run.path)),
        ("manifest file", str(spec.get("source_file") or spec.get("source_folder") or MISSING)),
        ("git commit", str(spec.get("git_commit") or MISSING)),
        ("topic", str(spec.get("topic") or MISSING)),
        ("host platform", str(host.get("platform") or MISSING)),
        ("host CPUs", str(host.get("cpus") or MISSING)),
        ("host memory", f"{memory / 2**30:,.1f} GiB" if memory else MISSING),
    ]
    pairs.append(("pressure level", pressure_text(run) or MISSING))
    if run.imported:
        pairs.append(("imported from", str(spec.get("source") or "original artifact")))
    return pairs


def run_view(run: Run, config: Configuration, anchor: str) -> RunView:
    outcome = outcome_text(run.summary)
    return RunView(
        anchor=anchor,
        run_id=run.run_id,
        experiment=run.experiment,
        imported=run.imported,
        config_label=config.label,
        config_anchor=config.anchor,
        repetition=repetition(run),
        outcome=outcome,
        outcome_class=outcome_class(outcome),
        path=str(run.path),
        cells=[column.cell(run.summary) for column in SUMMARY_COLUMNS],
        notes=run.notes,
        evidence=_evidence(run.summary),
        spark_conf=_pairs(run.spec.get("spark_conf"), redact=True),
        versions=_pairs(run.spec.get("versions")),
        provenance=_provenance(run),
        manifest_json=json.dumps(
            _redacted_manifest(run.spec.get("manifest")), indent=2, sort_keys=True, default=str
        ),
    )


@dataclass
class DrawnRun:
    view: RunView
    series: figures.RunSeries | None
    artifact: dict[str, Any]


def draw_run(run: Run, config: Configuration, anchor: str, store: FigureStore) -> DrawnRun:
    """The run's view with its figures, and what the configuration overlay and artifact table need."""
    view = run_view(run, config, anchor)
    tables = load_tables(run)
    interval = as_number(run.summary.get("batch_interval_ms"))
    artifact = artifact_method(tables["batches"], record_bytes(run), interval)
    series = figures.run_series(
        run.run_id,
        tables,
        run.events,
        interval,
        as_number(run.summary.get("target_rate_rps")),
        faults=run.summary.get("faults") or [],
    )
    del tables
    view.notes = run.notes
    view.no_batches = series is None or series.batches.empty
    if series is not None:
        timeline = figures.timeline_figure(series, f"{anchor}-timeline")
        view.figures.append(store.add(timeline, f"fig-{anchor}-timeline", TIMELINE_CAPTION))
        if figures.has_memory_data(series):
            memory = figures.memory_figure(series, f"{anchor}-memory")
            view.figures.append(store.add(memory, f"fig-{anchor}-memory", MEMORY_CAPTION))
    return DrawnRun(view, series, artifact)


TIMELINE_CAPTION = (
    "Top: input records per batch against the batch's capacity (its processing rate times the batch "
    "interval): input above capacity means the batch took longer than the interval. Then scheduling and "
    "total delay against the batch interval; the rate limit (the batch rate and the PID limit); the Kafka "
    "consumer lag summed over partitions. Vertical lines: out of memory (red), executor lost (orange); "
    "purple: injected faults (a shaded span while one lasts, a dotted line for a kill)."
)
MEMORY_CAPTION = (
    "With an in-flight budget: the bytes taken from Kafka and not yet processed, summed over the input "
    "streams, against the budget (shaded: a receiver held back at it). Unified Memory Manager on heap "
    "(largest over the executors that run tasks): storage used and the peaks of storage and execution "
    "memory; the JVM heap's peak and its occupancy after each GC; GC pauses with the cumulative pause time."
)


# ---------------------------------------------------------------------------------------------------------
# Comparison across repetitions


# The manifest's sections twins differ in: backpressure on or off (and the settings only one arm has,
# such as initialRate), or only the rate controller.
BACKPRESSURE_SECTION = "config.backpressure"
CONTROLLER_SECTION = "config.backpressure.controller"


def _settings_without(settings: dict[str, Any], section: str) -> str:
    """A configuration's settings without one section (a dotted path) and its identity fields: twins
    that differ only in that section share this."""
    flat = {
        k: v
        for k, v in flatten(settings).items()
        if k != section and not k.startswith(section + ".") and k.split(".")[0] not in IDENTITY_FIELDS
    }
    return json.dumps(flat, sort_keys=True, default=str)


def config_backpressure(config: Configuration) -> bool | None:
    values = {backpressure(run) for run in config.runs}
    return values.pop() if len(values) == 1 else None


def choose_baselines(configs: Sequence[Configuration]) -> tuple[dict[str, Configuration | None], bool]:
    """Each configuration's baseline, and whether they are backpressure twins: a configuration with
    backpressure on is compared with its twin with it off when such pairs exist, else every
    configuration with the first. Imported runs are compared in the artifact section instead."""
    ours = [c for c in configs if not c.imported]
    without = {c.key: _settings_without(c.settings, BACKPRESSURE_SECTION) for c in ours}
    off = {without[c.key]: c for c in ours if config_backpressure(c) is False}
    twins = {c.key: off.get(without[c.key]) for c in ours if config_backpressure(c) is True}
    baselines: dict[str, Configuration | None] = {c.key: None for c in configs}
    if any(twin is not None for twin in twins.values()):
        baselines.update(twins)
        return baselines, True
    baselines.update({c.key: ours[0] for c in ours[1:]})
    return baselines, False


def _values(config: Configuration, metric: Metric) -> list[float | None]:
    return [metric.value(run.summary) for run in config.runs]


def format_ci(estimate: Estimate, metric: Metric) -> str:
    if estimate.n == 0:
        return MISSING
    if estimate.low is None or estimate.high is None or estimate.coverage is None:
        return f"n={estimate.n}, no interval below {MIN_RUNS}"
    coverage = f"{estimate.coverage * 100:.1f}".rstrip("0").rstrip(".")
    return f"[{metric.format(estimate.low)}, {metric.format(estimate.high)}] ({coverage} %)"


def format_test(result: TestResult) -> str:
    if result.p_value is None:
        return result.note or MISSING
    return f"p = {result.p_value:.3f}" + (f" ({result.note})" if result.note else "")


def metric_row(config: Configuration, baseline: Configuration | None, metric: Metric) -> MetricRow:
    values = _values(config, metric)
    estimate = median_ci(values)
    values_text = ", ".join(metric.format(v) for v in values) if len(values) <= 6 else f"{len(values)} runs"
    if baseline is None:
        return MetricRow(
            metric.title,
            metric.format(estimate.median),
            format_ci(estimate, metric),
            estimate.n,
            values_text,
        )
    base_values = _values(baseline, metric)
    base = median_ci(base_values)
    test = mann_whitney(base_values, values)
    return MetricRow(
        label=metric.title,
        median=metric.format(estimate.median),
        ci=format_ci(estimate, metric),
        n=estimate.n,
        values=values_text,
        baseline=metric.format(base.median),
        diff=fmt_percent(diff_percent(base.median, estimate.median)),
        # A metric neither side recorded has nothing to test, whatever the number of runs.
        test=format_test(test) if estimate.n or base.n else MISSING,
        significant=test.significant,
        diff_class=_direction(metric, base.median, estimate.median) if test.significant else "",
    )


def _direction(metric: Metric, baseline: float | None, contender: float | None) -> str:
    if metric.better is None or baseline is None or contender is None or baseline == contender:
        return ""
    higher = contender > baseline
    return "better" if higher == (metric.better == "higher") else "worse"


OVERVIEW_KEYS = (
    "throughput_rps",
    "input_rate_rps",
    "sched_delay_ms.p95",
    "total_delay_ms.p95",
    "proc_time_ms.p50",
    "delay_slope",
    "gc_time_frac",
    "peak_heap_bytes",
    "lost",
)
OVERVIEW_METRICS: tuple[Metric, ...] = tuple(METRICS_BY_KEY[key] for key in OVERVIEW_KEYS)


def overview_cells(config: Configuration) -> list[str]:
    """Median and interval of the headline metrics, one line per configuration."""
    cells = []
    for metric in OVERVIEW_METRICS:
        estimate = median_ci(_values(config, metric))
        interval = format_ci(estimate, metric)
        cells.append(f"{metric.format(estimate.median)} {interval}" if estimate.n else MISSING)
    return cells


def distribution_view(configs: Sequence[Configuration], store: FigureStore) -> FigureView | None:
    """The headline metrics' per-run values of each of our configurations with two or more runs."""
    rows = [
        {"metric": metric.title, "configuration": str(config.index), "value": value}
        for config in configs
        if not config.imported and len(config.runs) >= 2
        for metric in OVERVIEW_METRICS
        for value in _values(config, metric)
        if value is not None
    ]
    if not rows:
        return None
    title = "Headline metrics over the repetitions, by configuration"
    rendered = figures.distribution_figure(pd.DataFrame(rows), "distributions", title)
    return store.add(rendered, "fig-distributions", "Box: the repetitions' quartiles; points: each run.")


def outcome_counts(config: Configuration) -> str:
    counts = Counter(outcome_text(run.summary) for run in config.runs)
    return ", ".join(f"{outcome} {count}" for outcome, count in sorted(counts.items()))


# ---------------------------------------------------------------------------------------------------------
# Claims


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _gc_percent(run: ClaimRun) -> float | None:
    return None if run.gc_time_frac is None else run.gc_time_frac * 100


def _processing_share(run: ClaimRun) -> float | None:
    return _ratio(run.proc_time_p50_ms, run.batch_interval_ms)


# A claim figure's panel: its label, the number per run (given the run and the twin its check compared
# it with, if any), and the rule's threshold.
Panel = tuple[str, Callable[[ClaimRun, ClaimRun | None], float | None], float | None]


def _point(trend: Slope | None) -> float | None:
    return None if trend is None else trend.slope


_SLOPE_PANEL: Panel = (
    "scheduling delay slope, Theil-Sen (ms/s)",
    lambda r, _twin: _point(r.sched_trend),
    SLOPE_THRESHOLD_MS_PER_S,
)
_PROCESSING_PANEL: Panel = ("p50 processing / batch interval", lambda r, _twin: _processing_share(r), 1.0)
# Each claim's figure: per panel, its label, the number per run, and the rule's threshold.
CLAIM_PANELS: dict[str, tuple[Panel, ...]] = {
    "C1": (
        _SLOPE_PANEL,
        _PROCESSING_PANEL,
        ("share of batches held back", lambda r, _twin: r.held_share, ENGAGED_SHARE),
    ),
    "C2": (
        ("GC time share (%)", lambda r, _twin: _gc_percent(r), HIGH_GC_SHARE * 100),
        (
            "processing time slope (ms/s)",
            lambda r, _twin: _point(r.proc_trend),
            SLOPE_THRESHOLD_MS_PER_S,
        ),
    ),
    "C3": (_SLOPE_PANEL, _PROCESSING_PANEL),
    "S1": (_SLOPE_PANEL,),
    "S2": (
        (
            "largest batch rate / cap (or base rate)",
            lambda r, _twin: _ratio(r.max_batch_rate_rps, r.rate_cap_rps or r.base_rate_rps),
            CAP_TOLERANCE,
        ),
    ),
    "S3": (
        (
            "lowest logged limit / minRate",
            lambda r, _twin: _ratio(r.min_logged_limit_rps, r.min_rate_rps),
            1.0,
        ),
    ),
    "G1": (
        (
            "throughput, GOVERNOR / its PID twin",
            lambda r, twin: _ratio(r.throughput_rps, twin.throughput_rps if twin else None),
            1 + THROUGHPUT_MARGIN,
        ),
    ),
    "G2": (
        ("GOVERNOR: " + _SLOPE_PANEL[0], _SLOPE_PANEL[1], SLOPE_THRESHOLD_MS_PER_S),
        (
            "its PID twin: " + _SLOPE_PANEL[0],
            lambda _r, twin: _point(twin.sched_trend) if twin else None,
            SLOPE_THRESHOLD_MS_PER_S,
        ),
    ),
}


def _claim_figure(result: ClaimResult, runs: dict[str, ClaimRun], store: FigureStore) -> FigureView:
    panels = []
    for label, extract, threshold in CLAIM_PANELS[result.claim.id]:
        bars = [
            figures.Bar(
                check.run_id,
                extract(runs[check.run_id], runs.get(check.twin_id or "")) if check.run_id in runs else None,
                check.supports,
            )
            for check in result.checks
        ]
        panels.append((label, bars, threshold))
    name = f"claim-{result.claim.id.lower()}"
    rendered = figures.claim_figure(name, f"{result.claim.id}: {result.verdict}", panels)
    caption = (
        "The numbers each run was judged by: green supports the claim, red contradicts it, grey is unknown; "
        "dashed: the rule's threshold."
    )
    return store.add(rendered, f"fig-{name}", caption)


def _supports_class(supports: bool | None) -> str:
    if supports is None:
        return "unknown"
    return "supports" if supports else "contradicts"


def claim_views(
    results: Sequence[ClaimResult],
    runs: dict[str, ClaimRun],
    anchors: dict[str, str],
    configs: Sequence[ConfigView],
    store: FigureStore,
) -> list[ClaimView]:
    """``runs`` and ``anchors`` are keyed by the run labels the claim checks carry."""
    by_label = {config.label: config for config in configs if not config.imported}
    views = []
    for result in results:
        checks = [
            CheckView(
                run_id=check.run_id,
                run_anchor=anchors.get(check.run_id, ""),
                figure_anchor=f"fig-{anchors[check.run_id]}-timeline" if check.run_id in anchors else "",
                config=check.config,
                config_anchor=by_label[check.config].anchor if check.config in by_label else "",
                config_index=by_label[check.config].index if check.config in by_label else 0,
                answer=check.answer,
                supports_class=_supports_class(check.supports),
                detail=check.detail,
            )
            for check in result.checks
        ]
        views.append(
            ClaimView(
                id=result.claim.id,
                title=result.claim.title,
                statement=result.claim.statement,
                rule=result.claim.rule,
                verdict=str(result.verdict),
                verdict_class=result.verdict.css,
                reason=result.reason,
                checks=checks,
                figure=_claim_figure(result, runs, store) if result.checks else None,
            )
        )
    return views


# ---------------------------------------------------------------------------------------------------------
# The original artifact side by side

SIDE_BY_SIDE_KEYS = (
    "throughput_rps",
    "sched_delay_ms.p50",
    "sched_delay_ms.p95",
    "sched_delay_ms.max",
    "proc_time_ms.p50",
    "proc_time_ms.p95",
    "total_delay_ms.p50",
    "total_delay_ms.max",
    "delay_slope",
    "gc_time_frac",
    "gc_count",
)
SIDE_BY_SIDE_METRICS: tuple[Metric, ...] = tuple(METRICS_BY_KEY[key] for key in SIDE_BY_SIDE_KEYS)


@dataclass(frozen=True)
class SideBySideRow:
    label: str
    anchor: str
    source: str
    n: int
    cells: list[str]
    outcomes: str


def side_by_side_rows(configs: Sequence[Configuration]) -> list[SideBySideRow]:
    """The same statistics (medians over repetitions) for the artifact's runs and ours."""
    rows = []
    for config in sorted(configs, key=lambda c: not c.imported):
        cells = [m.format(median_ci(_values(config, m)).median) for m in SIDE_BY_SIDE_METRICS]
        source = "original artifact" if config.imported else "ours"
        rows.append(
            SideBySideRow(
                config.label, config.anchor, source, len(config.runs), cells, outcome_counts(config)
            )
        )
    return rows


def _artifact_cells(values: dict[str, Any] | None) -> list[str]:
    values = values or {}
    return [fmt_number(values.get(column)) for column in ARTIFACT_COLUMNS]


def artifact_rows(drawn: Sequence[tuple[Run, DrawnRun]]) -> list[ArtifactRow]:
    """Per run, the artifact's overall_statistics columns: for imported runs as the artifact reported
    them and as recomputed; for ours computed with the artifact's method and our record size."""
    rows = []
    for run, result in sorted(drawn, key=lambda item: not item[0].imported):
        app = app_name(run) or MISSING
        level_text = pressure_text(run) or MISSING
        stats = result.artifact
        window = f"{stats['window_batches']} batches"
        size = fmt_number(stats.get("record_bytes"))
        if run.imported:
            artifact_json = run.artifact_statistics or {}
            matches = artifact_json.get("matches")
            match_text = MISSING if matches is None else "yes" if matches else "no"
            rows.append(
                ArtifactRow(
                    run.run_id,
                    result.view.anchor,
                    "artifact, as reported",
                    app,
                    level_text,
                    size,
                    window,
                    _artifact_cells(reported(artifact_json)),
                    match_text,
                )
            )
            rows.append(
                ArtifactRow(
                    run.run_id,
                    result.view.anchor,
                    "artifact, recomputed",
                    app,
                    level_text,
                    size,
                    window,
                    _artifact_cells(stats),
                    match_text,
                )
            )
        else:
            rows.append(
                ArtifactRow(
                    run.run_id,
                    result.view.anchor,
                    "ours, artifact's method",
                    app,
                    level_text,
                    size,
                    window,
                    _artifact_cells(stats),
                    MISSING,
                )
            )
    return rows


# ---------------------------------------------------------------------------------------------------------
# Overview


@dataclass(frozen=True)
class GridRow:
    index: int
    label: str
    anchor: str
    cells: list[RunView | None]


def outcome_grid(configs: Sequence[ConfigView]) -> tuple[list[str], list[GridRow]]:
    """Configurations by repetition; runs without a repetition number fill the next free column."""
    rows = []
    width = 0
    for config in configs:
        cells: dict[int, RunView] = {}
        for view in config.runs:
            column = view.repetition if view.repetition and view.repetition not in cells else None
            if column is None:
                column = max(cells, default=0) + 1
            cells[column] = view
        width = max(width, max(cells, default=0))
        rows.append((config, cells))
    header = [f"r{i}" for i in range(1, width + 1)]
    return header, [
        GridRow(c.index, c.label, c.anchor, [cells.get(i) for i in range(1, width + 1)]) for c, cells in rows
    ]


def _distinct(runs: Sequence[Run], get: Callable[[Run], Any]) -> str:
    counts = Counter(str(value) for value in map(get, runs) if value not in (None, "", {}))
    if not counts:
        return MISSING
    if len(counts) == 1:
        return next(iter(counts))
    return "; ".join(f"{value} ({count} runs)" for value, count in counts.most_common())


def _host_memory(run: Run) -> str | None:
    memory = as_number(nested(run.spec, "host", "memory_bytes"))
    return f"{memory / 2**30:,.1f} GiB" if memory else None


def environment(runs: Sequence[Run]) -> list[tuple[str, str]]:
    """Versions and hosts of our runs (the imported ones name only their JVM)."""
    ours = [run for run in runs if not run.imported] or list(runs)
    rows = [
        (f"{name} version", _distinct(ours, lambda r, n=name: nested(r.spec, "versions", n)))
        for name in ("bpbench", "spark", "kafka", "java", "python")
    ]
    rows += [
        ("host platform", _distinct(ours, lambda r: nested(r.spec, "host", "platform"))),
        ("host CPUs", _distinct(ours, lambda r: nested(r.spec, "host", "cpus"))),
        ("host memory", _distinct(ours, _host_memory)),
        ("git commit", _distinct(ours, lambda r: r.spec.get("git_commit"))),
    ]
    return rows


@dataclass(frozen=True)
class ExperimentView:
    name: str
    runs: int
    imported: bool
    sources: str


def experiments(runs: Sequence[Run]) -> list[ExperimentView]:
    grouped: dict[str, list[Run]] = {}
    for run in runs:
        grouped.setdefault(run.experiment, []).append(run)
    return [
        ExperimentView(
            name,
            len(members),
            all(r.imported for r in members),
            _distinct(members, lambda r: r.spec.get("source_file") or r.spec.get("source")),
        )
        for name, members in sorted(grouped.items())
    ]


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


def render(template: str, **context: Any) -> str:
    return _environment().get_template(template).render(**context)


def write_page(output: Path, text: str) -> None:
    """The HTML page, written atomically as every result file is, in a folder made if needed."""
    output.parent.mkdir(parents=True, exist_ok=True)
    write_text(output, text)


def _run_labels(runs: Sequence[Run]) -> dict[int, str]:
    """A label per run, its id unless another experiment has a run of the same id."""
    counts = Counter(run.run_id for run in runs)
    return {
        id(run): run.run_id if counts[run.run_id] == 1 else f"{run.experiment}/{run.run_id}" for run in runs
    }


def _config_view(config: Configuration, views: list[RunView]) -> ConfigView:
    return ConfigView(
        anchor=config.anchor,
        index=config.index,
        label=config.label,
        fields=config.fields,
        experiments=config.experiments,
        imported=config.imported,
        runs=views,
        outcomes=outcome_counts(config),
    )


def _compare_configuration(
    view: ConfigView, config: Configuration, baseline: Configuration | None, paired: bool
) -> None:
    shown = metrics_for(run.summary for run in [*config.runs, *(baseline.runs if baseline else [])])
    view.rows = [metric_row(config, baseline, metric) for metric in shown]
    view.overview = overview_cells(config)
    if baseline is not None:
        view.baseline_label = baseline.label
        view.baseline_anchor = baseline.anchor
        view.baseline_note = "its twin with backpressure off" if paired else "the first configuration"


def load_runs(paths: list[Path]) -> tuple[list[Run], list[SkippedRun]]:
    """The runs under ``paths`` a report can use, and those it leaves out with the reason."""
    runs: list[Run] = []
    skipped: list[SkippedRun] = []
    for run_dir in find_run_dirs(paths):
        loaded = load_run(run_dir)
        (skipped if isinstance(loaded, SkippedRun) else runs).append(loaded)
    runs, older = one_schema_version(runs)
    return runs, skipped + older


def claim_results(paths: list[Path]) -> list[ClaimResult]:
    """The paper's claims judged over the runs under ``paths``, exactly as the report judges them."""
    runs, _ = load_runs(paths)
    labels = _run_labels(runs)
    claim_runs = {
        labels[id(run)]: claim_run(run, config.label, labels[id(run)])
        for config in group_configurations(runs)
        for run in config.runs
    }
    return evaluate(list(claim_runs.values()))


def build_report(paths: list[Path], output: Path, figure_files: bool = True) -> Path:
    """Writes one self-contained HTML file at ``output`` (atomically) and, with ``figure_files``, its
    figures as PNG and SVG files in ``<output stem>_figures/``; returns ``output``."""
    output = Path(output)
    runs, skipped = load_runs(paths)
    configs = group_configurations(runs)
    labels = _run_labels(runs)
    output.parent.mkdir(parents=True, exist_ok=True)
    store = FigureStore(output, figure_files)
    try:
        html = _build(configs, skipped, labels, store)
        store.commit()
    except BaseException:
        store.discard()
        raise
    write_page(output, html)
    return output


def _build(
    configs: list[Configuration], skipped: list[SkippedRun], labels: dict[int, str], store: FigureStore
) -> str:
    taken: set[str] = set()
    config_views: list[ConfigView] = []
    drawn: list[tuple[Run, DrawnRun]] = []
    claim_runs: dict[str, ClaimRun] = {}
    anchors: dict[str, str] = {}
    for config in configs:
        results = []
        for run in config.runs:
            anchor = _anchor("run-", labels[id(run)], taken)
            result = draw_run(run, config, anchor, store)
            results.append(result)
            drawn.append((run, result))
            claim_runs[labels[id(run)]] = claim_run(run, config.label, labels[id(run)])
            anchors[labels[id(run)]] = anchor
        view = _config_view(config, [r.view for r in results])
        series = [r.series for r in results if r.series is not None]
        if len(series) >= 2:
            overlay = figures.overlay_figure(series, f"{config.anchor}-overlay")
            view.overlay = store.add(
                overlay,
                f"fig-{config.anchor}-overlay",
                "Each repetition in its own colour, on the same axes.",
            )
        for result in results:
            # The series served the overlay; the report needs only the rendered figures from here on.
            result.series = None
        config_views.append(view)
    baselines, paired = choose_baselines(configs)
    for config, view in zip(configs, config_views, strict=True):
        _compare_configuration(view, config, baselines[config.key], paired)
    all_runs = [run for run, _ in drawn]
    claims = claim_views(evaluate(list(claim_runs.values())), claim_runs, anchors, config_views, store)
    grid_header, grid = outcome_grid(config_views)
    top, bottom = header_rows(SUMMARY_COLUMNS)
    return render(
        TEMPLATE,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        experiments=experiments(all_runs),
        environment=environment(all_runs) if all_runs else [],
        configs=config_views,
        ours=[c for c in config_views if not c.imported],
        runs=[result.view for _, result in drawn],
        skipped=skipped,
        grid_header=grid_header,
        grid=grid,
        claims=claims,
        side_by_side_header=[m.title for m in SIDE_BY_SIDE_METRICS],
        side_by_side=side_by_side_rows(configs) if any(c.imported for c in configs) else [],
        artifact_header=list(ARTIFACT_COLUMNS),
        artifact_rows=artifact_rows(drawn) if any(run.imported for run in all_runs) else [],
        throughput_column=THROUGHPUT_COLUMN,
        header_top=top,
        header_bottom=bottom,
        overview_header=[m.title for m in OVERVIEW_METRICS],
        distributions=distribution_view(configs, store),
    )
