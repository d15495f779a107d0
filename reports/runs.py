"""Run directories as the report sees them: loading, configurations, labels and pressure levels.

A run's small files (spec, summary, artifact statistics) are kept for the whole report; its tables
are read only while its figures are drawn, so a report over many long runs stays small in memory.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from pyarrow import ArrowException

from apps import BUILTIN_APPS
from apps.records import DEFAULT_EVENT_BYTES
from harness.results.artifact import RECORD_BYTES as ARTIFACT_RECORD_BYTES
from harness.results.export import flatten
from harness.results.store import READABLE_SCHEMA_VERSIONS
from harness.results.tables import BATCH_COLUMNS, RATE_LIMIT_COLUMNS, select
from harness.results.units import jvm_memory_bytes
from reports.claims import BUDGET_AXIS, INTENSITY_AXIS, format_bytes, format_pressure

MISSING = "–"
IMPORTED_GROUP = "imported"
OURS_GROUP = "ours"
# Fields of a manifest that name a run rather than configure it.
IDENTITY_FIELDS = ("name", "description")
# Fields that differ between imported folders without describing a setting.
LABEL_NOISE = frozenset({"source_folder"})
_REPETITION = re.compile(r"-r(?:ep)?(\d+)$")


# The columns each table's figures and statistics need (of harness.results.tables); others are never read.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "batches": tuple(BATCH_COLUMNS),
    "executors": select(
        "executors",
        (
            "sample_time_ms",
            "executor_id",
            "is_active",
            "memory_used_bytes",
            "peak_jvm_heap_bytes",
            "peak_on_heap_execution_bytes",
            "peak_on_heap_storage_bytes",
            "peak_on_heap_unified_bytes",
            "remove_time_ms",
            "remove_reason",
        ),
    ),
    "gc": select("gc", ("source", "time_ms", "kind", "pause_ms", "heap_after_bytes", "heap_total_bytes")),
    "offsets": select("offsets", ("sample_time_ms", "partition", "lag")),
    "rate_limits": tuple(RATE_LIMIT_COLUMNS),
    "logged_rate_limits": select("logged_rate_limits", ("time_ms", "rate_rps")),
    "controller": select("controller", ("event", "stream_id", "end_time_ms", "limit_rps")),
    "in_flight": select(
        "in_flight", ("time_ms", "stream_id", "in_flight_bytes", "budget_bytes", "held_back")
    ),
}
# A configuration field holding an in-flight budget in bytes, and how labels name it.
BUDGET_FIELD = "in_flight_budget"
BUDGET_LABEL = "in-flight budget"


@dataclass
class Run:
    """A complete run directory's small files; the tables stay on disk until ``load_tables``."""

    path: Path
    spec: dict[str, Any]
    summary: dict[str, Any]
    artifact_statistics: dict[str, Any] | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(self.summary.get("run_id") or self.spec.get("run_id") or self.path.name)

    @property
    def experiment(self) -> str:
        return str(self.summary.get("experiment") or self.spec.get("experiment") or self.path.parent.name)

    @property
    def imported(self) -> bool:
        return self.spec.get("imported") is True or self.summary.get("imported") is True

    @property
    def simulated(self) -> bool:
        """Written by ``bpbench simulate`` (the model's run, not a measurement)."""
        return self.spec.get("simulated") is True

    @property
    def manifest(self) -> dict[str, Any]:
        manifest = self.spec.get("manifest")
        if not isinstance(manifest, dict):
            return {}
        return _upgraded_import(manifest) if self.imported else manifest


def _upgraded_import(manifest: dict[str, Any]) -> dict[str, Any]:
    """An import's manifest in today's shape. Imports written before the in-flight budget had a field
    are flat (``app``, ``executor_memory``, ``backpressure``, ``batch_interval_ms``, ``source_folder``)
    and their ``executor_memory`` is the folder name's GB number: the queue's budget, so it becomes
    ``workload.in_flight_budget`` in bytes."""
    if "workload" in manifest or "executor_memory" not in manifest:
        return manifest
    upgraded: dict[str, Any] = {
        "workload": {
            "app": manifest.get("app"),
            BUDGET_FIELD: jvm_memory_bytes(manifest.get("executor_memory")),
        },
        "config": {
            "batch_interval_ms": manifest.get("batch_interval_ms"),
            "backpressure": {"enabled": manifest.get("backpressure")},
        },
    }
    if "source_folder" in manifest:
        upgraded["source_folder"] = manifest["source_folder"]
    return upgraded


@dataclass(frozen=True)
class SkippedRun:
    name: str
    reason: str


def display_name(run_dir: Path) -> str:
    return f"{run_dir.parent.name}/{run_dir.name}"


def read_json(path: Path) -> dict[str, Any]:
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
    if version not in READABLE_SCHEMA_VERSIONS:
        readable = ", ".join(map(str, READABLE_SCHEMA_VERSIONS))
        raise ValueError(f"{path.name} has schema_version {version!r}; this version reads {readable}")
    return data


def _read_optional_json(path: Path, notes: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        notes.append(f"{path.name} could not be read: {exc}")
        return None
    return data if isinstance(data, dict) else None


def _read_events(path: Path, notes: list[str]) -> list[dict[str, Any]]:
    """The events the report uses (failure evidence); a bad line is skipped, not fatal."""
    if not path.is_file():
        return []
    events = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        notes.append(f"{path.name} could not be read: {exc}")
        return []
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and event.get("kind") == "failure_evidence":
            events.append(event)
    return events


def load_run(run_dir: Path) -> Run | SkippedRun:
    if not (run_dir / "COMPLETE").exists():
        return SkippedRun(display_name(run_dir), "no COMPLETE marker")
    try:
        spec = read_json(run_dir / "spec.json")
        summary = read_json(run_dir / "summary.json")
    except ValueError as exc:
        return SkippedRun(display_name(run_dir), str(exc))
    notes: list[str] = []
    statistics = _read_optional_json(run_dir / "artifact_statistics.json", notes)
    events = _read_events(run_dir / "events.jsonl", notes)
    return Run(run_dir, spec, summary, statistics, events, notes)


def one_schema_version(runs: Sequence[Run]) -> tuple[list[Run], list[SkippedRun]]:
    """The runs of the newest schema version among ``runs``, and the others as left out: outcomes
    written by different versions follow different rules, so one report never mixes them."""
    newest = max((run.summary.get("schema_version", 0) for run in runs), default=0)
    kept = [run for run in runs if run.summary.get("schema_version") == newest]
    left_out = [
        SkippedRun(
            display_name(run.path),
            f"schema_version {run.summary.get('schema_version')} beside runs of version {newest}, whose "
            "outcomes follow another rule; report its folder on its own",
        )
        for run in runs
        if run.summary.get("schema_version") != newest
    ]
    return kept, left_out


def read_table(path: Path, columns: Sequence[str], notes: list[str]) -> pd.DataFrame:
    """The named columns of a Parquet file that it has; an empty frame when it is missing or damaged."""
    if not path.is_file():
        return pd.DataFrame()
    try:
        present = set(pq.read_schema(path).names)
        return pd.read_parquet(path, columns=[c for c in columns if c in present])
    except (OSError, ValueError, ArrowException) as exc:
        # A damaged file must not cost the whole report: say so in the run's section instead.
        notes.append(f"{path.name} could not be read: {exc}")
        return pd.DataFrame()


def load_tables(run: Run) -> dict[str, pd.DataFrame]:
    return {
        name: read_table(run.path / f"{name}.parquet", columns, run.notes)
        for name, columns in TABLE_COLUMNS.items()
    }


# ---------------------------------------------------------------------------------------------------------
# Numbers from the small files


def as_number(value: Any) -> float | None:
    """A finite int or float as float; None for null, NaN, booleans and anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def nested(mapping: dict[str, Any], key: str, sub: str) -> Any:
    group = mapping.get(key)
    return group.get(sub) if isinstance(group, dict) else None


def record_bytes(run: Run) -> int | None:
    """Bytes per record: ``8 + 4 x values`` for our artifact-layout records, ``event_bytes`` for JSON
    events, 9,600 for imported runs."""
    if run.imported:
        return ARTIFACT_RECORD_BYTES
    workload = run.manifest.get("workload") or {}
    if nested(workload, "records", "layout") == "json":
        return int(nested(workload, "records", "event_bytes") or DEFAULT_EVENT_BYTES)
    values = nested(workload, "records", "values")
    return 8 + 4 * int(values) if isinstance(values, int) and not isinstance(values, bool) else None


def executor_memory_bytes(run: Run) -> int | None:
    """The memory of the JVM that runs the tasks: the driver's in local topology, else an executor's.

    None for imported runs: the artifact's folder names give the queue's in-flight budget, not the
    executors' memory (about 174 GiB of heap each)."""
    if run.imported:
        return None
    spark = nested(run.manifest, "platform", "spark")
    if isinstance(spark, dict):
        key = "driver_memory" if spark.get("topology", "local") == "local" else "executor_memory"
        return jvm_memory_bytes(spark.get(key))
    return None


def in_flight_budget(run: Run) -> int | None:
    """The run's in-flight data budget in bytes: ``workload.in_flight_budget`` of its manifest (ours,
    or an imported run's qosmax; older imports' ``executor_memory`` is read as the budget it was)."""
    value = nested(run.manifest, "workload", BUDGET_FIELD)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def app_name(run: Run) -> str | None:
    """A built-in app's name; the user's own app by its script's file name or its main class."""
    manifest = run.manifest
    app = nested(manifest, "workload", "app") if isinstance(manifest.get("workload"), dict) else None
    app = app or manifest.get("app")
    if isinstance(app, dict):
        app = Path(str(app["script"])).name if app.get("script") else app.get("main_class")
    return str(app) if app else None


# The paper's apps as the original artifact names them too (``GlobalSUMServer``), folded to lower case.
_PAPER_APPS_STATEFUL = {"statelesssum": False, "sum": True, "globalsum": True, "globalhistogram": True}


def is_stateful(app: str | None) -> bool | None:
    """Whether the app keeps state across batches; None for an app the harness does not know."""
    if not app:
        return None
    if app in BUILTIN_APPS:
        return BUILTIN_APPS[app].stateful
    return _PAPER_APPS_STATEFUL.get(app.replace("_", "").lower().removesuffix("server"))


def backpressure(run: Run) -> bool | None:
    value = run.summary.get("backpressure")
    if isinstance(value, bool):
        return value
    config = run.manifest.get("config")
    settings = config.get("backpressure") if isinstance(config, dict) else None
    enabled = settings.get("enabled") if isinstance(settings, dict) else None
    return enabled if isinstance(enabled, bool) else None


def controller_kind(run: Run) -> str:
    """The rate controller's kind (``config.backpressure.controller.kind``): ``spark``, Spark's built-in
    PID, when the manifest names none."""
    config = run.manifest.get("config")
    settings = config.get("backpressure") if isinstance(config, dict) else None
    kind = nested(settings, "controller", "kind") if isinstance(settings, dict) else None
    return kind if isinstance(kind, str) and kind else "spark"


def window_size(run: Run) -> float | None:
    """A window app's ``workload.window.size`` (tuples per key, or seconds for the time windows)."""
    workload = run.manifest.get("workload")
    return as_number(nested(workload, "window", "size")) if isinstance(workload, dict) else None


def pressure_axis(run: Run) -> str | None:
    """What ``pressure_level`` measures for this run: ``BUDGET_AXIS`` when it has an in-flight budget,
    ``INTENSITY_AXIS`` when it has the numbers for one, else None."""
    if in_flight_budget(run):
        return BUDGET_AXIS
    return INTENSITY_AXIS if _intensity(run) is not None else None


def _intensity(run: Run) -> float | None:
    rate = as_number(run.summary.get("target_rate_rps"))
    size = record_bytes(run)
    memory = executor_memory_bytes(run)
    if not rate or not size or not memory:
        return None
    return rate * size / memory


def pressure_level(run: Run) -> float | None:
    """The run's place on the pressure axis, from light to data-intensive.

    The paper's pressure dimension is the message queue's in-flight data budget (``qosmax``: how much
    data may be forwarded to Spark and not yet processed, the 5 to 45 GB of the original result
    folders): a run with one (``workload.in_flight_budget``, ours or imported) is at its budget in
    bytes. A run without one is at its data intensity: bytes of input per second (target rate x
    record size) per byte of task memory. ``pressure_axis`` says which; levels of the two axes are
    never compared with each other.
    """
    budget = in_flight_budget(run)
    return float(budget) if budget else _intensity(run)


def pressure_text(run: Run) -> str | None:
    """The pressure level as the report shows it: ``in-flight budget 20 GiB`` or
    ``1.03 MB/s per GiB of task memory``; None when unknown."""
    level, axis = pressure_level(run), pressure_axis(run)
    return None if level is None or axis is None else format_pressure(level, axis)


def repetition(run: Run) -> int | None:
    match = _REPETITION.search(run.run_id)
    return int(match.group(1)) if match else None


# ---------------------------------------------------------------------------------------------------------
# Configurations


# A simulated run's configuration has this setting too, so it is never a repetition of a measured one.
SIMULATED_FIELD = "simulated"


def configuration_settings(run: Run) -> dict[str, Any]:
    settings = {k: v for k, v in run.manifest.items() if k not in IDENTITY_FIELDS}
    return {**settings, SIMULATED_FIELD: True} if run.simulated else settings


def configuration_key(run: Run) -> str:
    """Runs that differ only by repetition (or by name and description) share this key."""
    settings = configuration_settings(run)
    group = IMPORTED_GROUP if run.imported else OURS_GROUP
    return group + ":" + json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str)


def format_setting(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def differing_fields(settings: Sequence[dict[str, Any]]) -> list[str]:
    """Dotted paths whose value is not the same in every configuration (absent counts as a value)."""
    flats = [flatten(s) for s in settings]
    paths = sorted({path for flat in flats for path in flat})
    absent = "\0absent"
    return [
        path
        for path in paths
        if path.split(".")[-1] not in LABEL_NOISE
        and len({format_setting(flat[path]) if path in flat else absent for flat in flats}) > 1
    ]


def short_names(paths: Sequence[str]) -> dict[str, str]:
    """Readable names for dotted paths: the top-level section dropped, then leading parts dropped
    while the rest stays unique and, unless it is one specific snake_case word, two parts long."""
    stripped = {path: path.split(".")[1:] or path.split(".") for path in paths}
    names = {}
    for path, parts in stripped.items():
        others = [p for q, p in stripped.items() if q != path]
        chosen = parts
        for start in range(1, len(parts)):
            candidate = parts[start:]
            specific = len(candidate) >= 2 or "_" in candidate[0]
            unique = not any(o[-len(candidate) :] == candidate for o in others)
            if not (specific and unique):
                break
            chosen = candidate
        names[path] = ".".join(chosen)
    return names


def _sort_value(value: Any) -> tuple[int, float, str]:
    if isinstance(value, bool):
        return (0, float(value), "")
    if isinstance(value, int | float):
        return (1, float(value), "")
    size = jvm_memory_bytes(value)
    if size is not None:
        return (1, float(size), "")
    if value is None:
        return (3, 0.0, "")
    return (2, 0.0, format_setting(value))


@dataclass
class Configuration:
    key: str
    group: str
    settings: dict[str, Any]
    runs: list[Run]
    label: str = ""
    fields: list[tuple[str, str]] = field(default_factory=list)
    anchor: str = ""
    index: int = 0

    @property
    def imported(self) -> bool:
        return self.group == IMPORTED_GROUP

    @property
    def experiments(self) -> list[str]:
        return sorted({run.experiment for run in self.runs})


def _ordered_runs(runs: Iterable[Run]) -> list[Run]:
    return sorted(runs, key=lambda r: (repetition(r) is None, repetition(r) or 0, r.run_id, str(r.path)))


def group_configurations(runs: Sequence[Run]) -> list[Configuration]:
    """Configurations, ours first then imported, each ordered by the values of its differing fields."""
    by_key: dict[str, Configuration] = {}
    for run in runs:
        key = configuration_key(run)
        if key not in by_key:
            group = IMPORTED_GROUP if run.imported else OURS_GROUP
            by_key[key] = Configuration(key, group, configuration_settings(run), [])
        by_key[key].runs.append(run)
    ordered: list[Configuration] = []
    for group in (OURS_GROUP, IMPORTED_GROUP):
        members = [c for c in by_key.values() if c.group == group]
        ordered.extend(_label_group(members))
    for index, config in enumerate(ordered, start=1):
        config.index = index
        config.anchor = f"config-{index}"
        config.runs = _ordered_runs(config.runs)
    return ordered


def label_field(path: str, name: str, value: Any, present: bool) -> tuple[str, str]:
    """One (name, value) of a configuration's label; a budget reads ``in-flight budget=20 GiB``."""
    if path == SIMULATED_FIELD:
        return name, "true" if present else "false"
    if path.split(".")[-1] != BUDGET_FIELD:
        return name, format_setting(value) if present else MISSING
    size = as_number(value)
    return BUDGET_LABEL, format_bytes(size) if size else format_setting(value) if present else MISSING


def _label_group(configs: list[Configuration]) -> list[Configuration]:
    paths = differing_fields([c.settings for c in configs])
    names = short_names(paths)
    for config in configs:
        flat = flatten(config.settings)
        config.fields = [label_field(p, names[p], flat.get(p), p in flat) for p in paths]
        if config.fields:
            config.label = ", ".join(f"{name}={value}" for name, value in config.fields)
        elif config.imported:
            config.label = ", ".join(sorted({r.run_id for r in config.runs}))
        else:
            config.label = ", ".join(config.experiments)

    def order(config: Configuration) -> tuple[Any, ...]:
        flat = flatten(config.settings)
        return tuple(_sort_value(flat.get(p)) for p in paths) + (config.label,)

    return sorted(configs, key=order)
