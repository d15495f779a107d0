"""Result folders of the original Sensors 2022 artifact as run directories of schema version 1.

An artifact result folder holds ``batch_infos.csv`` (``batchTime;numRecords;processingDelay;
schedulingDelay;``, one line per batch), usually ``overall_statistics.csv`` / ``avg_statistics.csv``
(the artifact's own statistics), JDK 8 GC logs (``DRIVER.log``, ``EXECUTOR<n>.log``) and the
middleware's per-second logs ``LOG<n>.csv``. Each folder becomes ``<dest>/sensors2022-artifact/<run-id>/``
with the files a measured run has, so reports can put the original runs beside new ones.

What the folder name says is recorded (``parse_folder_name``): the app, backpressure (a ``BP``
token, as every result folder of the original scripts has; off only when the name or a parent folder
says so), and the pressure level: the number before ``GB`` is the message queue's ``qosmax``, its
in-flight data budget (``caching()`` in ``message_queue_static.c`` stops forwarding to Spark while
GiB forwarded minus GiB processed exceeds it), not an executor memory (the executors had ~174 GiB
heaps). It becomes ``workload.in_flight_budget`` in bytes (N GB = N x 1024^3, as in the C code).

What the artifact does not record stays null: the executor memory, the target and input rates, GC
figures and, see below, the loss. The backlog is 0 (the artifact had no Kafka topic to lag behind),
``duration_s`` is the number of batches times 2 s, and the outcome follows the delay-slope rule of
``harness.results.summary`` alone.

``THloss`` in ``LOG<n>.csv`` is not a count of lost records. It is neither cumulative (it falls in
about half of the samples) nor a per-second record count: it is a percentage with two decimals,
at most 10 in the published sample, and early in a run it equals exactly
``100 * (seconds since the last ack) / (timestamp - 1)``. A loss in records cannot be derived from
it, so ``lost`` and ``produced`` stay null in ``summary.json``; the THloss figures of every log are
kept in ``artifact_statistics.json`` under ``source_logs`` and the run's events say why.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import __version__
from harness.errors import UsageError
from harness.observe.parsers.gc_log import parse_gc_file
from harness.results.artifact import (
    BATCH_INTERVAL_MS,
    WINDOW_FIRST,
    WINDOW_LAST,
    Number,
    Row,
    artifact_statistics,
    artifact_window,
    statistics_match,
)
from harness.results.outcomes import Outcome
from harness.results.store import SCHEMA_VERSION, RunDirectory, copy_file, write_json, write_table
from harness.results.summary import (
    UNSTABLE_SLOPE_MS_PER_S,
    Position,
    gc_statistics,
    percentiles,
    position,
    slope_per_s,
    theil_sen_per_s,
)
from harness.results.tables import BATCH_COLUMNS, EXECUTOR_COLUMNS, GC_EVENT_COLUMNS, GENERATOR_COLUMNS
from harness.run.events import EventLog

EXPERIMENT = "sensors2022-artifact"
SOURCE = "sensors2022-artifact"

BATCH_FILE = "batch_infos.csv"
OVERALL_FILE = "overall_statistics.csv"
AVG_FILE = "avg_statistics.csv"
LOG_PATTERNS = ("DRIVER.log", "EXECUTOR*.log", "LOG*.csv")
SOURCE_LOG_PATTERN = "LOG*.csv"

# Longest name first, so "GlobalSUMServer_8GB" is GlobalSUM and not SUM.
APPS = tuple(sorted(("SUM", "StatelessSUM", "GlobalSUM", "GlobalHistogram"), key=len, reverse=True))
_APP_NAMES = "|".join(APPS)
# An app's name, not inside a longer word: "GlobalSUMServer" is GlobalSUM, "SUMMARY" is nothing.
APP_PATTERN = re.compile(rf"(?<![A-Za-z])({_APP_NAMES})(?=Server|[^A-Za-z]|$)")
# The queue's qosmax in GiB: "8GB" (the reference folder) or "_8_GB" (the original scripts' names).
BUDGET_PATTERN = re.compile(r"(?<![0-9.])(\d+)[_-]?GB(?![A-Za-z])")
# The dynamic mode's range of budgets, right before the app: "..._dynamic_eno_8-20_SUMServer_8_GB".
BUDGET_RANGE_PATTERN = re.compile(rf"(?<![0-9])(\d+)-(\d+)[_-]+(?=(?:{_APP_NAMES})Server)")
# The queue's qosmin in the scripts' "min-<qosmin>-<loss>" names (unused by the static queue).
QOSMIN_PATTERN = re.compile(r"(?:^|[_-])min-(\d+)(?=[_-])")
# "max-<qosmax>-min-<qosmin>-<loss>" names (Executionloop.sh's s() and sa()) put qosmin before GB:
# the budget the static queue enforces is the max.
QOSMAX_PATTERN = re.compile(r"(?:^|[_-])max-(\d+)-min-\d+(?=[_-])")
REPETITION_PATTERN = re.compile(r"(?:rep|-r)(\d+)$")
GIB = 1024**3
# Backpressure in a name: the original scripts prefix every run folder with "BP_" (backpressure on);
# they name no backpressure-off folder, so only these spellings say "off".
_BP_OFF_TOKENS = frozenset({"nobp", "nbp", "bpoff", "nobackpressure", "withoutbp"})
_BP_OFF_PAIRS = frozenset({("no", "bp"), ("without", "bp"), ("bp", "off"), ("backpressure", "off")})
_BP_ON_TOKENS = frozenset({"bp", "bpon"})
JAVA_PATTERN = re.compile(r"JRE \(([^)]+)\)")

BATCH_FIELDS = ("batchTime", "numRecords", "processingDelay", "schedulingDelay")

THLOSS_COLUMN = "THloss"
THLOSS_NOTE = (
    "THloss is a percentage gauge (neither cumulative nor records per second), "
    "not a count of lost records: lost and produced are left null"
)


@dataclass(frozen=True)
class Problem:
    """Something in an artifact file that could not be read as expected; imported as a warning."""

    file: str
    line: int | None
    message: str


# ---------------------------------------------------------------------------------------------------------
# Reading the artifact's files


def _fields(line: str) -> list[str]:
    """A ``;``-separated line; the artifact's header ends with a ``;`` the data lines do not have."""
    fields = [field.strip() for field in line.split(";")]
    while fields and not fields[-1]:
        fields.pop()
    return fields


def _is_integer(text: str) -> bool:
    return text.lstrip("+-").isdigit()


def _batch_columns(header: list[str], file: str) -> tuple[list[str], list[Problem]]:
    if all(name in header for name in BATCH_FIELDS):
        return header, []
    message = f"header {';'.join(header)!r} lacks {', '.join(BATCH_FIELDS)}; assuming that order"
    return list(BATCH_FIELDS), [Problem(file, 1, message)]


def _batch_row(fields: list[str], columns: list[str]) -> Row | str:
    """One batch, or why the line is malformed."""
    if len(fields) != len(columns):
        return f"{len(fields)} fields where {len(columns)} were expected"
    values = {name: fields[columns.index(name)] for name in BATCH_FIELDS}
    bad = [name for name, text in values.items() if not _is_integer(text)]
    if bad:
        return f"not an integer: {', '.join(bad)}"
    return {name: int(text) for name, text in values.items()}


def read_batch_infos(path: Path) -> tuple[list[Row], list[Problem]]:
    """The batches of ``batch_infos.csv`` in file order; lines that do not parse become problems."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    problems: list[Problem] = []
    columns = list(BATCH_FIELDS)
    start = 0
    if lines and _fields(lines[0]) and not _is_integer(_fields(lines[0])[0]):
        columns, problems = _batch_columns(_fields(lines[0]), path.name)
        start = 1
    elif lines:
        problems.append(Problem(path.name, 1, f"no header line; assuming {';'.join(BATCH_FIELDS)}"))
    rows: list[Row] = []
    for number, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        row = _batch_row(_fields(line), columns)
        if isinstance(row, str):
            problems.append(Problem(path.name, number, f"malformed batch line skipped ({row}): {line!r}"))
        else:
            rows.append(row)
    if not rows:
        problems.append(Problem(path.name, None, "no batches"))
    return rows, problems


def _number(text: str) -> Number:
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]


def read_reported_row(path: Path) -> tuple[dict[str, Number] | None, list[Problem]]:
    """The row of ``overall_statistics.csv`` as numbers, keyed by its header (the unnamed index
    column dropped). The published files repeat header and row; identical repeats are ignored."""
    table = _csv_rows(path)
    if not table:
        return None, [Problem(path.name, None, "empty file")]
    header = [cell.strip() for cell in table[0]]
    data = [row for row in table[1:] if [cell.strip() for cell in row] != header]
    if not data:
        return None, [Problem(path.name, None, "no statistics row")]
    problems: list[Problem] = []
    if any(row != data[0] for row in data[1:]):
        problems.append(Problem(path.name, None, "several different statistics rows; the first is used"))
    if len(data[0]) != len(header):
        problems.append(Problem(path.name, 2, f"{len(data[0])} fields where {len(header)} were expected"))
        return None, problems
    row = {name: _number(value) for name, value in zip(header, data[0], strict=True) if name}
    return row, problems


def read_avg_statistics(path: Path) -> tuple[dict[str, Number] | None, list[Problem]]:
    """``avg_statistics.csv``'s ``name,value`` lines, names with their padding collapsed; NA is None."""
    table = _csv_rows(path)
    values: dict[str, Number] = {}
    problems: list[Problem] = []
    for number, row in enumerate(table[1:], start=2):
        if len(row) != 2:
            problems.append(Problem(path.name, number, f"{len(row)} fields where 2 were expected"))
            continue
        values[" ".join(row[0].split())] = _number(row[1])
    return (values or None), problems


def read_source_log(path: Path) -> tuple[dict[str, Any], list[Problem]]:
    """THloss of one ``LOG<n>.csv``: samples, last, largest and mean value (percentages, see above)."""
    problems: list[Problem] = []
    samples: list[float] = []
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None) or []
        if THLOSS_COLUMN not in header:
            return {"file": path.name, "samples": 0}, [Problem(path.name, 1, f"no {THLOSS_COLUMN} column")]
        index = header.index(THLOSS_COLUMN)
        for row in reader:
            value = _number(row[index]) if len(row) == len(header) else None
            if value is None:
                message = f"malformed line skipped ({len(row)} of {len(header)} fields)"
                problems.append(Problem(path.name, reader.line_num, message))
            else:
                samples.append(float(value))
    summary = {
        "file": path.name,
        "samples": len(samples),
        "thloss_last": samples[-1] if samples else None,
        "thloss_max": max(samples) if samples else None,
        "thloss_mean": statistics.fmean(samples) if samples else None,
    }
    return summary, problems


def java_version(folder: Path) -> str | None:
    """The JRE named in the first line of a GC log (``... JRE (1.8.0_131-b11) ...``)."""
    for log in sorted(folder.glob("DRIVER.log")) + sorted(folder.glob("EXECUTOR*.log")):
        with log.open(encoding="utf-8", errors="replace") as handle:
            match = JAVA_PATTERN.search(handle.readline())
        if match:
            return match.group(1)
    return None


# ---------------------------------------------------------------------------------------------------------
# Folders and run ids


def find_artifact_folders(src: Path) -> list[Path]:
    """``src`` itself when it holds ``batch_infos.csv``, and every folder below it that does."""
    if not src.exists():
        raise UsageError(f"{src}: no such file or folder")
    if not src.is_dir():
        raise UsageError(f"{src}: not a folder")
    folders = sorted({path.parent for path in src.rglob(BATCH_FILE) if path.is_file()})
    if not folders:
        raise UsageError(f"{src}: holds no artifact result folder (no {BATCH_FILE} found)")
    return folders


def sanitise(name: str) -> str:
    """A run id from a folder name: only ``[A-Za-z0-9._-]``, never starting with a dot."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._-")
    return cleaned or "run"


def assign_run_ids(src: Path, folders: list[Path]) -> dict[Path, str]:
    """Each folder's name; a name shared by several folders is replaced by the relative path, "-"-joined."""
    names = {folder: sanitise(folder.name) for folder in folders}
    counts = Counter(names.values())
    ids: dict[Path, str] = {}
    for folder in folders:
        parts = folder.relative_to(src).parts
        ids[folder] = sanitise("-".join(parts)) if counts[names[folder]] > 1 and parts else names[folder]
    return _unique(ids)


def _unique(ids: dict[Path, str]) -> dict[Path, str]:
    seen: set[str] = set()
    unique: dict[Path, str] = {}
    for folder, run_id in ids.items():
        candidate, suffix = run_id, 2
        while candidate in seen:
            candidate, suffix = f"{run_id}-{suffix}", suffix + 1
        seen.add(candidate)
        unique[folder] = candidate
    return unique


def name_backpressure(name: str) -> bool | None:
    """Backpressure as a folder name says it: False for ``noBP``, ``NBP``, ``BPoff``, ``no-bp``,
    ``bp-off`` and the like, True for a ``BP`` token (``BP_888_...``, ``long-ok-BP_888_...``), else None."""
    tokens = [token.lower() for token in re.split(r"[^A-Za-z0-9]+", name) if token]
    pairs = set(zip(tokens, tokens[1:], strict=False))
    if _BP_OFF_TOKENS.intersection(tokens) or _BP_OFF_PAIRS & pairs:
        return False
    if _BP_ON_TOKENS.intersection(tokens):
        return True
    return None


def parse_folder_name(name: str) -> dict[str, Any]:
    """What a result folder's name says, each None when it does not say it.

    ``app``; ``backpressure`` (see ``name_backpressure``); ``in_flight_budget``: the queue's qosmax,
    the number before ``GB``, in bytes (GiB, as the C code counts), or the ``max-<N>`` of a
    ``max-<N>-min-<M>`` name, whose number before GB is the qosmin; ``in_flight_budget_range``: the
    dynamic mode's ``[min, max]`` in bytes (``..._8-20_SUMServer_8_GB``: the queue starts at the
    8 GB of the name and moves between 8 and 20); ``qosmin``: the queue's qosmin in bytes from a
    ``min-<N>`` name; ``repetition``: the ``rep<N>`` suffix.
    """
    app = APP_PATTERN.search(name)
    budgets = list(BUDGET_PATTERN.finditer(name))
    # The budget follows the app in the scripts' names; without an app, the last number before GB.
    after_app = [m for m in budgets if app and m.start() >= app.end()]
    budget = after_app[0] if after_app else budgets[-1] if budgets else None
    span = BUDGET_RANGE_PATTERN.search(name)
    low, high = (int(span.group(1)), int(span.group(2))) if span else (0, 0)
    qosmin = QOSMIN_PATTERN.search(name)
    qosmax = QOSMAX_PATTERN.search(name)
    repetition = REPETITION_PATTERN.search(name)
    budget_gib = int(qosmax.group(1)) if qosmax else int(budget.group(1)) if budget else None
    return {
        "app": app.group(1) if app else None,
        "backpressure": name_backpressure(name),
        "in_flight_budget": budget_gib * GIB if budget_gib is not None else None,
        "in_flight_budget_range": [low * GIB, high * GIB] if span and low <= high else None,
        "qosmin": int(qosmin.group(1)) * GIB if qosmin else None,
        "repetition": int(repetition.group(1)) if repetition else None,
    }


def folder_labels(folder: Path, src: Path | None = None) -> dict[str, Any]:
    """``parse_folder_name`` of the folder; backpressure, when its name does not say, from the nearest
    folder above it (up to and including ``src``) whose name does, e.g. ``noBP/SUMServer_8GB``."""
    labels = parse_folder_name(folder.name)
    if labels["backpressure"] is None and src is not None and folder.is_relative_to(src.parent):
        for parent in reversed(folder.relative_to(src.parent).parts[:-1]):
            said = name_backpressure(parent)
            if said is not None:
                labels["backpressure"] = said
                break
    return labels


# ---------------------------------------------------------------------------------------------------------
# The run directory's contents


def batch_table(rows: list[Row]) -> list[dict[str, Any]]:
    """``batch_infos.csv`` rows as ``batches.parquet`` rows; every recorded batch had completed."""
    return [
        {
            "batch_id": row["batchTime"],
            "batch_time_ms": row["batchTime"],
            "status": "COMPLETED",
            "input_records": row["numRecords"],
            "scheduling_delay_ms": float(row["schedulingDelay"]),
            "processing_time_ms": float(row["processingDelay"]),
            "total_delay_ms": float(row["schedulingDelay"] + row["processingDelay"]),
            "output_ops_failed": 0,
        }
        for row in rows
    ]


def gc_table(folder: Path) -> tuple[list[dict[str, Any]], list[Problem]]:
    """GC events of the driver's and executors' JDK 8 logs, with the JVM each came from."""
    rows: list[dict[str, Any]] = []
    problems = []
    for path in sorted([*folder.glob("DRIVER.log"), *folder.glob("EXECUTOR*.log")]):
        source = "driver" if path.name == "DRIVER.log" else f"executor-{path.stem.removeprefix('EXECUTOR')}"
        events, warnings = parse_gc_file(path)
        rows.extend({"source": source, **event.row()} for event in events)
        problems.extend(Problem(path.name, None, warning) for warning in warnings)
    return rows, problems


def imported_summary(
    run_id: str,
    rows: list[Row],
    gc_rows: list[dict[str, Any]] = (),
    backpressure: bool | None = None,
) -> dict[str, Any]:
    """``summary.json`` for an imported run: the keys of ``harness.results.summary.summarize``, unknowns null;
    ``backpressure`` as the folder name says it."""
    table = batch_table(rows)
    times, delays = [b["batch_time_ms"] for b in table], [b["total_delay_ms"] for b in table]
    delay_slope = slope_per_s(times, delays)
    delay_trend = theil_sen_per_s(times, delays)
    # The outcome rule of our runs, on the delay alone: the artifact recorded no lag and no drain.
    outcome = {Position.ABOVE: Outcome.UNSTABLE, Position.STRADDLES: Outcome.INCONCLUSIVE_SLOPE}.get(
        position(delay_trend, UNSTABLE_SLOPE_MS_PER_S), Outcome.STABLE
    )
    window = artifact_window(rows)
    interval_s = BATCH_INTERVAL_MS / 1000
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "experiment": EXPERIMENT,
        "outcome": outcome,
        "duration_s": len(rows) * interval_s,
        "backpressure": backpressure,
        "target_rate_rps": None,
        "batch_interval_ms": BATCH_INTERVAL_MS,
        "batches": len(rows),
        "produced": None,
        "processed": sum(row["numRecords"] for row in rows),
        "backlog": 0,
        "lost": None,
        "drained": None,
        "failed_batches": None,  # the artifact recorded no output-operation failures
        "failed_batch_records": None,
        "collector_cpu_frac": None,
        "throughput_rps": (
            statistics.fmean(row["numRecords"] for row in window) / interval_s if window else None
        ),
        "input_rate_rps": None,
        "sched_delay_ms": percentiles([b["scheduling_delay_ms"] for b in table]),
        "total_delay_ms": percentiles([b["total_delay_ms"] for b in table]),
        "proc_time_ms": percentiles([b["processing_time_ms"] for b in table]),
        "delay_slope": delay_slope,
        "delay_slope_ci_ms_per_s": None if delay_trend is None else delay_trend.interval,
        "lag_slope_rps": None,
        "lag_slope_ci_rps": None,
        **gc_statistics(gc_rows, len(rows) * interval_s),
        "peak_heap_bytes": None,
        "peak_storage_mem_bytes": None,
        "peak_execution_mem_bytes": None,
        "oom_count": None,
        "executors_lost": None,
        "evidence": [],
        "imported": True,
    }


def imported_spec(run_id: str, folder: Path, labels: dict[str, Any] | None = None) -> dict[str, Any]:
    """``spec.json`` for an imported run. The manifest has the shape of ours where the name says
    something (``workload.app``, ``workload.in_flight_budget`` in bytes, ``config.backpressure.enabled``);
    ``labels`` keeps everything read from the folder name (``parse_folder_name``), the budget range too."""
    labels = parse_folder_name(folder.name) if labels is None else labels
    manifest = {
        "workload": {"app": labels["app"], "in_flight_budget": labels["in_flight_budget"]},
        "config": {
            "batch_interval_ms": BATCH_INTERVAL_MS,
            "backpressure": {"enabled": labels["backpressure"]},
        },
        "source_folder": str(folder),
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "experiment": EXPERIMENT,
        "source": SOURCE,
        "source_folder": str(folder),
        "labels": labels,
        "manifest": manifest,
        "spark_conf": {},
        "versions": {
            "bpbench": __version__,
            "python": None,
            "spark": None,
            "kafka": None,
            "java": java_version(folder),
        },
        "imported": True,
    }


def _window_problems(rows: list[Row]) -> list[Problem]:
    if len(rows) >= WINDOW_LAST:
        return []
    if len(rows) < WINDOW_FIRST:
        message = f"{len(rows)} batches: none in the artifact's window ({WINDOW_FIRST} to {WINDOW_LAST})"
    else:
        message = (
            f"{len(rows)} batches: artifact statistics over batches {WINDOW_FIRST} to {len(rows)}"
            f" instead of {WINDOW_FIRST} to {WINDOW_LAST}"
        )
    return [Problem(BATCH_FILE, None, message)]


@dataclass
class ArtifactRun:
    """Everything read from one artifact folder, before anything is written."""

    folder: Path
    rows: list[Row]
    statistics: dict[str, Any]
    problems: list[Problem]
    gc_rows: list[dict[str, Any]]


def read_artifact_folder(folder: Path) -> ArtifactRun:
    rows, problems = read_batch_infos(folder / BATCH_FILE)
    problems += _window_problems(rows)
    window = artifact_window(rows)
    result: dict[str, Any] = dict(artifact_statistics(rows))
    result["window"] = {
        "first_batch": WINDOW_FIRST,
        "last_batch": min(WINDOW_LAST, len(rows)),
        "batches": len(window),
    }
    if (folder / OVERALL_FILE).is_file():
        reported, found = read_reported_row(folder / OVERALL_FILE)
        problems += found
        result["artifact_reported"] = reported
        result["matches"] = statistics_match(result, reported or {})
    if (folder / AVG_FILE).is_file():
        averages, found = read_avg_statistics(folder / AVG_FILE)
        problems += found
        result["artifact_reported_avg"] = averages
    logs = sorted(folder.glob(SOURCE_LOG_PATTERN))
    result["source_logs"] = []
    for log in logs:
        summary, found = read_source_log(log)
        problems += found
        result["source_logs"].append(summary)
    if logs:
        problems.append(Problem(logs[0].name, None, THLOSS_NOTE))
    gc_rows, found = gc_table(folder)
    return ArtifactRun(folder, rows, result, problems + found, gc_rows)


def _copy_logs(folder: Path, logs: Path) -> None:
    """GC logs and middleware logs, unchanged, each renamed into place."""
    for pattern in LOG_PATTERNS:
        for path in sorted(folder.glob(pattern)):
            if path.is_file():
                copy_file(path, logs / path.name)


def _fresh(run: RunDirectory, source: Path) -> None:
    """An empty run directory; an earlier import of the same id is removed first."""
    if run.path.resolve() == source or run.path.resolve() in source.parents:
        raise UsageError(f"{run.path}: would overwrite the artifact folder {source} being imported")
    if run.path.exists():
        shutil.rmtree(run.path)
    run.logs.mkdir(parents=True)


def write_run(artifact: ArtifactRun, dest: Path, run_id: str, src: Path | None = None) -> Path:
    """The run directory of one artifact folder; ``src`` (the tree it was found in) lets a parent
    folder's name say whether backpressure was on."""
    labels = folder_labels(artifact.folder, src)
    run = RunDirectory(dest, EXPERIMENT, run_id)
    _fresh(run, artifact.folder)
    with EventLog(run.file("events.jsonl")) as events:
        for problem in artifact.problems:
            events.emit("import_warning", file=problem.file, line=problem.line, message=problem.message)
        write_json(run.file("spec.json"), imported_spec(run_id, artifact.folder, labels))
        write_table(run.file("batches.parquet"), batch_table(artifact.rows), BATCH_COLUMNS)
        write_table(run.file("executors.parquet"), [], EXECUTOR_COLUMNS)
        write_table(run.file("generator.parquet"), [], GENERATOR_COLUMNS)
        write_json(run.file("artifact_statistics.json"), artifact.statistics)
        write_table(run.file("gc.parquet"), artifact.gc_rows, ["source", *GC_EVENT_COLUMNS])
        summary = imported_summary(run_id, artifact.rows, artifact.gc_rows, labels["backpressure"])
        write_json(run.file("summary.json"), summary)
        _copy_logs(artifact.folder, run.logs)
        events.emit(
            "run_imported",
            source_folder=str(artifact.folder),
            batches=len(artifact.rows),
            warnings=len(artifact.problems),
        )
    run.mark_complete()
    return run.path


def import_artifact(src: Path, dest: Path) -> list[Path]:
    """Import every artifact result folder in ``src`` (itself one, or holding them at any depth) into
    ``dest/sensors2022-artifact/<run-id>/``; importing again replaces the earlier import.

    Returns the run directories in the order of their source folders."""
    src = Path(src).resolve()
    folders = find_artifact_folders(src)
    ids = assign_run_ids(src, folders)
    return [write_run(read_artifact_folder(folder), Path(dest), ids[folder], src) for folder in folders]


def import_warnings(run_dir: Path) -> list[dict[str, Any]]:
    """The import warnings recorded in a run directory's ``events.jsonl``."""
    path = run_dir / "events.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [event for event in map(json.loads, lines) if event.get("kind") == "import_warning"]
