"""Every socket a run listens on is on the loopback interface: the broker, Spark's master, worker,
driver and executor (RPC, block manager, UIs), the generator and the harness itself."""

from __future__ import annotations

import ipaddress
import signal
from pathlib import Path

import psutil

from tests.integration.conftest import (
    assert_nothing_left_running,
    session_processes,
    start_bpbench,
    started_pids,
    wait_for_event,
    write_manifest,
)


def listening(processes: list[psutil.Process]) -> list[tuple[str, str, int]]:
    found = []
    for process in processes:
        try:
            connections = process.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found += [
            (" ".join(process.info["cmdline"] or [])[:100], c.laddr.ip, c.laddr.port)
            for c in connections
            if c.status == psutil.CONN_LISTEN
        ]
    return found


def loopback(ip: str) -> bool:
    """127.0.0.0/8 or ::1, also as an IPv4-mapped IPv6 address (``::ffff:127.0.0.1``, Java's habit)."""
    address = ipaddress.ip_address(ip)
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def test_a_run_listens_only_on_loopback(tmp_path: Path) -> None:
    out = tmp_path / "results"
    manifest = write_manifest(
        tmp_path,
        platform={
            "spark": {"topology": "standalone", "cores": 2, "driver_memory": "1g", "executor_memory": "1g"}
        },
        workload={"duration_s": 30},
    )
    process = start_bpbench("run", str(manifest), "--out", str(out))
    try:
        wait_for_event(out, "generator_started", process)
        harness = psutil.Process(process.pid)
        sockets = listening([harness, *session_processes(started_pids(out))])
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=180)
    # Spark's driver, master and worker each listen (RPC and UI at least), and the broker.
    assert len(sockets) >= 6, sockets
    exposed = [s for s in sockets if not loopback(s[1])]
    assert not exposed, "\n".join(map(str, exposed))
    assert_nothing_left_running(started_pids(out))
