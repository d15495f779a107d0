"""Exact backlog for the direct stream from its offset log and the batches the app finished."""

from __future__ import annotations

import json
from pathlib import Path

from harness.results.accounting import direct_backlog, processed_until, read_offset_log


def test_only_finished_batches_count_as_processed(tmp_path: Path) -> None:
    log = tmp_path / "offsets.jsonl"
    entries = [
        {"batch_time_ms": 1000, "ranges": [[0, 0, 40], [1, 0, 35]]},
        {"batch_time_ms": 2000, "ranges": [[0, 40, 90], [1, 35, 80]]},
        {"batch_time_ms": 3000, "ranges": [[0, 90, 100], [1, 80, 80]]},
    ]
    log.write_text("".join(json.dumps(e) + "\n" for e in entries) + '{"batch_time_ms": 40')  # cut last line
    offset_log = read_offset_log(log)
    assert len(offset_log) == 3
    # Batch 3000 was planned but the app never reported it finished.
    until = processed_until(offset_log, finished_batches=[1000, 2000])
    assert until == {0: 90, 1: 80}
    assert direct_backlog({0: 100, 1: 80, 2: 7}, until) == 10 + 0 + 7
    assert read_offset_log(tmp_path / "missing.jsonl") == []
