"""Benchmark: what the harness's own measurement costs the system under test.

The same run (StatelessSUM in PySpark, direct stream, 3,000 records/s of 1 KiB records for 45 s on
the local backend) is made in pairs: once with the collectors polling every second, as every run
does, and once with polling every hour, so they sample only at start and at the end. The end's
one poll still fetches every batch from Spark's REST API (its retained window holds them all), so
both arms get the same figures:

* processing rate: input records over processing time, summed over the completed batches after a
  10 s warm-up: how fast the app works, which is what collectors competing for the CPU would slow;
* collectors' CPU: the polling threads' CPU time over the time they ran (``collector_cpu_frac``
  in summary.json), a share of one core.

The arms alternate (with first in odd pairs, without first in even pairs) so drift in the machine's
state falls on both. Goals: collectors under 2 % of one core at 1 s polling, and the processing rate
with collectors at least 98 % of the rate without (mean over pairs).

    python benchmarks/overhead_bench.py [--pairs N]

Writes benchmarks/results/overhead.json and overhead.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
GOAL_CPU_FRAC = 0.02
GOAL_RATE_RATIO = 0.98
WARMUP_S = 10
ARMS = {"with": 1, "without": 3600}  # poll interval, seconds


def manifest(arm: str) -> dict[str, Any]:
    return {
        "name": f"overhead-{arm}",
        "platform": {"spark": {"topology": "local", "cores": 2, "driver_memory": "1g"}},
        "workload": {
            "app": "stateless_sum",
            "duration_s": 45,
            "generator": {"profile": "constant", "rate": 3000},
            "records": {"values": 254, "ranks": 8},
        },
        "config": {"batch_interval_ms": 2000, "backpressure": {"enabled": True, "initial_rate": 6000}},
        "run": {"drain_timeout_s": 60, "poll_interval_s": ARMS[arm], "warmup_s": WARMUP_S},
    }


def processing_rate(run_dir: Path) -> float:
    batches = pd.read_parquet(run_dir / "batches.parquet")
    done = batches[(batches.status == "COMPLETED") & batches.processing_time_ms.notna()]
    done = done[done.batch_time_ms >= done.batch_time_ms.min() + WARMUP_S * 1000]
    return float(done.input_records.sum() / (done.processing_time_ms.sum() / 1000.0))


def run_arm(arm: str, work: Path, pair: int) -> dict[str, Any]:
    path = work / f"{arm}-{pair}.yaml"
    path.write_text(yaml.safe_dump(manifest(arm)))
    out = work / f"results-{pair}"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "run", str(path), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"the {arm} run of pair {pair} failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    [summary_path] = (out / f"overhead-{arm}").glob("*/summary.json")
    summary = json.loads(summary_path.read_text())
    row = {
        "pair": pair,
        "arm": arm,
        "poll_interval_s": ARMS[arm],
        "outcome": summary["outcome"],
        "processing_rate_rps": processing_rate(summary_path.parent),
        "collector_cpu_frac": summary["collector_cpu_frac"],
        "processed": summary["processed"],
        "wall_s": time.monotonic() - started,
    }
    print(
        f"  pair {pair} {arm:>7} collectors: processing {row['processing_rate_rps']:,.0f} rec/s, "
        f"collectors {row['collector_cpu_frac']:.2%} of a core, {row['outcome']} ({row['wall_s']:.0f} s)",
        flush=True,
    )
    return row


def measure(pairs: int) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="bpbench-overhead-") as tmp:
        for pair in range(1, pairs + 1):
            order = ["with", "without"] if pair % 2 else ["without", "with"]
            rows.extend(run_arm(arm, Path(tmp), pair) for arm in order)
    return rows


def conclude(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_pair: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_pair.setdefault(row["pair"], {})[row["arm"]] = row
    ratios = [
        p["with"]["processing_rate_rps"] / p["without"]["processing_rate_rps"] for p in by_pair.values()
    ]
    cpu = [row["collector_cpu_frac"] for row in rows if row["arm"] == "with"]
    return {
        "rate_ratio_mean": statistics.fmean(ratios),
        "rate_ratios": ratios,
        "collector_cpu_frac_mean": statistics.fmean(cpu),
        "collector_cpu_frac_max": max(cpu),
        "cpu_goal_met": max(cpu) < GOAL_CPU_FRAC,
        "rate_goal_met": statistics.fmean(ratios) >= GOAL_RATE_RATIO,
    }


def environment() -> dict[str, Any]:
    return {
        "machine": platform.machine(),
        "system": platform.platform(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pyspark": metadata.version("pyspark"),
        "bpbench": metadata.version("bpbench"),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    }


def write_results(rows: list[dict[str, Any]], result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"environment": environment(), "result": result, "runs": rows, "method": __doc__}
    (RESULTS / "overhead.json").write_text(json.dumps(payload, indent=2) + "\n")
    env = payload["environment"]
    lines = [
        "# Collector overhead",
        "",
        f"{env['when']}; {env['system']}, {env['cpus']} CPUs; Python {env['python']}, "
        f"pyspark {env['pyspark']}, bpbench {env['bpbench']}.",
        "",
        "| goal | measured | met |",
        "| --- | --- | --- |",
        f"| collectors under {GOAL_CPU_FRAC:.0%} of one core at 1 s polling | mean "
        f"{result['collector_cpu_frac_mean']:.2%}, max {result['collector_cpu_frac_max']:.2%} | "
        f"{'yes' if result['cpu_goal_met'] else 'no'} |",
        f"| processing rate with collectors at least {GOAL_RATE_RATIO:.0%} of without | mean ratio "
        f"{result['rate_ratio_mean']:.3f} (pairs: {', '.join(f'{r:.3f}' for r in result['rate_ratios'])}) | "
        f"{'yes' if result['rate_goal_met'] else 'no'} |",
        "",
        "| pair | collectors | processing rate (rec/s) | collectors' CPU | outcome |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {r['pair']} | {r['arm']} | {r['processing_rate_rps']:,.0f} | {r['collector_cpu_frac']:.2%} | "
            f"{r['outcome']} |"
            for r in rows
        ),
        "",
        "## Method",
        "",
        __doc__.split("\n\n    python")[0].strip(),
        "",
    ]
    (RESULTS / "overhead.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="pairs of runs, with and without (default 3)")
    args = parser.parse_args()
    if args.pairs < 1:
        parser.error("--pairs: at least 1")
    print(f"overhead benchmark: {args.pairs} pairs of runs, about {args.pairs * 3} minutes", flush=True)
    rows = measure(args.pairs)
    result = conclude(rows)
    write_results(rows, result)
    print(
        f"collectors: {result['collector_cpu_frac_mean']:.2%} of a core "
        f"(max {result['collector_cpu_frac_max']:.2%}); "
        f"processing rate with/without: {result['rate_ratio_mean']:.3f}; "
        f"written to {RESULTS / 'overhead.md'}"
    )


if __name__ == "__main__":
    main()
