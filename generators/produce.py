"""Open-loop Kafka producer: record i is due at the instant its pressure profile gives, whatever
happened before it.

The generator never waits for the system under test. When it falls behind, the lateness of each
send against its due time shows it (no coordinated omission). Per second of schedule it records
records planned, sent, acknowledged and failed, and the lateness p50 / p99 / max.

Run as ``python -m generators.produce --config FILE`` (JSON, see ``GeneratorConfig``).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from confluent_kafka import KafkaError, Message, Producer

from generators.profiles import RateProfile, parse_profile
from generators.workloads import RecordStream

FLUSH_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class GeneratorConfig:
    bootstrap_servers: str
    topic: str
    profile: RateProfile
    duration_s: float
    records: dict[str, object]  # the manifest's workload.records (generators/workloads.py)
    seed: int
    stats_path: Path
    result_path: Path
    client_config: dict[str, str] = field(default_factory=dict)  # security settings of the cluster

    @classmethod
    def from_file(cls, path: Path) -> GeneratorConfig:
        raw = json.loads(path.read_text())
        raw["profile"] = parse_profile(raw["profile"])
        raw["stats_path"] = Path(raw["stats_path"])
        raw["result_path"] = Path(raw["result_path"])
        return cls(**raw)

    def to_json(self) -> dict[str, object]:
        raw = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}
        raw["profile"] = self.profile.model_dump(mode="json")
        return raw

    @property
    def record_stream(self) -> RecordStream:
        return RecordStream.from_json(self.records, self.seed)


@dataclass
class SecondStats:
    planned: int = 0
    sent: int = 0
    acked: int = 0
    failed: int = 0
    lateness_ms: list[float] = field(default_factory=list)

    def row(self, second: int) -> dict[str, float | int | None]:
        lateness = np.asarray(self.lateness_ms)
        return {
            "second": second,
            "planned": self.planned,
            "sent": self.sent,
            "acked": self.acked,
            "failed": self.failed,
            "lateness_p50_ms": float(np.percentile(lateness, 50)) if lateness.size else None,
            "lateness_p99_ms": float(np.percentile(lateness, 99)) if lateness.size else None,
            "lateness_max_ms": float(lateness.max()) if lateness.size else None,
        }


class Generator:
    def __init__(self, config: GeneratorConfig) -> None:
        self.config = config
        self.stats: dict[int, SecondStats] = defaultdict(SecondStats)
        self._stopping = False
        self._producer = Producer(
            {
                **config.client_config,
                "bootstrap.servers": config.bootstrap_servers,
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 5,
                "queue.buffering.max.messages": 1_000_000,
                "queue.buffering.max.kbytes": 1_048_576,
                "message.max.bytes": max(1_000_000, 2 * config.record_stream.record_bytes),
                "log_level": 3,
            }
        )

    def stop(self, *_: object) -> None:
        self._stopping = True

    def _on_delivery(self, second: int, error: KafkaError | None, _: Message) -> None:
        if error is None:
            self.stats[second].acked += 1
        else:
            self.stats[second].failed += 1

    def run(self) -> dict[str, object]:
        cfg = self.config
        records = cfg.record_stream
        for second, planned in enumerate(cfg.profile.planned_per_second(cfg.duration_s)):
            self.stats[second].planned = planned
        start_wall = time.time()
        start = time.monotonic()
        for i, due in enumerate(cfg.profile.due_times(cfg.duration_s)):
            if self._stopping:
                break
            ahead = due - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
            second = int(due)
            payload = records.payload(i, due, int(start_wall * 1000))
            self._produce(payload, second)
            bucket = self.stats[second]
            bucket.sent += 1
            bucket.lateness_ms.append((time.monotonic() - start - due) * 1000.0)
        sending_ended = time.monotonic()
        unflushed = self._producer.flush(FLUSH_TIMEOUT_S)
        return self._result(start_wall, sending_ended - start, unflushed)

    def _produce(self, payload: bytes, second: int) -> None:
        while True:
            try:
                self._producer.produce(
                    self.config.topic,
                    payload,
                    on_delivery=lambda err, msg, s=second: self._on_delivery(s, err, msg),
                )
                break
            except BufferError:
                # The local queue is full: the broker is behind. Waiting here is counted as lateness.
                self._producer.poll(0.05)
        self._producer.poll(0)

    def _result(self, start_wall: float, send_s: float, unflushed: int) -> dict[str, object]:
        rows = [self.stats[s].row(s) for s in sorted(self.stats)]
        with self.config.stats_path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row) + "\n")
        sent = sum(r["sent"] for r in rows)
        acked = sum(r["acked"] for r in rows)
        planned = sum(r["planned"] for r in rows)
        return {
            "target_rate_rps": planned / self.config.duration_s,
            "planned": planned,
            "sent": sent,
            "acked": acked,
            "failed": sum(r["failed"] for r in rows),
            "unflushed": unflushed,
            "interrupted": self._stopping,
            "start_time_ms": int(start_wall * 1000),
            "send_duration_s": send_s,
            "achieved_rate_rps": sent / send_s if send_s > 0 else 0.0,
            "record_bytes": self.config.record_stream.record_bytes,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    config = GeneratorConfig.from_file(parser.parse_args().config)
    generator = Generator(config)
    signal.signal(signal.SIGTERM, generator.stop)
    result = generator.run()
    partial = config.result_path.with_suffix(".partial")
    partial.write_text(json.dumps(result, indent=2))
    os.replace(partial, config.result_path)


if __name__ == "__main__":
    main()
