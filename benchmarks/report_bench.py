"""Benchmark: build the HTML report over 24 synthetic 30-minute runs; wall time and peak memory.

The runs have the real schema (run directory schema v1, written with the collectors' column lists, and
summaries computed by ``harness.results.summary.summarize``): 900 batches of 2 s, executor samples every
second for the driver and two executors, GC events, Kafka offsets every second for two partitions,
processes every second, the rate-limit trace and the generator's seconds. The matrix is backpressure
on/off x executor memory 1g/2g/4g x 4 repetitions, so the report has configurations to compare,
overlays to draw and claims to decide.

The report is built in a fresh Python process, so the peak resident memory (``ru_maxrss``) is the
build's own, not the synthesis's. Goal: under 60 s and under 1 GiB.

    python benchmarks/report_bench.py [--repeat N] [--keep DIR]

Writes benchmarks/results/report.json and report.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.results.summary import RunFacts, summarize  # noqa: E402
from harness.results.tables import (  # noqa: E402
    BATCH_COLUMNS,
    EXECUTOR_COLUMNS,
    GC_EVENT_COLUMNS,
    GENERATOR_COLUMNS,
    OFFSET_COLUMNS,
    PROCESS_COLUMNS,
    RATE_LIMIT_COLUMNS,
)

RESULTS = ROOT / "benchmarks" / "results"
GOAL_WALL_S = 60.0
GOAL_RSS_BYTES = 1 << 30

RUNS_PER_CELL = 4
MEMORIES = {"1g": 1 << 30, "2g": 2 << 30, "4g": 4 << 30}
DURATION_S = 1800
INTERVAL_MS = 2000
BATCHES = DURATION_S * 1000 // INTERVAL_MS
TARGET_RPS = 20_000.0
VALUES = 256
RECORD_BYTES = 8 + 4 * VALUES
PARTITIONS = 2
EXECUTORS = ("driver", "0", "1")
PROCESSES = (
    "harness",
    "kafka-broker",
    "spark-master",
    "spark-worker",
    "spark-app:sum",
    "spark-app:sum/java",
    "spark-app:sum/python3",
    "generator",
)
T0_MS = 1_800_000_000_000
# Records per second each executor memory level sustains: the smallest is overloaded at the target.
CAPACITY_RPS = {"1g": 15_000.0, "2g": 26_000.0, "4g": 40_000.0}


# ---------------------------------------------------------------------------------------------------------
# Synthesis


@dataclass(frozen=True)
class Cell:
    backpressure: bool
    memory: str
    repetition: int

    @property
    def run_id(self) -> str:
        return f"bp{'on' if self.backpressure else 'off'}-{self.memory}-r{self.repetition}"

    @property
    def oom_at_s(self) -> float | None:
        """Without backpressure the smallest heap runs out of memory part-way; with it, one repetition."""
        if self.memory != "1g":
            return None
        if not self.backpressure:
            return 1200.0 + 60 * self.repetition
        return 1500.0 if self.repetition == 1 else None


def _batches(cell: Cell, rng: np.random.Generator) -> pd.DataFrame:
    capacity = CAPACITY_RPS[cell.memory] * rng.normal(1.0, 0.03, BATCHES).clip(0.8, 1.2)
    interval_s = INTERVAL_MS / 1000
    offered = TARGET_RPS * interval_s * rng.normal(1.0, 0.02, BATCHES)
    if cell.backpressure:
        # The controller holds the input a little under the capacity it observed one batch earlier.
        limit = np.roll(capacity, 1) * interval_s * 0.95
        limit[0] = 2000 * interval_s
        records = np.minimum(offered, limit)
    else:
        records = offered
    records = records.round().astype(np.int64)
    processing = records / capacity * 1000.0
    scheduling = np.zeros(BATCHES)
    for i in range(1, BATCHES):
        scheduling[i] = max(0.0, scheduling[i - 1] + processing[i - 1] - INTERVAL_MS)
    times = T0_MS + np.arange(BATCHES, dtype=np.int64) * INTERVAL_MS
    status = np.full(BATCHES, "COMPLETED", dtype=object)
    if cell.oom_at_s is not None:
        status[times >= T0_MS + cell.oom_at_s * 1000] = "QUEUED"
    completed = status == "COMPLETED"
    return pd.DataFrame(
        {
            "batch_id": times,
            "batch_time_ms": times,
            "status": status,
            "input_records": records,
            "scheduling_delay_ms": np.where(completed, scheduling.round(), np.nan),
            "processing_time_ms": np.where(completed, processing.round(), np.nan),
            "total_delay_ms": np.where(completed, (scheduling + processing).round(), np.nan),
            "output_ops_failed": np.zeros(BATCHES, dtype=np.int64),
        }
    )[BATCH_COLUMNS]


def _executors(cell: Cell, rng: np.random.Generator) -> pd.DataFrame:
    seconds = np.arange(DURATION_S)
    heap = MEMORIES[cell.memory]
    fill = 0.35 + 0.55 * (seconds / DURATION_S) * (1.3 if cell.memory == "1g" else 0.6)
    frames = []
    for index, executor in enumerate(EXECUTORS):
        scale = 0.2 if executor == "driver" else 1.0
        used = (heap * 0.3 * fill * scale * rng.normal(1.0, 0.02, DURATION_S)).astype(np.int64)
        peak_heap = np.maximum.accumulate(heap * fill.clip(0, 0.98) * scale).astype(np.int64)
        removed = cell.oom_at_s is not None and executor == "1"
        remove_time = np.where(
            removed & (seconds >= (cell.oom_at_s or 0)), T0_MS + (cell.oom_at_s or 0) * 1000, np.nan
        )
        frame = pd.DataFrame(
            {"sample_time_ms": T0_MS + seconds * 1000 + 137 * index, "executor_id": executor}
        )
        frame["is_active"] = np.isnan(remove_time)
        frame["memory_used_bytes"] = used
        frame["max_memory_bytes"] = int(heap * 0.6)
        frame["used_on_heap_storage_bytes"] = used
        frame["total_on_heap_storage_bytes"] = int(heap * 0.6)
        frame["total_gc_time_ms"] = (seconds * 8 * scale).astype(np.int64)
        frame["completed_tasks"] = seconds * 4
        frame["failed_tasks"] = 0
        for column in EXECUTOR_COLUMNS:
            if column.startswith(("peak_", "minor_", "major_")):
                frame[column] = np.nan if executor == "driver" else peak_heap * 0.3
        frame["peak_jvm_heap_bytes"] = peak_heap.astype(float)
        frame["remove_time_ms"] = pd.array(remove_time, dtype="Int64")
        frame["remove_reason"] = np.where(np.isnan(remove_time), None, "Command exited with code 52")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)[EXECUTOR_COLUMNS]


def _gc(cell: Cell, rng: np.random.Generator) -> pd.DataFrame:
    heap = MEMORIES[cell.memory]
    rows = []
    for source, period_s in (
        ("driver", 6.0),
        ("executor-101", 1.5 if cell.memory == "1g" else 2.5),
        ("executor-102", 2.0),
    ):
        times = np.arange(0.0, DURATION_S, period_s) + rng.uniform(0, 0.5)
        full = rng.random(times.size) < (0.03 if cell.memory == "1g" else 0.002)
        pause = np.where(full, rng.uniform(300, 1500, times.size), rng.uniform(5, 40, times.size))
        after = heap * (0.3 + 0.5 * times / DURATION_S) * rng.uniform(0.9, 1.0, times.size)
        rows.append(
            pd.DataFrame(
                {
                    "source": source,
                    "time_ms": (T0_MS + times * 1000).astype(np.int64),
                    "uptime_s": times + 10,
                    "kind": np.where(full, "full", "young"),
                    "cause": np.where(full, "G1 Compaction Pause", "G1 Evacuation Pause"),
                    "pause_ms": pause,
                    "duration_ms": pause,
                    "heap_before_bytes": (after * 1.4).astype(np.int64),
                    "heap_after_bytes": after.astype(np.int64),
                    "heap_total_bytes": np.full(times.size, heap, dtype=np.int64),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[["source", *GC_EVENT_COLUMNS]]


def _offsets(batches: pd.DataFrame) -> pd.DataFrame:
    """Lag = records produced so far minus those of the batches finished by then (commits follow batches)."""
    seconds = np.arange(DURATION_S)
    produced = TARGET_RPS * seconds
    completed = batches[batches["status"] == "COMPLETED"]
    finished_s = (
        completed["batch_time_ms"].to_numpy() - T0_MS + completed["total_delay_ms"].to_numpy()
    ) / 1000
    order = np.argsort(finished_s)
    done = np.cumsum(completed["input_records"].to_numpy()[order])
    index = np.searchsorted(finished_s[order], seconds, side="right")
    committed = np.where(index > 0, done[np.maximum(index - 1, 0)], 0)
    frames = []
    for partition in range(PARTITIONS):
        end = (produced / PARTITIONS).astype(np.int64)
        committed_part = np.minimum((committed / PARTITIONS).astype(np.int64), end)
        frames.append(
            pd.DataFrame(
                {
                    "sample_time_ms": T0_MS + seconds * 1000,
                    "partition": partition,
                    "end_offset": end,
                    "committed_offset": committed_part.astype(float),
                    "lag": end - committed_part,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[OFFSET_COLUMNS]


def _processes(rng: np.random.Generator) -> pd.DataFrame:
    seconds = np.arange(DURATION_S)
    frames = [
        pd.DataFrame(
            {
                "sample_time_ms": T0_MS + seconds * 1000,
                "name": name,
                "pid": 1000 + index,
                "cpu_user_s": seconds * rng.uniform(0.1, 1.5),
                "cpu_system_s": seconds * rng.uniform(0.01, 0.2),
                "rss_bytes": rng.integers(100, 2000, DURATION_S) << 20,
                "threads": rng.integers(10, 120, DURATION_S),
            }
        )
        for index, name in enumerate(PROCESSES)
    ]
    return pd.concat(frames, ignore_index=True)[PROCESS_COLUMNS]


def _rate_limits(batches: pd.DataFrame, cell: Cell) -> pd.DataFrame:
    rate = batches["input_records"] / (INTERVAL_MS / 1000)
    pid = rate.shift(-1) if cell.backpressure else pd.Series(np.nan, index=batches.index)
    return pd.DataFrame(
        {
            "batch_time_ms": batches["batch_time_ms"],
            "batch_rate_rps": rate,
            "pid_rate_rps": pid,
            "pid_limit_rps": pid,
        }
    )[RATE_LIMIT_COLUMNS]


def _generator(rng: np.random.Generator) -> pd.DataFrame:
    planned = np.full(DURATION_S, int(TARGET_RPS))
    return pd.DataFrame(
        {
            "second": np.arange(DURATION_S),
            "planned": planned,
            "sent": planned,
            "acked": planned,
            "failed": 0,
            "queue_full": 0,
            "cpu_wait_ms": rng.uniform(0, 10, DURATION_S),
            "lateness_p50_ms": rng.uniform(0.1, 0.5, DURATION_S),
            "lateness_p99_ms": rng.uniform(1, 20, DURATION_S),
            "lateness_max_ms": rng.uniform(20, 80, DURATION_S),
            "sent_during": planned,
        }
    )[GENERATOR_COLUMNS]


def _manifest(cell: Cell) -> dict[str, Any]:
    return {
        "name": "bench-report",
        "description": "synthetic runs for the report benchmark",
        "platform": {
            "backend": "local",
            "kafka": {"partitions": PARTITIONS},
            "spark": {
                "topology": "standalone",
                "cores": 4,
                "driver_memory": "1g",
                "executor_memory": cell.memory,
            },
        },
        "workload": {
            "app": "sum",
            "source": "direct",
            "duration_s": float(DURATION_S),
            "generator": {"profile": "constant", "rate": TARGET_RPS},
            "records": {"layout": "artifact", "values": VALUES, "ranks": 4, "steps": None},
            "seed": 1,
        },
        "config": {
            "batch_interval_ms": INTERVAL_MS,
            "backpressure": {
                "enabled": cell.backpressure,
                "initial_rate": 2000,
                "max_rate_per_partition": None,
                "pid": {"proportional": 1.0, "integral": 0.2, "derived": 0.0, "min_rate": 100.0},
            },
            "spark_conf": {},
        },
        "run": {"drain_timeout_s": 120.0, "poll_interval_s": 1.0, "warmup_s": 10.0},
    }


def _spec(cell: Cell) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "run_id": cell.run_id,
        "experiment": "bench-report",
        "source_file": "benchmarks/report_bench.py",
        "manifest": _manifest(cell),
        "spark_conf": {
            "spark.executor.memory": cell.memory,
            "spark.streaming.backpressure.enabled": str(cell.backpressure).lower(),
            "spark.ssl.keyPassword": "not-a-real-secret",
        },
        "topic": f"bpbench-{cell.run_id}",
        "bootstrap_servers": "127.0.0.1:9092",
        "versions": {
            "bpbench": "0.1.0",
            "python": platform.python_version(),
            "spark": "3.5.3",
            "kafka": "3.9.1",
        },
        "git_commit": None,
        "host": {"platform": platform.platform(), "cpus": os.cpu_count(), "memory_bytes": None},
    }


def _summary(cell: Cell, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    from harness.results.outcomes import Evidence

    batches = tables["batches"]
    completed = batches[batches["status"] == "COMPLETED"]
    evidence = ()
    if cell.oom_at_s is not None:
        evidence = (Evidence("oom", "executor 1", "Command exited with code 52"),)
    produced = int(TARGET_RPS * DURATION_S)
    # A run that kept up drains within the drain timeout; one that fell behind leaves its final lag.
    offsets = tables["offsets"]
    final_lag = int(offsets[offsets["sample_time_ms"] == offsets["sample_time_ms"].max()]["lag"].sum())
    drained = cell.oom_at_s is None and final_lag <= TARGET_RPS * 60
    backlog = 0 if drained else final_lag
    processed = produced - backlog if drained else int(completed["input_records"].sum())
    facts = RunFacts(
        run_id=cell.run_id,
        experiment="bench-report",
        batch_interval_ms=INTERVAL_MS,
        backpressure=cell.backpressure,
        target_rate_rps=TARGET_RPS,
        duration_s=float(DURATION_S + 30),
        warmup_s=10.0,
        generator={"acked": produced, "send_duration_s": float(DURATION_S), "achieved_rate_rps": TARGET_RPS},
        processed=processed,
        backlog=backlog,
        drained=drained,
        app_failed=False,
        load_end_ms=T0_MS + DURATION_S * 1000,
        evidence=evidence,
    )
    return summarize(
        facts,
        _records(batches),
        _records(tables["executors"]),
        _records(tables["offsets"]),
        _records(tables["gc"]),
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as the collectors hand them to summarize: missing values are None, not NaN."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def synthesize(root: Path) -> list[Path]:
    """The 24 run directories under ``root/bench-report/``."""
    paths = []
    cells = [
        Cell(bp, memory, rep)
        for bp in (True, False)
        for memory in MEMORIES
        for rep in range(1, RUNS_PER_CELL + 1)
    ]
    for index, cell in enumerate(cells):
        rng = np.random.default_rng(index)
        run_dir = root / "bench-report" / cell.run_id
        run_dir.mkdir(parents=True)
        batches = _batches(cell, rng)
        tables = {
            "batches": batches,
            "executors": _executors(cell, rng),
            "gc": _gc(cell, rng),
            "offsets": _offsets(batches),
            "processes": _processes(rng),
            "rate_limits": _rate_limits(batches, cell),
            "generator": _generator(rng),
        }
        for name, frame in tables.items():
            frame.to_parquet(run_dir / f"{name}.parquet", index=False)
        summary = _summary(cell, tables)
        (run_dir / "spec.json").write_text(json.dumps(_spec(cell), indent=2, default=str))
        (run_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        events = [{"time_ms": T0_MS, "kind": "run_started", "run_id": cell.run_id}]
        (run_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
        (run_dir / "COMPLETE").touch()
        paths.append(run_dir)
    return paths


# ---------------------------------------------------------------------------------------------------------
# Measurement


def build_in_this_process(runs: Path, output: Path) -> dict[str, Any]:
    """Import, then build; the caller is a fresh process, so ru_maxrss is the build's peak."""
    import psutil

    started = time.perf_counter()
    from reports.builder import build_report

    imported_s = time.perf_counter() - started
    rss_before = psutil.Process().memory_info().rss
    started = time.perf_counter()
    build_report([runs], output)
    wall_s = time.perf_counter() - started
    figures = output.with_name(f"{output.stem}_figures")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "import_s": imported_s,
        "build_wall_s": wall_s,
        # CPU time of the whole process (imports included): wall time above it means waiting for a CPU.
        "process_cpu_s": usage.ru_utime + usage.ru_stime,
        "load_average_1min_after": os.getloadavg()[0],
        "rss_after_import_bytes": rss_before,
        # Linux reports ru_maxrss in KiB.
        "peak_rss_bytes": usage.ru_maxrss * 1024,
        "html_bytes": output.stat().st_size,
        "figure_files": len(list(figures.iterdir())),
        "figure_files_bytes": sum(p.stat().st_size for p in figures.iterdir()),
    }


def measure(runs: Path, output: Path) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--build", str(runs), str(output)]
    result = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def machine() -> dict[str, Any]:
    import psutil

    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_bytes": psutil.virtual_memory().total,
        "platform": platform.platform(),
    }


def versions() -> dict[str, str]:
    names = ("bpbench", "numpy", "pandas", "pyarrow", "matplotlib", "Jinja2", "psutil")
    found = {"python": platform.python_version()}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    found["git_commit"] = commit
    return found


def _dataset(runs: list[Path]) -> dict[str, Any]:
    sizes = [sum(p.stat().st_size for p in run.iterdir()) for run in runs]
    return {
        "runs": len(runs),
        "configurations": len(MEMORIES) * 2,
        "repetitions": RUNS_PER_CELL,
        "run_duration_s": DURATION_S,
        "batches_per_run": BATCHES,
        "executor_samples_per_run": DURATION_S * len(EXECUTORS),
        "offset_samples_per_run": DURATION_S * PARTITIONS,
        "process_samples_per_run": DURATION_S * len(PROCESSES),
        "bytes_on_disk": sum(sizes),
    }


def write_results(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "report.json").write_text(json.dumps(result, indent=2) + "\n")
    build = result["build"]
    dataset = result["dataset"]
    lines = [
        "# Report benchmark",
        "",
        f"Measured {result['measured_at']} with `python benchmarks/report_bench.py`.",
        "",
        f"- Data: {dataset['runs']} synthetic runs of {DURATION_S // 60} minutes ({BATCHES} batches of 2 s; "
        f"executor samples, offsets for {PARTITIONS} partitions and processes every second; GC events), "
        f"{dataset['configurations']} configurations x {RUNS_PER_CELL} repetitions, "
        f"{dataset['bytes_on_disk'] / 2**20:.1f} MiB of Parquet and JSON.",
        f"- Machine: {result['machine']['cpu_count']} x {result['machine']['cpu_model']}, "
        f"{result['machine']['memory_bytes'] / 2**30:.1f} GiB; Python {result['versions']['python']}, "
        f"matplotlib {result['versions']['matplotlib']}, pandas {result['versions']['pandas']}.",
        f"- Method: {result['method']}",
        f"- Load average (1 min) when the build finished: {build['load_average_1min_after']:.2f} "
        f"on {result['machine']['cpu_count']} CPUs.",
        "",
        "| measure | value | goal |",
        "| --- | --- | --- |",
        f"| build wall time (median of {len(result['repeats'])}) | {build['build_wall_s']:.1f} s | "
        f"< {GOAL_WALL_S:.0f} s |",
        f"| CPU time of the building process | {build['process_cpu_s']:.1f} s | |",
        f"| peak RSS of the building process | {build['peak_rss_bytes'] / 2**20:.0f} MiB | < 1,024 MiB |",
        f"| RSS after imports, before the build | {build['rss_after_import_bytes'] / 2**20:.0f} MiB | |",
        f"| HTML size | {build['html_bytes'] / 2**20:.1f} MiB | |",
        f"| figure files (PNG + SVG) | {build['figure_files']} files, "
        f"{build['figure_files_bytes'] / 2**20:.1f} MiB | |",
        "",
        f"Goals met: {'yes' if result['goals_met'] else 'NO'}.",
        "",
    ]
    (RESULTS / "report.md").write_text("\n".join(lines))


METHOD = (
    "the runs are synthesized first; then, per repeat, a fresh Python process imports reports.builder and "
    "times build_report() (time.perf_counter) over the 24 run directories, writing the HTML and its PNG and "
    "SVG figure files; peak memory is that process's ru_maxrss (resource.getrusage, RUSAGE_SELF), which "
    "includes the interpreter and imports. The median repeat is reported."
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="builds to time (the median is reported)")
    parser.add_argument("--keep", type=Path, help="write the runs and the report here instead of a temp dir")
    parser.add_argument("--build", nargs=2, type=Path, metavar=("RUNS", "OUTPUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build:
        print(json.dumps(build_in_this_process(*args.build)))
        return 0
    with tempfile.TemporaryDirectory(prefix="bpbench-report-bench-") as temporary:
        work = args.keep or Path(temporary)
        runs_root = work / "runs"
        started = time.perf_counter()
        runs = synthesize(runs_root)
        synth_s = time.perf_counter() - started
        repeats = [measure(runs_root, work / f"report-{i}.html") for i in range(args.repeat)]
        build = sorted(repeats, key=lambda r: r["build_wall_s"])[len(repeats) // 2]
        result = {
            "benchmark": "report",
            "measured_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
            "machine": machine(),
            "versions": versions(),
            "method": METHOD,
            "dataset": _dataset(runs),
            "synthesis_s": synth_s,
            "repeats": repeats,
            "build": build,
            "build_wall_s_median": statistics.median(r["build_wall_s"] for r in repeats),
            "goals": {"wall_s": GOAL_WALL_S, "peak_rss_bytes": GOAL_RSS_BYTES},
            "goals_met": build["build_wall_s"] < GOAL_WALL_S and build["peak_rss_bytes"] < GOAL_RSS_BYTES,
        }
    write_results(result)
    print(json.dumps({k: result[k] for k in ("build", "goals_met")}, indent=2))
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
