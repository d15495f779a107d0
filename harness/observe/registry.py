"""Every live collector a run may have, in one list: which phase of the run starts it and how it is
made from what the run knows (``RunContext``). A new collector is a module with its class and a
``for_run`` function, and one line here. A backend's own collectors (container statistics) come from
the backend instead (``Backend.collectors``).
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.observe import (
    controller_decisions,
    in_flight,
    jvm_metrics,
    kafka_offsets,
    process_samples,
    query_progress,
    spark_rest,
    streaming_batches,
)
from harness.observe.base import Collector, CollectorFactory, Phase, RunContext

COLLECTORS: tuple[CollectorFactory, ...] = (
    CollectorFactory("kafka_offsets", "start", kafka_offsets.for_run),
    CollectorFactory("processes", "start", process_samples.for_run),
    CollectorFactory("in_flight", "start", in_flight.for_run),
    CollectorFactory("spark_rest", "driver", spark_rest.for_run),
    CollectorFactory("driver_jvm", "driver", jvm_metrics.for_run),
    CollectorFactory("streaming_batches", "driver", streaming_batches.for_run),
    CollectorFactory("query_progress", "driver", query_progress.for_run),
    CollectorFactory("controller", "driver", controller_decisions.for_run),
)


def collectors_for(
    phase: Phase, run: RunContext, registry: Sequence[CollectorFactory] = COLLECTORS
) -> list[Collector]:
    """The collectors of ``registry`` that start in ``phase`` and apply to the run."""
    made = (factory.make(run) for factory in registry if factory.phase == phase)
    return [collector for collector in made if collector is not None]
