"""The generator's config (``generator-config.json``): what the runner writes and the generator reads.

One pydantic model for both sides. ``harness/run/load.py`` builds it from the manifest's workload;
``generators.produce`` validates the file with it, so a bad file is rejected (exit status 2) with the
file and the field named, before anything starts.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from generators.profiles import Profile
from generators.workloads import RecordStream


class ConfigError(ValueError):
    """A bad generator config: names the file and the field."""


class GeneratorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    bootstrap_servers: Annotated[str, Field(min_length=1)]
    topic: Annotated[str, Field(min_length=1)]
    profile: Profile
    duration_s: Annotated[float, Field(gt=0, allow_inf_nan=False, strict=True)]
    # The manifest's workload.records as JSON (generators/workloads.py reads it).
    records: dict[str, Any]
    seed: StrictInt
    stats_path: Path
    result_path: Path
    processes: Annotated[StrictInt, Field(ge=1)] = 1
    # librdkafka settings of the cluster (security), added to the producer's own.
    client_config: dict[str, str] = Field(default_factory=dict)

    @field_validator("stats_path", "result_path", mode="before")
    @classmethod
    def _named_file(cls, value: Any) -> Any:
        if not isinstance(value, str | Path) or not str(value):
            raise ValueError("must be a file's path")
        return value

    @classmethod
    def from_json(cls, raw: Any, source: str = "config") -> GeneratorConfig:
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(part) for part in error["loc"])
            raise ConfigError(f"{source}: {where + ': ' if where else ''}{error['msg']}") from None

    @classmethod
    def from_file(cls, path: Path) -> GeneratorConfig:
        try:
            raw = json.loads(path.read_text())
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read it ({exc.strerror})") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not JSON ({exc})") from None
        return cls.from_json(raw, source=str(path))

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @property
    def seconds(self) -> int:
        """Seconds of schedule, the last one possibly partial."""
        return math.ceil(self.duration_s)

    @property
    def record_stream(self) -> RecordStream:
        return RecordStream.from_json(self.records, self.seed)
