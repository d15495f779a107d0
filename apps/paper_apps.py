"""The original artifact's three stateful applications: SUM, GlobalSUM and GlobalHistogram.

Each aggregates a batch per (rank, step), as StatelessSUM does, then folds each key's batch value
into a state kept across batches; a key not updated for ``state_timeout_s`` (20 s in the paper)
leaves the state. The per-record, per-batch and state-update functions are pure, so the arithmetic
is tested without Spark; ``main`` wires them into a DStream pipeline for one app.

PySpark has no ``mapWithState``: the state is kept with ``updateStateByKey``, whose update function
is called once per batch for every key in the state or in the batch. A key's state therefore counts
the batches since its last update, and idle batches x batch interval is the batch time elapsed
since then: the measure ``mapWithState``'s timeout uses.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyspark import SparkContext
from pyspark.streaming import DStream, StreamingContext

from apps.driver import AppConfig, BatchOutput, parse_args, run_until_stopped
from apps.kafka_dstream import value_stream
from apps.records import ARTIFACT, Key, RecordFormat
from apps.stateless_sum import Sums, merge_sums, sum_record

HISTOGRAM_BINS = 10
EMPTY_BINS = (0,) * HISTOGRAM_BINS

Bins = tuple[int, ...]  # value counts, one per histogram bin
Histogram = tuple[Bins, int]  # bin counts, number of records
# Batches since the key's last update, its accumulated value, and its value in the latest batch
# (None when idle): the batch value is what mapWithState would emit for the key.
TimedState = tuple[int, Any, Any]
Part = tuple[Any, ...]  # one key's (or state entry's) share of a batch report


# --- per record and per batch -------------------------------------------------------------------


def mean(sums: Sums) -> float:
    """The mean of the values summed; 0 for records without values, which the layout allows."""
    value_sum, values, _ = sums
    return value_sum / values if values else 0.0


def histogram_bins(values: np.ndarray) -> np.ndarray:
    """Each value's bin among 10 equal bins over [0, 1); outside values go to the first or last bin.

    Values are widened to float64 before scaling, as the JVM apps do, so both implementations put
    a value on the same side of a bin edge. NaN goes to bin 0.
    """
    scaled = np.floor(np.asarray(values, dtype=np.float64) * HISTOGRAM_BINS)
    clamped = np.clip(np.nan_to_num(scaled, nan=0.0), 0, HISTOGRAM_BINS - 1)
    return clamped.astype(np.int64)


def histogram_values(values: np.ndarray) -> Histogram:
    counts = np.bincount(histogram_bins(values), minlength=HISTOGRAM_BINS)
    return tuple(int(count) for count in counts), 1


def histogram_record(record: bytes, fmt: RecordFormat = ARTIFACT) -> tuple[Key, Histogram]:
    return fmt.compute(record, histogram_values)


def merge_histograms(a: Histogram, b: Histogram) -> Histogram:
    return tuple(x + y for x, y in zip(a[0], b[0], strict=True)), a[1] + b[1]


# --- state --------------------------------------------------------------------------------------


def is_stale(idle_batches: int, batch_interval_ms: int, timeout_ms: int) -> bool:
    """As ``mapWithState`` decides: stale once the batch time since the last update exceeds the timeout."""
    return idle_batches * batch_interval_ms > timeout_ms


def update_timed_state(
    merge: Callable[[Any, Any], Any],
    batch_interval_ms: int,
    timeout_ms: int,
    new_values: Iterable[Any],
    state: TimedState | None,
) -> TimedState | None:
    """One key's state after a batch (``updateStateByKey``'s update function); None drops the key.

    A key with values in the batch merges them into its batch value and its accumulated value and is
    fresh again; a key without counts one more idle batch and is dropped once it has been idle for
    longer than the timeout.
    """
    new_values = list(new_values)
    if new_values:
        batch = functools.reduce(merge, new_values)
        return 0, batch if state is None else merge(state[1], batch), batch
    if state is None:
        return None
    idle_batches = state[0] + 1
    if is_stale(idle_batches, batch_interval_ms, timeout_ms):
        return None
    return idle_batches, state[1], None


# --- batch reports ------------------------------------------------------------------------------


def _field_wise(op: Callable[[Any, Any], Any], a: Part, b: Part) -> Part:
    """``op`` of two report parts field by field; nested tuples (histogram bins) element-wise."""
    return tuple(
        _field_wise(op, x, y) if isinstance(x, tuple) else op(x, y) for x, y in zip(a, b, strict=True)
    )


def add_parts(a: Part, b: Part) -> Part:
    return _field_wise(operator.add, a, b)


def subtract_parts(a: Part, b: Part) -> Part:
    return _field_wise(operator.sub, a, b)


SUM_FIELDS = ("keys", "records", "values", "value_sum", "state_keys", "state_value_sum")
GLOBAL_SUM_FIELDS = (
    "keys",
    "records",
    "values",
    "value_sum",
    "local_mean_sum",
    "state_keys",
    "global_mean_sum",
)


def named_fields(names: tuple[str, ...], part: Part) -> dict[str, Any]:
    return dict(zip(names, part, strict=True))


def sum_batch_part(batch: Sums) -> Part:
    value_sum, values, records = batch
    return 1, records, values, value_sum, 0, 0.0


def sum_state_part(state: Sums) -> Part:
    return 0, 0, 0, 0.0, 1, state[0]


def global_sum_batch_part(batch: Sums) -> Part:
    value_sum, values, records = batch
    return 1, records, values, value_sum, mean(batch), 0, 0.0


def global_sum_state_part(state: Sums) -> Part:
    return 0, 0, 0, 0.0, 0.0, 1, mean(state)


def histogram_batch_part(batch: Histogram) -> Part:
    bins, records = batch
    return 1, records, bins, 0, EMPTY_BINS


def histogram_state_part(state: Histogram) -> Part:
    return 0, 0, EMPTY_BINS, 1, state[0]


def histogram_fields(part: Part) -> dict[str, Any]:
    keys, records, bins, state_keys, state_bins = part
    return {
        "keys": keys,
        "records": records,
        "histogram": list(bins),
        "histogram_total": sum(bins),
        "state_keys": state_keys,
        "state_histogram": list(state_bins),
    }


# --- the apps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatefulApp:
    """What tells the stateful apps apart; the pipeline around it is the same for all three."""

    name: str
    record_value: Callable[..., tuple[Key, Any]]  # one record's key and value (record, fmt=RecordFormat)
    merge: Callable[[Any, Any], Any]  # two values of a key, within a batch and into the state
    batch_part: Callable[[Any], Part]  # a key's batch value, as its share of the batch report
    state_part: Callable[[Any], Part]  # a key's accumulated value after the batch, as its share
    report: Callable[[Part], dict[str, Any]]  # the summed parts, as the batch's fields
    zero: Part


SUM = StatefulApp(
    name="sum",
    record_value=sum_record,
    merge=merge_sums,
    batch_part=sum_batch_part,
    state_part=sum_state_part,
    report=functools.partial(named_fields, SUM_FIELDS),
    zero=(0, 0, 0, 0.0, 0, 0.0),
)

GLOBAL_SUM = StatefulApp(
    name="global_sum",
    record_value=sum_record,
    merge=merge_sums,
    batch_part=global_sum_batch_part,
    state_part=global_sum_state_part,
    report=functools.partial(named_fields, GLOBAL_SUM_FIELDS),
    zero=(0, 0, 0, 0.0, 0.0, 0, 0.0),
)

GLOBAL_HISTOGRAM = StatefulApp(
    name="global_histogram",
    record_value=histogram_record,
    merge=merge_histograms,
    batch_part=histogram_batch_part,
    state_part=histogram_state_part,
    report=histogram_fields,
    zero=(0, 0, EMPTY_BINS, 0, EMPTY_BINS),
)


# --- the Spark pipeline -------------------------------------------------------------------------


def report_part(app: StatefulApp, state: TimedState) -> Part:
    """A state entry's share of its batch's report: its batch value if it has one, and its state."""
    _, accumulated, batch = state
    state_share = app.state_part(accumulated)
    return state_share if batch is None else add_parts(app.batch_part(batch), state_share)


def define_pipeline(app: StatefulApp, records: DStream, config: AppConfig) -> None:
    # No reduceByKey first: updateStateByKey groups each key's new values itself, and one shuffle
    # less per batch matters to PySpark's fixed cost per batch.
    timeout_ms = round(config.state_timeout_s * 1000)
    update = functools.partial(update_timed_state, app.merge, config.batch_interval_ms, timeout_ms)
    record_value = functools.partial(app.record_value, fmt=config.record_format)
    states = records.map(record_value).updateStateByKey(update)
    # Only picklable things are captured: with checkpointing on, Spark saves this function too.
    output_dir = config.output_dir

    def write_report(batch_time, rdd) -> None:
        total = rdd.map(lambda pair: report_part(app, pair[1])).fold(app.zero, add_parts)
        BatchOutput(output_dir).write(batch_time, **app.report(total))

    states.foreachRDD(write_report)


def main(app: StatefulApp) -> None:
    config = parse_args()
    if config.source == "structured":
        from apps.structured_state import run_stateful  # imports this module

        run_stateful(config, app)
        return
    ssc = StreamingContext(SparkContext.getOrCreate(), config.batch_interval_ms / 1000)
    ssc.checkpoint(str(config.checkpoint_dir))  # updateStateByKey needs one
    records = value_stream(ssc, config)
    define_pipeline(app, records, config)
    run_until_stopped(ssc, config)
