"""Record workloads: what record i of a run is, as a pure function of the seed and i.

The manifest's ``workload.records`` decides the layout (``apps/records.py``), the keys (ranks in
turn, or Zipf-distributed hot keys with ``key_skew``) and, with ``cost_shift``, which records are
expensive: each record due at t seconds is expensive with the share declared for t, so the share
changes mid-run while the rate, set by the pressure profile alone, stays what it was.

Random draws come in blocks of ``BLOCK`` records, each block from its own generator seeded with
(seed, stream, block): record i's payload is the same whichever process or order makes it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from apps.records import DEFAULT_EVENT_BYTES, HEADER, VALUE_DTYPE, encode, encode_event, record_size

VALUE_POOL = 64  # distinct value arrays of the artifact layout, reused in turn
BLOCK = 4096
# Independent random streams of one seed.
_KEYS, _COST, _READINGS, _VALUES = 1, 2, 3, 4


def zipf_probabilities(keys: int, exponent: float) -> np.ndarray:
    """P(key k) for k = 0 .. keys-1: proportional to (k + 1)^-exponent, key 0 the hottest."""
    weights = np.arange(1, keys + 1, dtype=np.float64) ** -exponent
    return weights / weights.sum()


@dataclass(frozen=True)
class CostShiftSchedule:
    cost_factor: int
    shares: tuple[tuple[float, float], ...]  # (from_s, share), from_s increasing, the first 0

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> CostShiftSchedule:
        shares = tuple((float(s["from_s"]), float(s["share"])) for s in raw["shares"])
        return cls(int(raw["cost_factor"]), shares)

    def share_at(self, t_s: float) -> float:
        return next(share for from_s, share in reversed(self.shares) if from_s <= t_s)


@dataclass(frozen=True)
class RecordStream:
    """Record i's payload for one run's ``workload.records`` and seed."""

    seed: int
    layout: str = "artifact"
    values: int = 256
    ranks: int = 4
    steps: int | None = None
    event_bytes: int | None = None
    zipf_exponent: float | None = None
    cost_shift: CostShiftSchedule | None = None

    @classmethod
    def from_json(cls, records: dict[str, Any], seed: int) -> RecordStream:
        """From the manifest's ``workload.records`` as JSON (``model_dump``)."""
        skew = records.get("key_skew")
        shift = records.get("cost_shift")
        return cls(
            seed=seed,
            layout=records.get("layout", "artifact"),
            values=records.get("values", 256),
            ranks=records.get("ranks", 4),
            steps=records.get("steps"),
            event_bytes=records.get("event_bytes"),
            zipf_exponent=float(skew["exponent"]) if skew else None,
            cost_shift=CostShiftSchedule.from_json(shift) if shift else None,
        )

    @property
    def record_bytes(self) -> int:
        if self.layout == "json":
            return self.event_bytes or DEFAULT_EVENT_BYTES
        return record_size(self.values)

    @cached_property
    def _value_pool(self) -> list[np.ndarray]:
        rng = np.random.default_rng([self.seed, _VALUES])
        return [rng.random(self.values, dtype=np.float32) for _ in range(VALUE_POOL)]

    @cached_property
    def _zipf_cdf(self) -> np.ndarray | None:
        if self.zipf_exponent is None:
            return None
        return np.cumsum(zipf_probabilities(self.ranks, self.zipf_exponent))

    def _uniform(self, stream: int, i: int) -> float:
        return float(_block(self.seed, stream, i // BLOCK)[i % BLOCK])

    def rank(self, i: int) -> int:
        """Record i's key: ranks (sensors) in turn, or a Zipf draw."""
        if self._zipf_cdf is None:
            return i % self.ranks
        # side="right": a draw equal to a cumulative bound belongs to the next key.
        drawn = int(np.searchsorted(self._zipf_cdf, self._uniform(_KEYS, i), side="right"))
        return min(drawn, self.ranks - 1)

    def step(self, i: int) -> int:
        """Steps advance once every rank has had its turn (on average, with key skew)."""
        step = i // self.ranks
        return step % self.steps if self.steps else step

    def expensive(self, i: int, due_s: float) -> bool:
        if self.cost_shift is None:
            return False
        return self._uniform(_COST, i) < self.cost_shift.share_at(due_s)

    def payload_function(self, start_ms: int = 0) -> Callable[[int, float], bytes]:
        """``payload`` for a load that started at ``start_ms``, as one call per record. Plain artifact
        records (no key skew, no cost shift) take a fast path over values encoded once, which a
        high-rate generator needs; it gives the same bytes as ``payload``."""
        if self.layout != "artifact" or self._zipf_cdf is not None or self.cost_shift is not None:
            return functools.partial(self._payload_at, start_ms)
        pack, ranks, steps = HEADER.pack, self.ranks, self.steps or 0
        pool = [np.asarray(values, dtype=VALUE_DTYPE).tobytes() for values in self._value_pool]

        def plain(i: int, _due_s: float) -> bytes:
            step = i // ranks
            return pack(i % ranks, step % steps if steps else step) + pool[i % VALUE_POOL]

        return plain

    def _payload_at(self, start_ms: int, i: int, due_s: float) -> bytes:
        return self.payload(i, due_s, start_ms)

    def payload(self, i: int, due_s: float, start_ms: int = 0) -> bytes:
        """Record i, due ``due_s`` seconds after the load started at ``start_ms`` (epoch ms)."""
        expensive = self.expensive(i, due_s)
        if self.layout == "json":
            ts_ms = start_ms + round(due_s * 1000)
            reading = self._uniform(_READINGS, i)
            return encode_event(self.rank(i), ts_ms, reading, self.record_bytes, expensive)
        return encode(self.rank(i), self.step(i), self._value_pool[i % VALUE_POOL], expensive)


@functools.lru_cache(maxsize=16)
def _block(seed: int, stream: int, block: int) -> np.ndarray:
    """BLOCK uniform draws in [0, 1) of one stream of a seed."""
    return np.random.default_rng([seed, stream, block]).random(BLOCK)
