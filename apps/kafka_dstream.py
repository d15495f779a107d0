"""The app's input as a DStream of record values (``bytes``): through the JVM helper from Kafka,
either direct (Spark's Kafka 0-10 integration) or through receivers (the original artifact's
ingestion path); or through Spark's plain socket receiver from the harness's line server
(``generators/line_server.py``: one base64 line per record)."""

from __future__ import annotations

import base64
import json

from pyspark import StorageLevel
from pyspark.serializers import NoOpSerializer
from pyspark.streaming import DStream, StreamingContext

from apps import python_controller
from apps.driver import OFFSETS_FILE, AppConfig, jvm_helper

LOOPBACK = "127.0.0.1"  # as harness.net says; the apps package does not import the harness

DIRECT_HELPER = "bpbench.jvm.KafkaDirectStreams"
RECEIVER_HELPER = "bpbench.jvm.KafkaReceiverStreams"


# The receivers' storage levels (apps.RECEIVER_STORAGE_LEVELS) as flags: PySpark names only some.
STORAGE_LEVELS = {
    "MEMORY_ONLY": StorageLevel(False, True, False, True),
    "MEMORY_ONLY_SER": StorageLevel(False, True, False, False),
    "MEMORY_AND_DISK": StorageLevel(True, True, False, True),
    "MEMORY_AND_DISK_SER": StorageLevel(True, True, False, False),
    "DISK_ONLY": StorageLevel(True, False, False, False),
}


def _kafka_params(config: AppConfig) -> dict[str, str]:
    return {
        **config.kafka_params,
        "bootstrap.servers": config.bootstrap_servers,
        "group.id": config.group_id,
        "auto.offset.reset": "earliest",
    }


def value_stream(ssc: StreamingContext, config: AppConfig) -> DStream:
    """The app's input as the manifest's source says: ``direct``, ``receiver`` or ``socket``."""
    if config.source == "socket":
        lines = ssc.socketTextStream(LOOPBACK, config.socket_port, STORAGE_LEVELS[config.storage_level])
        return lines.map(base64.b64decode)
    params = _kafka_params(config)
    controller = json.dumps(config.controller) if config.controller else None
    output_dir = str(config.output_dir)
    # The user's Python controller answers on this driver, through Py4J's callback server.
    python_decider = (
        python_controller.decider(config.controller, config.batch_interval_ms)
        if config.controller and config.controller["kind"] == "python"
        else None
    )
    if config.source == "receiver":
        helper = jvm_helper(ssc, RECEIVER_HELPER)
        budget = config.in_flight_budget or 0  # 0: no budget
        jstream = helper.createValueStream(
            ssc._jssc,
            params,
            [config.topic],
            config.receivers,
            config.storage_level,
            config.control_topic,
            budget,
            controller,
            output_dir,
            python_decider,
        )
    else:
        offset_log = str(config.output_dir / OFFSETS_FILE)
        helper = jvm_helper(ssc, DIRECT_HELPER)
        jstream = helper.createValueStream(
            ssc._jssc, params, [config.topic], offset_log, controller, output_dir, python_decider
        )
    return DStream(jstream, ssc, NoOpSerializer())
