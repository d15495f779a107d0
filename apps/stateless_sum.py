"""StatelessSUM: per (rank, step), the sum and count of the values in each batch; no state.

The first and least memory-hungry of the original artifact's four applications.
"""

from __future__ import annotations

import functools

import numpy as np
from pyspark import SparkContext
from pyspark.streaming import DStream, StreamingContext

from apps.driver import BatchOutput, parse_args, run_until_stopped
from apps.kafka_dstream import value_stream
from apps.records import ARTIFACT, Key, RecordFormat

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


def stateless_sums(records: DStream, fmt: RecordFormat) -> DStream:
    return records.map(functools.partial(sum_record, fmt=fmt)).reduceByKey(merge_sums)


def main() -> None:
    config = parse_args()
    ssc = StreamingContext(SparkContext.getOrCreate(), config.batch_interval_ms / 1000)
    records = value_stream(ssc, config)
    output = BatchOutput(config.output_dir)

    def report(batch_time, rdd) -> None:
        keys, count, values, value_sum = rdd.map(key_totals).fold((0, 0, 0, 0.0), add_totals)
        output.write(batch_time, keys=keys, records=count, values=values, value_sum=value_sum)

    stateless_sums(records, config.record_format).foreachRDD(report)
    run_until_stopped(ssc, config)


if __name__ == "__main__":
    main()
