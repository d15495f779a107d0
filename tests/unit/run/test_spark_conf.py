"""Resolving a run's Spark configuration from its manifest."""

from __future__ import annotations

from pathlib import Path

from harness.platform.local import LocalBackend
from harness.run.spark_conf import resolve_spark_conf
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import parse_manifest

BASE = {"name": "m", "workload": {"generator": {"profile": "constant", "rate": 500}}}


def test_backpressure_keys_are_first_class() -> None:
    backpressure = {
        "enabled": True,
        "initial_rate": 2000,
        "max_rate_per_partition": 700,
        "pid": {"proportional": 0.5, "derived": 0.1},
    }
    manifest = parse_manifest({**BASE, "config": {"backpressure": backpressure}}, "m")
    conf = resolve_spark_conf(manifest, "local[2]", "abc", Path("/runs/r1/logs"))
    assert conf["spark.master"] == "local[2]"
    assert conf["spark.streaming.backpressure.enabled"] == "true"
    assert conf["spark.streaming.backpressure.initialRate"] == "2000"
    assert conf["spark.streaming.kafka.maxRatePerPartition"] == "700"
    assert conf["spark.streaming.backpressure.pid.proportional"] == "0.5"
    assert conf["spark.streaming.backpressure.pid.derived"] == "0.1"
    assert conf["spark.streaming.backpressure.pid.minRate"] == "100.0"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert int(conf["spark.ui.port"]) > 0
    assert "spark.executor.memory" not in conf


def test_optional_rates_are_left_to_spark_and_user_keys_win(tmp_path: Path) -> None:
    manifest = parse_manifest(
        {**BASE, "platform": {"spark": {"topology": "standalone", "cores": 1, "executor_memory": "2g"}},
         "config": {"backpressure": {"enabled": False},
                    "spark_conf": {"spark.streaming.blockInterval": "400ms", "spark.driver.memory": "3g"}}},
        "m",
    )  # fmt: skip
    backend = LocalBackend(tmp_path, manifest.platform, ProcessSupervisor())
    conf = resolve_spark_conf(
        manifest, "spark://127.0.0.1:7077", "abc", Path("/runs/r1/logs"), placement=backend.spark_conf()
    )
    assert conf["spark.streaming.backpressure.enabled"] == "false"
    assert "spark.streaming.backpressure.initialRate" not in conf
    assert "spark.streaming.kafka.maxRatePerPartition" not in conf
    assert conf["spark.streaming.blockInterval"] == "400ms"
    assert conf["spark.driver.memory"] == "3g"
    assert conf["spark.executor.memory"] == "2g"
    assert conf["spark.cores.max"] == "1"


def test_gc_logs_and_metrics_are_always_on_and_user_jvm_options_are_kept() -> None:
    manifest = parse_manifest(
        {**BASE, "config": {"spark_conf": {"spark.executor.extraJavaOptions": "-Xss4m"}}}, "m"
    )
    conf = resolve_spark_conf(manifest, "local[2]", "abc", Path("/runs/r1/logs"))
    assert (
        conf["spark.driver.extraJavaOptions"]
        == "-XX:+UseG1GC -Xlog:gc*:file=/runs/r1/logs/gc-driver.log:time,uptime,level,tags"
    )
    assert conf["spark.executor.extraJavaOptions"] == (
        "-Xss4m -XX:+UseG1GC -Xlog:gc*:file=/runs/r1/logs/gc-executor-%p.log:time,uptime,level,tags"
    )
    assert conf["spark.executor.processTreeMetrics.enabled"] == "true"
    assert conf["spark.metrics.conf.*.source.jvm.class"] == "org.apache.spark.metrics.source.JvmSource"


def test_backend_placement_and_executor_gc_logs_off_this_machine() -> None:
    manifest = parse_manifest(BASE, "m")
    placement = {"spark.driver.host": "10.0.0.5", "spark.executor.memory": "4g"}
    conf = resolve_spark_conf(
        manifest,
        "spark://h:7077",
        "abc",
        Path("/runs/r1/logs"),
        placement=placement,
        executor_logs_local=False,
    )
    assert conf["spark.driver.host"] == "10.0.0.5"
    assert conf["spark.executor.memory"] == "4g"
    # Executors elsewhere write their GC log into their own working directory.
    assert (
        conf["spark.executor.extraJavaOptions"]
        == "-XX:+UseG1GC -Xlog:gc*:file=gc-executor-%p.log:time,uptime,level,tags"
    )
    assert "/runs/r1/logs/gc-driver.log" in conf["spark.driver.extraJavaOptions"]
