"""The run's event log: one JSON object per line, flushed as it happens."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from harness.errors import HarnessError


class EventLog:
    """Events are emitted from every thread of a run; one that cannot be written (a full disk) must
    not take a thread down, so the first failed write is kept (``write_error``), the log stops there,
    and ``check()`` raises it as a ``HarnessError`` naming the file."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._handle = path.open("a", encoding="utf-8")
        self.write_error: OSError | None = None

    def emit(self, kind: str, **fields: Any) -> None:
        record = {"time_ms": int(time.time() * 1000), "kind": kind, **fields}
        line = json.dumps(record, default=str)
        with self._lock:
            if self._handle.closed or self.write_error is not None:
                return
            try:
                self._handle.write(line + "\n")
                self._handle.flush()
            except OSError as exc:
                self.write_error = exc

    def check(self) -> None:
        """Raises ``HarnessError`` if an event could not be written."""
        error = self.write_error
        if error is not None:
            raise HarnessError(f"could not write {self.path}: {error.strerror or error}")

    def close(self) -> None:
        with self._lock:
            try:
                self._handle.close()  # flushes what a failed write left in the buffer, and may fail too
            except OSError as exc:
                self.write_error = self.write_error or exc

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
