"""SUM, GlobalSUM and GlobalHistogram on Structured Streaming: each key's state in Spark's state store.

The DStream versions keep a key's accumulated value with ``updateStateByKey``; here the query
groups each micro-batch by (rank, step) and keeps the value with ``applyInPandasWithState``, with
a processing-time timeout of ``state_timeout_s`` renewed on every update (``mapWithState``'s
timeout, as the JVM apps use it). The per-record, merge and report functions are the DStream
apps' (apps/paper_apps.py), so both paths compute the same figures.

Spark calls the state function only for keys with records in the micro-batch or whose timeout
passed, so a batch's report cannot visit the whole state. Each call therefore returns its key's
batch share and the change of its state share (a new key adds one state key, an expired one takes
its share away); the driver keeps the running total of those changes, which is the state's report.

PySpark 3.5's worker reads, with each Arrow batch of records, a struct column that says where each
key's records start and how many there are. It converts that column with pandas, which turns its
int fields into floats whenever the batch holds more records than keys (the column is null past the
keys); slicing the batch by those floats then fails. Importing this module (the worker does, to
unpickle the state function) makes the worker read that column as Python values instead.
"""

from __future__ import annotations

import functools
import pickle
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.pandas.serializers import ApplyInPandasWithStateSerializer
from pyspark.sql.streaming.state import GroupState, GroupStateTimeout

from apps.driver import AppConfig
from apps.paper_apps import Part, StatefulApp, add_parts, subtract_parts
from apps.records import RecordFormat
from apps.structured_stream import run_structured

OUTPUT_SCHEMA = "batch binary, state_change binary"  # pickled parts
STATE_SCHEMA = "accumulated binary"  # the key's pickled accumulated value
STATE_INFO_FIELDS = {"startOffset", "numRows"}  # of the struct that places each key's records


def _read_state_info_as_python_values() -> None:
    """See the module's text: the state-info struct as Python values, so its offsets stay ints."""
    convert = ApplyInPandasWithStateSerializer.arrow_to_pandas
    if getattr(convert, "reads_state_info_as_python_values", False):
        return

    def arrow_to_pandas(self: ApplyInPandasWithStateSerializer, arrow_column: Any) -> pd.Series:
        column_type = arrow_column.type
        if pa.types.is_struct(column_type) and {field.name for field in column_type} >= STATE_INFO_FIELDS:
            return pd.Series(arrow_column.to_pylist(), dtype=object)
        return convert(self, arrow_column)

    arrow_to_pandas.reads_state_info_as_python_values = True  # type: ignore[attr-defined]
    ApplyInPandasWithStateSerializer.arrow_to_pandas = arrow_to_pandas  # type: ignore[method-assign]


_read_state_info_as_python_values()


# --- one key, without Spark ------------------------------------------------------------------------


def key_update(
    app: StatefulApp, fmt: RecordFormat, records: Iterable[bytes], accumulated: Any
) -> tuple[Any, Part, Part]:
    """A key's new accumulated value, its batch share and the change of its state share."""
    values = [app.record_value(record, fmt=fmt)[1] for record in records]
    batch = functools.reduce(app.merge, values)
    updated = batch if accumulated is None else app.merge(accumulated, batch)
    before = app.zero if accumulated is None else app.state_part(accumulated)
    return updated, app.batch_part(batch), subtract_parts(app.state_part(updated), before)


def expiry_change(app: StatefulApp, accumulated: Any) -> Part:
    """The change of the state's report when a key leaves it."""
    return subtract_parts(app.zero, app.state_part(accumulated))


class StateTotals:
    """The driver's side: a micro-batch's report from its keys' shares and the running state total."""

    def __init__(self, app: StatefulApp) -> None:
        self._app = app
        self._state = app.zero

    def add(self, batch: Part, state_change: Part) -> dict[str, Any]:
        self._state = add_parts(self._state, state_change)
        return self._app.report(add_parts(batch, self._state))

    def report(self, frame: DataFrame) -> dict[str, Any]:
        zero = (self._app.zero, self._app.zero)
        batch, change = frame.rdd.map(
            lambda row: (pickle.loads(row.batch), pickle.loads(row.state_change))
        ).fold(zero, lambda a, b: (add_parts(a[0], b[0]), add_parts(a[1], b[1])))
        return self.add(batch, change)


# --- the query -------------------------------------------------------------------------------------


def _int32_le(value: Column, offset: int) -> Column:
    """The little-endian int32 at byte ``offset`` (0-based) of a binary column, as an unsigned bigint."""
    hexed = F.hex(F.substring(value, offset + 1, 4))
    big_endian = F.concat(*(F.substring(hexed, 2 * i + 1, 2) for i in (3, 2, 1, 0)))
    return F.conv(big_endian, 16, 10).cast("bigint")


def key_columns(layout: str) -> tuple[Column, Column]:
    """(rank, step) of each record, computed in the JVM: the artifact header with the expensive
    flag (the rank's sign bit) cleared, or a sensor event's sensor and step 0."""
    if layout == "json":
        sensor = F.get_json_object(F.col("value").cast("string"), "$.sensor").cast("bigint")
        return sensor.alias("rank"), F.lit(0).cast("bigint").alias("step")
    rank = _int32_le(F.col("value"), 0).bitwiseAND(0x7FFFFFFF)
    return rank.alias("rank"), _int32_le(F.col("value"), 4).alias("step")


def keep_state(app: StatefulApp, config: AppConfig, records: DataFrame) -> DataFrame:
    fmt = config.record_format
    timeout_ms = round(config.state_timeout_s * 1000)

    def per_key(_key: Any, frames: Iterator[pd.DataFrame], state: GroupState) -> Iterator[pd.DataFrame]:
        if state.hasTimedOut:
            (held,) = state.get
            state.remove()
            yield _shares(app.zero, expiry_change(app, pickle.loads(held)))
            return
        accumulated = pickle.loads(state.get[0]) if state.exists else None
        values = (bytes(value) for frame in frames for value in frame["value"])
        updated, batch, change = key_update(app, fmt, values, accumulated)
        state.update((pickle.dumps(updated),))
        state.setTimeoutDuration(timeout_ms)
        yield _shares(batch, change)

    return (
        records.select(*key_columns(config.layout), "value")
        .groupBy("rank", "step")
        .applyInPandasWithState(
            per_key, OUTPUT_SCHEMA, STATE_SCHEMA, "update", GroupStateTimeout.ProcessingTimeTimeout
        )
    )


def _shares(batch: Part, change: Part) -> pd.DataFrame:
    return pd.DataFrame({"batch": [pickle.dumps(batch)], "state_change": [pickle.dumps(change)]})


def run_stateful(config: AppConfig, app: StatefulApp) -> None:
    totals = StateTotals(app)
    run_structured(config, totals.report, functools.partial(keep_state, app, config))
