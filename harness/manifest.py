"""Experiment manifests: the YAML schema, loading with clear errors, and expansion into runs.

A manifest keeps three things apart: the platform (backend, Spark topology and sizes, Kafka), the
workload (app, pressure, records, duration) and the configuration under test (batch interval,
backpressure and its PID, any ``spark.*`` key).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from apps import APP_JVM_CLASSES, APP_SCRIPTS, COUNT_WINDOW_APPS, TIME_WINDOW_APPS, WINDOW_APPS
from generators.profiles import BASE_DIR_CONTEXT, PROFILE_NAMES, Profile
from harness.errors import UsageError

SCHEMA_VERSION = 1
_MEMORY_RE = re.compile(r"^[1-9][0-9]*[kmgt]$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def jvm_memory_bytes(value: str) -> int:
    """A JVM memory size (``512m``, ``2g``) in bytes."""
    return int(value[:-1]) << {"k": 10, "m": 20, "g": 30, "t": 40}[value[-1].lower()]


def _memory(value: str) -> str:
    if not _MEMORY_RE.match(value):
        raise ValueError("a JVM memory size such as 512m or 2g")
    return value.lower()


class SparkPlatform(Strict):
    topology: Literal["local", "standalone"] = "local"
    cores: PositiveInt = 2
    driver_memory: str = "1g"
    executor_memory: str = "1g"

    _check_memory = field_validator("driver_memory", "executor_memory")(_memory)


class KafkaPlatform(Strict):
    partitions: PositiveInt = 2


class Platform(Strict):
    backend: Literal["local"] = "local"
    spark: SparkPlatform = SparkPlatform()
    kafka: KafkaPlatform = KafkaPlatform()


class ArtifactRecords(Strict):
    layout: Literal["artifact"] = "artifact"
    values: PositiveInt = Field(
        256, description="float32 values per record (record size 8 + 4 x values bytes)"
    )
    ranks: PositiveInt = Field(4, description="record i has rank i mod ranks")
    steps: PositiveInt | None = Field(
        None, description="record i has step (i div ranks) mod steps; unbounded when absent (every key new)"
    )


class Window(Strict):
    """The window apps' window (apps/window_apps.py): a tuple is one record, keyed by its rank."""

    size: PositiveFloat = Field(
        description="count windows: tuples per key (whole); time windows: seconds, a multiple of the "
        "batch interval"
    )
    slide: PositiveFloat | None = Field(
        None,
        description="sliding windows: tuples per key (count) or seconds, a multiple of the batch interval "
        "(time), > 0; none for the tumbling window (its slide is its size)",
    )
    k: PositiveInt | None = Field(None, description="time_sliding_topk: how many keys it reports, > 0")
    checkpoint_interval_batches: PositiveInt = Field(
        10, description="the window state (a DStream) is checkpointed every this many batches"
    )


class Workload(Strict):
    app: str = Field(
        "stateless_sum",
        description="stateless_sum, sum, global_sum or global_histogram (the paper's); count_sliding_window, "
        "count_tumbling_window, time_sliding_window or time_sliding_topk (GOVERNOR's window operators)",
    )
    impl: Literal["python", "jvm"] = Field(
        "python", description="PySpark, or the Java port (Python serialization changes the memory profile)"
    )
    state_timeout_s: PositiveFloat = Field(20.0, description="stateful apps: an idle key leaves the state")
    source: Literal["direct", "receiver", "socket"] = Field(
        "direct",
        description="direct Kafka stream; receivers rate-limited by Spark's BlockGenerator; or socket: "
        "Spark's plain socket receiver (one, also rate-limited) reading lines from the harness's line server",
    )
    receivers: PositiveInt = Field(
        1, description="receivers (source: receiver; socket has one); each holds one core"
    )
    duration_s: PositiveFloat = 60.0
    generator: Profile
    records: ArtifactRecords = ArtifactRecords()
    window: Window | None = Field(
        None, description="the window apps' window (required for them, refused for the others)"
    )
    seed: int = 1

    @field_validator("app")
    @classmethod
    def _known_app(cls, app: str) -> str:
        if app not in APP_SCRIPTS:
            raise ValueError(f"unknown app {app!r}; one of {', '.join(sorted(APP_SCRIPTS))}")
        return app


class PID(Strict):
    proportional: Annotated[float, Field(ge=0)] = 1.0
    integral: Annotated[float, Field(ge=0)] = 0.2
    derived: Annotated[float, Field(ge=0)] = 0.0
    min_rate: PositiveFloat = 100.0


class Backpressure(Strict):
    enabled: bool = True
    initial_rate: PositiveInt | None = Field(None, description="spark.streaming.backpressure.initialRate")
    max_rate_per_partition: PositiveInt | None = Field(
        None, description="spark.streaming.kafka.maxRatePerPartition (direct)"
    )
    max_rate: PositiveInt | None = Field(None, description="spark.streaming.receiver.maxRate (receiver)")
    pid: PID = PID()


class Config(Strict):
    batch_interval_ms: PositiveInt = 2000
    block_interval_ms: PositiveInt | None = Field(
        None, description="spark.streaming.blockInterval (receiver)"
    )
    backpressure: Backpressure = Backpressure()
    spark_conf: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("spark_conf")
    @classmethod
    def _spark_keys(cls, conf: dict[str, Any]) -> dict[str, Any]:
        for key in conf:
            if not key.startswith("spark."):
                raise ValueError(f"key {key!r} is not a Spark setting (must start with 'spark.')")
        return conf


class RunControl(Strict):
    drain_timeout_s: PositiveFloat = 120.0
    poll_interval_s: PositiveFloat = 1.0
    warmup_s: Annotated[float, Field(ge=0)] = 0.0


class Manifest(Strict):
    name: str
    description: str = ""
    platform: Platform = Platform()
    workload: Workload
    config: Config = Config()
    run: RunControl = RunControl()

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _NAME_RE.match(name):
            raise ValueError("letters, digits, '.', '_' and '-' only, starting with a letter or digit")
        return name

    @model_validator(mode="after")
    def _implementation_exists(self) -> Manifest:
        workload = self.workload
        if workload.impl == "jvm" and workload.app not in APP_JVM_CLASSES:
            raise ValueError(f"workload.impl: {workload.app} has no JVM implementation")
        return self

    @model_validator(mode="after")
    def _window_fits_the_app(self) -> Manifest:
        problems = window_problems(self.workload, self.config.batch_interval_ms)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _socket_source(self) -> Manifest:
        workload = self.workload
        if workload.source == "socket" and workload.receivers != 1:
            raise ValueError(f"workload.receivers ({workload.receivers}): the socket source has one receiver")
        if workload.source == "socket" and workload.impl == "jvm":
            raise ValueError("workload.source: socket is for the PySpark apps (impl: python)")
        return self

    @model_validator(mode="after")
    def _cores_for_receivers(self) -> Manifest:
        receiving = self.workload.source in ("receiver", "socket")
        if receiving and self.platform.spark.cores <= self.workload.receivers:
            raise ValueError(
                f"platform.spark.cores ({self.platform.spark.cores}) must exceed workload.receivers "
                f"({self.workload.receivers}): each receiver holds a core, and batches need one more"
            )
        return self

    @model_validator(mode="after")
    def _warmup_within_load(self) -> Manifest:
        if self.run.warmup_s >= self.workload.duration_s:
            raise ValueError(
                f"run.warmup_s ({self.run.warmup_s:g}) must be shorter than workload.duration_s "
                f"({self.workload.duration_s:g})"
            )
        return self


def window_problems(workload: Workload, batch_interval_ms: int) -> list[str]:
    """What is wrong with the workload's window for its app, each naming its field."""
    app, window = workload.app, workload.window
    if app not in WINDOW_APPS:
        return [f"workload.window: {app} has no window (only {', '.join(WINDOW_APPS)})"] if window else []
    if window is None:
        return [f"workload.window: {app} needs a window (size, and slide for the sliding windows)"]
    problems = []
    if app == "count_tumbling_window" and window.slide is not None:
        problems.append("workload.window.slide: the tumbling window has none (its slide is its size)")
    if app != "count_tumbling_window" and window.slide is None:
        problems.append(f"workload.window.slide: {app} needs a slide")
    if app == "time_sliding_topk" and window.k is None:
        problems.append("workload.window.k: time_sliding_topk needs k, how many keys it reports")
    if app != "time_sliding_topk" and window.k is not None:
        problems.append(f"workload.window.k: only time_sliding_topk has a k, not {app}")
    if window.k is not None and window.k > workload.records.ranks:
        problems.append(
            f"workload.window.k ({window.k}) exceeds the keys there are (workload.records.ranks: "
            f"{workload.records.ranks})"
        )
    if app in COUNT_WINDOW_APPS:
        problems += _count_window_problems(workload, window)
    if app in TIME_WINDOW_APPS:
        problems += _time_window_problems(workload, window, batch_interval_ms)
    return problems


def _count_window_problems(workload: Workload, window: Window) -> list[str]:
    problems = [
        f"workload.window.{name}: a whole number of tuples, not {value:g}"
        for name, value in (("size", window.size), ("slide", window.slide))
        if value is not None and not float(value).is_integer()
    ]
    per_key = workload.generator.total_records(workload.duration_s) // workload.records.ranks
    if window.size > per_key:
        problems.append(
            f"workload.window.size ({window.size:g} tuples) is longer than the run: each of the "
            f"{workload.records.ranks} keys gets about {per_key:g} tuples in workload.duration_s"
        )
    return problems


def _time_window_problems(workload: Workload, window: Window, batch_interval_ms: int) -> list[str]:
    problems = []
    for name, seconds in (("size", window.size), ("slide", window.slide)):
        if seconds is not None and round(seconds * 1000) % batch_interval_ms:
            problems.append(
                f"workload.window.{name} ({seconds:g} s) must be a multiple of config.batch_interval_ms "
                f"({batch_interval_ms} ms), as Spark requires"
            )
    if window.slide is not None and window.slide > window.size:
        problems.append(
            f"workload.window.slide ({window.slide:g} s) is longer than the window ({window.size:g} s)"
        )
    checkpoint_ms = window.checkpoint_interval_batches * batch_interval_ms
    if window.slide is not None and checkpoint_ms % round(window.slide * 1000):
        problems.append(
            f"workload.window.checkpoint_interval_batches ({window.checkpoint_interval_batches} batches, "
            f"{checkpoint_ms} ms) must be a multiple of the slide ({window.slide:g} s), as Spark requires"
        )
    if window.size > workload.duration_s:
        problems.append(
            f"workload.window.size ({window.size:g} s) is longer than the run "
            f"(workload.duration_s: {workload.duration_s:g})"
        )
    return problems


class RunSpec(BaseModel):
    """One run: a matrix cell's settings fully resolved, one repetition, with a stable id."""

    model_config = ConfigDict(frozen=True)

    experiment: str
    run_id: str
    manifest: Manifest
    cell: dict[str, Any]
    repetition: int
    repetitions: int
    source_file: str


def _field_path(location: tuple[Any, ...]) -> str:
    # pydantic puts the chosen profile's tag in the path (generator.burst.rate): users wrote generator.rate.
    parts = [
        str(part)
        for i, part in enumerate(location)
        if not (i > 0 and location[i - 1] == "generator" and part in PROFILE_NAMES)
    ]
    return ".".join(parts)


def _model_at(path: list[str]) -> type[BaseModel] | None:
    """The schema model that the keys at ``path`` belong to, where the path leads to one."""
    model: type[BaseModel] = Manifest
    for part in path:
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _describe(error: dict[str, Any], path: str) -> str:
    if error["type"] == "extra_forbidden":
        parent = _model_at(path.split(".")[:-1])
        close = difflib.get_close_matches(
            path.split(".")[-1], list(parent.model_fields) if parent else [], n=1
        )
        return f"unknown key (did you mean {close[0]!r}?)" if close else "unknown key"
    # The pressure profile is the manifest's one tagged union.
    if error["type"] == "union_tag_not_found":
        return f"needs `profile:`, one of {', '.join(PROFILE_NAMES)}"
    if error["type"] == "union_tag_invalid":
        return f"unknown profile {error['ctx']['tag']!r}; one of {', '.join(PROFILE_NAMES)}"
    return error["msg"].removeprefix("Value error, ")


def _errors(exc: ValidationError, source: str, matrix_keys: Iterable[str] = ()) -> list[str]:
    lines = []
    for error in exc.errors():
        path = _field_path(error["loc"])
        shown = f"matrix.{path}" if any(path == k or path.startswith(k + ".") for k in matrix_keys) else path
        # A rule over several fields (a model validator) names them in its message.
        lines.append(
            f"{source}: {shown}: {_describe(error, path)}" if path else f"{source}: {_describe(error, path)}"
        )
    return lines


def parse_manifest(data: Any, source: str, base_dir: Path | None = None) -> Manifest:
    """Validate one run's settings (no matrix); files they name resolve against ``base_dir``."""
    if not isinstance(data, dict) or "matrix" in data or "repetitions" in data:
        raise UsageError(f"{source}: one run's settings: a mapping without matrix or repetitions")
    return expand_data(data, source, base_dir)[0].manifest


def read_manifest_data(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such manifest") from None
    except (IsADirectoryError, UnicodeDecodeError, PermissionError) as exc:
        raise UsageError(f"{path}: cannot read manifest ({exc.__class__.__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UsageError(f"{path}: not valid YAML{where}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: a manifest must be a mapping of keys to values")
    return data


def run_id_for(manifest: Manifest, repetition: int = 1) -> str:
    """A stable id: the hash of everything that defines the run (not its name or description), and
    the repetition."""
    resolved = manifest.model_dump(mode="json", exclude={"name", "description"})
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"))
    return f"{hashlib.sha256(canonical.encode()).hexdigest()[:12]}-r{repetition}"


def _matrix(data: dict[str, Any], source: str) -> tuple[dict[str, list[Any]], int]:
    matrix = data.pop("matrix", None) or {}
    repetitions = data.pop("repetitions", 1)
    problems = []
    if not isinstance(matrix, dict):
        problems.append(f"{source}: matrix: a mapping of dotted field paths to lists of values")
        matrix = {}
    for key, values in matrix.items():
        if not isinstance(key, str) or not key:
            problems.append(f"{source}: matrix: keys are dotted field paths such as config.batch_interval_ms")
        elif not isinstance(values, list) or not values:
            problems.append(f"{source}: matrix.{key}: a non-empty list of values")
        elif key.split(".")[0] in ("name", "description"):
            problems.append(f"{source}: matrix.{key}: the name and description cannot vary")
    if isinstance(repetitions, bool) or not isinstance(repetitions, int) or repetitions < 1:
        problems.append(f"{source}: repetitions: a whole number of at least 1")
    if problems:
        raise UsageError("\n".join(problems))
    return matrix, repetitions


def _set_path(data: dict[str, Any], key: str, value: Any, source: str) -> None:
    *parents, leaf = key.split(".")
    node = data
    for part in parents:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise UsageError(f"{source}: matrix.{key}: {part} is not a section")
        node = child
    node[leaf] = value


def expand_data(data: Any, source: str, base_dir: Path | None = None) -> list[RunSpec]:
    """Every run of a manifest: the matrix's cartesian product, each cell repeated."""
    data = copy.deepcopy(data)
    matrix, repetitions = _matrix(data, source)
    cells = [dict(zip(matrix, values, strict=True)) for values in itertools.product(*matrix.values())]
    context = {BASE_DIR_CONTEXT: base_dir or Path.cwd()}
    specs, problems = [], []
    for cell in cells:
        cell_data = copy.deepcopy(data)
        for key, value in cell.items():
            _set_path(cell_data, key, value, source)
        try:
            manifest = Manifest.model_validate(cell_data, context=context)
        except ValidationError as exc:
            problems.extend(line for line in _errors(exc, source, matrix) if line not in problems)
            continue
        for repetition in range(1, repetitions + 1):
            specs.append(
                RunSpec(
                    experiment=manifest.name,
                    run_id=run_id_for(manifest, repetition),
                    manifest=manifest,
                    cell=cell,
                    repetition=repetition,
                    repetitions=repetitions,
                    source_file=source,
                )
            )
    if problems:
        raise UsageError("\n".join(problems))
    return specs


def load_experiment(path: Path) -> list[RunSpec]:
    """Read a manifest and expand it into its runs; UsageError names the file and every bad field."""
    return expand_data(read_manifest_data(path), str(path), path.parent)
