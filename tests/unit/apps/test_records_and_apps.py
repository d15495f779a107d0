"""The artifact record layout and StatelessSUM's per-record and per-batch arithmetic."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from apps.records import decode, encode, record_size
from apps.stateless_sum import add_totals, key_totals, merge_sums, sum_record


def test_layout_is_little_endian_rank_step_then_float32s() -> None:
    record = encode(3, 7, np.array([1.5, -2.0], dtype=np.float32))
    assert record == struct.pack("<ii2f", 3, 7, 1.5, -2.0)
    assert len(record) == record_size(2) == 16


def test_round_trip_and_published_record_size() -> None:
    values = np.arange(2398, dtype=np.float32)
    rank, step, decoded = decode(encode(1, 2, values))
    assert (rank, step) == (1, 2)
    assert np.array_equal(decoded, values)
    assert record_size(2398) == 9600  # the published runs' record size


@pytest.mark.parametrize("size", [0, 7, 9])
def test_decode_rejects_malformed_records(size: int) -> None:
    with pytest.raises(ValueError, match="not an artifact record"):
        decode(b"\0" * size)


def test_stateless_sum_per_key_and_per_batch() -> None:
    records = [
        encode(0, 1, np.array([1.0, 2.0], dtype=np.float32)),
        encode(0, 1, np.array([3.0], dtype=np.float32)),
        encode(1, 1, np.array([10.0], dtype=np.float32)),
    ]
    pairs = [sum_record(r) for r in records]
    assert pairs[0] == ((0, 1), (3.0, 2, 1))
    per_key: dict = {}
    for key, sums in pairs:
        per_key[key] = merge_sums(per_key[key], sums) if key in per_key else sums
    assert per_key == {(0, 1): (6.0, 3, 2), (1, 1): (10.0, 1, 1)}
    totals = (0, 0, 0, 0.0)
    for pair in per_key.items():
        totals = add_totals(totals, key_totals(pair))
    assert totals == (2, 3, 4, 16.0)
