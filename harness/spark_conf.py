"""The Spark configuration of a run, resolved from its manifest.

Backpressure settings are first-class manifest fields; every key under ``config.spark_conf`` passes
through unchanged and wins over what the harness sets, except the JVM options: the harness's GC-log
flags are appended to the user's, so GC is always logged.
"""

from __future__ import annotations

from pathlib import Path

from harness.collectors import jvm_metrics
from harness.manifest import Manifest
from harness.net import LOOPBACK, free_port

GC_LOG_DECORATORS = "time,uptime,level,tags"
JAVA_OPTION_KEYS = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")


def gc_log_option(path: Path) -> str:
    """The JDK 17 unified-logging flag that writes every GC event to ``path`` (``%p``: the JVM's pid)."""
    return f"-Xlog:gc*:file={path}:{GC_LOG_DECORATORS}"


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def resolve_spark_conf(manifest: Manifest, master: str, run_id: str, log_dir: Path) -> dict[str, str]:
    """Every ``spark.*`` setting of the run; GC logs go to ``log_dir`` (driver and one per executor)."""
    spark = manifest.platform.spark
    backpressure = manifest.config.backpressure
    conf: dict[str, object] = {
        "spark.master": master,
        "spark.app.name": f"bpbench-{manifest.name}-{run_id}",
        "spark.driver.host": LOOPBACK,
        "spark.driver.bindAddress": LOOPBACK,
        "spark.ui.port": free_port(),
        "spark.ui.showConsoleProgress": False,
        "spark.driver.memory": spark.driver_memory,
        # Peak memory metrics in /executors are sampled only when polling is on.
        "spark.executor.metrics.pollingInterval": "1s",
        "spark.executor.processTreeMetrics.enabled": True,
        **jvm_metrics.SPARK_CONF,
        "spark.streaming.backpressure.enabled": backpressure.enabled,
        "spark.streaming.backpressure.pid.proportional": backpressure.pid.proportional,
        "spark.streaming.backpressure.pid.integral": backpressure.pid.integral,
        "spark.streaming.backpressure.pid.derived": backpressure.pid.derived,
        "spark.streaming.backpressure.pid.minRate": backpressure.pid.min_rate,
    }
    if backpressure.initial_rate is not None:
        conf["spark.streaming.backpressure.initialRate"] = backpressure.initial_rate
    if backpressure.max_rate_per_partition is not None:
        conf["spark.streaming.kafka.maxRatePerPartition"] = backpressure.max_rate_per_partition
    if backpressure.max_rate is not None:
        conf["spark.streaming.receiver.maxRate"] = backpressure.max_rate
    if manifest.config.block_interval_ms is not None:
        conf["spark.streaming.blockInterval"] = f"{manifest.config.block_interval_ms}ms"
    if spark.topology == "standalone":
        conf["spark.executor.memory"] = spark.executor_memory
        conf["spark.executor.cores"] = spark.cores
        conf["spark.cores.max"] = spark.cores
    conf.update(manifest.config.spark_conf)
    gc_logs = {
        "spark.driver.extraJavaOptions": gc_log_option(log_dir / "gc-driver.log"),
        "spark.executor.extraJavaOptions": gc_log_option(log_dir / "gc-executor-%p.log"),
    }
    for key, option in gc_logs.items():
        user = _text(conf[key]) if key in conf else ""
        conf[key] = f"{user} {option}".strip()
    return {key: _text(value) for key, value in conf.items()}
