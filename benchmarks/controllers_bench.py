"""Benchmark: what a plugged rate controller costs the driver per batch.

Runs ``experiments/controllers/count_sliding.yaml`` with ``bpbench run`` (complete runs under
``--work`` are reused) and reads every run's ``controller.parquet``: each decision's ``compute_us``
is the controller's own time for it, measured in the driver around the call (``System.nanoTime``,
``PluggedRateController``), on the real batches of a real run; Spark's built-in PID (kind ``spark``)
records none, so Spark's own ``PIDRateEstimator`` class driven through the same path (kind ``pid``)
stands for it. Per controller kind over all its runs: decisions, median, p99 and largest time, and
the mean time per batch as a share of the batch interval.

Goal (GOVERNOR's claim, Chen et al., ICAC 2017): GOVERNOR's time per batch under 0.12 % of the
interval.

    python benchmarks/controllers_bench.py [--work DIR] [--skip-run]

Writes benchmarks/results/controllers.json and controllers.md; exits 1 when the goal is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402

from benchmarks.common import bpbench, machine  # noqa: E402
from harness.results.store import write_json, write_text  # noqa: E402
from harness.spec.manifest import load_experiment  # noqa: E402

MANIFEST = ROOT / "experiments" / "controllers" / "count_sliding.yaml"
RESULTS = ROOT / "benchmarks" / "results"
GOAL_SHARE = 0.0012  # of the batch interval, GOVERNOR's claim


def decisions(work: Path) -> pd.DataFrame:
    """Every decision of every complete run, with its controller kind and batch interval."""
    frames = []
    for spec in load_experiment(MANIFEST):
        run = work / spec.experiment / spec.run_id
        table = run / "controller.parquet"
        if not (run / "COMPLETE").exists() or not table.exists():
            continue
        rows = pd.read_parquet(table)
        rows = rows[rows["event"] == "decision"].copy()
        rows["kind"] = spec.manifest.config.backpressure.controller.kind
        rows["interval_ms"] = spec.manifest.config.batch_interval_ms
        rows["run_id"] = spec.run_id
        frames.append(rows)
    if not frames:
        raise SystemExit(f"no complete run with controller decisions under {work}")
    return pd.concat(frames, ignore_index=True)


def figures(rows: pd.DataFrame) -> dict[str, dict[str, Any]]:
    result = {}
    for kind, group in rows.groupby("kind"):
        times = group["compute_us"].dropna()
        interval_us = float(group["interval_ms"].iloc[0]) * 1000
        result[str(kind)] = {
            "runs": int(group["run_id"].nunique()),
            "decisions": int(len(times)),
            "median_us": float(times.median()),
            "p99_us": float(times.quantile(0.99)),
            "max_us": float(times.max()),
            "mean_us": float(times.mean()),
            "share_of_interval": float(times.mean()) / interval_us,
            "interval_ms": interval_us / 1000,
        }
    return result


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "# Rate controllers: their own time per batch",
        "",
        f"Measured {result['measured']} with `python benchmarks/controllers_bench.py` "
        "(`make bench-controllers`), on the runs of `experiments/controllers/count_sliding.yaml` "
        f"({result['machine']}). Method: the module docstring of `benchmarks/controllers_bench.py`.",
        "",
        "| controller | runs | decisions | median | p99 | largest | mean per batch, share of the interval |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind, f in result["controllers"].items():
        lines.append(
            f"| {kind} | {f['runs']} | {f['decisions']:,} | {f['median_us']:,.1f} µs | "
            f"{f['p99_us']:,.1f} µs | {f['max_us']:,.0f} µs | "
            f"{f['share_of_interval'] * 100:.4f} % of {f['interval_ms']:,.0f} ms |"
        )
    governor = result["controllers"].get("governor")
    verdict = (
        "no GOVERNOR decisions recorded"
        if governor is None
        else f"GOVERNOR {governor['share_of_interval'] * 100:.4f} % of the interval: "
        f"{'met' if result['goal_met'] else 'missed'}"
    )
    lines += [
        "",
        f"Goal, under {GOAL_SHARE * 100:.2f} % of the interval per batch (GOVERNOR's claim): {verdict}.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=ROOT / "results")
    parser.add_argument("--skip-run", action="store_true", help="read the runs under --work only")
    args = parser.parse_args()
    if not args.skip_run:
        bpbench("run", str(MANIFEST), "--out", str(args.work))
    controllers = figures(decisions(args.work))
    governor = controllers.get("governor")
    result = {
        "measured": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine(),
        "controllers": controllers,
        "goal_share": GOAL_SHARE,
        "goal_met": governor is not None and governor["share_of_interval"] < GOAL_SHARE,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    write_json(RESULTS / "controllers.json", result)
    write_text(RESULTS / "controllers.md", markdown(result))
    print((RESULTS / "controllers.md").read_text())
    print(json.dumps({k: round(v["share_of_interval"], 6) for k, v in controllers.items()}))
    return 0 if result["goal_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
