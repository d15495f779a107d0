"""Waiting for something to become true: the harness's one poll loop."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], object],
    timeout_s: float,
    *,
    interval_s: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Poll ``predicate`` every ``interval_s`` until it is true (True) or ``timeout_s`` has passed
    (False). The predicate is asked first, before any sleep, and never after the deadline; what it
    raises propagates."""
    deadline = clock() + timeout_s
    while clock() < deadline:
        if predicate():
            return True
        sleep(interval_s)
    return False
