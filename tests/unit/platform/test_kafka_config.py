"""The broker's generated configuration and cluster ids."""

from __future__ import annotations

import base64
from pathlib import Path

from harness.platform.kafka_broker import new_cluster_id, server_properties


def test_cluster_ids_are_22_char_uuids_that_never_look_like_options() -> None:
    for _ in range(2000):  # a leading '-' comes up about once in 64 draws
        cluster_id = new_cluster_id()
        assert not cluster_id.startswith("-")
        assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_broker_binds_loopback_only_and_is_single_node(tmp_path: Path) -> None:
    text = server_properties(tmp_path / "data", 9092, 9093)
    props = dict(line.split("=", 1) for line in text.splitlines() if line)
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert props["offsets.topic.replication.factor"] == "1"
    assert props["log.dirs"] == str(tmp_path / "data")
