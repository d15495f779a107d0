"""Which registered collectors a run gets, in which phase, from what the run knows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.observe.base import CollectorFactory, RunContext
from harness.observe.registry import COLLECTORS, collectors_for
from harness.spec.manifest import parse_manifest


def context(tmp_path: Path, source: str, control_topic: str | None = None) -> RunContext:
    data: dict[str, Any] = {
        "name": "c",
        "workload": {"generator": {"profile": "constant", "rate": 10}, "source": source},
    }
    return RunContext(
        manifest=parse_manifest(data, "c.yaml"),
        bootstrap_servers="127.0.0.1:1",
        topic="t",
        group_id="g",
        app_output=tmp_path,
        processes=list,
        control_topic=control_topic,
    )


def names(collectors: list[Any]) -> list[str]:
    return [collector.name for collector in collectors]


def test_registered_names_are_the_collectors_own() -> None:
    assert len({factory.name for factory in COLLECTORS}) == len(COLLECTORS)


@pytest.mark.parametrize(
    ("source", "control", "at_start", "once_the_driver_is_up"),
    [
        ("direct", None, ["kafka_offsets", "processes"], ["spark_rest", "driver_jvm", "streaming_batches"]),
        ("receiver", "t-control", ["kafka_offsets", "processes", "in_flight"],
         ["spark_rest", "driver_jvm", "streaming_batches"]),
        ("structured", None, ["kafka_offsets", "processes"], ["spark_rest", "driver_jvm", "query_progress"]),
    ],
)  # fmt: skip
def test_each_phase_gets_the_collectors_that_apply(
    tmp_path: Path, source: str, control: str | None, at_start: list[str], once_the_driver_is_up: list[str]
) -> None:
    run = context(tmp_path, source, control)
    assert names(collectors_for("start", run)) == at_start
    assert (
        names(collectors_for("driver", run.with_driver("app-1", "http://127.0.0.1:1")))
        == once_the_driver_is_up
    )


def test_a_new_collector_is_one_registration(tmp_path: Path) -> None:
    class Probe:
        name = "probe"

        def __init__(self, topic: str) -> None:
            self.topic = topic

    registry = [*COLLECTORS, CollectorFactory("probe", "driver", lambda run: Probe(run.topic))]
    run = context(tmp_path, "direct").with_driver("app-1", "http://127.0.0.1:1")
    made = collectors_for("driver", run, registry)
    assert names(made)[-1] == "probe" and made[-1].topic == "t"


@pytest.mark.parametrize("source", ["direct", "structured"])
def test_the_batches_the_app_writes_are_read_once_more_after_it_stops(tmp_path: Path, source: str) -> None:
    # The runner polls these after the app stopped: a batch finished after the last poll still counts.
    run = context(tmp_path, source, None).with_driver("app-1", "http://127.0.0.1:1")
    readers = [c.name for c in collectors_for("driver", run) if getattr(c, "reads_app_files", False)]
    assert readers == ["streaming_batches" if source == "direct" else "query_progress"]
