"""Submitting an app under test with spark-submit, and the handshake and stop protocol with its driver."""

from __future__ import annotations

import json
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from apps import BUILTIN_APPS
from apps.driver import BATCHES_FILE, HANDSHAKE_FILE, STOP_FILE, STREAMING_BATCHES_FILE, AppConfig
from harness import jvm
from harness.errors import UsageError
from harness.net import LOOPBACK
from harness.paths import APPS_DIR, JVM_HELPER_JAR
from harness.run.supervisor import ManagedProcess, ProcessSupervisor
from harness.spec.manifest import OwnApp
from harness.timing import wait_until

HANDSHAKE_TIMEOUT_S = 180.0

_LOG4J2 = """\
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yyyy-MM-dd'T'HH:mm:ss.SSSZ} %p %c{1}: %m%n
logger.jetty.name = org.sparkproject.jetty
logger.jetty.level = warn
logger.kafka.name = org.apache.kafka
logger.kafka.level = warn
"""


@dataclass(frozen=True)
class DriverInfo:
    app_id: str
    ui_url: str
    pid: int


def spark_environment(conf_dir: Path) -> dict[str, str]:
    """The environment for Spark's launch scripts: pyspark's Spark, this Python, loopback only."""
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(jvm.spark_home()),
        SPARK_CONF_DIR=str(conf_dir),
        SPARK_LOCAL_IP=LOOPBACK,
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    conf_dir.mkdir(parents=True, exist_ok=True)
    (conf_dir / "log4j2.properties").write_text(_LOG4J2)
    return env


def package_apps(target: Path) -> Path:
    """Zip the ``apps`` package so the driver and every executor's Python import the same code."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(APPS_DIR.glob("*.py")):
            archive.write(source, f"apps/{source.name}")
    return target


def jvm_jars() -> list[Path]:
    if not JVM_HELPER_JAR.exists():
        raise UsageError(f"the JVM helper {JVM_HELPER_JAR} is not built: run `make setup`")
    return [JVM_HELPER_JAR, *jvm.classpath("spark-kafka")]


# Where summary.json's processed count came from: the app's own batch lines, or, for an own app that
# writes none, the records of the batches Spark's listener saw completed.
FROM_APP_BATCHES = "app_batches"
FROM_SPARK_LISTENER = "spark_listener"


def _whole_lines(path: Path) -> list[dict]:
    if not path.exists():
        return []
    # The last piece may be a line the driver is still writing: only whole lines count.
    complete = path.read_text().split("\n")[:-1]
    return [json.loads(line) for line in complete if line.strip()]


class SparkApp:
    """One app under test: its spark-submit process and the files it shares with the harness."""

    def __init__(
        self,
        app: str | OwnApp,
        impl: str,
        config: AppConfig,
        conf_dir: Path,
        log_path: Path,
        environment: dict[str, str] | None = None,
    ) -> None:
        self.app = app
        self.name = app if isinstance(app, str) else app.label
        self.environment = environment or {}
        self.impl = impl
        self.config = config
        self.conf_dir = conf_dir
        self.log_path = log_path
        self.process: ManagedProcess | None = None
        self.stop_requested = False

    @property
    def output_dir(self) -> Path:
        return self.config.output_dir

    def submit_command(self, spark_conf: dict[str, str]) -> list[str]:
        config_file = self.output_dir / "app-config.json"
        config_file.write_text(json.dumps(self.config.to_json(), indent=2))
        command = [str(jvm.spark_home() / "bin" / "spark-submit")]
        for key, value in spark_conf.items():
            command += ["--conf", f"{key}={value}"]
        own = self.app if isinstance(self.app, OwnApp) else None
        if own is not None and own.jar is not None:
            # The user's jar is the application; the helper (StreamingDriver) and connectors ride along.
            command += [
                "--class",
                str(own.main_class),
                "--jars",
                ",".join(map(str, jvm_jars())),
                str(own.jar),
            ]
        elif self.impl == "jvm":
            # The helper jar is the application; only the connectors ride along.
            connectors = ",".join(map(str, jvm.classpath("spark-kafka")))
            main_class = str(BUILTIN_APPS[str(self.app)].jvm_class)
            command += ["--class", main_class, "--jars", connectors, str(JVM_HELPER_JAR)]
        else:
            command += ["--jars", ",".join(map(str, jvm_jars()))]
            command += ["--py-files", str(package_apps(self.output_dir / "apps.zip"))]
            script = own.script if own is not None else APPS_DIR / BUILTIN_APPS[str(self.app)].script
            command += [str(script)]
        return [*command, "--config", str(config_file)]

    def submit(self, supervisor: ProcessSupervisor, spark_conf: dict[str, str]) -> None:
        jvm.require_jdk()
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.process = supervisor.start(
            f"spark-app:{self.name}",
            self.submit_command(spark_conf),
            self.log_path,
            env={**spark_environment(self.conf_dir), **self.environment},
        )

    def log_tail(self) -> str:
        return self.process.log_tail() if self.process else ""

    def alive(self) -> bool:
        return self.process is not None and self.process.alive()

    def wait_for_driver(self, timeout_s: float = HANDSHAKE_TIMEOUT_S) -> DriverInfo | None:
        """The driver's handshake, or None if the app exited (or never announced itself)."""
        handshake = self.output_dir / HANDSHAKE_FILE
        settled = wait_until(lambda: handshake.exists() or not self.alive(), timeout_s, interval_s=0.2)
        if not settled or not handshake.exists():
            return None
        raw = json.loads(handshake.read_text())
        return DriverInfo(raw["app_id"], raw["ui_url"].rstrip("/"), int(raw["pid"]))

    def own_batches(self) -> list[dict]:
        """The app's own per-batch account (one JSON line per batch it finished)."""
        return _whole_lines(self.output_dir / BATCHES_FILE)

    @property
    def processed_from(self) -> str:
        """Where the processed count comes from: the app's batch lines, which every built-in app and an
        own app using BatchOutput write; for an own app without them, Spark's listener."""
        if isinstance(self.app, str) or (self.output_dir / BATCHES_FILE).exists():
            return FROM_APP_BATCHES
        return FROM_SPARK_LISTENER

    def processed_batches(self) -> list[dict]:
        """Each finished batch's time and records (``batch_time_ms``, ``records``): the app's own account,
        or, for an own app that keeps none, the input records of the batches Spark completed."""
        if self.processed_from == FROM_APP_BATCHES:
            return self.own_batches()
        completed = [
            line
            for line in _whole_lines(self.output_dir / STREAMING_BATCHES_FILE)
            if line["status"] == "COMPLETED"
        ]
        return [
            {"batch_time_ms": line["batch_time_ms"], "records": line["input_records"]} for line in completed
        ]

    def request_stop(self) -> None:
        self.stop_requested = True
        (self.output_dir / STOP_FILE).touch()

    def wait(self, timeout_s: float) -> int | None:
        if self.process is None:
            return None
        process = self.process
        wait_until(lambda: not process.alive(), timeout_s, interval_s=0.2)
        return process.popen.poll()
