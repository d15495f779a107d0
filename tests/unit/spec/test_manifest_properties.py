"""Property: however a valid manifest is broken, `bpbench validate` exits 2 naming the file and field.

Each example takes a valid manifest and breaks one thing: an unknown key in some section, a
non-positive number where a positive one is required, a value of the wrong type, or a choice that
is not one of those allowed. `main` returns (never raises), and its message names the file and the
field's dotted path.
"""

from __future__ import annotations

import copy
import string
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps import BUILTIN_APPS
from harness.cli import main
from harness.spec.manifest import Manifest, _model_at

VALID: dict[str, Any] = {
    "name": "prop",
    "platform": {
        "spark": {"topology": "local", "cores": 1, "driver_memory": "1g", "executor_memory": "1g"},
        "kafka": {"partitions": 2},
    },
    "workload": {
        "app": "stateless_sum",
        "impl": "python",
        "source": "direct",
        "receivers": 1,
        "state_timeout_s": 20,
        "duration_s": 60,
        "generator": {"profile": "constant", "rate": 100},
        "records": {"values": 4, "ranks": 2},
    },
    "config": {"batch_interval_ms": 1000, "backpressure": {"enabled": True, "pid": {"min_rate": 100}}},
    "run": {"drain_timeout_s": 30, "poll_interval_s": 1, "warmup_s": 0},
}
POSITIVE = [
    "platform.spark.cores",
    "platform.kafka.partitions",
    "workload.receivers",
    "workload.state_timeout_s",
    "workload.duration_s",
    "workload.generator.rate",
    "workload.records.values",
    "workload.records.ranks",
    "config.batch_interval_ms",
    "config.backpressure.pid.min_rate",
    "run.drain_timeout_s",
    "run.poll_interval_s",
]
CHOICES = ["platform.spark.topology", "workload.app", "workload.impl", "workload.source"]
TYPED = [*POSITIVE, *CHOICES, "name", "config.backpressure.enabled", "platform.spark.driver_memory"]
SECTIONS = [
    "",
    "platform",
    "platform.spark",
    "platform.kafka",
    "workload",
    "workload.records",
    "config",
    "config.backpressure",
    "config.backpressure.pid",
    "run",
]
NAMES = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=12)
# Values no lax conversion turns into a number, a string or a bool.
WRONG_TYPE = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=3),
    st.dictionaries(NAMES, st.integers(), min_size=1, max_size=2),
)


def allowed(path: str) -> set[str]:
    """The values a choice field accepts, from the schema (apps: the registered ones)."""
    if path == "workload.app":
        return set(BUILTIN_APPS)
    *section, leaf = path.split(".")
    return set(typing.get_args(_model_at(section).model_fields[leaf].annotation))


def set_at(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        data = data[part]
    data[leaf] = value


@st.composite
def broken_manifests(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A manifest with one thing wrong, and the dotted path the error must name."""
    data = copy.deepcopy(VALID)
    kind = draw(st.sampled_from(["unknown_key", "not_positive", "wrong_type", "bad_choice"]))
    if kind == "unknown_key":
        section = draw(st.sampled_from(SECTIONS))
        model = _model_at(section.split(".")) if section else Manifest
        key = draw(
            NAMES.filter(
                lambda name: name not in model.model_fields and name not in ("matrix", "repetitions")
            )
        )
        target = data
        for part in filter(None, section.split(".")):
            target = target[part]
        target[key] = 1
        return data, f"{section}.{key}".lstrip(".")
    if kind == "not_positive":
        path = draw(st.sampled_from(POSITIVE))
        value = draw(st.one_of(st.integers(max_value=0), st.floats(max_value=0, allow_nan=False)))
    elif kind == "wrong_type":
        path = draw(st.sampled_from(TYPED))
        value = draw(WRONG_TYPE)
    else:
        path = draw(st.sampled_from(CHOICES))
        value = draw(NAMES.filter(lambda name: name not in allowed(path)))
    set_at(data, path, value)
    return data, path


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(broken=broken_manifests())
def test_a_broken_manifest_exits_2_naming_file_and_field(
    broken: tuple[dict[str, Any], str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, path = broken
    manifest = tmp_path / "broken.yaml"
    manifest.write_text(yaml.safe_dump(data))
    assert main(["validate", str(manifest)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{manifest}: {path}" in err.replace("\n", " "), err


def test_the_valid_manifest_is_valid(tmp_path: Path) -> None:
    manifest = tmp_path / "valid.yaml"
    manifest.write_text(yaml.safe_dump(VALID))
    assert main(["validate", str(manifest)]) == 0
