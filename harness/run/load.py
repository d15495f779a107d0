"""The load generator as the runner sees it: a process with a config file in, result files out."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from generators.config import GeneratorConfig
from harness.results.store import write_json
from harness.run.supervisor import ManagedProcess, ProcessSupervisor
from harness.spec.manifest import Workload


class LoadGenerator:
    """``generators.produce`` for one run; its files live in the run directory."""

    def __init__(
        self,
        run_dir: Path,
        workload: Workload,
        bootstrap_servers: str,
        topic: str,
        client_config: dict[str, str] | None = None,
    ) -> None:
        self.config_path = run_dir / "generator-config.json"
        self.stats_path = run_dir / "generator-stats.jsonl"
        self.result_path = run_dir / "generator-result.json"
        self.log_path = run_dir / "logs" / "generator.log"
        self.config = GeneratorConfig(
            bootstrap_servers=bootstrap_servers,
            client_config=dict(client_config or {}),
            topic=topic,
            profile=workload.generator,
            duration_s=workload.duration_s,
            records=workload.records.model_dump(mode="json"),
            seed=workload.seed,
            stats_path=self.stats_path,
            result_path=self.result_path,
            processes=workload.producer.processes,
        )

    def start(self, supervisor: ProcessSupervisor) -> ManagedProcess:
        write_json(self.config_path, self.config.to_json())
        command = [sys.executable, "-m", "generators.produce", "--config", str(self.config_path)]
        return supervisor.start("generator", command, self.log_path)

    def result(self) -> dict[str, Any]:
        """The generator's totals; empty if it was stopped before writing them."""
        return json.loads(self.result_path.read_text()) if self.result_path.exists() else {}

    def rows(self) -> list[dict[str, Any]]:
        """One row per second of the schedule (``GENERATOR_COLUMNS``)."""
        if not self.stats_path.exists():
            return []
        return [json.loads(line) for line in self.stats_path.read_text().splitlines() if line.strip()]
