"""The line server (``generators.line_server``) as the runner sees it, for ``workload.source: socket``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.net import free_port
from harness.results.store import write_json
from harness.run.supervisor import ManagedProcess, ProcessSupervisor
from harness.timing import wait_until

READY_TIMEOUT_S = 60.0


class LineServer:
    """One run's line server: it serves the run's topic to the app's socket receiver on ``port``."""

    def __init__(self, run_dir: Path, bootstrap_servers: str, topic: str, group_id: str) -> None:
        self.port = free_port()
        self.config_path = run_dir / "line-server-config.json"
        self.result_path = run_dir / "line-server.json"
        self.log_path = run_dir / "logs" / "line-server.log"
        self.config: dict[str, Any] = {
            "bootstrap_servers": bootstrap_servers,
            "topic": topic,
            "group_id": group_id,
            "port": self.port,
            "result_path": str(self.result_path),
        }
        self.process: ManagedProcess | None = None

    def start(self, supervisor: ProcessSupervisor) -> None:
        """Start the server and wait until it listens."""
        write_json(self.config_path, self.config)
        command = [sys.executable, "-m", "generators.line_server", "--config", str(self.config_path)]
        self.process = supervisor.start("line-server", command, self.log_path)
        process = self.process
        wait_until(lambda: self.result_path.exists() or not process.alive(), READY_TIMEOUT_S, interval_s=0.1)
        if not self.result_path.exists():
            raise HarnessError(f"the line server did not start listening:\n{process.log_tail()}")

    def stop(self, supervisor: ProcessSupervisor) -> dict[str, Any]:
        """Stop the server; its final count of lines served (and connections taken)."""
        if self.process is not None:
            supervisor.stop(self.process)
        return self.result()

    def result(self) -> dict[str, Any]:
        return json.loads(self.result_path.read_text()) if self.result_path.exists() else {}
