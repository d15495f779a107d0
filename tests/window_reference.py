"""The window operators' results computed in plain Python, from the definitions in apps/window_apps.py:
the reference both the unit tests and the tests on real Spark compare the apps against.

A record is (rank, step, values); its tuple is keyed by rank, ordered by step, and its value is the
mean of its values.
"""

from __future__ import annotations

from collections import defaultdict

Record = tuple[int, int, list[float]]


def tuple_value(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def count_window_reports(batches: list[list[Record]], size: int, slide: int) -> list[dict]:
    """Per batch: the keys and records it had, the keys seen so far, and the windows it closed."""
    history: dict[int, list[float]] = defaultdict(list)
    reports = []
    for batch in batches:
        means = []
        for rank in sorted({rank for rank, _, _ in batch}):
            tuples = sorted((step, tuple_value(values)) for r, step, values in batch if r == rank)
            for _step, value in tuples:
                history[rank].append(value)
                n = len(history[rank])
                if n >= size and (n - size) % slide == 0:
                    means.append(sum(history[rank][n - size : n]) / size)
        reports.append(
            {
                "keys": len({rank for rank, _, _ in batch}),
                "records": len(batch),
                "state_keys": len(history),
                "windows": len(means),
                "window_mean_sum": sum(means),
                "window_mean_max": max(means) if means else None,
            }
        )
    return reports


def time_window_report(
    batches: list[tuple[int, list[Record]]], end_ms: int, size_ms: int, k: int | None = None
) -> dict:
    """The window (end_ms - size_ms, end_ms] over batches given as (batch time, records)."""
    by_key: dict[int, list[float]] = defaultdict(list)
    for time_ms, records in batches:
        if end_ms - size_ms < time_ms <= end_ms:
            for rank, _step, values in records:
                by_key[rank].append(tuple_value(values))
    means = {rank: sum(values) / len(values) for rank, values in by_key.items()}
    report = {
        "window_keys": len(by_key),
        "window_tuples": sum(len(values) for values in by_key.values()),
        "window_mean_sum": sum(means.values()),
    }
    if k is not None:
        ranked = sorted(means.items(), key=lambda item: (-item[1], item[0]))
        report["top_k"] = [[rank, mean] for rank, mean in ranked[:k]]
    return report
