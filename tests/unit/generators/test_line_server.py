"""The line server's framing and which offsets it commits for the lines it wrote."""

from __future__ import annotations

import base64
from dataclasses import dataclass

from generators.line_server import as_line, served_offsets


@dataclass
class FakeMessage:
    _topic: str
    _partition: int
    _offset: int

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset


def test_a_record_is_one_base64_line() -> None:
    record = bytes(range(256)) + b"\n\r"
    line = as_line(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert base64.b64decode(line.decode("ascii").rstrip("\n")) == record


def test_only_the_lines_written_are_committed_per_partition() -> None:
    messages = [
        FakeMessage("t", 0, 10),
        FakeMessage("t", 1, 4),
        FakeMessage("t", 0, 11),
        FakeMessage("t", 1, 5),
    ]
    committed = {(tp.partition, tp.offset) for tp in served_offsets(messages, 3)}
    assert committed == {(0, 12), (1, 5)}
    assert {(tp.partition, tp.offset) for tp in served_offsets(messages, 1)} == {(0, 11)}
    assert served_offsets(messages, 0) == []
