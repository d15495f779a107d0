"""The record layouts the generator writes and the apps read, so both import this one definition.

``artifact`` is the original artifact's layout: ``int32 rank, int32 step, N x float32``,
little-endian. ``json`` is a sensor event, ``{"sensor": id, "ts": ms, "reading": r, "expensive":
false, "pad": "..."}``, padded to a fixed size; the apps key it by sensor (step 0) and take the
reading as its one value.

A record may be *expensive* (the cost-shift workload): the apps repeat their per-record computation
``cost_factor`` times for it, with the same result. The artifact layout marks it with the sign bit
of the rank field (ranks are never negative); a JSON event with ``"expensive": true``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np

HEADER = struct.Struct("<ii")
VALUE_DTYPE = np.dtype("<f4")
EXPENSIVE_BIT = 1 << 31
DEFAULT_EVENT_BYTES = 200
Layout = Literal["artifact", "json"]

Key = tuple[int, int]
T = TypeVar("T")


def record_size(values_per_record: int) -> int:
    return HEADER.size + VALUE_DTYPE.itemsize * values_per_record


def encode(rank: int, step: int, values: np.ndarray, expensive: bool = False) -> bytes:
    rank_field = rank - EXPENSIVE_BIT if expensive else rank
    return HEADER.pack(rank_field, step) + np.asarray(values, dtype=VALUE_DTYPE).tobytes()


def decode_flagged(record: bytes) -> tuple[int, int, np.ndarray, bool]:
    """Rank, step, values and whether the record is expensive."""
    if len(record) < HEADER.size or (len(record) - HEADER.size) % VALUE_DTYPE.itemsize:
        raise ValueError(f"not an artifact record: {len(record)} bytes")
    rank, step = HEADER.unpack_from(record)
    expensive = rank < 0
    if expensive:
        rank += EXPENSIVE_BIT
    return rank, step, np.frombuffer(record, dtype=VALUE_DTYPE, offset=HEADER.size), expensive


def decode(record: bytes) -> tuple[int, int, np.ndarray]:
    rank, step, values, _ = decode_flagged(record)
    return rank, step, values


# --- JSON sensor events ---------------------------------------------------------------------------

_EVENT = '{{"sensor":{sensor},"ts":{ts},"reading":{reading:.6f},"expensive":{expensive},"pad":"'
_EVENT_END = '"}'
# The widest event without padding (largest sensor id, 13-digit timestamp, reading, flag): every
# event is padded to the configured size, which must be at least this.
MIN_EVENT_BYTES = len(_EVENT.format(sensor=2**31 - 1, ts=10**13 - 1, reading=-1.0, expensive="false")) + len(
    _EVENT_END
)


def encode_event(sensor: int, ts_ms: int, reading: float, size: int, expensive: bool = False) -> bytes:
    """A sensor event of exactly ``size`` bytes; the reading is written with 6 decimals."""
    head = _EVENT.format(sensor=sensor, ts=ts_ms, reading=reading, expensive="true" if expensive else "false")
    padding = size - len(head) - len(_EVENT_END)
    if padding < 0:
        raise ValueError(f"an event needs at least {len(head) + len(_EVENT_END)} bytes, not {size}")
    return (head + "x" * padding + _EVENT_END).encode("ascii")


def decode_event(record: bytes) -> tuple[int, int, float, bool]:
    """Sensor, timestamp (ms), reading and whether the event is expensive."""
    try:
        event = json.loads(record)
        return int(event["sensor"]), int(event["ts"]), float(event["reading"]), bool(event["expensive"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a sensor event: {record[:80]!r}") from exc


# --- what the apps read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFormat:
    """How an app reads its records: the layout, and how many times an expensive record is computed."""

    layout: Layout = "artifact"
    cost_factor: int = 1

    def read(self, record: bytes) -> tuple[Key, np.ndarray, bool]:
        """A record's key, its values and whether it is expensive."""
        if self.layout == "json":
            sensor, _, reading, expensive = decode_event(record)
            return (sensor, 0), np.array([reading], dtype=np.float64), expensive
        rank, step, values, expensive = decode_flagged(record)
        return (rank, step), values, expensive

    def compute(self, record: bytes, per_record: Callable[[np.ndarray], T]) -> tuple[Key, T]:
        """``per_record`` of the record's values, under its key; an expensive record is read and
        computed ``cost_factor`` times (the same arithmetic, so the same result)."""
        key, values, expensive = self.read(record)
        result = per_record(values)
        if expensive:
            for _ in range(self.cost_factor - 1):
                per_record(self.read(record)[1])
        return key, result


ARTIFACT = RecordFormat()
