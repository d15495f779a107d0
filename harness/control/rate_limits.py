"""A run's rate-limit trace: what each batch took in, and what Spark's PID asked for after it."""

from __future__ import annotations

from typing import Any

from harness.control.pid import replay_pid


def rate_limit_rows(
    batches: list[dict[str, Any]],
    batch_interval_ms: int,
    proportional: float = 1.0,
    integral: float = 0.2,
    derivative: float = 0.0,
    min_rate: float = 100.0,
) -> list[dict[str, Any]]:
    """One row per completed batch (``harness.results.tables.RATE_LIMIT_COLUMNS``), the PID run with
    the given gains."""
    replayed = {
        row["batch_time_ms"]: row
        for row in replay_pid(batches, batch_interval_ms, proportional, integral, derivative, min_rate)
    }
    rows = []
    for batch in batches:
        if batch["status"] != "COMPLETED":
            continue
        replay = replayed.get(batch["batch_time_ms"], {})
        rows.append({
            "batch_time_ms": batch["batch_time_ms"],
            "batch_rate_rps": batch["input_records"] * 1000.0 / batch_interval_ms,
            "pid_rate_rps": replay.get("rate_rps"),
            "pid_limit_rps": replay.get("latest_rate_rps"),
        })  # fmt: skip
    return rows
