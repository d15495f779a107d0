"""An own app for bpbench (docs/own-app.md): the largest value each rank (sensor) sent in a batch.

The harness submits this script with spark-submit, as it submits its own apps, and passes
``--config FILE``. The helpers of the ``apps`` package keep the contract: ``value_stream`` reads the
manifest's source (the direct Kafka stream here), ``BatchOutput`` writes one line per batch to
``batches.jsonl`` (the records it processed, which the harness counts), and ``run_until_stopped``
announces the driver and stops gracefully when the harness asks.
"""

from __future__ import annotations

from typing import Any

from pyspark import RDD, SparkContext
from pyspark.streaming import StreamingContext

from apps.driver import BatchOutput, parse_args, run_until_stopped
from apps.kafka_dstream import value_stream
from apps.records import decode


def rank_max(record: bytes) -> tuple[int, tuple[float, int]]:
    """A record's rank, its largest value and a count of one record."""
    rank, _step, values = decode(record)
    return rank, (float(values.max()) if values.size else float("-inf"), 1)


def larger(a: tuple[float, int], b: tuple[float, int]) -> tuple[float, int]:
    return max(a[0], b[0]), a[1] + b[1]


def report(maxima: RDD) -> dict[str, Any]:
    """The batch's line: how many records it held (the harness counts these) and each rank's maximum."""
    pairs = maxima.collect()
    return {
        "records": sum(count for _rank, (_max, count) in pairs),
        "max_by_rank": {str(rank): value for rank, (value, _count) in sorted(pairs)},
    }


def main() -> None:
    config = parse_args()
    ssc = StreamingContext(SparkContext.getOrCreate(), config.batch_interval_ms / 1000)
    output = BatchOutput(config.output_dir)
    maxima = value_stream(ssc, config).map(rank_max).reduceByKey(larger)
    maxima.foreachRDD(lambda batch_time, batch: output.write(batch_time, **report(batch)))
    run_until_stopped(ssc, config)


if __name__ == "__main__":
    main()
