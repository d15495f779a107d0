"""Rate limits read from receiver logs."""

from __future__ import annotations

from pathlib import Path

from harness.observe.parsers.spark_logs import logged_rate_limits


def test_rate_limit_lines_become_rows(tmp_path: Path) -> None:
    log = tmp_path / "driver.log"
    log.write_text(
        "2026-11-21T11:02:55.123+0000 INFO ReceiverSupervisorImpl: Received a new rate limit: 1234.\n"
        "2026-11-21T11:02:56.000+0100 INFO ReceiverSupervisorImpl: Received a new rate limit: 100.\n"
        "2026-11-21T11:02:57.000+0000 INFO JobScheduler: Finished job streaming job\n"
        "Received a new rate limit: 5. (no timestamp: not from our pattern)\n"
    )
    rows = logged_rate_limits(log, "driver")
    assert rows == [
        {"time_ms": 1795258975123, "source": "driver", "rate_rps": 1234.0},
        {"time_ms": 1795258976000 - 3_600_000, "source": "driver", "rate_rps": 100.0},
    ]
    assert logged_rate_limits(tmp_path / "missing.log", "x") == []
