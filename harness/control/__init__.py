"""Rate-control models: Python ports of the controllers Spark Streaming uses for backpressure."""
