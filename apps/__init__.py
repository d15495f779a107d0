"""The Spark applications under test (PySpark DStream apps) and what they share."""

# App name (as a manifest says it) -> the script spark-submit runs, in this folder.
APP_SCRIPTS = {"stateless_sum": "stateless_sum.py"}
