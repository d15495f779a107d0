"""The plain socket source's line server: the run's records, as lines, to Spark's socket receiver.

The generator produces to Kafka as for every source (its open-loop schedule never waits for Spark);
this server consumes the topic in the run's consumer group and writes each record to the receiver
connected on 127.0.0.1 as one line: the base64 of the record's bytes. After each write it commits
the offsets of the lines written, so the group's lag is exactly what has not been served (the
backlog), and it counts the lines served. Spark's receiver stores line by line through its
BlockGenerator's rate limiter; when the limiter holds it, the receiver stops reading, TCP's flow
control stops the writes and the records wait in Kafka.

A plain socket has no replay: lines written into a connection that then drops, or still in the
socket's buffers (the receiving side's kernel buffer can hold megabytes) when the app stops, count
as served, and the run's accounting shows them lost.

Run as ``python -m generators.line_server --config FILE`` (JSON: bootstrap_servers, topic,
group_id, port, result_path). The result file says ``listening`` once the port is bound and is
rewritten with the lines served every second and at the end.
"""

from __future__ import annotations

import argparse
import base64
import json
import signal
import socket
import time
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, Message, TopicPartition

from generators.files import write_atomically

# As harness.net says; generators do not import the harness (the harness imports generators).
LOOPBACK = "127.0.0.1"

CHUNK = 500  # records per write
# A small send buffer keeps few lines in flight: the kernel would otherwise grow it to megabytes,
# lines that are neither in Kafka nor in Spark.
SEND_BUFFER_BYTES = 64 * 1024
POLL_S = 0.2
REPORT_EVERY_S = 1.0


def as_line(value: bytes) -> bytes:
    return base64.b64encode(value) + b"\n"


def served_offsets(messages: list[Message], lines: int) -> list[TopicPartition]:
    """Per partition, the offset after the last of the first ``lines`` messages: what to commit."""
    until: dict[tuple[str, int], int] = {}
    for message in messages[:lines]:
        until[(message.topic(), message.partition())] = message.offset() + 1
    return [TopicPartition(topic, partition, offset) for (topic, partition), offset in until.items()]


class LineServer:
    def __init__(self, config: dict[str, Any]) -> None:
        self.result_path = Path(config["result_path"])
        self.port = int(config["port"])
        self.served = 0
        self.connections = 0
        self._stopping = False
        self._reported = 0.0
        self._consumer = Consumer(
            {
                "bootstrap.servers": config["bootstrap_servers"],
                "group.id": config["group_id"],
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "log_level": 3,
            }
        )
        self._consumer.subscribe([config["topic"]])

    def stop(self, *_: object) -> None:
        self._stopping = True

    def report(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._reported >= REPORT_EVERY_S:
            self._reported = now
            payload = {"listening": True, "port": self.port, "served": self.served}
            write_atomically(self.result_path, json.dumps(payload | {"connections": self.connections}))

    def run(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
            server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((LOOPBACK, self.port))
            server.listen(1)
            server.settimeout(POLL_S)
            self.report(force=True)
            while not self._stopping:
                try:
                    connection, _ = server.accept()
                except TimeoutError:
                    continue
                self.connections += 1
                with connection:
                    self._serve(connection)
        self.report(force=True)
        self._consumer.close()

    def _serve(self, connection: socket.socket) -> None:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)
        connection.settimeout(POLL_S)
        while not self._stopping:
            self.report()
            messages = [m for m in self._consumer.consume(CHUNK, POLL_S) if m.error() is None]
            if not messages:
                continue
            data = b"".join(as_line(m.value()) for m in messages)
            sent, connected = self._send(connection, data)
            lines = data.count(b"\n", 0, sent)
            if lines:
                self._consumer.commit(offsets=served_offsets(messages, lines), asynchronous=False)
                self.served += lines
            if not connected or lines < len(messages):
                # The receiver went away or the server is stopping: what was not written is not
                # served; the next connection starts after the last line written.
                self._rewind(messages, lines)
                return

    def _send(self, connection: socket.socket, data: bytes) -> tuple[int, bool]:
        """Write ``data``; how many bytes went out, and whether the connection is still usable."""
        view, sent = memoryview(data), 0
        while sent < len(data) and not self._stopping:
            try:
                sent += connection.send(view[sent:])
            except TimeoutError:
                continue
            except OSError:
                return sent, False
        return sent, True

    def _rewind(self, messages: list[Message], lines: int) -> None:
        first_unsent: dict[tuple[str, int], int] = {}
        for message in messages[lines:]:
            first_unsent.setdefault((message.topic(), message.partition()), message.offset())
        for (topic, partition), offset in first_unsent.items():
            self._consumer.seek(TopicPartition(topic, partition, offset))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    server = LineServer(json.loads(parser.parse_args().config.read_text()))
    signal.signal(signal.SIGTERM, server.stop)
    signal.signal(signal.SIGINT, server.stop)
    server.run()


if __name__ == "__main__":
    main()
