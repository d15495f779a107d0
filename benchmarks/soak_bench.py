"""Benchmark: the harness's own memory and file descriptors over one long run.

One run of ``benchmarks/soak.yaml`` (StatelessSUM, direct stream, backpressure on, {rate:,.0f} records/s
of 1 KiB records, {duration_s:,} s of load, on the local backend) is started with ``bpbench run`` as
a child process. Every {interval_s:g} s the benchmark samples that process (the harness itself, by
pid, with psutil; Kafka, Spark and the generator are other processes and not in the figures): its
resident set size (RSS), its open file descriptors (``num_fds``, with each descriptor's kind read
from ``/proc/<pid>/fd``) and its thread count. When the harness has exited, the size of every file it
left in the experiment's folder (the run directory, the report, the backend's logs) is recorded.

The load's start and end are the run's ``generator_started`` and ``generator_finished`` events.
Growth is taken over the load, once the app is running and warm-up allocations are done:

* the baseline window: the samples in minutes 2 to 4 of the load ({base_from_s:g} s to
  {base_to_s:g} s after it started);
* the end window: the samples in the last {end_s:g} s of the load;
* RSS growth: the end window's median minus the baseline window's median (medians, so that one
  sample caught during a poll's request buffers does not decide);
* descriptor growth: the end window's lowest count minus the baseline window's lowest count. The
  count moves by one between samples while the load runs, as a kept-alive connection of the
  collectors is closed and opened again and a file under ``/proc`` is read, so a median of counts
  that are one or the other depending on the moment can move by one without anything leaking; a
  descriptor the harness opens and never closes raises the lowest count. Medians and highest counts
  are reported beside it.

For a shorter load (``--duration-s``, a trial) every bound scales with the load's length (the
baseline of a trial of a few minutes then falls in the load's first seconds, while the collectors
still open their connections). The least-squares slope of RSS from the baseline window's start to the
load's end is reported beside it (in MiB per hour), as is the highest RSS after the load (the harness
then reads the app's last batches, writes the tables and builds the report: a one-time cost at the
end of every run, not growth).

Goals: RSS growth under {goal_rss_mib} MiB, and no descriptor growth, with no tolerance (the harness
keeps the same files and connections open for the whole load; one more at the end is one it did not
close).

    python benchmarks/soak_bench.py [--duration-s S] [--interval-s S] [--results DIR] [--work DIR]

Writes soak.json and soak.md to --results (default benchmarks/results); exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness import environment  # noqa: E402
from harness.results.store import COMPLETE_MARKER  # noqa: E402

MANIFEST = ROOT / "benchmarks" / "soak.yaml"
RESULTS = ROOT / "benchmarks" / "results"
FULL_LOAD_S = 1800
INTERVAL_S = 10.0
BASELINE_S = (60.0, 240.0)  # minutes 2 to 4 of a 30-minute load
END_S = 180.0  # the last 3 minutes of it
GOAL_RSS_MIB = 50
MIB = 2**20
# What soak.json keeps of the run's summary.json.
SUMMARY_KEYS = (
    "outcome", "duration_s", "produced", "processed", "backlog", "lost", "drained", "throughput_rps",
    "input_rate_rps", "batches", "total_delay_ms", "collector_cpu_frac",
)  # fmt: skip


def method(duration_s: int, interval_s: float, rate: float) -> str:
    scale = duration_s / FULL_LOAD_S
    return __doc__.format(
        rate=rate, duration_s=duration_s, interval_s=interval_s, goal_rss_mib=GOAL_RSS_MIB,
        base_from_s=BASELINE_S[0] * scale, base_to_s=BASELINE_S[1] * scale, end_s=END_S * scale,
    )  # fmt: skip


def descriptor_kinds(pid: int) -> Counter[str]:
    """Open descriptors of ``pid`` by kind: file, socket, pipe, anon_inode:<name>, other."""
    kinds: Counter[str] = Counter()
    fd_dir = Path(f"/proc/{pid}/fd")
    for entry in fd_dir.iterdir() if fd_dir.is_dir() else []:
        try:
            target = os.readlink(entry)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("/"):
            kinds["file"] += 1
        elif target.startswith(("socket:", "pipe:")):
            kinds[target.split(":", 1)[0]] += 1
        elif target.startswith("anon_inode:"):
            kinds[target.split("[", 1)[0]] += 1
        else:
            kinds["other"] += 1
    return kinds


def open_file_paths(pid: int) -> list[str]:
    paths = []
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target.startswith("/"):
            paths.append(target)
    return sorted(paths)


def sample(process: psutil.Process) -> dict[str, Any] | None:
    try:
        with process.oneshot():
            row = {
                "time_ms": round(time.time() * 1000),
                "rss_bytes": process.memory_info().rss,
                "fds": process.num_fds(),
                "threads": process.num_threads(),
            }
        row["fd_kinds"] = dict(sorted(descriptor_kinds(process.pid).items()))
        row["open_files"] = open_file_paths(process.pid)
    except (psutil.NoSuchProcess, psutil.ZombieProcess, FileNotFoundError):
        return None
    return row


def run_harness(manifest: Path, out: Path, log: Path, interval_s: float) -> tuple[int, list[dict[str, Any]]]:
    """``bpbench run`` as a child process, sampled every ``interval_s`` until it exits."""
    samples = []
    with log.open("wb") as sink:
        harness = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", str(manifest), "--out", str(out)],
            cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    process = psutil.Process(harness.pid)
    try:
        while harness.poll() is None:
            row = sample(process)
            if row is not None:
                samples.append(row)
                if len(samples) % 30 == 1:
                    print(
                        f"  {len(samples):4d} samples: RSS {row['rss_bytes'] / MIB:,.1f} MiB, "
                        f"{row['fds']} descriptors, {row['threads']} threads",
                        flush=True,
                    )
            time.sleep(interval_s)
    except BaseException:
        harness.terminate()  # as Ctrl-C: the harness stops everything it started
        harness.wait(timeout=180)
        raise
    return harness.returncode, samples


def events(run_dir: Path) -> dict[str, int]:
    """The first time of each event kind of the run (epoch ms)."""
    times: dict[str, int] = {}
    path = run_dir / "events.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        event = json.loads(line)
        times.setdefault(event["kind"], event["time_ms"])
    return times


def phase(time_ms: int, load: tuple[int, int] | None) -> str:
    if load is None or time_ms < load[0]:
        return "start"
    return "load" if time_ms <= load[1] else "after_load"


def window(samples: list[dict[str, Any]], start_ms: float, end_ms: float) -> list[dict[str, Any]]:
    return [s for s in samples if start_ms <= s["time_ms"] <= end_ms]


def rss_slope(samples: list[dict[str, Any]]) -> float | None:
    """Least-squares slope of RSS over time, MiB per hour."""
    if len(samples) < 2:
        return None
    times = [s["time_ms"] / 1000 for s in samples]
    return statistics.linear_regression(times, [s["rss_bytes"] / MIB for s in samples]).slope * 3600


def windows(base: list[dict[str, Any]], end: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """Median, lowest and highest of ``key`` in the baseline and the end window."""
    figures: dict[str, Any] = {}
    for name, samples in (("baseline", base), ("end", end)):
        values = [s[key] for s in samples]
        figures |= {
            f"{name}_median": statistics.median(values),
            f"{name}_min": min(values),
            f"{name}_max": max(values),
            f"{name}_samples": len(values),
        }
    figures["median_growth"] = figures["end_median"] - figures["baseline_median"]
    figures["min_growth"] = figures["end_min"] - figures["baseline_min"]
    return figures


def conclude(samples: list[dict[str, Any]], load: tuple[int, int] | None, duration_s: int) -> dict[str, Any]:
    """Growth of RSS, descriptors and threads over the load, and the goals' verdicts."""
    if load is None:
        return {"error": "the run never started its load (no generator_started/finished events)",
                "rss_goal_met": False, "fd_goal_met": False}  # fmt: skip
    scale = duration_s / FULL_LOAD_S
    base = window(samples, load[0] + BASELINE_S[0] * scale * 1000, load[0] + BASELINE_S[1] * scale * 1000)
    end = window(samples, load[1] - END_S * scale * 1000, load[1])
    if not base or not end:
        return {"error": "no samples in the baseline or the end window", "rss_goal_met": False,
                "fd_goal_met": False}  # fmt: skip
    rss, fds, threads = (windows(base, end, key) for key in ("rss_bytes", "fds", "threads"))
    rss["growth"], fds["growth"] = rss["median_growth"], fds["min_growth"]  # the goals' rules
    trend = window(samples, base[0]["time_ms"], load[1])
    after = [s["rss_bytes"] for s in samples if s["time_ms"] > load[1]]
    return {
        "rss_bytes": rss,
        "fds": fds,
        "threads": threads,
        "rss_slope_mib_per_hour": rss_slope(trend),
        "rss_max_during_load_bytes": max(s["rss_bytes"] for s in window(samples, load[0], load[1])),
        "rss_max_after_load_bytes": max(after) if after else None,
        "fd_kinds": {"baseline": base[len(base) // 2]["fd_kinds"], "end": end[-1]["fd_kinds"]},
        "open_files": {"baseline": base[len(base) // 2]["open_files"], "end": end[-1]["open_files"]},
        "rss_goal_met": rss["growth"] < GOAL_RSS_MIB * MIB,
        "fd_goal_met": fds["growth"] <= 0,
    }


def output_files(experiment_dir: Path) -> list[dict[str, Any]]:
    return [
        {"path": str(path.relative_to(experiment_dir)), "bytes": path.stat().st_size}
        for path in sorted(experiment_dir.rglob("*"))
        if path.is_file()
    ]


def run_outcome(run_dir: Path | None, exit_code: int, wall_s: float) -> dict[str, Any]:
    outcome: dict[str, Any] = {"exit_code": exit_code, "wall_s": wall_s, "complete": False}
    if run_dir is None:
        return outcome
    outcome["run_id"] = run_dir.name
    outcome["complete"] = (run_dir / COMPLETE_MARKER).exists()
    summary_path = run_dir / "summary.json"
    if summary_path.exists():
        summary = json.loads(summary_path.read_text())
        outcome.update({key: summary.get(key) for key in SUMMARY_KEYS})
    return outcome


def describe_environment() -> dict[str, Any]:
    described = environment.describe()
    described["pyspark"] = metadata.version("pyspark")
    described["when"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    return described


def mib(value: float | None) -> str:
    return "-" if value is None else f"{value / MIB:,.1f} MiB"


def yes_no(met: bool) -> str:
    return "yes" if met else "no"


def markdown(payload: dict[str, Any]) -> str:
    env, result, run = payload["environment"], payload["result"], payload["run"]
    settings = payload["settings"]
    lines = [
        "# Soak: the harness's memory and descriptors over a long run",
        "",
        f"{env['when']}; {env['host']['platform']}, {env['host']['cpus']} CPUs; Python "
        f"{env['versions']['python']}, pyspark {env['pyspark']}, bpbench {env['versions']['bpbench']}; "
        f"load average {payload['load_average'][0]:.2f} at the start, {payload['load_average'][1]:.2f} "
        "at the end.",
        "",
        f"One run of `benchmarks/soak.yaml`: {settings['rate']:,.0f} records/s for "
        f"{settings['duration_s']:,} s of load, "
        f"sampled every {settings['interval_s']:g} s ({len(payload['samples'])} samples). "
        f"The run: `bpbench run` exited with status {run['exit_code']} after {run['wall_s']:,.0f} s; "
        f"outcome `{run.get('outcome', '-')}`, {run.get('produced') or 0:,} records produced, "
        f"{run.get('processed') or 0:,} processed, backlog {run.get('backlog')}, lost {run.get('lost')}, "
        f"{'COMPLETE' if run['complete'] else 'no COMPLETE marker'}; p95 total delay "
        f"{_ms((run.get('total_delay_ms') or {}).get('p95'))}; the collectors' polling threads "
        f"{_share(run.get('collector_cpu_frac'))} of a core.",
        "",
    ]
    if "error" in result:
        return "\n".join([*lines, f"No verdict: {result['error']}.", ""])
    rss, fds, threads = result["rss_bytes"], result["fds"], result["threads"]
    lines += [
        "| goal | of each window | baseline | end | growth | met |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| harness RSS growth under {GOAL_RSS_MIB} MiB | median | {mib(rss['baseline_median'])} | "
        f"{mib(rss['end_median'])} | {mib(rss['growth'])} | {yes_no(result['rss_goal_met'])} |",
        f"| no growth of open descriptors | lowest count | {fds['baseline_min']:g} | {fds['end_min']:g} | "
        f"{fds['growth']:+g} | {yes_no(result['fd_goal_met'])} |",
        "",
        f"Beside them: open descriptors, median {fds['baseline_median']:g} at the baseline and "
        f"{fds['end_median']:g} at the end, highest {fds['baseline_max']:g} and {fds['end_max']:g} (by kind: "
        f"{_kinds(result['fd_kinds']['baseline'])} in the middle of the baseline; "
        f"{_kinds(result['fd_kinds']['end'])} at the end); threads {threads['baseline_median']:g} and "
        f"{threads['end_median']:g}; RSS slope over the load {result['rss_slope_mib_per_hour'] or 0:+,.1f} "
        f"MiB per hour; highest RSS during the load {mib(result['rss_max_during_load_bytes'])}, after it "
        f"(tables and report) {mib(result['rss_max_after_load_bytes'])}.",
        "",
        "Files the run left (the experiment folder):",
        "",
        "| file | bytes |",
        "| --- | ---: |",
        *(f"| {f['path']} | {f['bytes']:,} |" for f in payload["files"]),
        "",
        "## Method",
        "",
        payload["method"].split("\n\n    python")[0].strip(),
        "",
    ]
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.2%}"


def _kinds(kinds: dict[str, int]) -> str:
    return ", ".join(f"{count} {kind}" for kind, count in kinds.items()) or "none"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration-s", type=int, default=FULL_LOAD_S, help="seconds of load (default 1800)")
    parser.add_argument("--interval-s", type=float, default=INTERVAL_S, help="seconds between samples")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where soak.json and soak.md go")
    parser.add_argument("--work", type=Path, default=None, help="keep the run's files here (default: temp)")
    args = parser.parse_args()
    if args.duration_s < 60 or args.interval_s <= 0:
        parser.error("--duration-s: at least 60; --interval-s: positive")
    spec = yaml.safe_load(MANIFEST.read_text())
    spec["workload"]["duration_s"] = args.duration_s
    rate = float(spec["workload"]["generator"]["rate"])
    print(f"soak benchmark: {args.duration_s:,} s of load at {rate:,.0f} records/s", flush=True)
    with tempfile.TemporaryDirectory(prefix="bpbench-soak-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        manifest = work / "soak.yaml"
        manifest.write_text(yaml.safe_dump(spec, sort_keys=False))
        load_average = [os.getloadavg()[0]]
        began = time.monotonic()
        exit_code, samples = run_harness(manifest, work / "results", work / "bpbench.log", args.interval_s)
        wall_s = time.monotonic() - began
        load_average.append(os.getloadavg()[0])
        experiment_dir = work / "results" / spec["name"]
        run_dirs = sorted(path.parent for path in experiment_dir.glob("*/spec.json"))
        run_dir = run_dirs[0] if run_dirs else None
        times = events(run_dir) if run_dir else {}
        load = (times["generator_started"], times["generator_finished"]) if (
            "generator_started" in times and "generator_finished" in times) else None  # fmt: skip
        result = conclude(samples, load, args.duration_s)
        files = output_files(experiment_dir) if experiment_dir.exists() else []
        outcome = run_outcome(run_dir, exit_code, wall_s)
        if exit_code != 0:
            print((work / "bpbench.log").read_text()[-3000:], flush=True)
    for row in samples:
        row["phase"] = phase(row["time_ms"], load)
        row.pop("open_files")
    payload = {
        "environment": describe_environment(),
        "load_average": load_average,
        "settings": {"duration_s": args.duration_s, "interval_s": args.interval_s, "rate": rate},
        "run": outcome,
        "load_window_ms": list(load) if load else None,
        "result": result,
        "files": files,
        "samples": samples,
        "method": method(args.duration_s, args.interval_s, rate),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "soak.json").write_text(json.dumps(payload, indent=2) + "\n")
    (args.results / "soak.md").write_text(markdown(payload))
    met = result["rss_goal_met"] and result["fd_goal_met"]
    if "error" not in result:
        print(
            f"RSS growth {mib(result['rss_bytes']['growth'])} (goal < {GOAL_RSS_MIB} MiB), descriptors "
            f"{result['fds']['growth']:+g} (goal 0): {'met' if met else 'not met'}; "
            f"written to {args.results / 'soak.md'}",
            flush=True,
        )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
