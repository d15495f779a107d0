"""The micro-batch backpressure simulator: Spark Streaming's sources, PID loop and FIFO job scheduling
driven by a cost model calibrated from recorded runs (docs/simulator.md)."""
