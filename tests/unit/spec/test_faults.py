"""The fault schedule: fields each action needs, times within the load, overlaps, backends."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from harness.errors import UsageError
from harness.spec.manifest import load_experiment, parse_manifest, run_id_for

LOAD = {"generator": {"profile": "constant", "rate": 500}, "duration_s": 60}
STANDALONE = {"spark": {"topology": "standalone"}}


def manifest(faults: list, platform: dict | None = None, **workload: object) -> dict:
    data = {"name": "m", "workload": {**LOAD, **workload}, "faults": faults}
    if platform is not None:
        data["platform"] = platform
    return data


def problem(data: dict) -> str:
    with pytest.raises(UsageError) as error:
        parse_manifest(data, "m.yaml")
    return str(error.value)


def test_a_schedule_of_every_action_loads() -> None:
    faults = [
        {"at_s": 5, "action": "kill_executor", "target": "1"},
        {"at_s": 6, "action": "kill_receiver_executor"},
        {"at_s": 10, "action": "pause_broker", "duration_s": 5},
        {"at_s": 20, "action": "restart_broker"},
        {"at_s": 25, "action": "restart_broker", "duration_s": 3},
        {"at_s": 10, "action": "stall_driver", "duration_s": 4},
        {"at_s": 30, "action": "cpu_hog", "duration_s": 10, "cores": 2},
    ]
    parsed = parse_manifest(manifest(faults, STANDALONE, source="receiver"), "m.yaml")
    assert [f.action for f in parsed.faults] == [f["action"] for f in faults]
    assert parsed.faults[6].end_s == 40


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ({"at_s": 5, "action": "pause_broker"}, "duration_s: pause_broker lasts"),
        (
            {"at_s": 5, "action": "kill_executor", "duration_s": 3},
            "duration_s: kill_executor is instantaneous",
        ),
        ({"at_s": 5, "action": "stall_driver", "duration_s": -1}, "faults.0.duration_s"),
        ({"at_s": -1, "action": "cpu_hog", "duration_s": 1}, "faults.0.at_s"),
        ({"at_s": 5, "action": "unplug"}, "faults.0.action"),
        ({"at_s": 5, "action": "pause_broker", "duration_s": 2, "target": "x"}, "target: only kill_executor"),
        ({"at_s": 5, "action": "stall_driver", "duration_s": 2, "cores": 2}, "cores: only cpu_hog"),
        (
            {"at_s": 60, "action": "kill_executor"},
            "faults.0: kill_executor at 60 s ends at 60 s, not within the load",
        ),
        ({"at_s": 50, "action": "cpu_hog", "duration_s": 15}, "ends at 65 s, not within the load"),
    ],
)
def test_bad_faults_name_the_field(fault: dict, message: str) -> None:
    assert message in problem(manifest([fault], STANDALONE))


def test_faults_on_one_target_may_not_overlap() -> None:
    text = problem(
        manifest([
            {"at_s": 10, "action": "pause_broker", "duration_s": 10},
            {"at_s": 15, "action": "restart_broker"},
            {"at_s": 12, "action": "stall_driver", "duration_s": 10},
            {"at_s": 30, "action": "kill_executor", "target": "0"},
            {"at_s": 30, "action": "kill_executor", "target": "0"},
            {"at_s": 30, "action": "kill_executor", "target": "1"},
        ], STANDALONE)
    )  # fmt: skip
    assert (
        "faults.1: restart_broker at 15 s overlaps faults.0 (pause_broker from 10 s to 20 s) on the same "
        "broker" in text
    )
    assert "faults.4: kill_executor at 30 s overlaps faults.3" in text
    assert "faults.2" not in text and "faults.5" not in text


def test_what_a_backend_cannot_do_is_refused_before_anything_starts() -> None:
    kill = [{"at_s": 5, "action": "kill_executor"}]
    assert "faults.0.action: kill_executor needs executors apart from the driver" in problem(manifest(kill))
    receiver = [{"at_s": 5, "action": "kill_receiver_executor"}]
    assert "needs workload.source: receiver" in problem(manifest(receiver, STANDALONE))
    external = {
        "backend": "external",
        "external": {
            "kafka": {"bootstrap_servers": "127.0.0.1:9092"},
            "spark": {"master": "spark://127.0.0.1:7077"},
        },
    }
    pause = [{"at_s": 5, "action": "pause_broker", "duration_s": 2}]
    assert "faults.0.action: pause_broker is not possible on the external backend" in problem(
        manifest(pause, external)
    )
    hog = [{"at_s": 5, "action": "cpu_hog", "duration_s": 2}]
    assert parse_manifest(manifest(hog, external), "m.yaml").faults[0].action == "cpu_hog"


def test_faults_change_the_run_id_and_no_faults_keep_it() -> None:
    plain = parse_manifest({"name": "m", "workload": LOAD}, "m.yaml")
    empty = parse_manifest(manifest([]), "m.yaml")
    hog = parse_manifest(manifest([{"at_s": 5, "action": "cpu_hog", "duration_s": 2}]), "m.yaml")
    assert run_id_for(plain) == run_id_for(empty) != run_id_for(hog)


def test_faults_are_a_matrix_dimension(tmp_path: Path) -> None:
    data = {
        "name": "m",
        "workload": LOAD,
        "matrix": {"faults": [[], [{"at_s": 5, "action": "stall_driver", "duration_s": 3}]]},
    }
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data))
    runs = load_experiment(path)
    assert [len(run.manifest.faults) for run in runs] == [0, 1]
    assert len({run.run_id for run in runs}) == 2
