"""The Spark configuration of a run, resolved from its manifest.

Backpressure settings are first-class manifest fields; every key under ``config.spark_conf`` passes
through unchanged and wins over what the harness sets, except the JVM options: the harness's GC-log
flags are appended to the user's, so GC is always logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.net import LOOPBACK, free_port
from harness.observe import jvm_metrics
from harness.spec.manifest import Manifest, checkpoint_interval_batches

GC_LOG_DECORATORS = "time,uptime,level,tags"
# An executor's GC log, in the run's logs or (executors elsewhere) in its own working directory.
EXECUTOR_GC_LOG = Path("gc-executor-%p.log")
JAVA_OPTION_KEYS = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")
GC_OPTIONS = {"g1": "-XX:+UseG1GC", "parallel": "-XX:+UseParallelGC"}


def gc_log_option(path: Path) -> str:
    """The JDK 17 unified-logging flag that writes every GC event to ``path`` (``%p``: the JVM's pid)."""
    return f"-Xlog:gc*:file={path}:{GC_LOG_DECORATORS}"


# A stateless app has no checkpoint job; GOVERNOR's regions are then this many batches long.
DEFAULT_REGION_BATCHES = 10


def controller_setting(manifest: Manifest) -> dict[str, Any] | None:
    """The plugged rate controller as the JVM helper makes it (``bpbench.jvm.control.Controllers``),
    every default resolved; None for Spark's built-in backpressure."""
    backpressure = manifest.config.backpressure
    controller = backpressure.controller
    if not backpressure.plugged:
        return None
    gains = backpressure.pid.model_dump()
    if controller.kind == "pid":
        return {"kind": "pid", **gains}
    if controller.kind == "governor":
        region = controller.region_batches or checkpoint_interval_batches(
            manifest.workload, manifest.config.batch_interval_ms
        )
        return {**controller.model_dump(), "region_batches": region or DEFAULT_REGION_BATCHES, "pid": gains}
    if controller.kind == "python":
        return {
            "kind": "python",
            "class": controller.class_,
            "params": controller.params,
            "path": str(controller.path),
        }
    return controller.model_dump()


def _text(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def resolve_spark_conf(
    manifest: Manifest,
    master: str,
    run_id: str,
    log_dir: Path,
    placement: dict[str, str] | None = None,
    executor_logs_local: bool = True,
) -> dict[str, str]:
    """Every ``spark.*`` setting of the run; GC logs go to ``log_dir`` (driver and one per executor).

    Backpressure's ``initialRate`` and the receivers' ``maxRate`` are set only where the manifest sets
    them: with backpressure off either one caps the receivers for the whole run.

    ``placement`` is the backend's say on where the app runs (driver address, executor sizes); the
    manifest's ``config.spark_conf`` wins over it. Executors on other machines or in containers
    cannot write to ``log_dir``: with ``executor_logs_local`` false their GC logs go to their own
    working directory.
    """
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
        # A plugged controller is the backpressure: Spark's own must not run beside it.
        "spark.streaming.backpressure.enabled": backpressure.enabled and not backpressure.plugged,
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
    conf.update(placement or {})
    conf.update(manifest.config.spark_conf)
    executor_gc = EXECUTOR_GC_LOG if not executor_logs_local else log_dir / EXECUTOR_GC_LOG
    collector = GC_OPTIONS[manifest.config.gc]
    gc_logs = {
        "spark.driver.extraJavaOptions": f"{collector} {gc_log_option(log_dir / 'gc-driver.log')}",
        "spark.executor.extraJavaOptions": f"{collector} {gc_log_option(executor_gc)}",
    }
    for key, option in gc_logs.items():
        user = _text(conf[key]) if key in conf else ""
        conf[key] = f"{user} {option}".strip()
    return {key: _text(value) for key, value in conf.items()}
