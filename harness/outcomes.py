"""Evidence of failures of the system under test: executors lost, and out-of-memory errors.

Spark reports an executor's removal with its reason in ``/allexecutors``; an executor that ran out
of memory exits with code 52 ("Command exited with code 52"). A JVM that ran out of memory also
says ``java.lang.OutOfMemoryError`` in its log, and a local-mode driver dies with status 52.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

OOM_EXIT_CODE = 52
OOM_MARKER = "java.lang.OutOfMemoryError"
_EXIT_52 = re.compile(rf"exited with code {OOM_EXIT_CODE}\b")
_LOG_SCAN_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Evidence:
    kind: str  # "oom" or "executor_lost"
    source: str  # what showed it: an executor, the driver, a log file
    detail: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def executor_evidence(samples: list[dict[str, Any]]) -> list[Evidence]:
    """One piece of evidence per executor that Spark removed during the run."""
    last: dict[str, dict[str, Any]] = {}
    for sample in samples:
        last[sample["executor_id"]] = sample
    found = []
    for executor_id, sample in sorted(last.items()):
        reason = sample.get("remove_reason")
        if sample.get("is_active") or not reason:
            continue
        kind = "oom" if _EXIT_52.search(reason) else "executor_lost"
        found.append(Evidence(kind, f"executor {executor_id}", reason))
    return found


def log_evidence(paths: Iterable[Path]) -> list[Evidence]:
    """An ``OutOfMemoryError`` line in any of the logs (the first one of each file)."""
    found = []
    for path in sorted(paths):
        try:
            with path.open("r", errors="replace") as handle:
                scanned = 0
                for line in handle:
                    if OOM_MARKER in line:
                        found.append(Evidence("oom", f"log {path.name}", line.strip()[:500]))
                        break
                    scanned += len(line)
                    if scanned > _LOG_SCAN_LIMIT:
                        break
        except OSError:
            continue
    return found


def driver_evidence(exit_code: int | None, stop_requested_first: bool) -> list[Evidence]:
    if exit_code == OOM_EXIT_CODE and not stop_requested_first:
        return [Evidence("oom", "driver", f"the driver exited with code {OOM_EXIT_CODE}")]
    return []
