"""Manifests: defaults, the errors a user sees for bad input, and stable run ids."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from apps import BUILTIN_APPS
from harness.errors import UsageError
from harness.paths import REPO_ROOT
from harness.spec.manifest import RUN_MARGIN_S, load_experiment, parse_manifest, run_id_for

MINIMAL = {"name": "m", "workload": {"generator": {"profile": "constant", "rate": 500}}}


def write(tmp_path: Path, data: object, name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return path


def load_manifest(path: Path):
    [run] = load_experiment(path)
    return run.manifest


def test_demo_manifest_loads() -> None:
    manifest = load_manifest(REPO_ROOT / "experiments" / "demo.yaml")
    assert manifest.name == "demo"
    assert manifest.workload.app == "stateless_sum"
    assert manifest.config.backpressure.enabled is True
    assert manifest.platform.spark.topology == "local"


def test_defaults_fill_a_minimal_manifest() -> None:
    manifest = parse_manifest(MINIMAL, "m.yaml")
    assert manifest.config.batch_interval_ms == 2000
    assert manifest.config.backpressure.pid.min_rate == 100.0
    assert manifest.workload.records.values == 256
    assert manifest.platform.kafka.partitions == 2


def test_unknown_key_is_named_with_its_path(tmp_path: Path) -> None:
    data = {**MINIMAL, "config": {"backpresure": {"enabled": True}}}
    with pytest.raises(UsageError) as error:
        load_manifest(write(tmp_path, data))
    assert "m.yaml: config.backpresure: unknown key" in str(error.value)


def test_wrong_type_is_named_with_its_path(tmp_path: Path) -> None:
    data = {**MINIMAL, "platform": {"spark": {"cores": "two"}}}
    with pytest.raises(UsageError) as error:
        load_manifest(write(tmp_path, data))
    assert "platform.spark.cores" in str(error.value)
    assert "integer" in str(error.value)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"workload": {"generator": {"profile": "constant", "rate": 0}}}, "workload.generator.rate"),
        ({"workload": {"app": "nope", "generator": {"rate": 5}}}, "workload.app"),
        ({"workload": {"producer": {"processes": 0}}}, "workload.producer.processes"),
        ({"platform": {"spark": {"topology": "yarn"}}}, "platform.spark.topology"),
        ({"platform": {"spark": {"driver_memory": "lots"}}}, "platform.spark.driver_memory"),
        ({"config": {"spark_conf": {"streaming.foo": "1"}}}, "config.spark_conf"),
        ({"config": {"backpressure": {"pid": {"integral": -1}}}}, "config.backpressure.pid.integral"),
        ({"name": "has space"}, "name"),
        ({"workload": {"generator": {"profile": "zigzag", "rate": 5}}}, "workload.generator"),
        ({"workload": {"generator": {"rate": 5}}}, "workload.generator"),
        (
            {"workload": {"generator": {"profile": "burst", "base_rate": -1, "burst_rate": 5, "burst_s": 1}}},
            "workload.generator.base_rate",
        ),
        (
            {"workload": {"generator": {"profile": "constant", "rate": 5}, "records": {"steps": 0}}},
            "workload.records.steps",
        ),
    ],
)
def test_invalid_values_name_the_field(patch: dict, field: str) -> None:
    with pytest.raises(UsageError) as error:
        parse_manifest({**MINIMAL, **patch}, "m.yaml")
    assert f"m.yaml: {field}:" in str(error.value)


def test_missing_file_and_bad_yaml_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="nothere.yaml: no such manifest"):
        load_manifest(tmp_path / "nothere.yaml")
    with pytest.raises(UsageError, match=r"bad.yaml: not valid YAML at line 2"):
        load_manifest(write(tmp_path, "name: x\n  - : [\n", "bad.yaml"))
    with pytest.raises(UsageError, match="list.yaml: a manifest must be a mapping"):
        load_manifest(write(tmp_path, "- 1\n- 2\n", "list.yaml"))


def test_run_id_is_stable_and_ignores_name_but_not_settings() -> None:
    a = parse_manifest(MINIMAL, "a")
    renamed = parse_manifest({**MINIMAL, "name": "other", "description": "x"}, "b")
    faster = parse_manifest({**MINIMAL, "workload": {"generator": {"profile": "constant", "rate": 501}}}, "c")
    assert run_id_for(a) == run_id_for(renamed)
    assert run_id_for(a) != run_id_for(faster)
    assert run_id_for(a) != run_id_for(a, repetition=2)
    assert re.fullmatch(r"[0-9a-f]{12}-r1", run_id_for(a))


def test_expand_gives_one_run_per_manifest(tmp_path: Path) -> None:
    runs = load_experiment(write(tmp_path, MINIMAL))
    assert [r.run_id for r in runs] == [run_id_for(runs[0].manifest)]
    assert runs[0].experiment == "m" and runs[0].cell == {} and runs[0].repetition == 1


def test_matrix_is_a_cartesian_product_with_repetitions(tmp_path: Path) -> None:
    data = {
        **MINIMAL,
        "matrix": {"config.backpressure.enabled": [True, False], "workload.generator.rate": [100, 200, 300]},
        "repetitions": 2,
    }
    runs = load_experiment(write(tmp_path, data))
    assert len(runs) == 12
    assert len({r.run_id for r in runs}) == 12
    assert runs[0].cell == {"config.backpressure.enabled": True, "workload.generator.rate": 100}
    assert [r.repetition for r in runs[:2]] == [1, 2]
    assert runs[5].manifest.config.backpressure.enabled is True
    assert runs[5].manifest.workload.generator.rate == 300
    assert runs[6].manifest.config.backpressure.enabled is False
    # Stable: the same manifest expands to the same ids, in the same order.
    assert [r.run_id for r in load_experiment(write(tmp_path, data))] == [r.run_id for r in runs]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"matrix": {"config.batch_intervl_ms": [1000]}},
         "matrix.config.batch_intervl_ms: unknown key (did you mean 'batch_interval_ms'?)"),
        ({"matrix": {"config.batch_interval_ms": [1000, -5]}},
         "matrix.config.batch_interval_ms: Input should be"),
        ({"matrix": {"config.batch_interval_ms": []}}, "matrix.config.batch_interval_ms: a non-empty list"),
        ({"matrix": {"name": ["a", "b"]}}, "matrix.name: the name and description cannot vary"),
        ({"matrix": [1, 2]}, "matrix: a mapping"),
        ({"repetitions": 0}, "repetitions: a whole number of at least 1"),
        ({"conifg": {}}, "conifg: unknown key (did you mean 'config'?)"),
        ({"run": {"warmup_s": 60}}, "run.warmup_s (60) must be shorter than workload.duration_s (60)"),
        ({"run": {"time_limit_s": 30}}, "run.time_limit_s (30) must exceed workload.duration_s (60)"),
        ({"run": {"time_limit_s": -1}}, "run.time_limit_s: Input should be greater than 0"),
    ],
)  # fmt: skip
def test_bad_matrices_and_keys_name_the_field(tmp_path: Path, patch: dict, message: str) -> None:
    with pytest.raises(UsageError) as error:
        load_experiment(write(tmp_path, {**MINIMAL, **patch}))
    assert f"m.yaml: {message}" in str(error.value)


def test_trace_files_resolve_next_to_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "load.csv").write_text("time_s,rate\n0,100\n5,300\n")
    data = {**MINIMAL, "workload": {"generator": {"profile": "trace", "file": "load.csv"}}}
    manifest = load_manifest(write(tmp_path, data))
    assert manifest.workload.generator.planned_per_second(7) == [100] * 5 + [300] * 2
    (tmp_path / "load.csv").unlink()
    with pytest.raises(UsageError, match=r"m.yaml: workload.generator.file: trace file load.csv: not found"):
        load_manifest(write(tmp_path, data))


@pytest.mark.parametrize(
    "path", sorted((REPO_ROOT / "experiments").rglob("*.yaml")), ids=lambda p: str(p.relative_to(REPO_ROOT))
)
def test_every_shipped_manifest_validates(path: Path) -> None:
    runs = load_experiment(path)
    assert runs and all(run.experiment == runs[0].experiment for run in runs)


def test_time_limit_defaults_to_load_drain_and_a_margin(tmp_path: Path) -> None:
    manifest = load_manifest(write(tmp_path, {**MINIMAL, "run": {"drain_timeout_s": 30}}))
    assert manifest.time_limit_s() == 60 + 30 + RUN_MARGIN_S
    limited = load_manifest(write(tmp_path, {**MINIMAL, "run": {"time_limit_s": 61}}))
    assert limited.time_limit_s() == 61


# --- the window apps' window -------------------------------------------------------------------------


def window_manifest(app: str, window: dict | None, **workload: object) -> dict:
    """60 s at 500 records/s over 4 ranks (7,500 tuples per key), 1 s batches."""
    return {
        "name": "w",
        "workload": {
            "app": app,
            "generator": {"profile": "constant", "rate": 500},
            **({"window": window} if window is not None else {}),
            **workload,
        },
        "config": {"batch_interval_ms": 1000},
    }


@pytest.mark.parametrize(
    ("app", "window"),
    [
        ("count_sliding_window", {"size": 120, "slide": 1}),
        ("count_tumbling_window", {"size": 40}),
        ("time_sliding_window", {"size": 60, "slide": 2, "checkpoint_interval_batches": 10}),
        ("time_sliding_topk", {"size": 40, "slide": 1, "k": 3}),
    ],
)
@pytest.mark.parametrize("impl", ["python", "jvm"])
def test_window_apps_accept_their_window(app: str, window: dict, impl: str) -> None:
    manifest = parse_manifest(window_manifest(app, window, impl=impl), "w.yaml")
    assert manifest.workload.impl == impl
    assert manifest.workload.window.size == window["size"]
    assert manifest.workload.window.checkpoint_interval_batches == 10


CSW, CTW, TSW, TOPK = (
    "count_sliding_window",
    "count_tumbling_window",
    "time_sliding_window",
    "time_sliding_topk",
)
GT0 = "Input should be greater than 0"


@pytest.mark.parametrize(
    ("app", "window", "workload", "field", "says"),
    [
        (CSW, {"size": 0, "slide": 1}, {}, "window.size", GT0),
        (CSW, {"size": 4, "slide": -1}, {}, "window.slide", GT0),
        (TOPK, {"size": 4, "slide": 1, "k": 0}, {}, "window.k", GT0),
        (CTW, {"size": 4, "checkpoint_interval_batches": 0}, {}, "window.checkpoint_interval_batches", GT0),
        (CSW, {"size": 7501, "slide": 1}, {}, "window.size (7501 tuples)", "is longer than the run"),
        (TSW, {"size": 61, "slide": 1}, {}, "window.size (61 s)", "is longer than the run"),
        (
            TSW,
            {"size": 6, "slide": 1.5},
            {},
            "window.slide (1.5 s)",
            "a multiple of config.batch_interval_ms",
        ),
        (TSW, {"size": 2.5, "slide": 1}, {}, "window.size (2.5 s)", "a multiple of config.batch_interval_ms"),
        (
            TSW,
            {"size": 6, "slide": 3},
            {},
            "window.checkpoint_interval_batches (10",
            "a multiple of the slide",
        ),
        (TSW, {"size": 2, "slide": 4}, {}, "window.slide (4 s)", "is longer than the window"),
        (CSW, {"size": 4.5, "slide": 1}, {}, "window.size", "a whole number of tuples"),
        (CSW, {"size": 4}, {}, "window.slide", "count_sliding_window needs a slide"),
        (CTW, {"size": 4, "slide": 2}, {}, "window.slide", "the tumbling window has none"),
        (TOPK, {"size": 4, "slide": 1}, {}, "window.k", "time_sliding_topk needs k"),
        (TSW, {"size": 4, "slide": 1, "k": 2}, {}, "window.k", "only time_sliding_topk has a k"),
        (TOPK, {"size": 4, "slide": 1, "k": 5}, {}, "window.k (5)", "exceeds the keys there are"),
        (TSW, None, {}, "window", "time_sliding_window needs a window"),
        ("sum", {"size": 4}, {}, "window", "sum has no window"),
    ],
)
def test_bad_windows_name_the_field(
    app: str, window: dict | None, workload: dict, field: str, says: str
) -> None:
    with pytest.raises(UsageError) as error:
        parse_manifest(window_manifest(app, window, **workload), "w.yaml")
    assert f"w.yaml: workload.{field}" in str(error.value)
    assert says in str(error.value)


def test_impl_jvm_is_refused_for_an_app_without_a_java_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(BUILTIN_APPS, CTW, dataclasses.replace(BUILTIN_APPS[CTW], jvm_class=None))
    with pytest.raises(UsageError, match="workload.impl: count_tumbling_window has no JVM implementation"):
        parse_manifest(window_manifest(CTW, {"size": 4}, impl="jvm"), "w.yaml")


def test_a_bad_window_exits_2_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    path = write(tmp_path, window_manifest("count_sliding_window", {"size": 7501, "slide": 1}), "w.yaml")
    out = tmp_path / "results"
    assert main(["run", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "w.yaml: workload.window.size" in err and "Traceback" not in err
    assert not out.exists()


def test_a_matrix_over_window_sizes_expands(tmp_path: Path) -> None:
    data = {
        **window_manifest("count_sliding_window", {"size": 40, "slide": 1}),
        "matrix": {"workload.window.size": [40, 80, 120]},
    }
    sizes = [run.manifest.workload.window.size for run in load_experiment(write(tmp_path, data))]
    assert sizes == [40, 80, 120]


@pytest.mark.parametrize(
    ("workload", "platform", "says"),
    [
        (
            {"source": "socket", "receivers": 2},
            {},
            "workload.receivers (2): the socket source has one receiver",
        ),
        ({"source": "socket", "impl": "jvm"}, {}, "workload.source: socket is for the PySpark apps"),
        (
            {"source": "socket"},
            {"spark": {"cores": 1}},
            "platform.spark.cores (1) must exceed workload.receivers",
        ),
        (
            {"source": "pipe"},
            {},
            "workload.source: Input should be 'direct', 'receiver', 'structured' or 'socket'",
        ),
    ],
)
def test_bad_socket_sources_name_the_field(workload: dict, platform: dict, says: str) -> None:
    data = {**MINIMAL, "workload": {**MINIMAL["workload"], **workload}, "platform": platform}
    with pytest.raises(UsageError) as error:
        parse_manifest(data, "m.yaml")
    assert f"m.yaml: {says}" in str(error.value)


def test_socket_source_validates() -> None:
    data = {**MINIMAL, "workload": {**MINIMAL["workload"], "source": "socket"}}
    assert parse_manifest(data, "m.yaml").workload.source == "socket"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            window_manifest("count_tumbling_window", {"size": 40}, records={"layout": "json"}),
            "workload.records.layout: the window apps read artifact records",
        ),
        (
            {
                "name": "s",
                "platform": {"backend": "external", "external": {"kafka": {"bootstrap_servers": "h:9092"},
                             "spark": {"master": "spark://h:7077"}}},
                "workload": {"source": "socket", "generator": {"profile": "constant", "rate": 10}},
            },
            "workload.source: socket serves its lines on 127.0.0.1",
        ),
    ],
)  # fmt: skip
def test_sources_and_layouts_the_apps_cannot_take_are_refused(
    tmp_path: Path, data: dict, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        load_experiment(write(tmp_path, data))
