"""config.backpressure.controller: the kinds, their checks, and what the JVM helper is given."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import UsageError
from harness.paths import APPS_DIR, REPO_ROOT
from harness.run.spark_conf import controller_setting, resolve_spark_conf
from harness.spec.manifest import parse_manifest

OWN_SCRIPT = APPS_DIR / "stateless_sum.py"  # any PySpark script stands for the user's own
GAINS = {"proportional": 1.0, "integral": 0.2, "derived": 0.0, "min_rate": 100.0}


def manifest(controller: object = None, workload: dict | None = None, backpressure: dict | None = None):
    settings = {**(backpressure or {}), **({"controller": controller} if controller is not None else {})}
    return parse_manifest(
        {
            "name": "c",
            "workload": {
                "app": "stateless_sum",
                "duration_s": 30,
                "generator": {"profile": "constant", "rate": 500},
                **(workload or {}),
            },
            "config": {"batch_interval_ms": 2000, "backpressure": settings},
        },
        "c.yaml",
    )


def test_the_default_is_sparks_built_in_backpressure() -> None:
    m = manifest()
    assert m.config.backpressure.controller.kind == "spark"
    assert controller_setting(m) is None
    conf = resolve_spark_conf(m, "local[2]", "r", Path("/logs"))
    assert conf["spark.streaming.backpressure.enabled"] == "true"


@pytest.mark.parametrize(
    ("controller", "setting"),
    [
        ({"kind": "fixed", "rate": 300}, {"kind": "fixed", "rate": 300.0}),
        ({"kind": "pid"}, {"kind": "pid", **GAINS}),
    ],
)
def test_plugged_kinds_turn_sparks_own_backpressure_off(controller: dict, setting: dict) -> None:
    m = manifest(controller)
    assert controller_setting(m) == setting
    conf = resolve_spark_conf(m, "local[2]", "r", Path("/logs"))
    # With Spark's key on, the direct stream would make Spark's PID beside ours.
    assert conf["spark.streaming.backpressure.enabled"] == "false"


def test_pid_kind_takes_the_manifests_gains() -> None:
    m = manifest({"kind": "pid"}, backpressure={"pid": {"proportional": 0.5, "min_rate": 20}})
    assert controller_setting(m) == {**GAINS, "kind": "pid", "proportional": 0.5, "min_rate": 20.0}


def test_governor_regions_default_to_the_apps_checkpoint_interval() -> None:
    # sum checkpoints its state every 10 s: 5 batches of 2 s.
    stateful = manifest({"kind": "governor"}, workload={"app": "sum"})
    assert controller_setting(stateful) == {
        "kind": "governor",
        "region_batches": 5,
        "min_job_records": 5,
        "history_s": 60.0,
        "warmup_regions": 6,
        "pid": GAINS,
    }
    assert controller_setting(manifest({"kind": "governor"}))["region_batches"] == 10  # stateless
    chosen = manifest({"kind": "governor", "region_batches": 4}, workload={"app": "sum"})
    assert controller_setting(chosen)["region_batches"] == 4


@pytest.mark.parametrize(
    ("controller", "workload", "backpressure", "says"),
    [
        (
            {"kind": "magic"},
            {},
            {},
            "controller: unknown kind 'magic'; one of spark, pid, fixed, governor, python",
        ),
        ({"rate": 300}, {}, {}, "controller: needs `kind:`, one of spark, pid, fixed, governor, python"),
        ({"kind": "fixed"}, {}, {}, "controller.rate: Field required"),
        ({"kind": "fixed", "rate": 0}, {}, {}, "controller.rate: Input should be greater than 0"),
        ({"kind": "fixed", "rate": "fast"}, {}, {}, "controller.rate: Input should be a valid number"),
        ({"kind": "pid", "rate": 3}, {}, {}, "controller.rate: unknown key"),
        ({"kind": "governor", "region_batches": 1}, {}, {}, "controller.region_batches: Input should be"),
        (
            {"kind": "fixed", "rate": 300},
            {"source": "structured"},
            {},
            "controller: Structured Streaming has no rate controller",
        ),
        ({"kind": "spark"}, {"source": "structured"}, {}, "controller: Structured Streaming has no"),
        ({"kind": "pid"}, {"source": "socket"}, {}, "not Spark's socket receiver"),
        ({"kind": "pid"}, {"app": {"script": str(OWN_SCRIPT)}}, {}, "your own app (workload.app) gets"),
        ({"kind": "fixed", "rate": 9}, {}, {"enabled": False}, "needs config.backpressure.enabled: true"),
    ],
)
def test_bad_controllers_name_the_field_and_the_choices(
    controller: dict, workload: dict, backpressure: dict, says: str
) -> None:
    with pytest.raises(UsageError) as error:
        manifest(controller, workload, backpressure)
    assert "c.yaml: config.backpressure.controller" in str(error.value)
    assert says in str(error.value)


def test_a_bad_controller_exits_2_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    path = tmp_path / "c.yaml"
    path.write_text(
        "name: c\nworkload: {duration_s: 20, generator: {profile: constant, rate: 100}}\n"
        "config: {backpressure: {controller: {kind: magic}}}\n"
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "config.backpressure.controller: unknown kind 'magic'" in err and "Traceback" not in err


AIMD = {"kind": "python", "class": "examples.controllers.aimd:AIMD", "path": str(REPO_ROOT)}


def test_a_python_controller_resolves_its_import_folder_and_is_handed_to_the_app(tmp_path: Path) -> None:
    m = manifest({**AIMD, "params": {"increase": 50}})
    assert controller_setting(m) == {
        "kind": "python",
        "class": "examples.controllers.aimd:AIMD",
        "params": {"increase": 50},
        "path": str(REPO_ROOT),
    }
    # Relative to the manifest's folder by default.
    package = tmp_path / "mine"
    package.mkdir()
    (package / "ctl.py").write_text(
        "class Slow:\n    def __init__(self, interval):\n        pass\n\n"
        "    def compute(self, *batch):\n        return 5\n"
    )
    own = parse_manifest(
        {
            "name": "c",
            "workload": {"duration_s": 30, "generator": {"profile": "constant", "rate": 500}},
            "config": {"backpressure": {"controller": {"kind": "python", "class": "mine.ctl:Slow"}}},
        },
        "c.yaml",
        base_dir=tmp_path,
    )
    assert controller_setting(own)["path"] == str(tmp_path)


@pytest.mark.parametrize(
    ("controller", "workload", "says"),
    [
        (
            {**AIMD, "class": "examples.controllers.nothing:AIMD"},
            {},
            "module examples.controllers.nothing does not import",
        ),
        (
            {**AIMD, "class": "examples.controllers.aimd:TCP"},
            {},
            "module examples.controllers.aimd has no class TCP",
        ),
        ({**AIMD, "class": "harness.control.pid:COMPLETED"}, {}, "has no class COMPLETED"),
        ({**AIMD, "class": "harness.errors:UsageError"}, {}, "UsageError has no method compute"),
        ({**AIMD, "class": "aimd"}, {}, "write it as package.module:ClassName"),
        (
            {**AIMD, "params": {"decrease": 3}},
            {},
            "controller.params: AIMD(2000, **params) failed: ValueError",
        ),
        ({**AIMD, "params": {"speed": 3}}, {}, "unexpected keyword argument 'speed'"),
        (AIMD, {"impl": "jvm"}, "kind python runs on the driver of a PySpark app"),
    ],
)
def test_bad_python_controllers_are_refused(controller: dict, workload: dict, says: str) -> None:
    with pytest.raises(UsageError) as error:
        manifest(controller, workload)
    assert "c.yaml: config.backpressure.controller" in str(error.value)
    assert says in str(error.value)
