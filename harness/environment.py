"""The environment a run was measured in: versions, host, and the harness's own commit."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from typing import Any

import psutil

from harness import __version__, jvm
from harness.paths import REPO_ROOT


def _first_line(command: list[str]) -> str | None:
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stdout + result.stderr).strip()
    return text.splitlines()[0] if result.returncode == 0 and text else None


def kafka_version() -> str | None:
    for entry in jvm.read_lock():
        if entry.jar_set == "kafka-broker" and entry.artifact.startswith("kafka_"):
            return entry.version
    return None


def describe() -> dict[str, Any]:
    return {
        "versions": {
            "bpbench": __version__,
            "python": platform.python_version(),
            "spark": jvm.pyspark_version(),
            "kafka": kafka_version(),
            "java": _first_line(["java", "-version"]),
        },
        "git_commit": _first_line(["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"]),
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "memory_bytes": psutil.virtual_memory().total,
            "python_executable": sys.executable,
        },
    }
