"""The plugged controller's decision log, read as the app appends to it."""

from __future__ import annotations

import json
from pathlib import Path

from harness.observe.controller_decisions import ControllerDecisionsCollector
from harness.results.tables import CONTROLLER_COLUMNS

DECISION = {
    "event": "decision",
    "stream_id": 0,
    "batch_time_ms": 4000,
    "end_time_ms": 4600,
    "elements": 1000,
    "processing_delay_ms": 600,
    "scheduling_delay_ms": 100,
    "rate_rps": 1650.0,
    "limit_rps": 1650,
    "compute_us": 12.5,
    "decided_ms": 4601,
    "error": None,
    "detail": None,
}
CAP = {"event": "batch_cap", "stream_id": 0, "batch_time_ms": 6000, "limit_rps": 1650, "decided_ms": 6001}


def test_decisions_and_batch_caps_become_rows_as_they_are_appended(tmp_path: Path) -> None:
    path = tmp_path / "controller.jsonl"
    collector = ControllerDecisionsCollector(path)
    collector.poll()  # nothing written yet
    cap = json.dumps(CAP)
    with path.open("w") as handle:
        handle.write(json.dumps(DECISION) + "\n" + cap[:20])  # the driver is still writing the cap
    collector.poll()
    assert len(collector.tables()["controller"][0]) == 1
    with path.open("a") as handle:
        handle.write(cap[20:] + "\nnot json\n" + '{"event": "vote"}\n')
    collector.poll()
    rows, columns = collector.tables()["controller"]
    assert columns == CONTROLLER_COLUMNS
    assert rows[0] == DECISION
    assert rows[1] == {**dict.fromkeys(CONTROLLER_COLUMNS), **CAP}
    assert len(rows) == 2
    # A line of an unknown event and a line that is not JSON are counted, not kept.
    assert collector.bad_lines == 2
