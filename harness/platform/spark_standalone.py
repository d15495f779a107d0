"""A Spark standalone cluster on loopback: one Master and one Worker, run with pyspark's spark-class."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from harness import jvm
from harness.errors import HarnessError
from harness.net import LOOPBACK, free_port
from harness.run.spark_app import spark_environment
from harness.run.supervisor import ManagedProcess, ProcessSupervisor
from harness.timing import wait_until

READY_TIMEOUT_S = 90.0


def alive_workers(master_ui_url: str) -> int:
    """Workers registered with a standalone master, from its UI's JSON (0 while it does not answer)."""
    try:
        with urllib.request.urlopen(f"{master_ui_url}/json/", timeout=2) as response:
            return int(json.load(response).get("aliveworkers", 0))
    except (urllib.error.URLError, OSError, ValueError):
        return 0


class SparkStandalone:
    def __init__(self, workdir: Path, supervisor: ProcessSupervisor, cores: int, memory: str) -> None:
        self.workdir = workdir
        self._supervisor = supervisor
        self._cores = cores
        self._memory = memory
        self._processes: list[ManagedProcess] = []
        self.master_url = ""
        self.master_ui_url = ""

    def _spark_class(self, name: str, main: str, *args: str) -> ManagedProcess:
        command = [str(jvm.spark_home() / "bin" / "spark-class"), main, *args]
        env = spark_environment(self.workdir / "conf")
        process = self._supervisor.start(name, command, self.workdir / f"{name}.log", env=env)
        self._processes.append(process)
        return process

    def start(self) -> str:
        jvm.require_jdk()
        self.workdir.mkdir(parents=True, exist_ok=True)
        port, ui_port = free_port(), free_port()
        self.master_url = f"spark://{LOOPBACK}:{port}"
        self.master_ui_url = f"http://{LOOPBACK}:{ui_port}"
        master = self._spark_class(
            "spark-master",
            "org.apache.spark.deploy.master.Master",
            "--host", LOOPBACK, "--port", str(port), "--webui-port", str(ui_port),
        )  # fmt: skip
        worker = self._spark_class(
            "spark-worker",
            "org.apache.spark.deploy.worker.Worker",
            "--host", LOOPBACK, "--port", str(free_port()), "--webui-port", str(free_port()),
            "--cores", str(self._cores), "--memory", self._memory,
            "--work-dir", str(self.workdir / "work"),
            self.master_url,
        )  # fmt: skip
        self._wait_for_worker(master, worker)
        return self.master_url

    def _wait_for_worker(self, master: ManagedProcess, worker: ManagedProcess) -> None:
        def registered() -> bool:
            for process in (master, worker):
                if not process.alive():
                    raise HarnessError(
                        f"the {process.name} exited; last lines of {process.log_path}:\n{process.log_tail()}"
                    )
            return alive_workers(self.master_ui_url) >= 1

        if wait_until(registered, READY_TIMEOUT_S, interval_s=0.5):
            return
        raise HarnessError(
            f"no Spark worker registered with {self.master_url} in {READY_TIMEOUT_S:.0f} s; "
            f"see {self.workdir}"
        )

    def stop(self) -> None:
        while self._processes:
            self._supervisor.stop(self._processes.pop())
