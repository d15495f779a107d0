"""Experiment manifests: the YAML schema, loading with clear errors, and expansion into runs.

A manifest keeps three things apart: the platform (backend, Spark topology and sizes, Kafka), the
workload (app, pressure, records, duration) and the configuration under test (batch interval,
backpressure and its PID, any ``spark.*`` key).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from apps import APP_SCRIPTS
from generators.profiles import BASE_DIR_CONTEXT, PROFILE_NAMES, Profile
from harness.errors import UsageError

SCHEMA_VERSION = 1
_MEMORY_RE = re.compile(r"^[1-9][0-9]*[kmgt]$", re.IGNORECASE)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Workload(Strict):
    app: str = "stateless_sum"
    source: Literal["direct"] = "direct"
    duration_s: PositiveFloat = 60.0
    generator: Profile
    records: ArtifactRecords = ArtifactRecords()
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
    initial_rate: PositiveInt | None = None
    max_rate_per_partition: PositiveInt | None = None
    pid: PID = PID()


class Config(Strict):
    batch_interval_ms: PositiveInt = 2000
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


class RunSpec(BaseModel):
    """One run: the manifest's settings fully resolved, with a stable id derived from them."""

    model_config = ConfigDict(frozen=True)

    experiment: str
    run_id: str
    manifest: Manifest
    source_file: str


def _field_path(location: tuple[Any, ...]) -> str:
    # pydantic puts the chosen profile's tag in the path (generator.burst.rate): users wrote generator.rate.
    parts = [
        str(part)
        for i, part in enumerate(location)
        if not (i > 0 and location[i - 1] == "generator" and part in PROFILE_NAMES)
    ]
    return ".".join(parts) or "(top level)"


def _describe(error: dict[str, Any]) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key"
    # The pressure profile is the manifest's one tagged union.
    if error["type"] == "union_tag_not_found":
        return f"needs `profile:`, one of {', '.join(PROFILE_NAMES)}"
    if error["type"] == "union_tag_invalid":
        return f"unknown profile {error['ctx']['tag']!r}; one of {', '.join(PROFILE_NAMES)}"
    return error["msg"].removeprefix("Value error, ")


def parse_manifest(data: Any, source: str, base_dir: Path | None = None) -> Manifest:
    """Validate a manifest's data; files it names (trace profiles) resolve against ``base_dir``."""
    if not isinstance(data, dict):
        raise UsageError(f"{source}: a manifest must be a mapping of keys to values")
    try:
        return Manifest.model_validate(data, context={BASE_DIR_CONTEXT: base_dir or Path.cwd()})
    except ValidationError as exc:
        lines = [f"{source}: {_field_path(e['loc'])}: {_describe(e)}" for e in exc.errors()]
        raise UsageError("\n".join(lines)) from None


def load_manifest(path: Path) -> Manifest:
    """Read and validate a manifest; UsageError names the file and every bad field."""
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
    return parse_manifest(data, str(path), path.parent)


def run_id_for(manifest: Manifest) -> str:
    """A stable id: the hash of everything that defines the run (not its name or description)."""
    resolved = manifest.model_dump(mode="json", exclude={"name", "description"})
    canonical = json.dumps(resolved, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:12]


def expand(manifest: Manifest, source_file: Path) -> list[RunSpec]:
    return [
        RunSpec(
            experiment=manifest.name,
            run_id=run_id_for(manifest),
            manifest=manifest,
            source_file=str(source_file),
        )
    ]
