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
import math
import re
import typing
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from apps import BUILTIN_APPS, RECEIVER_STORAGE_LEVELS, BuiltinApp, apps_where, python_controller
from apps.records import DEFAULT_EVENT_BYTES, MIN_EVENT_BYTES
from generators.profiles import BASE_DIR_CONTEXT, PROFILE_NAMES, Profile
from harness.errors import UsageError
from harness.results import units as results_units
from harness.spec.faults import Fault, schedule_problems

SCHEMA_VERSION = 1
_GC_FLAG_RE = re.compile(r"-XX:\+Use\w*GC\b")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def jvm_memory_bytes(value: str) -> int:
    """A JVM memory size the manifest already validated (``512m``, ``2g``), in bytes."""
    size = results_units.jvm_memory_bytes(value)
    if size is None:
        raise ValueError(f"{value!r} is not a JVM memory size such as 512m or 2g")
    return size


_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KiB|MiB|GiB|TiB)?\s*$")
_SIZE_UNITS = {None: 1, "B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}


def data_size_bytes(value: object) -> int:
    """A data size in bytes: a whole number of bytes, or a number with an IEC unit (``64MiB``, ``1.5GiB``)."""
    if isinstance(value, bool):
        raise ValueError("a size such as 64MiB or 2GiB, or a number of bytes")
    if isinstance(value, int):
        number: float = value
    else:
        match = _SIZE_RE.match(str(value))
        if not match:
            raise ValueError(
                f"{value!r} is not a size: a number of bytes or one with B, KiB, MiB, GiB or TiB "
                "(such as 64MiB; the original's '20 GB' were 20GiB)"
            )
        number = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
    if number < 1 or number != int(number):
        raise ValueError(f"{value!r}: a positive whole number of bytes")
    return int(number)


def _memory(value: str) -> str:
    if results_units.jvm_memory_bytes(value) is None:
        raise ValueError("a JVM memory size such as 512m or 2g")
    return value.lower()


# The default time limit's allowance for starting the app and stopping it, beyond load and drain.
RUN_MARGIN_S = 600.0


class SparkPlatform(Strict):
    topology: Literal["local", "standalone"] = "local"
    cores: PositiveInt = 2
    driver_memory: str = "1g"
    executor_memory: str = "1g"

    _check_memory = field_validator("driver_memory", "executor_memory")(_memory)


class KafkaPlatform(Strict):
    partitions: PositiveInt = 2


# Set by the harness for every client it makes; a client config may not change them.
_RESERVED_CLIENT_KEYS = ("bootstrap.servers", "group.id")


def _client_config(config: dict[str, str]) -> dict[str, str]:
    for key in config:
        if key in _RESERVED_CLIENT_KEYS:
            raise ValueError(f"{key!r} is set by the harness, not here")
    return config


class ExternalKafka(Strict):
    bootstrap_servers: str = Field(
        description="the existing cluster's brokers, host:port[,host:port...], as this machine reaches them"
    )
    client_config: dict[str, str] = Field(
        default_factory=dict,
        description="librdkafka properties (security.protocol, sasl.*, ssl.*) for the harness's producer, "
        "admin and offset reader",
    )
    app_client_config: dict[str, str] = Field(
        default_factory=dict,
        description="Java kafka-clients properties (security.protocol, sasl.jaas.config, ssl.truststore.*) "
        "for the app's consumers on the driver and the executors",
    )

    _check_client = field_validator("client_config", "app_client_config")(_client_config)

    @field_validator("bootstrap_servers")
    @classmethod
    def _servers(cls, servers: str) -> str:
        for server in servers.split(","):
            host, _, port = server.strip().rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{server.strip()!r} is not host:port")
        return servers


class ExternalSpark(Strict):
    master: str = Field(description="spark://host:port, k8s://https://host:port or yarn")
    driver_host: str = Field(
        "127.0.0.1",
        description="the address of this machine that the executors reach the driver at (spark.driver.host)",
    )

    @field_validator("master")
    @classmethod
    def _master(cls, master: str) -> str:
        if not (master.startswith(("spark://", "k8s://")) or master == "yarn"):
            raise ValueError("spark://host:port, k8s://https://host:port or yarn")
        return master


class ExternalPlatform(Strict):
    kafka: ExternalKafka
    spark: ExternalSpark


class ComposePlatform(Strict):
    workers: PositiveInt = Field(
        1, description="Spark worker containers, each with platform.spark.cores cores"
    )
    worker_memory_limit: str | None = Field(
        None,
        description="each worker container's memory limit; default platform.spark.executor_memory + 1g; "
        "the kernel kills an executor beyond it (outcome oom, OOMKilled), a limit below the heap included",
    )
    kafka_brokers: Literal[1, 3] = Field(1, description="1, or 3 for the three-broker profile")
    kafka_memory_limit: str = Field(
        "2g", description="each broker container's memory limit (more than the broker's 1g heap)"
    )

    @field_validator("worker_memory_limit", "kafka_memory_limit")
    @classmethod
    def _limit(cls, value: str | None) -> str | None:
        return None if value is None else _memory(value)

    @field_validator("kafka_memory_limit")
    @classmethod
    def _above_broker_heap(cls, value: str) -> str:
        if jvm_memory_bytes(value) <= 1 << 30:
            raise ValueError("more than the broker's 1g heap, such as 2g")
        return value


class Platform(Strict):
    # One of harness.platform.BACKENDS (checked below; the reference lists them from there).
    backend: str = Field("local", json_schema_extra={"choices": "backends"})
    spark: SparkPlatform = SparkPlatform()
    kafka: KafkaPlatform = KafkaPlatform()
    compose: ComposePlatform | None = Field(
        None, description="backend compose: container sizes (defaults as below when absent)"
    )
    external: ExternalPlatform | None = Field(
        None, description="backend external: the existing cluster's addresses"
    )

    @field_validator("backend")
    @classmethod
    def _registered_backend(cls, value: str) -> str:
        # Imported here: the backends import this module (a lazy import makes no cycle).
        from harness.platform import BACKENDS

        if value not in BACKENDS:
            raise ValueError(f"unknown backend {value!r}; choose one of {', '.join(BACKENDS)}")
        return value

    @model_validator(mode="after")
    def _external_addresses(self) -> Platform:
        if self.backend == "external" and self.external is None:
            raise ValueError(
                "backend external needs platform.external with the cluster's addresses "
                "(kafka.bootstrap_servers and spark.master)"
            )
        if self.backend != "external" and self.external is not None:
            raise ValueError(f"platform.external is only for backend external (backend is {self.backend})")
        return self

    def compose_settings(self) -> ComposePlatform:
        return self.compose or ComposePlatform()

    def worker_memory_limit(self) -> str:
        """The compose workers' container limit: as set, or the executor heap plus 1 GiB."""
        if self.compose_settings().worker_memory_limit is not None:
            return self.compose_settings().worker_memory_limit
        return f"{(jvm_memory_bytes(self.spark.executor_memory) >> 20) + 1024}m"


class KeySkew(Strict):
    distribution: Literal["zipf"] = Field(
        "zipf", description="key k (0 the hottest) drawn with probability proportional to (k + 1)^-exponent"
    )
    exponent: PositiveFloat = Field(1.0, description="Zipf exponent s; larger is more skewed")


class ExpensiveShare(Strict):
    from_s: Annotated[float, Field(ge=0)] = Field(description="seconds from the start of the load")
    share: Annotated[float, Field(ge=0, le=1)] = Field(description="share of expensive records from then on")


class CostShift(Strict):
    cost_factor: Annotated[int, Field(ge=2)] = Field(
        20, description="an expensive record costs the apps this many times the work of a plain one"
    )
    shares: list[ExpensiveShare] = Field(
        min_length=1,
        description="the share of expensive records from each time on; the first from 0 s, times increasing",
    )

    @field_validator("shares")
    @classmethod
    def _times(cls, shares: list[ExpensiveShare]) -> list[ExpensiveShare]:
        if shares[0].from_s != 0:
            raise ValueError("the first share must start at from_s: 0")
        for earlier, later in itertools.pairwise(shares):
            if later.from_s <= earlier.from_s:
                raise ValueError(f"from_s must increase ({later.from_s:g} after {earlier.from_s:g})")
        return shares


class Records(Strict):
    layout: Literal["artifact", "json"] = Field(
        "artifact",
        description="artifact: int32 rank, int32 step, values x float32 (LE); json: sensor events "
        "keyed by sensor (Python apps only)",
    )
    values: PositiveInt = Field(
        256, description="artifact: float32 values per record (record size 8 + 4 x values bytes)"
    )
    ranks: PositiveInt = Field(
        4, description="keys: record i has rank (json: sensor) i mod ranks, or a Zipf draw with key_skew"
    )
    steps: PositiveInt | None = Field(
        None,
        description="artifact: record i has step (i div ranks) mod steps; unbounded when absent",
    )
    event_bytes: int | None = Field(
        None,
        description=f"json: bytes per event, padded (>= {MIN_EVENT_BYTES}; default {DEFAULT_EVENT_BYTES})",
    )
    key_skew: KeySkew | None = Field(None, description="hot keys: ranks (sensors) drawn from a Zipf law")
    cost_shift: CostShift | None = Field(
        None, description="expensive records, whose share changes over the load at a constant rate"
    )

    # Field validators run on the fields a manifest gives, after ``layout`` (declared first).
    @field_validator("values", "steps")
    @classmethod
    def _artifact_only(cls, value: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("layout") == "json":
            raise ValueError("artifact layout only: a json event has one reading (size: event_bytes)")
        return value

    @field_validator("event_bytes")
    @classmethod
    def _event_size(cls, size: int | None, info: ValidationInfo) -> int | None:
        if info.data.get("layout") != "json" and size is not None:
            raise ValueError("json layout only: the artifact layout's size is set by values")
        if size is not None and size < MIN_EVENT_BYTES:
            raise ValueError(f"{size} bytes cannot hold an event's fields: at least {MIN_EVENT_BYTES}")
        return size

    @property
    def cost_factor(self) -> int:
        return self.cost_shift.cost_factor if self.cost_shift else 1


class Producer(Strict):
    processes: PositiveInt = Field(
        1,
        description="producer processes sharing the schedule (worker k sends records k, k + n, ...); "
        "more where one process cannot reach the rate",
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


def _existing_file(value: Path, info: ValidationInfo) -> Path:
    # Relative to the manifest's folder, as a trace profile's file (an absolute path stays as it is).
    base = info.context.get(BASE_DIR_CONTEXT) if isinstance(info.context, dict) else None
    path = (Path(base or Path.cwd()) / value.expanduser()).resolve()
    if not path.is_file():
        raise ValueError(f"no such file: {path}")
    return path


class OwnApp(Strict):
    """``workload.app: {script: PATH}`` or ``{jar: PATH, main_class: NAME}``: the user's own app
    (docs/own-app.md). Paths are relative to the manifest's folder."""

    script: Path | None = Field(None, description="your own app: a PySpark script (.py)")
    jar: Path | None = Field(None, description="your own app: a JVM app's jar ...")
    main_class: str | None = Field(
        None, description="... and its main class, which the jar must hold", validate_default=True
    )

    @field_validator("script")
    @classmethod
    def _script(cls, script: Path | None, info: ValidationInfo) -> Path | None:
        if script is None:
            return None
        if script.suffix != ".py":
            raise ValueError(f"a PySpark script ends in .py: {script}")
        return _existing_file(script, info)

    @field_validator("jar")
    @classmethod
    def _jar(cls, jar: Path | None, info: ValidationInfo) -> Path | None:
        if jar is None:
            return None
        path = _existing_file(jar, info)
        if not zipfile.is_zipfile(path):
            raise ValueError(f"not a jar (zip) file: {path}")
        return path

    @field_validator("main_class")
    @classmethod
    def _main_class(cls, main_class: str | None, info: ValidationInfo) -> str | None:
        jar = info.data.get("jar")
        if main_class is None:
            if jar is not None:
                raise ValueError("the jar's main class (such as com.example.MyApp), needed with jar")
            return None
        if jar is None:
            return main_class  # the model's check says what is missing
        entry = main_class.replace(".", "/") + ".class"
        with zipfile.ZipFile(jar) as archive:
            if entry not in archive.namelist():
                raise ValueError(f"{jar} has no class {main_class} (no entry {entry})")
        return main_class

    @model_validator(mode="after")
    def _one_kind(self) -> OwnApp:
        if self.script is not None and self.jar is not None:
            raise ValueError("either script (a PySpark app) or jar with main_class (a JVM app), not both")
        if self.script is None and self.jar is None:
            raise ValueError(
                "your own app needs script: PATH (a PySpark app) or jar: PATH with main_class: NAME "
                "(a JVM app)"
            )
        if self.script is not None and self.main_class is not None:
            raise ValueError("main_class goes with jar; a script has none")
        return self

    @property
    def impl(self) -> Literal["python", "jvm"]:
        return "jvm" if self.jar is not None else "python"

    @property
    def label(self) -> str:
        """A short name for logs and process names: the script's or the jar's file name."""
        return (self.script or self.jar or Path("own-app")).name


def _app_kind(value: Any) -> str:
    return "own" if isinstance(value, dict | OwnApp) else "name"


# A built-in app's name, or the user's own app: pydantic tags the error paths (workload.app.own.script),
# which _field_path leaves out.
AppChoice = Annotated[
    Union[Annotated[str, Tag("name")], Annotated[OwnApp, Tag("own")]],  # noqa: UP007 - tags need Union
    Discriminator(_app_kind),
]
_APP_TAGS = ("name", "own")


class Workload(Strict):
    app: AppChoice = Field(
        "stateless_sum",
        description="a built-in app: "
        + ", ".join(app.summary for app in BUILTIN_APPS.values())
        + "; or your own app: a mapping with script (PySpark), or with jar and main_class (JVM), paths "
        "relative to the manifest (docs/own-app.md)",
    )
    impl: Literal["python", "jvm"] = Field(
        "python", description="PySpark, or the Java port (Python serialization changes the memory profile)"
    )
    state_timeout_s: PositiveFloat = Field(20.0, description="stateful apps: an idle key leaves the state")
    source: Literal["direct", "receiver", "structured", "socket"] = Field(
        "direct",
        description="direct Kafka stream; receivers rate-limited by Spark's BlockGenerator; Structured "
        "Streaming's Kafka source (no adaptive controller; caps in config.structured; the paper's four apps "
        "in PySpark, state in Spark's state store, spark.sql.shuffle.partitions = the cores unless "
        "spark_conf sets it); or socket: Spark's plain socket receiver (one, also rate-limited) reading "
        "lines from the harness's line server",
    )
    receivers: PositiveInt = Field(
        1, description="receivers (source: receiver; socket has one); each holds one core"
    )
    duration_s: PositiveFloat = 60.0
    generator: Profile
    records: Records = Records()
    producer: Producer = Producer()
    window: Window | None = Field(
        None, description="the window apps' window (required for them, refused for the others)"
    )
    in_flight_budget: int | None = Field(
        None,
        description="source receiver: the receivers stop taking records from Kafka while the bytes they "
        "took less the bytes Spark processed exceed this (64MiB, 2GiB or bytes), as the original's message "
        "queue held back at its qosmax; absent: a record is taken only when Spark's block generator takes "
        "the one before",
    )
    report_state: bool = Field(
        False,
        description="stateful apps: scan the whole state every batch to report its size (the original "
        "does not; costs a pass over the state)",
    )
    seed: int = 1

    @field_validator("in_flight_budget", mode="before")
    @classmethod
    def _budget(cls, value: object) -> int | None:
        return None if value is None else data_size_bytes(value)

    @field_validator("app")
    @classmethod
    def _known_app(cls, app: str | OwnApp) -> str | OwnApp:
        if isinstance(app, str) and app not in BUILTIN_APPS:
            raise ValueError(
                f"unknown app {app!r}; one of {', '.join(sorted(BUILTIN_APPS))}, or your own "
                "({script: PATH} or {jar: PATH, main_class: NAME})"
            )
        return app

    @model_validator(mode="before")
    @classmethod
    def _own_apps_impl(cls, data: Any) -> Any:
        # An own app's kind is its impl; a manifest leaves impl out (a dumped one repeats it).
        app = data.get("app") if isinstance(data, dict) else None
        if isinstance(app, dict) and "impl" not in data:
            return {**data, "impl": "jvm" if app.get("jar") is not None else "python"}
        return data

    @model_validator(mode="after")
    def _impl_of_own_app(self) -> Workload:
        own = self.own_app
        if own is not None and self.impl != own.impl:
            field = "script (a PySpark app)" if own.impl == "python" else "jar (a JVM app)"
            raise ValueError(
                f"workload.impl: {self.impl} contradicts workload.app.{field}; leave impl out, your own "
                "app's kind decides"
            )
        return self

    @property
    def builtin_app(self) -> BuiltinApp | None:
        return BUILTIN_APPS.get(self.app) if isinstance(self.app, str) else None

    @property
    def own_app(self) -> OwnApp | None:
        return self.app if isinstance(self.app, OwnApp) else None

    @property
    def app_label(self) -> str:
        """The app's name, or the file name of the user's own."""
        return self.app if isinstance(self.app, str) else self.app.label


class PID(Strict):
    proportional: Annotated[float, Field(ge=0)] = 1.0
    integral: Annotated[float, Field(ge=0)] = 0.2
    derived: Annotated[float, Field(ge=0)] = 0.0
    min_rate: PositiveFloat = 100.0


class SparkController(Strict):
    """Spark's built-in PID backpressure, set by the ``pid`` keys (the default)."""

    kind: Literal["spark"] = "spark"


class PidController(Strict):
    """Spark's own PIDRateEstimator class, with the ``pid`` keys, driven through the plug-in path."""

    kind: Literal["pid"]


class FixedController(Strict):
    """A constant limit."""

    kind: Literal["fixed"]
    rate: PositiveFloat = Field(description="records/s for the whole input (each receiver, with receivers)")


class GovernorController(Strict):
    """GOVERNOR (Chen et al., ICAC 2017), checkpoint-aware (docs/controllers.md)."""

    kind: Literal["governor"]
    region_batches: Annotated[int, Field(ge=2)] | None = Field(
        None,
        description="batches from one checkpoint job to the next (default: the app's checkpoint interval; "
        "10 for a stateless app)",
    )
    min_job_records: PositiveInt = Field(5, description="records of a minimum-size job")
    history_s: PositiveFloat = Field(60.0, description="seconds of batch history the estimates use")
    warmup_regions: PositiveInt = Field(6, description="regions run on Spark's PID before GOVERNOR plans")


class PythonController(BaseModel):
    """Your own controller, a Python class made as `Class(batch_interval_ms, **params)` with
    `compute(time_ms, num_elements, processing_delay_ms, scheduling_delay_ms) -> rate or None`; called on
    the driver of a PySpark app (impl: python) after each batch (examples/controllers/aimd.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: Literal["python"]
    class_: str = Field(alias="class", description="package.module:ClassName")
    params: dict[str, Any] = Field(default_factory=dict, description="keyword arguments of the class")
    path: Path | None = Field(
        None,
        description="the folder the module is imported from (default: the manifest's folder, then the "
        "harness's import path); resolved when the manifest loads",
    )

    @model_validator(mode="after")
    def _importable(self, info: ValidationInfo) -> PythonController:
        base = info.context.get(BASE_DIR_CONTEXT) if isinstance(info.context, dict) else None
        search = [Path(base or Path.cwd()) / self.path] if self.path else [Path(base or Path.cwd())]
        try:
            _, root = python_controller.load_class(self.class_, search)
        except ValueError as exc:
            raise ValueError(f"class {exc}") from None
        object.__setattr__(self, "path", root)
        return self


# The rate controllers a manifest can choose (config.backpressure.controller), by their ``kind``.
CONTROLLERS = (SparkController, PidController, FixedController, GovernorController, PythonController)
RateController = Annotated[Union[CONTROLLERS], Field(discriminator="kind")]  # noqa: UP007 - a union of the registry
CONTROLLER_KINDS: tuple[str, ...] = tuple(
    typing.get_args(cls.model_fields["kind"].annotation)[0] for cls in CONTROLLERS
)


class Backpressure(Strict):
    enabled: bool = True
    initial_rate: PositiveInt | None = Field(None, description="spark.streaming.backpressure.initialRate")
    max_rate_per_partition: PositiveInt | None = Field(
        None, description="spark.streaming.kafka.maxRatePerPartition (direct)"
    )
    max_rate: PositiveInt | None = Field(None, description="spark.streaming.receiver.maxRate (receiver)")
    pid: PID = PID()
    controller: RateController = Field(
        SparkController(),
        description="the rate controller: {kind: spark} (Spark's built-in PID), pid, fixed (rate), governor",
    )

    @property
    def plugged(self) -> bool:
        """A controller of the JVM helper's in place of Spark's built-in backpressure."""
        return self.controller.kind != "spark"


class StructuredSource(Strict):
    """The Kafka source options that bound a Structured Streaming micro-batch (it has no PID)."""

    max_offsets_per_trigger: PositiveInt | None = Field(None, description="maxOffsetsPerTrigger")
    min_offsets_per_trigger: PositiveInt | None = Field(
        None, description="minOffsetsPerTrigger: a trigger waits for this many new records ..."
    )
    max_trigger_delay_ms: PositiveInt | None = Field(
        None, description="maxTriggerDelay: ... or at most this long (needs min_offsets_per_trigger)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> StructuredSource:
        low, high = self.min_offsets_per_trigger, self.max_offsets_per_trigger
        if low is not None and high is not None and low > high:
            raise ValueError(
                f"config.structured: min_offsets_per_trigger ({low}) exceeds max_offsets_per_trigger ({high})"
            )
        if self.max_trigger_delay_ms is not None and low is None:
            raise ValueError("config.structured: max_trigger_delay_ms needs min_offsets_per_trigger")
        return self

    def source_options(self) -> dict[str, str]:
        """The options as Spark's Kafka source spells them."""
        options = {
            "maxOffsetsPerTrigger": self.max_offsets_per_trigger,
            "minOffsetsPerTrigger": self.min_offsets_per_trigger,
            "maxTriggerDelay": f"{self.max_trigger_delay_ms}ms" if self.max_trigger_delay_ms else None,
        }
        return {key: str(value) for key, value in options.items() if value is not None}


class Config(Strict):
    batch_interval_ms: PositiveInt = Field(
        2000, description="DStream batch interval; the processing-time trigger for Structured Streaming"
    )
    block_interval_ms: PositiveInt | None = Field(
        None, description="spark.streaming.blockInterval (receiver)"
    )
    backpressure: Backpressure = Backpressure()
    structured: StructuredSource = StructuredSource()
    receiver_storage_level: Literal[RECEIVER_STORAGE_LEVELS] = Field(  # type: ignore[valid-type]
        "MEMORY_ONLY",
        description="storage level of the receivers' blocks (sources receiver and socket); the original's "
        "receivers stored MEMORY_ONLY",
    )
    gc: Literal["g1", "parallel"] = Field(
        "g1",
        description="the garbage collector of the driver and executors: g1 (the JDK's default) or parallel "
        "(-XX:+UseParallelGC, the original's)",
    )
    spark_conf: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @field_validator("spark_conf")
    @classmethod
    def _spark_keys(cls, conf: dict[str, Any]) -> dict[str, Any]:
        for key, value in conf.items():
            if not key.startswith("spark."):
                raise ValueError(f"key {key!r} is not a Spark setting (must start with 'spark.')")
            if key.endswith("extraJavaOptions") and _GC_FLAG_RE.search(str(value)):
                raise ValueError(f"{key}: choose the garbage collector with config.gc (g1 or parallel)")
        return conf


class RunControl(Strict):
    drain_timeout_s: PositiveFloat = 120.0
    poll_interval_s: PositiveFloat = 1.0
    warmup_s: Annotated[float, Field(ge=0)] = 0.0
    time_limit_s: PositiveFloat | None = Field(
        None,
        description="a run still going after this long is stopped and recorded as app_failed "
        f"(default: the load's duration + drain_timeout_s + {RUN_MARGIN_S:g} s to start and stop)",
    )


class Manifest(Strict):
    name: str
    description: str = ""
    platform: Platform = Platform()
    workload: Workload
    config: Config = Config()
    run: RunControl = RunControl()
    faults: list[Fault] = Field(
        default_factory=list, description="faults injected during the load (docs/faults.md)"
    )

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _NAME_RE.match(name):
            raise ValueError("letters, digits, '.', '_' and '-' only, starting with a letter or digit")
        return name

    @model_validator(mode="after")
    def _implementation_exists(self) -> Manifest:
        workload = self.workload
        builtin = workload.builtin_app
        if builtin is None:
            return self  # an own app's kind is its impl, and it reads whatever layout it reads
        if workload.impl == "jvm" and builtin.jvm_class is None:
            raise ValueError(f"workload.impl: {workload.app} has no JVM implementation")
        if workload.impl == "jvm" and workload.records.layout != "artifact":
            raise ValueError(
                f"workload.impl: the JVM apps read the artifact layout only; "
                f"workload.records.layout {workload.records.layout} needs impl: python"
            )
        return self

    @model_validator(mode="after")
    def _cost_shift_within_load(self) -> Manifest:
        shift = self.workload.records.cost_shift
        for i, share in enumerate(shift.shares if shift else []):
            if share.from_s >= self.workload.duration_s:
                raise ValueError(
                    f"workload.records.cost_shift.shares.{i}.from_s ({share.from_s:g}) must be within "
                    f"the load: before workload.duration_s ({self.workload.duration_s:g})"
                )
        return self

    @model_validator(mode="after")
    def _structured_streaming(self) -> Manifest:
        workload = self.workload
        if workload.source != "structured":
            if self.config.structured.source_options():
                raise ValueError("config.structured: applies only to workload.source: structured")
            return self
        structured = apps_where(structured=True)
        if workload.own_app is not None:
            raise ValueError(
                f"workload.source: structured runs the built-in {', '.join(structured)}; your own app "
                "(workload.app) runs on DStreams (direct, receiver or socket)"
            )
        builtin = workload.builtin_app
        if builtin is None or not builtin.structured or workload.impl != "python":
            raise ValueError(
                f"workload.source: structured runs {', '.join(sorted(structured))} (impl: python); "
                f"not {workload.app} ({workload.impl})"
            )
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
    def _socket_on_this_machine(self) -> Manifest:
        if self.workload.source == "socket" and self.platform.backend != "local":
            raise ValueError(
                "workload.source: socket serves its lines on 127.0.0.1, which only the local backend's "
                f"executors reach; platform.backend is {self.platform.backend}"
            )
        return self

    @model_validator(mode="after")
    def _controller_fits_the_run(self) -> Manifest:
        backpressure, workload = self.config.backpressure, self.workload
        kind = backpressure.controller.kind
        if workload.source == "structured" and "controller" in backpressure.model_fields_set:
            raise ValueError(
                f"config.backpressure.controller: Structured Streaming has no rate controller (kind {kind}); "
                "bound its batches with config.structured"
            )
        if not backpressure.plugged:
            return self
        if workload.source == "socket":
            raise ValueError(
                f"config.backpressure.controller: kind {kind} plugs into the Kafka sources (workload.source: "
                "direct or receiver), not Spark's socket receiver; use kind spark"
            )
        if workload.own_app is not None:
            raise ValueError(
                f"config.backpressure.controller: kind {kind} runs with the built-in apps; your own app "
                "(workload.app) gets Spark's built-in backpressure (kind spark)"
            )
        if not backpressure.enabled:
            raise ValueError(
                f"config.backpressure.controller: kind {kind} is backpressure; it needs "
                "config.backpressure.enabled: true"
            )
        controller = backpressure.controller
        if isinstance(controller, PythonController):
            if workload.impl != "python":
                raise ValueError(
                    "config.backpressure.controller: kind python runs on the driver of a PySpark app "
                    f"(workload.impl: python); {workload.app_label} runs on the JVM"
                )
            cls, _ = python_controller.load_class(controller.class_, [controller.path or Path.cwd()])
            try:
                python_controller.make_controller(cls, self.config.batch_interval_ms, controller.params)
            except ValueError as exc:
                raise ValueError(f"config.backpressure.controller.params: {exc}") from None
        return self

    @model_validator(mode="after")
    def _budget_needs_receivers(self) -> Manifest:
        if self.workload.in_flight_budget is not None and self.workload.source != "receiver":
            raise ValueError(
                "workload.in_flight_budget: only the Kafka receivers (workload.source: receiver) can hold "
                f"back at a budget; the {self.workload.source} source cannot"
            )
        return self

    def warnings(self) -> list[str]:
        """Settings that are valid but probably not what was meant."""
        found = []
        backpressure = self.config.backpressure
        if not backpressure.enabled and backpressure.initial_rate is not None:
            found.append(
                f"config.backpressure.initial_rate ({backpressure.initial_rate}) with backpressure off caps "
                "each receiver at that rate for the whole run (nothing raises Spark's rate limiter without "
                "backpressure); the original's backpressure-off runs set no initialRate"
            )
        platform = self.platform
        limit = platform.compose_settings().worker_memory_limit
        if (
            platform.backend == "compose"
            and limit is not None
            and jvm_memory_bytes(limit) <= jvm_memory_bytes(platform.spark.executor_memory)
        ):
            found.append(
                f"platform.compose.worker_memory_limit ({limit}) is not above platform.spark.executor_memory "
                f"({platform.spark.executor_memory}): the kernel kills the executor (outcome oom, OOMKilled) "
                "before its heap is full"
            )
        settled = state_settled_s(self.workload, self.config.batch_interval_ms)
        if settled is not None and self.run.warmup_s < settled:
            found.append(
                f"run.warmup_s ({self.run.warmup_s:g}) is shorter than the {settled:g} s a stateful app's "
                "state takes to settle (its state timeout, or its window, plus its state's checkpoint "
                "interval): the measured batches include state still filling and its first checkpoint"
            )
        return found

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
    def _time_for_the_load(self) -> Manifest:
        limit = self.run.time_limit_s
        if limit is not None and limit <= self.workload.duration_s:
            raise ValueError(
                f"run.time_limit_s ({limit:g}) must exceed workload.duration_s ({self.workload.duration_s:g})"
            )
        return self

    def time_limit_s(self) -> float:
        """How long a run may take before the harness stops it."""
        if self.run.time_limit_s is not None:
            return self.run.time_limit_s
        return self.workload.duration_s + self.run.drain_timeout_s + RUN_MARGIN_S

    @model_validator(mode="after")
    def _faults_possible(self) -> Manifest:
        problems = schedule_problems(
            self.faults,
            self.workload.duration_s,
            self.platform.backend,
            self.platform.spark.topology,
            self.workload.source,
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @model_validator(mode="after")
    def _warmup_within_load(self) -> Manifest:
        if self.run.warmup_s >= self.workload.duration_s:
            raise ValueError(
                f"run.warmup_s ({self.run.warmup_s:g}) must be shorter than workload.duration_s "
                f"({self.workload.duration_s:g})"
            )
        return self


class RateSearch(Strict):
    """``search:``: the highest constant input rate each matrix cell sustains (outcome ``stable``),
    by bisection between ``low`` and ``high`` (Karimov et al.; Theodolite)."""

    low: PositiveFloat = Field(description="records/s: the search starts between low and high")
    high: PositiveFloat = Field(description="records/s")
    precision: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.1, description="stop when the bracket (high - low) is at most this share of high"
    )
    max_runs: PositiveInt = Field(8, description="at most this many rates probed per cell")

    @model_validator(mode="after")
    def _bracket(self) -> RateSearch:
        if self.low >= self.high:
            raise ValueError(f"search.low ({self.low:g}) must be below search.high ({self.high:g})")
        return self


def window_problems(workload: Workload, batch_interval_ms: int) -> list[str]:
    """What is wrong with the workload's window for its app, each naming its field."""
    window = workload.window
    if workload.own_app is not None:
        return (
            ["workload.window: only the window apps have one, not your own app (workload.app)"]
            if window
            else []
        )
    app, builtin = str(workload.app), workload.builtin_app
    if builtin is None or builtin.window is None:
        windowed = ", ".join(apps_where(window=True))
        return [f"workload.window: {app} has no window (only {windowed})"] if window else []
    if window is None:
        return [f"workload.window: {app} needs a window (size, and slide for the sliding windows)"]
    problems = []
    records = workload.records
    if records.layout != "artifact":
        problems.append("workload.records.layout: the window apps read artifact records (layout: artifact)")
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
    if builtin.window == "count":
        problems += _count_window_problems(workload, window)
    if builtin.window == "time":
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


def state_settled_s(workload: Workload, batch_interval_ms: int) -> float | None:
    """Seconds until a stateful built-in app's state has reached its steady size and been checkpointed
    once: keys leave the state after ``state_timeout_s`` (a window app's after its window), and Spark
    checkpoints a DStream's state every smallest multiple of the batch interval of at least 10 s
    (``DStream.initialize``; a window app's every ``checkpoint_interval_batches``). None for stateless
    apps and the user's own."""
    app = BUILTIN_APPS.get(workload.app) if isinstance(workload.app, str) else None
    if app is None or not app.stateful:
        return None
    interval_s = batch_interval_ms / 1000
    window = workload.window
    if app.window and window is not None:
        held_s = window.size if app.window == "time" else 0.0
        return held_s + window.checkpoint_interval_batches * interval_s
    if workload.source == "structured":
        return workload.state_timeout_s
    checkpoint_batches = checkpoint_interval_batches(workload, batch_interval_ms) or 0
    return workload.state_timeout_s + checkpoint_batches * interval_s


def checkpoint_interval_batches(workload: Workload, batch_interval_ms: int) -> int | None:
    """Every how many batches a stateful built-in DStream app checkpoints its state: a window app's
    setting, else Spark's default for state streams, the fewest batches that make at least 10 s
    (``DStream.initialize``). None for stateless apps and the user's own."""
    app = BUILTIN_APPS.get(workload.app) if isinstance(workload.app, str) else None
    if app is None or not app.stateful:
        return None
    if app.window and workload.window is not None:
        return workload.window.checkpoint_interval_batches
    return math.ceil(10000 / batch_interval_ms)


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
    search: RateSearch | None = None

    def at_rate(self, rate: float) -> RunSpec:
        """This run with the constant profile's rate changed (a probe of the rate search)."""
        data = self.manifest.model_dump(mode="json")
        data["workload"]["generator"]["rate"] = rate
        manifest = Manifest.model_validate(data)
        return self.model_copy(
            update={
                "manifest": manifest,
                "run_id": run_id_for(manifest, self.repetition),
                "cell": {**self.cell, RATE_PATH: rate},
            }
        )


RATE_PATH = "workload.generator.rate"


def _field_path(location: tuple[Any, ...]) -> str:
    # pydantic puts the chosen profile's tag in the path (generator.burst.rate): users wrote generator.rate.
    parts = [
        str(part)
        for i, part in enumerate(location)
        if not (i > 0 and location[i - 1] == "generator" and part in PROFILE_NAMES)
        and not (i > 0 and location[i - 1] == "app" and part in _APP_TAGS)
        and not (i > 0 and location[i - 1] == "controller" and part in CONTROLLER_KINDS)
    ]
    return ".".join(parts)


def _model_at(path: list[str]) -> type[BaseModel] | None:
    """The schema model that the keys at ``path`` belong to, where the path leads to one."""
    model: type[BaseModel] = Manifest
    for part in path:
        if part.isdigit():  # an item of a list of sections
            continue
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        # An optional section, or a list of sections: the section.
        candidates = [annotation, *typing.get_args(annotation)]
        for _ in range(3):  # an app's choice nests its section deeper: Annotated[Union[Annotated[...]]]
            candidates += [arg for c in candidates for arg in typing.get_args(c) if arg not in candidates]
        sections = [c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)]
        if not sections:
            return None
        model = sections[0]
    return model


def _describe(error: dict[str, Any], path: str) -> str:
    if error["type"] == "extra_forbidden":
        parent = _model_at(path.split(".")[:-1])
        close = difflib.get_close_matches(
            path.split(".")[-1], list(parent.model_fields) if parent else [], n=1
        )
        return f"unknown key (did you mean {close[0]!r}?)" if close else "unknown key"
    # The tagged unions: the pressure profile (by `profile:`) and the rate controller (by `kind:`).
    if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
        key = error["ctx"]["discriminator"].strip("'")
        choices = ", ".join(PROFILE_NAMES if key == "profile" else CONTROLLER_KINDS)
        if error["type"] == "union_tag_not_found":
            return f"needs `{key}:`, one of {choices}"
        return f"unknown {key} {error['ctx']['tag']!r}; one of {choices}"
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
    if not isinstance(data, dict) or {"matrix", "repetitions", "search"} & set(data):
        raise UsageError(f"{source}: one run's settings: a mapping without matrix, repetitions or search")
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
    # Sections only other backends use leave the ids of runs without them as they always were.
    for section in ("compose", "external"):
        if resolved["platform"][section] is None:
            del resolved["platform"][section]
    if not resolved["faults"]:  # runs without faults keep the ids they had before faults existed
        del resolved["faults"]
    # Spark's built-in controller, the default, leaves the ids of runs from before controllers alone.
    if resolved["config"]["backpressure"]["controller"] == {"kind": "spark"}:
        del resolved["config"]["backpressure"]["controller"]
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


def _search(data: dict[str, Any], matrix: dict[str, list[Any]], source: str) -> RateSearch | None:
    raw = data.pop("search", None)
    if raw is None:
        return None
    try:
        search = RateSearch.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            path = ".".join(["search", *map(str, error["loc"])])
            lines.append(f"{source}: {path}: {_describe(error, path)}")
        raise UsageError("\n".join(lines)) from None
    profile = (data.get("workload") or {}).get("generator") or {}
    if profile.get("profile") != "constant":
        raise UsageError(
            f"{source}: search: needs workload.generator.profile: constant (the search sets its rate)"
        )
    if RATE_PATH in matrix:
        raise UsageError(
            f"{source}: matrix.{RATE_PATH}: the search sets the rate; leave it out of the matrix"
        )
    return search


def expand_data(data: Any, source: str, base_dir: Path | None = None) -> list[RunSpec]:
    """Every run of a manifest: the matrix's cartesian product, each cell repeated."""
    data = copy.deepcopy(data)
    matrix, repetitions = _matrix(data, source)
    search = _search(data, matrix, source)
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
                    search=search,
                )
            )
    if problems:
        raise UsageError("\n".join(problems))
    return specs


def experiment_warnings(specs: list[RunSpec]) -> list[str]:
    """Each warning of an experiment's runs once, with the file and how many runs it concerns."""
    counts: dict[str, int] = {}
    for spec in specs:
        for warning in spec.manifest.warnings():
            counts[warning] = counts.get(warning, 0) + 1
    return [
        f"{specs[0].source_file}: {warning} ({count} of {len(specs)} runs)"
        for warning, count in counts.items()
    ]


def load_experiment(path: Path) -> list[RunSpec]:
    """Read a manifest and expand it into its runs; UsageError names the file and every bad field."""
    return expand_data(read_manifest_data(path), str(path), path.parent)
