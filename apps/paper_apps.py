"""The original artifact's three stateful applications: SUM, GlobalSUM and GlobalHistogram.

Each follows the original's topology (``SUMServer.java``, ``GlobalSUMServer.java``,
``GlobalHistogramServer.java`` in kassianojm/test-environment): the batch's records are reduced per
(rank, step), grouped with one partition per rank (``groupByKey`` with the rank as partition), and
each key's batch value is folded into a state kept across batches; a key not updated for
``state_timeout_s`` (20 s in the paper) leaves the state. GlobalSUM and GlobalHistogram then re-key
what the first state emits by step and keep a second state per step, across ranks. The per-record,
per-batch and state-update functions are pure, so the arithmetic is tested without Spark; ``main``
wires them into a DStream pipeline for one app.

How ours maps to the original's second state: the original feeds it the first state's running
totals and adds them up again, counting a (rank, step) again each batch it is updated (in the
original a rank sends one message per step, so that is seldom); ours feeds it each batch's values,
so a step's total counts each value once. The original also lets a key already complete in the
batch bypass the state; ours sends every key through it.

PySpark has no ``mapWithState``: the state is kept with ``updateStateByKey``, whose update function
is called once per batch for every key in the state or in the batch. A key's state therefore counts
the batches since its last update, and idle batches x batch interval is the batch time elapsed
since then: the measure ``mapWithState``'s timeout uses. ``updateStateByKey`` takes no partitioner:
its state has one partition per rank but is placed by the key's hash, so the grouped batch is
shuffled once more into it (the JVM apps' state keeps the rank partitioner).

A batch's line holds what the batch updated; the figures of the whole state (``state_*``, and
GlobalSUM's ``global_mean_sum``) come from a scan of every state entry, which the original does not
do, and are written only with ``report_state``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from pyspark import RDD, SparkContext
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
STEP_SUM_FIELDS = ("steps", "step_mean_sum", "state_steps")


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


def step_sum_part(accumulated: Sums) -> Part:
    """A step the batch updated: its global mean, over every rank's values of the step so far."""
    return 1, mean(accumulated), 0


def step_sum_state_part(_accumulated: Sums) -> Part:
    return 0, 0.0, 1


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


def step_histogram_part(accumulated: Histogram) -> Part:
    """A step the batch updated: its histogram over every rank's values of the step so far."""
    return 1, accumulated[0], 0


def step_histogram_state_part(_accumulated: Histogram) -> Part:
    return 0, EMPTY_BINS, 1


def step_histogram_fields(part: Part) -> dict[str, Any]:
    steps, bins, state_steps = part
    return {"steps": steps, "step_histogram": list(bins), "state_steps": state_steps}


# --- the apps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepLevel:
    """GlobalSUM's and GlobalHistogram's second state: per step, across ranks (the first state's
    batch values re-keyed by step, merged with the app's merge)."""

    part: Callable[[Any], Part]  # a step the batch updated: its accumulated value, as its share
    state_part: Callable[[Any], Part]  # a step in the state, as its share (report_state only)
    report: Callable[[Part], dict[str, Any]]
    zero: Part


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
    state_fields: tuple[str, ...]  # the fields from a scan of the whole state (report_state only)
    steps: StepLevel | None = None  # the second state, per step across ranks


SUM = StatefulApp(
    name="sum",
    record_value=sum_record,
    merge=merge_sums,
    batch_part=sum_batch_part,
    state_part=sum_state_part,
    report=functools.partial(named_fields, SUM_FIELDS),
    zero=(0, 0, 0, 0.0, 0, 0.0),
    state_fields=("state_keys", "state_value_sum"),
)

GLOBAL_SUM = StatefulApp(
    name="global_sum",
    record_value=sum_record,
    merge=merge_sums,
    batch_part=global_sum_batch_part,
    state_part=global_sum_state_part,
    report=functools.partial(named_fields, GLOBAL_SUM_FIELDS),
    zero=(0, 0, 0, 0.0, 0.0, 0, 0.0),
    state_fields=("state_keys", "global_mean_sum", "state_steps"),
    steps=StepLevel(
        part=step_sum_part,
        state_part=step_sum_state_part,
        report=functools.partial(named_fields, STEP_SUM_FIELDS),
        zero=(0, 0.0, 0),
    ),
)

GLOBAL_HISTOGRAM = StatefulApp(
    name="global_histogram",
    record_value=histogram_record,
    merge=merge_histograms,
    batch_part=histogram_batch_part,
    state_part=histogram_state_part,
    report=histogram_fields,
    zero=(0, 0, EMPTY_BINS, 0, EMPTY_BINS),
    state_fields=("state_keys", "state_histogram", "state_steps"),
    steps=StepLevel(
        part=step_histogram_part,
        state_part=step_histogram_state_part,
        report=step_histogram_fields,
        zero=(0, EMPTY_BINS, 0),
    ),
)


# --- the Spark pipeline -------------------------------------------------------------------------


def rank_partitions(ranks: int) -> int:
    """The original's partitioner has one partition per MPI rank; without a rank count, one."""
    return max(ranks, 1)


def rank_of(key: Key) -> int:
    """The partition function: PySpark puts a key in partition ``rank_of(key) % partitions``."""
    return key[0]


def group_by_rank(merge: Callable[[Any, Any], Any], partitions: int, pairs: RDD) -> RDD:
    """A batch's (key, value) pairs reduced per key, then grouped with one partition per rank.

    The reduction already places each key by rank, so the grouping finds the batch partitioned as
    it wants it and does not shuffle it again: every shuffle adds to PySpark's fixed cost per batch.
    """
    grouped = pairs.reduceByKey(merge, partitions, rank_of).groupByKey(partitions, rank_of)
    return grouped.mapValues(functools.partial(functools.reduce, merge))


def step_batch_value(pair: tuple[Key, TimedState]) -> list[tuple[int, Any]]:
    """What the first state gives the second: a key's batch value, keyed by its step (none if idle)."""
    (_, step), (_, _, batch) = pair
    return [] if batch is None else [(step, batch)]


def report_part(app: StatefulApp, state: TimedState, report_state: bool = True) -> Part:
    """A state entry's share of its batch's report: its batch value if it has one, and its state
    (``report_state`` only)."""
    _, accumulated, batch = state
    share = app.zero if batch is None else app.batch_part(batch)
    return add_parts(share, app.state_part(accumulated)) if report_state else share


def step_report_part(steps: StepLevel, state: TimedState, report_state: bool = True) -> Part:
    """A step state entry's share: its accumulated value if the batch updated it, and its state entry."""
    _, accumulated, batch = state
    share = steps.zero if batch is None else steps.part(accumulated)
    return add_parts(share, steps.state_part(accumulated)) if report_state else share


def batch_fields(app: StatefulApp, keys: Part, steps: Part, report_state: bool) -> dict[str, Any]:
    """A batch's line from its summed shares; the whole state's figures last, with ``report_state`` only."""
    fields = app.report(keys) | (app.steps.report(steps) if app.steps else {})
    updated = {name: value for name, value in fields.items() if name not in app.state_fields}
    if not report_state:
        return updated
    return updated | {name: fields[name] for name in app.state_fields}


def define_pipeline(app: StatefulApp, records: DStream, config: AppConfig) -> None:
    timeout_ms = round(config.state_timeout_s * 1000)
    update = functools.partial(update_timed_state, app.merge, config.batch_interval_ms, timeout_ms)
    record_value = functools.partial(app.record_value, fmt=config.record_format)
    partitions = rank_partitions(config.ranks)
    merge = app.merge
    # Only picklable things are captured: with checkpointing on, Spark saves these functions too.
    keys = (
        records.map(record_value)
        .transform(lambda pairs: group_by_rank(merge, partitions, pairs))
        .updateStateByKey(update, numPartitions=partitions)
    )
    report_state, steps_zero = config.report_state, app.steps.zero if app.steps else ()
    shares = keys.map(lambda pair: (report_part(app, pair[1], report_state), steps_zero))
    if app.steps is not None:
        # updateStateByKey groups each step's values itself: the original's reduceByKey would be a
        # second shuffle of the same pairs.
        steps = keys.flatMap(step_batch_value).updateStateByKey(update)
        step_level = app.steps
        shares = shares.union(
            steps.map(lambda pair: (app.zero, step_report_part(step_level, pair[1], report_state)))
        )
    output_dir = config.output_dir

    def write_report(batch_time, rdd) -> None:
        keys_total, steps_total = rdd.fold((app.zero, steps_zero), add_parts)
        BatchOutput(output_dir).write(batch_time, **batch_fields(app, keys_total, steps_total, report_state))

    shares.foreachRDD(write_report)


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
