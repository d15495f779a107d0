"""StatelessSUM: per (rank, step), the sum and count of the values in each batch; no state.

The first and least memory-hungry of the original artifact's four applications.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pyspark import RDD, SparkContext
from pyspark.streaming import DStream, StreamingContext

from apps.driver import BatchOutput, parse_args, run_until_stopped
from apps.kafka_dstream import value_stream
from apps.records import decode
from apps.structured_stream import run_structured

Key = tuple[int, int]
Sums = tuple[float, int, int]  # sum of values, number of values, number of records
Totals = tuple[int, int, int, float]  # keys, records, values, sum of values


def sum_record(record: bytes) -> tuple[Key, Sums]:
    rank, step, values = decode(record)
    return (rank, step), (float(values.sum(dtype=np.float64)), int(values.size), 1)


def merge_sums(a: Sums, b: Sums) -> Sums:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2]


def key_totals(pair: tuple[Key, Sums]) -> Totals:
    value_sum, values, records = pair[1]
    return 1, records, values, value_sum


def add_totals(a: Totals, b: Totals) -> Totals:
    return a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]


def stateless_sums(records: DStream) -> DStream:
    return records.map(sum_record).reduceByKey(merge_sums)


def batch_report(sums: RDD) -> dict[str, Any]:
    """A batch's report from its per-key sums: keys, records, values and the sum of the values."""
    keys, count, values, value_sum = sums.map(key_totals).fold((0, 0, 0, 0.0), add_totals)
    return {"keys": keys, "records": count, "values": values, "value_sum": value_sum}


def main() -> None:
    config = parse_args()
    if config.source == "structured":
        run_structured(config, lambda values: batch_report(values.map(sum_record).reduceByKey(merge_sums)))
        return
    ssc = StreamingContext(SparkContext.getOrCreate(), config.batch_interval_ms / 1000)
    output = BatchOutput(config.output_dir)
    stateless_sums(value_stream(ssc, config)).foreachRDD(
        lambda batch_time, sums: output.write(batch_time, **batch_report(sums))
    )
    run_until_stopped(ssc, config)


if __name__ == "__main__":
    main()
