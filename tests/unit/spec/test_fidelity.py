"""The original's pressure axis and arms: the in-flight budget, the control arm, storage and GC, the plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps import RECEIVER_STORAGE_LEVELS
from harness.cli import main
from harness.errors import UsageError
from harness.observe.in_flight import in_flight_row
from harness.paths import REPO_ROOT
from harness.results.tables import IN_FLIGHT_COLUMNS
from harness.run.spark_conf import resolve_spark_conf
from harness.spec.manifest import data_size_bytes, load_experiment, parse_manifest
from harness.spec.plan import planned_run

RECEIVER = {
    "name": "m",
    "platform": {"spark": {"cores": 2}},
    "workload": {"source": "receiver", "generator": {"profile": "constant", "rate": 500}},
}


def with_fields(workload: dict | None = None, config: dict | None = None) -> dict:
    return {**RECEIVER, "workload": {**RECEIVER["workload"], **(workload or {})}, "config": config or {}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("64MiB", 64 << 20),
        ("1.5GiB", 3 << 29),
        ("20GiB", 20 << 30),
        ("512 KiB", 512 << 10),
        (4096, 4096),
        ("7", 7),
    ],
)
def test_budget_sizes_in_bytes(text: object, expected: int) -> None:
    assert data_size_bytes(text) == expected
    assert parse_manifest(with_fields({"in_flight_budget": text}), "m").workload.in_flight_budget == expected


@pytest.mark.parametrize("bad", ["20GB", "0", 0, -5, "1.5", "lots", True, "0.3B"])
def test_a_budget_that_is_not_a_positive_size_names_the_field(bad: object) -> None:
    with pytest.raises(UsageError, match=r"m: workload.in_flight_budget: "):
        parse_manifest(with_fields({"in_flight_budget": bad}), "m")


@pytest.mark.parametrize("source", ["direct", "structured", "socket"])
def test_a_budget_on_a_source_that_cannot_hold_back_is_refused(source: str) -> None:
    data = with_fields({"source": source, "in_flight_budget": "64MiB"})
    with pytest.raises(UsageError, match=f"workload.in_flight_budget: .*the {source} source cannot"):
        parse_manifest(data, "m")


def test_storage_level_and_gc_default_and_choices() -> None:
    manifest = parse_manifest(RECEIVER, "m")
    assert manifest.config.receiver_storage_level == "MEMORY_ONLY"
    assert manifest.config.gc == "g1"
    with pytest.raises(UsageError, match="config.receiver_storage_level: Input should be 'MEMORY_ONLY'"):
        parse_manifest(with_fields(config={"receiver_storage_level": "MEMORY_ONLY_3"}), "m")
    with pytest.raises(UsageError, match="config.gc: Input should be 'g1' or 'parallel'"):
        parse_manifest(with_fields(config={"gc": "zgc"}), "m")


def test_the_python_socket_source_knows_every_storage_level() -> None:
    pytest.importorskip("pyspark")
    from apps.kafka_dstream import STORAGE_LEVELS

    assert tuple(STORAGE_LEVELS) == RECEIVER_STORAGE_LEVELS


def test_the_chosen_collector_runs_driver_and_executors_and_gc_flags_in_spark_conf_are_refused() -> None:
    manifest = parse_manifest(with_fields(config={"gc": "parallel"}), "m")
    conf = resolve_spark_conf(manifest, "local[2]", "r", Path("/logs"))
    for key in ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions"):
        assert conf[key].startswith("-XX:+UseParallelGC -Xlog:gc*")
    g1 = resolve_spark_conf(parse_manifest(RECEIVER, "m"), "local[2]", "r", Path("/logs"))
    assert "-XX:+UseG1GC" in g1["spark.executor.extraJavaOptions"]
    options = {"spark.executor.extraJavaOptions": "-Xss4m -XX:+UseZGC"}
    with pytest.raises(UsageError, match="choose the garbage collector with config.gc"):
        parse_manifest(with_fields(config={"spark_conf": options}), "m")


def test_backpressure_off_sets_no_rate_and_initial_rate_there_is_a_warning() -> None:
    off = parse_manifest(with_fields(config={"backpressure": {"enabled": False}}), "m")
    conf = resolve_spark_conf(off, "local[2]", "r", Path("/logs"))
    assert "spark.streaming.backpressure.initialRate" not in conf
    assert "spark.streaming.receiver.maxRate" not in conf
    assert off.warnings() == []
    capped = parse_manifest(
        with_fields(config={"backpressure": {"enabled": False, "initial_rate": 2000}}), "m"
    )
    [warning] = capped.warnings()
    assert "initial_rate (2000) with backpressure off caps each receiver" in warning
    on = parse_manifest(with_fields(config={"backpressure": {"enabled": True, "initial_rate": 2000}}), "m")
    assert on.warnings() == []


def test_the_paper_sets_follow_the_original_design() -> None:
    for name in ("reduced", "full"):
        runs = load_experiment(REPO_ROOT / "experiments" / "sensors2022" / f"{name}.yaml")
        planned = [planned_run(run) for run in runs]
        off = [p for p in planned if p["spark_conf"]["spark.streaming.backpressure.enabled"] == "false"]
        on = [p for p in planned if p["spark_conf"]["spark.streaming.backpressure.enabled"] == "true"]
        assert off and on
        for run in off:
            assert "spark.streaming.backpressure.initialRate" not in run["spark_conf"]
            assert "spark.streaming.receiver.maxRate" not in run["spark_conf"]
        assert {p["spark_conf"]["spark.streaming.backpressure.initialRate"] for p in on} == {"2000"}
        assert all(p["warnings"] == [] for p in planned)
        assert {p["manifest"]["config"]["receiver_storage_level"] for p in planned} == {"MEMORY_ONLY"}
        assert all(
            "-XX:+UseParallelGC" in p["spark_conf"]["spark.executor.extraJavaOptions"] for p in planned
        )
        assert len({p["in_flight_budget"] for p in planned}) >= 2
        assert None not in {p["in_flight_budget"] for p in planned}
        assert len({p["manifest"]["platform"]["spark"]["executor_memory"] for p in planned}) == 1
        assert {p["manifest"]["workload"]["app"] for p in planned} == {
            "stateless_sum",
            "sum",
            "global_sum",
            "global_histogram",
        }


def test_plan_prints_every_run_as_json_and_runs_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    manifest = REPO_ROOT / "experiments" / "sensors2022" / "reduced.yaml"
    assert main(["plan", str(manifest), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == len(load_experiment(manifest))
    assert len({line["run_id"] for line in lines}) == len(lines)
    assert all(line["spark_conf"]["spark.master"].startswith("spark://") for line in lines)
    assert main(["plan", str(manifest)]) == 0
    text = capsys.readouterr().out.splitlines()
    assert text[0].startswith("sensors2022-reduced: 48 runs (16 cells x 3 repetitions)")
    assert any("backpressure off  no rate cap  budget 512 MiB" in line for line in text)


def test_plan_of_a_bad_manifest_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(with_fields({"source": "direct", "in_flight_budget": "1GiB"})))
    assert main(["plan", str(path)]) == 2
    assert "workload.in_flight_budget" in capsys.readouterr().err


def test_a_receiver_report_becomes_a_row_and_the_drivers_counts_do_not() -> None:
    report = {
        "kind": "receiver", "time_ms": 1, "stream_id": 0, "taken_records": 10, "taken_bytes": 960,
        "processed_records": 4, "in_flight_bytes": 576, "budget_bytes": None, "share_bytes": None,
        "held_back": False,
    }  # fmt: skip
    assert list(in_flight_row(report)) == IN_FLIGHT_COLUMNS
    assert in_flight_row({"kind": "processed", "stream_id": 0, "records": 4, "time_ms": 1}) is None
    with pytest.raises(KeyError):
        in_flight_row({"kind": "receiver", "time_ms": 1})
