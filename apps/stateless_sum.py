"""StatelessSUM: per (rank, step), the sum and count of the values in each batch; no state.

The first and least memory-hungry of the original artifact's four applications.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from pyspark import RDD, SparkContext
from pyspark.streaming import DStream, StreamingContext

from apps.driver import BatchOutput, parse_args, run_until_stopped
from apps.kafka_dstream import value_stream
from apps.records import ARTIFACT, Key, RecordFormat
from apps.structured_stream import record_values, run_structured

Sums = tuple[float, int, int]  # sum of values, number of values, number of records
Totals = tuple[int, int, int, float]  # keys, records, values, sum of values


def sum_values(values: np.ndarray) -> Sums:
    return float(values.sum(dtype=np.float64)), int(values.size), 1


def sum_record(record: bytes, fmt: RecordFormat = ARTIFACT) -> tuple[Key, Sums]:
    return fmt.compute(record, sum_values)


def merge_sums(a: Sums, b: Sums) -> Sums:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def key_totals(pair: tuple[Key, Sums]) -> Totals:
    value_sum, values, records = pair[1]
    return 1, records, values, value_sum


def add_totals(a: Totals, b: Totals) -> Totals:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]


def stateless_sums(records: DStream | RDD, fmt: RecordFormat) -> DStream | RDD:
    """Per-key sums of a batch's records (an RDD), or of every batch of a stream (a DStream)."""
    return records.map(functools.partial(sum_record, fmt=fmt)).reduceByKey(merge_sums)


def batch_report(sums: RDD) -> dict[str, Any]:
    """A batch's report from its per-key sums: keys, records, values and the sum of the values."""
    keys, count, values, value_sum = sums.map(key_totals).fold((0, 0, 0, 0.0), add_totals)
    return {"keys": keys, "records": count, "values": values, "value_sum": value_sum}


def main() -> None:
    config = parse_args()
    fmt = config.record_format
    if config.source == "structured":
        run_structured(config, lambda frame: batch_report(stateless_sums(record_values(frame), fmt)))
        return
    ssc = StreamingContext(SparkContext.getOrCreate(), config.batch_interval_ms / 1000)
    output = BatchOutput(config.output_dir)
    stateless_sums(value_stream(ssc, config), fmt).foreachRDD(
        lambda batch_time, sums: output.write(batch_time, **batch_report(sums))
    )
    run_until_stopped(ssc, config)


if __name__ == "__main__":
    main()
