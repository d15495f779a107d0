"""The Spark applications under test (PySpark DStream apps) and what they share."""
