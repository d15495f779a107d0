"""The Python side of the JVM helper: a direct Kafka DStream of record values as ``bytes``."""

from __future__ import annotations

from pyspark.serializers import NoOpSerializer
from pyspark.streaming import DStream, StreamingContext

HELPER_CLASS = "bpbench.jvm.KafkaDirectStreams"


def direct_value_stream(
    ssc: StreamingContext, bootstrap_servers: str, topics: list[str], group_id: str
) -> DStream:
    jvm = ssc.sparkContext._jvm
    # Jars given with --jars are visible only to the context class loader, not to Py4J's lookup.
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    helper = loader.loadClass(HELPER_CLASS).newInstance()
    params = {
        "bootstrap.servers": bootstrap_servers,
        "group.id": group_id,
        "auto.offset.reset": "earliest",
    }
    jstream = helper.createValueStream(ssc._jssc, params, list(topics))
    return DStream(jstream, ssc, NoOpSerializer())
