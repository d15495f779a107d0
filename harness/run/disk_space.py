"""The free space of the disk a run writes to, watched while the run lasts.

Kafka's log, Spark's logs and the app's files go to the results folder from other processes, and
each fails on a full disk in its own way (the broker stops, a log is cut short, the app crashes); the
harness sees only what follows. So the disk's free space is read every half second during a run, and
a run during which it fell under ``MIN_FREE_BYTES`` fails with ``DiskFull``, naming the folder: its
files are incomplete, it gets no ``COMPLETE`` marker, and the next run of the manifest redoes it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from harness.errors import HarnessError
from harness.run.watch import PeriodicWatch

MIN_FREE_BYTES = 2**20
CHECK_INTERVAL_S = 0.5


class DiskFull(HarnessError):
    """The results folder's disk ran out of space (a harness failure: exit status 1)."""


class Reading(NamedTuple):
    time_s: float  # epoch seconds
    free_bytes: int


def free_bytes(path: Path) -> int:
    """Bytes free to the harness on the disk holding ``path``."""
    return shutil.disk_usage(path).free


class DiskSpaceWatch(PeriodicWatch):
    """Reads the free space of the disk holding ``folder`` on a thread of its own while started.

    ``check()`` raises ``DiskFull`` if any reading so far, or one taken then, was under
    ``min_free_bytes``.
    """

    def __init__(
        self,
        folder: Path,
        min_free_bytes: int = MIN_FREE_BYTES,
        interval_s: float = CHECK_INTERVAL_S,
        free: Callable[[Path], int] = free_bytes,
    ) -> None:
        super().__init__(interval_s)
        self.folder = folder
        self.min_free_bytes = min_free_bytes
        self._free = free
        self.first_short: Reading | None = None  # the first reading under the minimum

    def read(self) -> None:
        try:
            free = self._free(self.folder)
        except OSError:  # the folder is gone (the run is being cleaned up): nothing to say
            return
        with self._lock:
            if free < self.min_free_bytes and self.first_short is None:
                self.first_short = Reading(time.time(), free)

    def check(self) -> None:
        self.read()
        short = self.first_short
        if short is not None:
            moment = time.strftime("%H:%M:%S", time.localtime(short.time_s))
            raise DiskFull(
                f"the disk holding {self.folder} ran out of space during the run ({short.free_bytes:,} "
                f"bytes free at {moment}, under the {self.min_free_bytes / 2**20:g} MiB a run needs "
                "to go on): the run's files are incomplete and it has no COMPLETE marker; free some "
                "space or choose another --out, then run again (the run is redone)"
            )


def free_space_problem(folder: Path, min_free_bytes: int = MIN_FREE_BYTES) -> str | None:
    """Why ``folder`` cannot take a run (its disk is full), or None; a folder not yet made is on the disk
    of its nearest parent that exists."""
    existing = next((path for path in (folder, *folder.absolute().parents) if path.exists()), None)
    if existing is None:
        return None
    free = free_bytes(existing)
    if free >= min_free_bytes:
        return None
    return (
        f"{folder}: its disk is full ({free:,} bytes free, under the {min_free_bytes / 2**20:g} MiB a run "
        "needs to start); free some space or choose another --out"
    )
