"""What Spark's logs say that no endpoint does: the rate limits receivers were given.

With backpressure on, each receiver's supervisor logs "Received a new rate limit: N." when the
driver's rate controller updates it; the harness's log4j pattern starts each line with an ISO-8601
time with milliseconds and offset.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

_RATE_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}) .*Received a new rate limit: (-?\d+)\."
)


def logged_rate_limits(path: Path, source: str) -> list[dict[str, Any]]:
    rows = []
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return rows
    for line in lines:
        match = _RATE_LINE.match(line)
        if match:
            moment = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S.%f%z")
            rows.append(
                {
                    "time_ms": round(moment.timestamp() * 1000),
                    "source": source,
                    "rate_rps": float(match.group(2)),
                }
            )
    return rows
