"""The sustainable-rate search on the real stack, against a capacity Spark itself enforces."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.integration.conftest import assert_nothing_left_running, run_bpbench, started_pids, write_manifest


def test_search_finds_the_rate_under_a_rate_cap_and_resumes(tmp_path: Path) -> None:
    # maxRatePerPartition 50 over 2 partitions: the app cannot take more than 100 records/s, so
    # 130 records/s leaves a lag growing by 30 records/s (unsustainable) and 70 records/s is sustained.
    # Backpressure stays off, so the cap alone sets the capacity: Spark's PID, slowed by the first
    # batches, would lower the rate below the offered 70 records/s for a while and the lag would grow.
    # 70 s of load, the first 10 s (the app's Python workers starting) left out of the verdict: 30
    # batch intervals keep the lag slope's 95 % interval (about +-1 record/s) clear of its threshold
    # (5 % of the rate, 3.5 records/s at 70 records/s); 15 intervals gave +-2.5 and, on a loaded
    # machine, an interval straddling it (inconclusive_slope).
    manifest = write_manifest(
        tmp_path,
        name="search",
        workload={"duration_s": 70},
        config={"batch_interval_ms": 2000, "backpressure": {"enabled": False, "max_rate_per_partition": 50}},
        run={"drain_timeout_s": 30, "poll_interval_s": 1, "warmup_s": 10},
    )
    data = yaml.safe_load(manifest.read_text())
    data["search"] = {"low": 10, "high": 250, "precision": 0.1, "max_runs": 2}
    manifest.write_text(yaml.safe_dump(data))
    out = tmp_path / "results"
    result = run_bpbench("run", str(manifest), "--out", str(out))
    assert result.returncode == 0, result.stderr[-3000:]
    search = json.loads((out / "search" / "search.json").read_text())
    [cell] = search["cells"]
    probes = [(p["rate_rps"], p["outcomes"][0]) for p in cell["probes"]]
    assert probes == [(130.0, "unstable"), (70.0, "stable")], probes
    assert cell["sustainable_rps"] == 70.0
    assert (out / "search" / "report.html").exists()
    # A rerun finds both probes complete and reaches the same answer without running anything.
    again = run_bpbench("run", str(manifest), "--out", str(out))
    assert again.returncode == 0, again.stderr[-3000:]
    assert again.stderr.count("complete, skipped") == 2
    assert json.loads((out / "search" / "search.json").read_text())["cells"] == search["cells"]
    assert len(list((out / "search").glob("*/COMPLETE"))) == 2
    assert_nothing_left_running(started_pids(out))
