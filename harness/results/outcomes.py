"""A run's outcomes, and the evidence of failures of the system under test: executors lost, and
out-of-memory errors.

Spark reports an executor's removal with its reason in ``/allexecutors``; an executor that ran out
of memory exits with code 52 ("Command exited with code 52"). A JVM that ran out of memory also
says ``java.lang.OutOfMemoryError`` in its log, and a local-mode driver dies with status 52.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class Outcome(StrEnum):
    """What a run's ``summary.json`` says in ``outcome`` (the rule is ``summary.classify``). The
    values are the strings written; ``oom`` and ``executor_lost`` are also kinds of evidence."""

    STABLE = "stable"
    UNSTABLE = "unstable"
    # A slope's confidence interval straddles its threshold: the run neither shows growth nor rules it out.
    INCONCLUSIVE_SLOPE = "inconclusive_slope"
    OOM = "oom"
    EXECUTOR_LOST = "executor_lost"
    APP_FAILED = "app_failed"
    GENERATOR_SATURATED = "generator_saturated"
    HARNESS_ERROR = "harness_error"


# In the order reports list them.
OUTCOMES = tuple(Outcome)
# Outcomes of a run that kept going: the verdict of the growth rule.
GROWTH_OUTCOMES = frozenset({Outcome.STABLE, Outcome.UNSTABLE, Outcome.INCONCLUSIVE_SLOPE})
# Outcomes in which the system under test failed.
FAILURE_OUTCOMES = frozenset({Outcome.OOM, Outcome.EXECUTOR_LOST})
# Outcomes that measured the system under test; the others say the load or the harness failed.
MEASURED_OUTCOMES = GROWTH_OUTCOMES | FAILURE_OUTCOMES
OOM_EXIT_CODE = 52
OOM_MARKER = "java.lang.OutOfMemoryError"
_EXIT_52 = re.compile(rf"exited with code {OOM_EXIT_CODE}\b")
_LOG_SCAN_LIMIT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Evidence:
    kind: str  # Outcome.OOM or Outcome.EXECUTOR_LOST (or "time_limit")
    source: str  # what showed it: an executor, the driver, a log file
    detail: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)


def removal_kind(reason: str) -> Outcome:
    """Why Spark removed an executor, from its reason: exit code 52 is out of memory."""
    return Outcome.OOM if _EXIT_52.search(reason) else Outcome.EXECUTOR_LOST


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
        found.append(Evidence(removal_kind(reason), f"executor {executor_id}", reason))
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
                        found.append(Evidence(Outcome.OOM, f"log {path.name}", line.strip()[:500]))
                        break
                    scanned += len(line)
                    if scanned > _LOG_SCAN_LIMIT:
                        break
        except OSError:
            continue
    return found


def driver_evidence(exit_code: int | None, stop_requested_first: bool) -> list[Evidence]:
    if exit_code == OOM_EXIT_CODE and not stop_requested_first:
        return [Evidence(Outcome.OOM, "driver", f"the driver exited with code {OOM_EXIT_CODE}")]
    return []


_WORKER_EXIT = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}) .*Worker: Executor (\S+)/(\d+) finished with state "
    r"(\w+)(?: message (.*?))? exitStatus (-?\d+)"
)


def worker_evidence(lines: Iterable[str], app_id: str, before_ms: int | None) -> list[Evidence]:
    """Executors of ``app_id`` that a standalone worker saw end: exit status 52 is an out-of-memory
    death whenever it happens (also while the app finishes its queued batches on the way out); any
    other end counts only before ``before_ms``, when the harness began stopping the app."""
    found = []
    for line in lines:
        match = _WORKER_EXIT.match(line)
        if not match or match.group(2) != app_id:
            continue
        moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%f%z")
        state, message, status = match.group(4), match.group(5) or "", int(match.group(6))
        if status != OOM_EXIT_CODE and before_ms is not None and moment.timestamp() * 1000 >= before_ms:
            continue
        kind = Outcome.OOM if status == OOM_EXIT_CODE else Outcome.EXECUTOR_LOST
        found.append(
            Evidence(kind, f"executor {match.group(3)}", f"{state}: {message} (exit status {status})".strip())
        )
    return found


def distinct(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """One piece per failure: the REST API and the worker's log may both report an executor's end.

    The two may disagree on why: when an executor dies, the driver may see its connection drop
    ("Remote RPC client disassociated") before the cluster manager reports the exit code, and
    Spark keeps whichever reason came first. An executor that any source saw run out of memory
    counts as ``oom``, never also as lost."""
    seen: dict[tuple[str, ...], Evidence] = {}
    for piece in evidence:
        key = (piece.source,) if piece.source.startswith("executor ") else (piece.kind, piece.detail)
        earlier = seen.get(key)
        if earlier is None or (earlier.kind == Outcome.EXECUTOR_LOST and piece.kind == Outcome.OOM):
            seen[key] = piece
    return tuple(seen.values())
