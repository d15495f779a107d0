"""Where the project's files and its caches live."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
INFRA_DIR = REPO_ROOT / "infra"
APPS_DIR = REPO_ROOT / "apps"
JVM_HELPER_SRC = APPS_DIR / "jvm" / "src" / "main" / "java"
JVM_HELPER_JAR = APPS_DIR / "jvm" / "target" / "bpbench-jvm-helper.jar"
JVM_LOCK = INFRA_DIR / "jvm-deps.lock"


def cache_dir() -> Path:
    """The jar cache: $BPBENCH_CACHE, else $XDG_CACHE_HOME/bpbench, else ~/.cache/bpbench."""
    explicit = os.environ.get("BPBENCH_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "bpbench"
