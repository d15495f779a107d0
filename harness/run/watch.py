"""Conditions read on a thread of their own while a run lasts, whose first failure fails the run.

A run depends on things the harness does not measure but needs: room on the results' disk
(``harness.run.disk_space``) and the platform its backend started (``PlatformWatch``: a container
engine that stops answering takes Kafka and Spark out of the harness's reach). Each watch reads its
condition every interval; ``check()`` raises the first failure seen, as a ``HarnessError`` subclass
naming what happened and when, so the run gets no ``COMPLETE`` marker and its reason is recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Self

from harness.errors import HarnessError


class PeriodicWatch:
    """The thread machinery: ``read()`` every ``interval_s`` between ``start()`` and ``stop()``."""

    def __init__(self, interval_s: float) -> None:
        self._interval_s = interval_s
        self._lock = threading.Lock()  # for the first failure a subclass keeps
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def read(self) -> None:
        raise NotImplementedError

    def check(self) -> None:
        raise NotImplementedError

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            self.read()

    def start(self) -> None:
        self.read()
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()


class PlatformLost(HarnessError):
    """The platform the backend started stopped answering during a run (exit status 1)."""


PLATFORM_CHECK_INTERVAL_S = 2.0


class PlatformWatch(PeriodicWatch):
    """Asks ``lost()`` (a backend's: why its platform can no longer carry a run, or None) every
    interval; a run during which it answered fails with ``PlatformLost``."""

    def __init__(self, lost: Callable[[], str | None], interval_s: float = PLATFORM_CHECK_INTERVAL_S) -> None:
        super().__init__(interval_s)
        self._lost = lost
        self.first_loss: tuple[float, str] | None = None  # (epoch seconds, why)

    def read(self) -> None:
        if self.first_loss is not None:
            return
        why = self._lost()
        if why is not None:
            with self._lock:
                self.first_loss = self.first_loss or (time.time(), why)

    def check(self) -> None:
        loss = self.first_loss
        if loss is not None:
            moment = time.strftime("%H:%M:%S", time.localtime(loss[0]))
            raise PlatformLost(
                f"{loss[1]} (seen at {moment}): the run's measurements stop there and it has no COMPLETE "
                "marker; the next run of the manifest redoes it"
            )
