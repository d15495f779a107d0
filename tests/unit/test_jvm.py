"""JDK detection and the jar lock."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from harness import jvm
from harness.errors import UsageError


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15', 17),
        ('java version "1.8.0_391"', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ("javac 17.0.15", 17),
        ("javac 1.8.0_292", 8),
        ("nothing useful", None),
    ],
)
def test_parse_java_major(output: str, major: int | None) -> None:
    assert jvm.parse_java_major(output) == major


def fake_tool(folder: Path, name: str, version_line: str) -> None:
    script = folder / name
    script.write_text(f"#!/bin/sh\necho '{version_line}' >&2\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def test_require_jdk_rejects_missing_and_old_java(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="`java` was not found on PATH: install a JDK 17"):
        jvm.require_jdk()
    fake_tool(tmp_path, "java", 'openjdk version "11.0.2" 2019-01-15')
    with pytest.raises(UsageError, match="`java` is version 11, bpbench needs 17 or newer"):
        jvm.require_jdk()
    fake_tool(tmp_path, "java", 'openjdk version "17.0.1" 2021-10-19')
    jvm.require_jdk()
    with pytest.raises(UsageError, match="`javac` was not found"):
        jvm.require_jdk(javac=True)


def test_the_project_lock_pins_both_sets() -> None:
    entries = jvm.read_lock()
    sets = {e.jar_set for e in entries}
    assert sets == set(jvm.JAR_SETS)
    coordinates = {e.coordinate for e in entries}
    assert "org.apache.kafka:kafka_2.13:3.9.1" in coordinates
    assert f"org.apache.spark:spark-streaming-kafka-0-10_2.12:{jvm.pyspark_version()}" in coordinates
    assert f"org.apache.spark:spark-sql-kafka-0-10_2.12:{jvm.pyspark_version()}" in coordinates


@pytest.mark.parametrize(
    "line",
    [
        "kafka-broker org.apache.kafka:kafka_2.13 " + "a" * 64,
        "other org.apache.kafka:kafka_2.13:3.9.1 " + "a" * 64,
        "kafka-broker org.apache.kafka:kafka_2.13:3.9.1 notahash",
    ],
)
def test_malformed_lock_lines_are_named(tmp_path: Path, line: str) -> None:
    lock = tmp_path / "jvm-deps.lock"
    lock.write_text(f"# header\n{line}\n")
    with pytest.raises(UsageError, match=rf"{lock}:2: expected"):
        jvm.read_lock(lock)


def test_missing_jars_point_to_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BPBENCH_CACHE", str(tmp_path))
    with pytest.raises(UsageError, match="run `make setup`"):
        jvm.classpath("kafka-broker")
