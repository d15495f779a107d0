"""The original artifact's record layout: ``int32 rank, int32 step, N x float32``, little-endian.

The generator writes it and the apps read it, so both import this one definition.
"""

from __future__ import annotations

import struct

import numpy as np

HEADER = struct.Struct("<ii")
VALUE_DTYPE = np.dtype("<f4")


def record_size(values_per_record: int) -> int:
    return HEADER.size + VALUE_DTYPE.itemsize * values_per_record


def encode(rank: int, step: int, values: np.ndarray) -> bytes:
    return HEADER.pack(rank, step) + np.asarray(values, dtype=VALUE_DTYPE).tobytes()


def decode(record: bytes) -> tuple[int, int, np.ndarray]:
    if len(record) < HEADER.size or (len(record) - HEADER.size) % VALUE_DTYPE.itemsize:
        raise ValueError(f"not an artifact record: {len(record)} bytes")
    rank, step = HEADER.unpack_from(record)
    return rank, step, np.frombuffer(record, dtype=VALUE_DTYPE, offset=HEADER.size)
