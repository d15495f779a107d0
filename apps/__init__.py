"""The Spark applications under test (PySpark DStream apps, and JVM ports in apps/jvm) and what they share."""

# App name (as a manifest says it) -> the PySpark script spark-submit runs, in this folder.
APP_SCRIPTS = {
    "stateless_sum": "stateless_sum.py",
    "sum": "sum.py",
    "global_sum": "global_sum.py",
    "global_histogram": "global_histogram.py",
    # GOVERNOR's window operators (apps/window_apps.py); Python only.
    "count_sliding_window": "count_sliding_window.py",
    "count_tumbling_window": "count_tumbling_window.py",
    "time_sliding_window": "time_sliding_window.py",
    "time_sliding_topk": "time_sliding_topk.py",
}
# App name -> the main class of its JVM implementation in the helper jar (impl: jvm).
APP_JVM_CLASSES = {
    "stateless_sum": "bpbench.jvm.apps.StatelessSum",
    "sum": "bpbench.jvm.apps.Sum",
    "global_sum": "bpbench.jvm.apps.GlobalSum",
    "global_histogram": "bpbench.jvm.apps.GlobalHistogram",
}
# Apps that also run on Structured Streaming (workload.source: structured), in PySpark.
STRUCTURED_APPS = frozenset({"stateless_sum", "sum", "global_sum", "global_histogram"})
# The window apps by kind: count-based windows are sized in tuples, time-based ones in seconds.
COUNT_WINDOW_APPS = ("count_sliding_window", "count_tumbling_window")
TIME_WINDOW_APPS = ("time_sliding_window", "time_sliding_topk")
WINDOW_APPS = COUNT_WINDOW_APPS + TIME_WINDOW_APPS
# Storage levels a receiver's blocks may take (config.receiver_storage_level); the original's is MEMORY_ONLY.
RECEIVER_STORAGE_LEVELS = (
    "MEMORY_ONLY",
    "MEMORY_ONLY_SER",
    "MEMORY_AND_DISK",
    "MEMORY_AND_DISK_SER",
    "DISK_ONLY",
)
