"""Where every produced record went: processed by the app, still in Kafka (backlog), or lost.

produced (acknowledged by Kafka) = processed (counted by the app) + backlog + lost.

The backlog is measured once the app has stopped:

* direct stream: the JVM helper logs each batch's offset ranges; the batches the app reported as
  finished say which offsets were processed, so the backlog is exact: the topic's end minus the
  end of the processed ranges, per partition;
* receivers commit the offsets of the records they have stored (handed to Spark's block generator),
  so the backlog is the consumer group's lag after the app stopped: what no receiver ever stored.
  Stored blocks that a dying receiver or executor takes with it show as lost.
* the socket source's line server commits the offsets of the lines it has written to the socket
  receiver, so the backlog is again the group's lag: what was never served. Lines in the socket's
  buffers when the app stops show as lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def read_offset_log(path: Path) -> list[dict[str, Any]]:
    """The offset log's whole lines (the last may still be being written)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().split("\n")[:-1] if line.strip()]


def processed_until(offset_log: Iterable[dict[str, Any]], finished_batches: Iterable[int]) -> dict[int, int]:
    """Per partition, the end of the offsets held by batches the app finished."""
    finished = set(finished_batches)
    until: dict[int, int] = {}
    for entry in offset_log:
        if entry["batch_time_ms"] in finished:
            for partition, _start, end in entry["ranges"]:
                until[partition] = max(until.get(partition, 0), end)
    return until


def direct_backlog(end_offsets: dict[int, int], until: dict[int, int]) -> int:
    return sum(max(0, end - until.get(partition, 0)) for partition, end in end_offsets.items())
