"""SparkApp with the user's own app: submitted as the built-in apps are, and where its processed count
comes from (its own batch lines, or Spark's listener when it writes none)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from apps.driver import BATCHES_FILE, STREAMING_BATCHES_FILE, AppConfig
from harness.paths import JVM_HELPER_JAR
from harness.run.spark_app import FROM_APP_BATCHES, FROM_SPARK_LISTENER, SparkApp
from harness.spec.manifest import OwnApp


def script(folder: Path, name: str = "my_app.py") -> Path:
    path = folder / name
    path.write_text("print('hello')\n")
    return path


def fake_jar(path: Path, main_class: str) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(main_class.replace(".", "/") + ".class", b"\xca\xfe\xba\xbe")
    return path


def app_under_test(tmp_path: Path, app: str | OwnApp, impl: str = "python", fresh: bool = False) -> SparkApp:
    config = AppConfig("127.0.0.1:9092", "t", "g", 1000, tmp_path / "out")
    config.output_dir.mkdir(exist_ok=fresh)
    return SparkApp(app, impl, config, tmp_path / "conf", tmp_path / "driver.log")


def test_an_own_script_is_submitted_as_the_built_in_apps_are(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("harness.run.spark_app.jvm_jars", lambda: [JVM_HELPER_JAR])
    own = app_under_test(tmp_path, OwnApp(script=script(tmp_path))).submit_command(
        {"spark.master": "local[2]"}
    )
    builtin = app_under_test(tmp_path, "sum", fresh=True).submit_command({"spark.master": "local[2]"})
    assert own[:-3] == builtin[:-3]  # the same conf, jars and apps package
    assert own[-3:] == [str(tmp_path / "my_app.py"), "--config", builtin[-1]]


def test_an_own_jar_runs_its_main_class_with_the_helper_on_the_classpath(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("harness.run.spark_app.jvm_jars", lambda: [JVM_HELPER_JAR, Path("/k/kafka.jar")])
    own = OwnApp(jar=fake_jar(tmp_path / "app.jar", "com.example.MyApp"), main_class="com.example.MyApp")
    command = app_under_test(tmp_path, own, "jvm").submit_command({})
    at = command.index("--class")
    assert command[at : at + 5] == [
        "--class",
        "com.example.MyApp",
        "--jars",
        f"{JVM_HELPER_JAR},/k/kafka.jar",
        str(tmp_path / "app.jar"),
    ]


def write_lines(path: Path, lines: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_processed_comes_from_the_apps_own_batches_when_it_writes_them(tmp_path: Path) -> None:
    app = app_under_test(tmp_path, OwnApp(script=script(tmp_path)))
    write_lines(app.output_dir / BATCHES_FILE, [{"batch_time_ms": 1000, "records": 7}])
    write_lines(
        app.output_dir / STREAMING_BATCHES_FILE,
        [{"batch_time_ms": 1000, "status": "COMPLETED", "input_records": 9}],
    )
    assert app.processed_from == FROM_APP_BATCHES
    assert app.processed_batches() == [{"batch_time_ms": 1000, "records": 7}]


def test_without_its_own_batches_an_own_apps_processed_records_are_the_completed_batches_input(
    tmp_path: Path,
) -> None:
    app = app_under_test(tmp_path, OwnApp(script=script(tmp_path)))
    write_lines(
        app.output_dir / STREAMING_BATCHES_FILE,
        [
            {"batch_time_ms": 1000, "status": "SUBMITTED", "input_records": 5},
            {"batch_time_ms": 1000, "status": "STARTED", "input_records": 5},
            {"batch_time_ms": 1000, "status": "COMPLETED", "input_records": 5},
            {"batch_time_ms": 2000, "status": "STARTED", "input_records": 3},
        ],
    )
    assert app.processed_from == FROM_SPARK_LISTENER
    assert app.processed_batches() == [{"batch_time_ms": 1000, "records": 5}]
    assert app.own_batches() == []


def test_a_built_in_app_always_counts_its_own_batches(tmp_path: Path) -> None:
    app = app_under_test(tmp_path, "stateless_sum")
    write_lines(
        app.output_dir / STREAMING_BATCHES_FILE,
        [{"batch_time_ms": 1000, "status": "COMPLETED", "input_records": 5}],
    )
    assert app.processed_from == FROM_APP_BATCHES
    assert app.processed_batches() == []
