"""bpbench: a benchmarking harness for backpressure in Spark Streaming."""

__version__ = "0.1.0"
