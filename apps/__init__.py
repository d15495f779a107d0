"""The Spark applications under test (PySpark DStream apps, and JVM ports in apps/jvm) and what they share."""

# App name (as a manifest says it) -> the PySpark script spark-submit runs, in this folder.
APP_SCRIPTS = {
    "stateless_sum": "stateless_sum.py",
    "sum": "sum.py",
    "global_sum": "global_sum.py",
    "global_histogram": "global_histogram.py",
}
# App name -> the main class of its JVM implementation in the helper jar (impl: jvm).
APP_JVM_CLASSES = {
    "stateless_sum": "bpbench.jvm.apps.StatelessSum",
    "sum": "bpbench.jvm.apps.Sum",
    "global_sum": "bpbench.jvm.apps.GlobalSum",
    "global_histogram": "bpbench.jvm.apps.GlobalHistogram",
}
# Apps that also run on Structured Streaming (workload.source: structured), in PySpark.
STRUCTURED_APPS = frozenset({"stateless_sum"})
