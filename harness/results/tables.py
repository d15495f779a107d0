"""Every table of a run directory, with its columns in order: declared here once.

Collectors, the runner, the importer and the report take the columns from here; ``docs/results.md``
describes each column. A table is written with these columns even when nothing filled it.
"""

from __future__ import annotations

from collections.abc import Iterable

# Peak metrics Spark reports per executor (``peakMemoryMetrics``), as column -> Spark's name.
EXECUTOR_PEAK_METRICS = {
    "peak_jvm_heap_bytes": "JVMHeapMemory",
    "peak_jvm_off_heap_bytes": "JVMOffHeapMemory",
    "peak_on_heap_execution_bytes": "OnHeapExecutionMemory",
    "peak_on_heap_storage_bytes": "OnHeapStorageMemory",
    "peak_on_heap_unified_bytes": "OnHeapUnifiedMemory",
    "peak_off_heap_execution_bytes": "OffHeapExecutionMemory",
    "peak_off_heap_storage_bytes": "OffHeapStorageMemory",
    "peak_direct_pool_bytes": "DirectPoolMemory",
    "peak_process_tree_jvm_rss_bytes": "ProcessTreeJVMRSSMemory",
    "peak_process_tree_python_rss_bytes": "ProcessTreePythonRSSMemory",
    "minor_gc_count": "MinorGCCount",
    "minor_gc_time_ms": "MinorGCTime",
    "major_gc_count": "MajorGCCount",
    "major_gc_time_ms": "MajorGCTime",
}

# batches.parquet: the driver's listener (DStreams) or the query progress (Structured Streaming).
BATCH_COLUMNS = [
    "batch_id",
    "batch_time_ms",
    "status",
    "input_records",
    "scheduling_delay_ms",
    "processing_time_ms",
    "total_delay_ms",
    "output_ops_failed",
]
# executors.parquet: Spark's REST API, live and removed executors.
EXECUTOR_COLUMNS = [
    "sample_time_ms",
    "executor_id",
    "is_active",
    "memory_used_bytes",
    "max_memory_bytes",
    "used_on_heap_storage_bytes",
    "total_on_heap_storage_bytes",
    "total_gc_time_ms",
    "completed_tasks",
    "failed_tasks",
    *EXECUTOR_PEAK_METRICS,
    "remove_time_ms",
    "remove_reason",
]
# receivers.parquet and receiver_rates.parquet: receiver-based streams, from Spark's REST API.
RECEIVER_COLUMNS = [
    "sample_time_ms",
    "stream_id",
    "stream_name",
    "is_active",
    "executor_id",
    "avg_event_rate_rps",
    "last_error_time_ms",
    "last_error_message",
]
RECEIVER_RATE_COLUMNS = ["stream_id", "batch_time_ms", "event_rate_rps"]
# jvm.parquet: the driver's Prometheus servlet.
JVM_COLUMNS = ["sample_time_ms", "source", "metric", "value"]
# offsets.parquet: Kafka's end and committed offsets per partition.
OFFSET_COLUMNS = ["sample_time_ms", "partition", "end_offset", "committed_offset", "lag"]
# processes.parquet: psutil samples of every process the harness started, with descendants.
PROCESS_COLUMNS = [
    "sample_time_ms",
    "name",
    "pid",
    "cpu_user_s",
    "cpu_system_s",
    "rss_bytes",
    "threads",
]
# One parsed GC event; gc.parquet adds the JVM it came from (``source``) in front.
GC_EVENT_COLUMNS = [
    "time_ms",
    "uptime_s",
    "kind",
    "cause",
    "pause_ms",
    "duration_ms",
    "heap_before_bytes",
    "heap_after_bytes",
    "heap_total_bytes",
]
GC_COLUMNS = ["source", *GC_EVENT_COLUMNS]
# logged_rate_limits.parquet: "Received a new rate limit" lines of the driver's and executors' logs.
LOGGED_RATE_COLUMNS = ["time_ms", "source", "rate_rps"]
# query_progress.parquet: Structured Streaming's query progress.
PROGRESS_COLUMNS = [
    "batch_id",
    "trigger_time_ms",
    "num_input_rows",
    "input_rows_per_s",
    "processed_rows_per_s",
    "trigger_execution_ms",
    "add_batch_ms",
    "get_batch_ms",
    "latest_offset_ms",
    "query_planning_ms",
    "wal_commit_ms",
    "commit_offsets_ms",
    "state_rows_total",
    "state_memory_bytes",
    "max_offsets_behind_latest",
]
# in_flight.parquet: the receivers' data in flight, from the control topic.
IN_FLIGHT_COLUMNS = [
    "time_ms",
    "stream_id",
    "taken_records",
    "taken_bytes",
    "processed_records",
    "in_flight_bytes",
    "budget_bytes",
    "share_bytes",
    "held_back",
]
# generator.parquet: one row per second of the generator's schedule.
GENERATOR_COLUMNS = [
    "second",
    "planned",
    "sent",
    "acked",
    "failed",
    "queue_full",
    "cpu_wait_ms",
    "lateness_p50_ms",
    "lateness_p99_ms",
    "lateness_max_ms",
    "sent_during",
]
# rate_limits.parquet: batch_rate_rps is what a batch took in; pid_*: Spark's PID replayed over the
# batches (the rate computed after the batch, and the limit in force after it).
RATE_LIMIT_COLUMNS = ["batch_time_ms", "batch_rate_rps", "pid_rate_rps", "pid_limit_rps"]
# controller.parquet: the plugged rate controller's decisions (config.backpressure.controller, any kind
# but spark), from the app's controller.jsonl. ``decision`` rows: a completed batch's statistics as the
# controller got them, the rate it returned and the limit in force after; ``batch_cap`` rows: the limit
# the direct stream applied when it planned a batch.
CONTROLLER_COLUMNS = [
    "event",
    "stream_id",
    "batch_time_ms",
    "end_time_ms",
    "elements",
    "processing_delay_ms",
    "scheduling_delay_ms",
    "rate_rps",
    "limit_rps",
    "compute_us",
    "decided_ms",
    "error",
    "detail",
]
# containers.parquet: the compose backend's container statistics.
CONTAINER_COLUMNS = [
    "sample_time_ms",
    "container",
    "service",
    "cpu_percent",
    "memory_bytes",
    "memory_limit_bytes",
    "rx_bytes",
    "tx_bytes",
]

# Every table, by name (the file is ``<name>.parquet``).
TABLE_COLUMNS: dict[str, list[str]] = {
    "batches": BATCH_COLUMNS,
    "executors": EXECUTOR_COLUMNS,
    "jvm": JVM_COLUMNS,
    "offsets": OFFSET_COLUMNS,
    "processes": PROCESS_COLUMNS,
    "gc": GC_COLUMNS,
    "logged_rate_limits": LOGGED_RATE_COLUMNS,
    "receivers": RECEIVER_COLUMNS,
    "receiver_rates": RECEIVER_RATE_COLUMNS,
    "query_progress": PROGRESS_COLUMNS,
    "in_flight": IN_FLIGHT_COLUMNS,
    "generator": GENERATOR_COLUMNS,
    "rate_limits": RATE_LIMIT_COLUMNS,
    "controller": CONTROLLER_COLUMNS,
    "containers": CONTAINER_COLUMNS,
}
# Tables only a backend that collects them writes (the others every measured run writes).
BACKEND_TABLES = frozenset({"containers"})


def select(table: str, columns: Iterable[str]) -> tuple[str, ...]:
    """Some of a table's columns, for a reader that needs only these; a name the table does not have
    is a ``KeyError`` when the reader is imported, not a missing column later."""
    known = TABLE_COLUMNS[table]
    chosen = tuple(columns)
    unknown = [column for column in chosen if column not in known]
    if unknown:
        raise KeyError(f"table {table} has no column {', '.join(unknown)}")
    return chosen
