"""GOVERNOR's four window operators (Chen et al., ICAC 2017) over the artifact's record stream.

What a tuple is: one record. Its key is the record's rank (the "symbol"; the artifact's ranks play the
part of GOVERNOR's stock symbols) and its value is the mean of the record's float values (0 for a
record without values). A key's tuples are ordered by their step, which the generator numbers
per rank in production order.

- **count_sliding_window** (size W, slide S tuples): per key, after every S-th tuple once W have
  arrived, the mean of the key's last W tuple values. A window closes at the key's n-th tuple when
  ``n >= W`` and ``(n - W) % S == 0``.
- **count_tumbling_window** (size W): the same with S = W: disjoint windows of W tuples.
- **time_sliding_window** (size and slide in seconds): per key, the tuples of the batches in the
  window ``(t - size, t]``, evaluated every slide at batch time t; the key's windowed value is the
  mean of those tuple values.
- **time_sliding_topk** (and k): the same window; its result is the k keys with the largest
  windowed value (ties go to the smaller key).

Count windows keep state across batches with ``updateStateByKey``: per key, the number of tuples
seen and the last W - 1 tuple values, enough to close every window a batch's tuples complete. The
keys are the ranks, a bounded set, so no key ever leaves the state. Time windows use
``reduceByKeyAndWindow`` with its inverse function: the window's per-key (sum, count) is updated
incrementally, keys whose count falls to zero are dropped, and Spark requires checkpointing.

Checkpointing is on for all four: the stateful DStream (the count state, the time window) is
checkpointed every ``checkpoint_interval_batches`` batches (GOVERNOR: 10 batches of 1 s).

Reports (the accounting hook): one line per batch in ``batches.jsonl`` with the records the batch
consumed; count windows add the windows the batch closed. Time windows write one line per window
evaluation in ``windows.jsonl``. Both carry ``checkpointed``: whether the state RDD of that batch
was checkpointed.

The Java ports (``impl: jvm``; ``apps/jvm/.../apps/CountWindows.java`` and ``TimeWindows.java``)
build the same pipelines and write the same lines.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import numpy as np
from pyspark import SparkContext
from pyspark.streaming import DStream, StreamingContext

from apps import BUILTIN_APPS
from apps.driver import AppConfig, BatchOutput, parse_args, run_until_stopped
from apps.kafka_dstream import value_stream
from apps.records import ARTIFACT, RecordFormat

WINDOWS_FILE = "windows.jsonl"


# Seen tuples, the last W - 1 tuple values, and what the latest batch did to the key: its tuples,
# the windows it closed, the sum and the largest of their means.
CountState = tuple[int, tuple[float, ...], int, int, float, float]
# keys with tuples in the batch, records, keys in the state, windows, window mean sum, largest mean
CountPart = tuple[int, int, int, int, float, float]
Sums = tuple[float, int]  # sum of tuple values, number of tuples


# --- tuples -------------------------------------------------------------------------------------


def tuple_value(values: np.ndarray) -> float:
    """A tuple's value: the mean of its record's floats (0 without values)."""
    return float(values.mean(dtype=np.float64)) if values.size else 0.0


def record_tuple(record: bytes, record_format: RecordFormat = ARTIFACT) -> tuple[int, tuple[int, float]]:
    """A record as its key (rank) and its (step, value); an expensive record's value is computed
    ``cost_factor`` times (``records.cost_shift``: a costlier operator, the same result)."""
    (rank, step), value = record_format.compute(record, tuple_value)
    return rank, (step, value)


# --- count windows ------------------------------------------------------------------------------


def close_count_windows(
    size: int, slide: int, seen: int, tail: tuple[float, ...], values: list[float]
) -> tuple[tuple[float, ...], list[float]]:
    """The key's new tail (last size - 1 values) and the means of the windows ``values`` close.

    ``tail`` holds the values of the key's tuples up to the ``seen``-th, the latest last.
    """
    window = list(tail) + values
    offset = seen - len(tail)  # tuples before window[0]
    means = []
    for n in range(seen + 1, seen + len(values) + 1):
        if n >= size and (n - size) % slide == 0:
            end = n - offset
            means.append(sum(window[end - size : end]) / size)
    keep = size - 1
    return (tuple(window[-keep:]) if keep else ()), means


def update_count_window(
    size: int, slide: int, new_tuples: Iterable[tuple[int, float]], state: CountState | None
) -> CountState:
    """One key's state after a batch (``updateStateByKey``'s update function)."""
    seen, tail = (0, ()) if state is None else (state[0], state[1])
    values = [value for _step, value in sorted(new_tuples)]
    tail, means = close_count_windows(size, slide, seen, tail, values)
    return seen + len(values), tail, len(values), len(means), sum(means), max(means, default=-math.inf)


def count_part(state: CountState) -> CountPart:
    _seen, _tail, tuples, windows, mean_sum, mean_max = state
    return int(tuples > 0), tuples, 1, windows, mean_sum, mean_max


def add_count_parts(a: CountPart, b: CountPart) -> CountPart:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], max(a[5], b[5])


COUNT_ZERO: CountPart = (0, 0, 0, 0, 0.0, -math.inf)


def count_report(part: CountPart) -> dict[str, Any]:
    keys, records, state_keys, windows, mean_sum, mean_max = part
    return {
        "keys": keys,
        "records": records,
        "state_keys": state_keys,
        "windows": windows,
        "window_mean_sum": mean_sum,
        "window_mean_max": mean_max if windows else None,
    }


# --- time windows -------------------------------------------------------------------------------


def tuple_sums(record: bytes, record_format: RecordFormat = ARTIFACT) -> tuple[int, Sums]:
    key, (_step, value) = record_tuple(record, record_format)
    return key, (value, 1)


def add_sums(a: Sums, b: Sums) -> Sums:
    return a[0] + b[0], a[1] + b[1]


def subtract_sums(a: Sums, b: Sums) -> Sums:
    return a[0] - b[0], a[1] - b[1]


def in_window(pair: tuple[int, Sums]) -> bool:
    """Keys whose tuples have all left the window leave it."""
    return pair[1][1] > 0


def window_mean(pair: tuple[int, Sums]) -> tuple[int, float]:
    key, (value_sum, tuples) = pair
    return key, value_sum / tuples


def top_k_order(pair: tuple[int, float]) -> tuple[float, int]:
    """Largest windowed value first; ties go to the smaller key."""
    return -pair[1], pair[0]


def window_report(pairs: list[tuple[int, Sums]]) -> dict[str, Any]:
    """A time window's figures from its per-key (sum, count)."""
    return {
        "window_keys": len(pairs),
        "window_tuples": sum(tuples for _, (_, tuples) in pairs),
        "window_mean_sum": sum(mean for _, mean in map(window_mean, pairs)),
    }


def top_k(pairs: Iterable[tuple[int, Sums]], k: int) -> list[list[Any]]:
    return [[key, mean] for key, mean in sorted(map(window_mean, pairs), key=top_k_order)[:k]]


# --- the Spark pipelines ------------------------------------------------------------------------


def _checkpointed(rdd: Any) -> bool:
    return bool(rdd._jrdd.rdd().isCheckpointed())


def define_count_pipeline(records: DStream, config: AppConfig, size: int, slide: int) -> None:
    update = functools.partial(update_count_window, size, slide)
    states = records.map(
        functools.partial(record_tuple, record_format=config.record_format)
    ).updateStateByKey(update)
    states.checkpoint(config.checkpoint_interval_batches * config.batch_interval_ms / 1000)
    output_dir = config.output_dir

    def write_report(batch_time: datetime, rdd: Any) -> None:
        total = rdd.map(lambda pair: count_part(pair[1])).fold(COUNT_ZERO, add_count_parts)
        BatchOutput(output_dir).write(batch_time, **count_report(total), checkpointed=_checkpointed(rdd))

    states.foreachRDD(write_report)


def define_time_pipeline(records: DStream, config: AppConfig, k: int | None) -> None:
    per_batch = (
        records.map(functools.partial(tuple_sums, record_format=config.record_format))
        .reduceByKey(add_sums)
        .cache()
    )
    output_dir = config.output_dir

    def write_batch(batch_time: datetime, rdd: Any) -> None:
        keys, tuples = rdd.map(lambda pair: (1, pair[1][1])).fold((0, 0), add_sums)
        BatchOutput(output_dir).write(batch_time, keys=keys, records=tuples)

    per_batch.foreachRDD(write_batch)
    windows = per_batch.reduceByKeyAndWindow(
        add_sums, subtract_sums, config.window_size, config.window_slide, filterFunc=in_window
    )
    windows.checkpoint(config.checkpoint_interval_batches * config.batch_interval_ms / 1000)

    def write_window_report(batch_time: datetime, rdd: Any) -> None:
        pairs = rdd.collect()
        fields = window_report(pairs)
        if k is not None:
            fields["top_k"] = top_k(pairs, k)
        BatchOutput(output_dir, WINDOWS_FILE).write(batch_time, **fields, checkpointed=_checkpointed(rdd))

    windows.foreachRDD(write_window_report)


def main(app: str) -> None:
    config = parse_args()
    ssc = StreamingContext(SparkContext.getOrCreate(), config.batch_interval_ms / 1000)
    ssc.checkpoint(str(config.checkpoint_dir))
    records = value_stream(ssc, config)
    if BUILTIN_APPS[app].window == "count":
        size = int(config.window_size)
        slide = size if app == "count_tumbling_window" else int(config.window_slide)
        define_count_pipeline(records, config, size, slide)
    else:
        define_time_pipeline(records, config, config.top_k if app == "time_sliding_topk" else None)
    run_until_stopped(ssc, config)
