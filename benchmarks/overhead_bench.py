"""Benchmark: what the harness's own measurement costs the system under test.

The same run (StatelessSUM in PySpark, direct stream, 3,000 records/s of 1 KiB records for 45 s on
the local backend) is made in pairs: once with the collectors polling every second, as every run
does, and once with polling every hour, so they sample only at start and at the end. The batches
come from the file the driver's listener writes, read whole at the end, so both arms get the same
figures:

* processing rate: input records over processing time, summed over the completed batches after a
  10 s warm-up: how fast the app works, which is what collectors competing for the CPU would slow;
* collectors' CPU: the polling threads' CPU time over the time they ran (``collector_cpu_frac``
  in summary.json), a share of one core.

The arms alternate (with first in odd pairs, without first in even pairs) so drift in the machine's
state falls on both.

The collectors' requests also cost the processes that answer them: Spark's driver (the REST API and
the Prometheus servlet, answered by the driver's web-server threads in the JVM that also runs the
local-mode executor) and the Kafka broker (offset requests). One more run of the same app, at {rate}
records/s, measures that once its batches complete:

* driver: each collector that asks the driver is polled once a second from the benchmark for
  {first_s} s and then for {window_s} s more, and the CPU time of the driver's web-server threads
  (``SparkUI-*``; the run's own collectors poll hourly, so nothing else asks them) is read before
  and after, per thread, from the kernel's scheduler statistics
  (``/proc/<pid>/task/<tid>/schedstat``, nanoseconds; the tick-based counters are too coarse for a
  few milliseconds a second); their CPU over a window of the same length without polls is
  subtracted. The share is that of the {window_s} s window: a run polls for minutes, and the
  driver's code for a request runs faster once the JVM has compiled it. The first {first_s} s, and
  the first poll (which starts the endpoints up, once per run), are measured apart and reported
  beside it. Work the requests cause on the JVM's compiler and garbage-collector threads is not in
  this figure;
* broker: the offsets collector's poll is repeated back to back for {repeat_s} s and the broker's
  CPU time over it, less its rate in the {repeat_s} s before (its own work), is divided by the polls:
  one poll's cost with warm code, which a poll every second costs every second.

The batch statistics cost no request: the driver's listener appends a line to a file each time a
batch is queued, starts and completes (three short appends per batch, on the driver's listener
thread, in both arms alike), and the harness reads what was added. So is Spark's own sampling of
executor metrics, which the harness turns on for every run (every second, with process-tree
metrics): it is part of the app in both arms, not of this figure.

Goal: the collectors together (the polling threads plus what their requests cost the driver and the
broker) under 2 % of one core at 1 s polling. The processing-rate ratio is reported beside it; it
moves from run to run by more than that (compare the runs without collectors with one another), so
it has no goal of its own.

    python benchmarks/overhead_bench.py [--pairs N]

Writes benchmarks/results/overhead.json and overhead.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.driver import STREAMING_BATCHES_FILE  # noqa: E402
from harness.observe.jvm_metrics import DriverJvmCollector  # noqa: E402
from harness.observe.kafka_offsets import KafkaOffsetsCollector  # noqa: E402
from harness.observe.spark_rest import SparkRestCollector  # noqa: E402
from harness.platform.kafka_broker import KAFKA_MAIN  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
GOAL_CPU_FRAC = 0.02
SERVED_RUN_S = 400  # the app the served cost is measured on runs this long (the measurement ~220 s)
SERVED_RATE = 20  # records/s
SERVED_WINDOW_S = 30
SERVED_FIRST_S = 60  # a collector's first minute of polls, measured apart from the window after it
SERVED_REPEAT_S = 6
UI_THREADS = "SparkUI"  # Spark names its web server's threads after the server
ANSWERED_BY = {
    "spark_rest": "driver's web server (REST API)",
    "driver_jvm": "driver's web server (Prometheus servlet)",
    "kafka_offsets": "broker",
}
READY_TIMEOUT_S = 120
METHOD = __doc__.format(
    rate=SERVED_RATE, window_s=SERVED_WINDOW_S, first_s=SERVED_FIRST_S, repeat_s=SERVED_REPEAT_S
)
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


def _wait_for(what: str, found: Callable[[], Any], harness: subprocess.Popen[bytes], log: Path) -> Any:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while (value := found()) is None:
        if harness.poll() is not None:
            sys.exit(
                f"the served-cost run ended before {what} (exit {harness.returncode}):\n"
                + log.read_text()[-2000:]
            )
        if time.monotonic() > deadline:
            sys.exit(f"the served-cost run: no {what} after {READY_TIMEOUT_S} s")
        time.sleep(0.5)
    return value


def _event(run_dirs: list[Path], kind: str, name_prefix: str = "") -> dict[str, Any] | None:
    """The first event of ``kind`` (and a ``name`` starting with ``name_prefix``) the run wrote."""
    for run_dir in run_dirs:
        path = run_dir / "events.jsonl"
        for line in path.read_text().splitlines() if path.exists() else []:
            event = json.loads(line) if line.endswith("}") else {}
            if event.get("kind") == kind and event.get("name", "").startswith(name_prefix):
                return event
    return None


def _completed_batches(path: Path) -> int | None:
    """How many batches the app's listener has written as completed, once there are at least 3."""
    done = path.read_text().count('"COMPLETED"') if path.exists() else 0
    return done if done >= 3 else None


def _is_broker(process: psutil.Process) -> bool:
    try:
        return KAFKA_MAIN in process.cmdline()
    except psutil.Error:  # gone, or a zombie: a short-lived helper of Spark's
        return False


def _cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _threads_cpu_ns(pid: int, prefix: str) -> dict[str, int]:
    """CPU time (ns, the kernel's scheduler statistics) of each thread whose name starts with ``prefix``."""
    threads = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            if (task / "comm").read_text().startswith(prefix):
                threads[task.name] = int((task / "schedstat").read_text().split()[0])
        except OSError:  # the thread ended meanwhile
            continue
    return threads


def _poll_every_second(seconds: float, poll: Callable[[], None] | None) -> None:
    began = time.monotonic()
    while (now := time.monotonic()) - began < seconds:
        if poll is not None:
            poll()
        time.sleep(max(0.0, min(now + 1.0, began + seconds) - time.monotonic()))


def _ui_threads_used_s(before: dict[str, int], after: dict[str, int]) -> float:
    return sum(cpu - before.get(tid, 0) for tid, cpu in after.items()) / 1e9


def _first_poll_ms(pid: int, poll: Callable[[], None]) -> float:
    """The driver's web-server threads' CPU for a collector's first poll (its endpoints' start-up)."""
    before = _threads_cpu_ns(pid, UI_THREADS)
    poll()
    time.sleep(1.0)  # let the threads finish what the request started
    return _ui_threads_used_s(before, _threads_cpu_ns(pid, UI_THREADS)) * 1000


def _ui_threads_share(
    pid: int, poll: Callable[[], None] | None, seconds: float = SERVED_WINDOW_S
) -> tuple[float, int]:
    """The driver's web-server threads' CPU over a window (a share of one core), polled once a second;
    and how many of them ended within it (whose CPU in the window is not counted)."""
    began, before = time.monotonic(), _threads_cpu_ns(pid, UI_THREADS)
    if not before:
        sys.exit(f"the driver (pid {pid}) has no threads named {UI_THREADS}*: cannot measure its web server")
    _poll_every_second(seconds, poll)
    after = _threads_cpu_ns(pid, UI_THREADS)
    return _ui_threads_used_s(before, after) / (time.monotonic() - began), len(before.keys() - after.keys())


def _ms_per_poll(process: psutil.Process, poll: Callable[[], None]) -> dict[str, float]:
    """CPU ``process`` spends answering one ``poll`` repeated back to back, net of its own work."""
    began, cpu = time.monotonic(), _cpu_s(process)
    time.sleep(SERVED_REPEAT_S)  # the process's own CPU rate, without the requests
    own_rate = (_cpu_s(process) - cpu) / (time.monotonic() - began)
    began, cpu, polls = time.monotonic(), _cpu_s(process), 0
    while time.monotonic() - began < SERVED_REPEAT_S:
        poll()
        polls += 1
    served = _cpu_s(process) - cpu - own_rate * (time.monotonic() - began)
    return {"polls": polls, "ms_per_poll": max(0.0, served) / polls * 1000, "own_cpu_frac": own_rate}


def served_cost(work: Path) -> dict[str, Any]:
    """What polling each collector once a second costs the driver and the broker, on a running app."""
    spec = manifest("without")
    spec["name"] = "overhead-served"
    spec["workload"]["duration_s"] = SERVED_RUN_S
    spec["workload"]["generator"]["rate"] = SERVED_RATE  # batches keep coming; the driver is quiet
    path, log = work / "served.yaml", work / "served.log"
    path.write_text(yaml.safe_dump(spec))
    with log.open("wb") as sink:
        harness = subprocess.Popen(
            [sys.executable, "-m", "harness.cli", "run", str(path), "--out", str(work / "served")],
            cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        runs = lambda: sorted((work / "served" / "overhead-served").glob("*-r1"))  # noqa: E731
        ready = _wait_for("driver_ready event", lambda: _event(runs(), "driver_ready"), harness, log)
        started = _event(runs(), "process_started", name_prefix="spark-app")
        batch_file = runs()[0] / "app" / STREAMING_BATCHES_FILE
        _wait_for("3 completed batches", lambda: _completed_batches(batch_file), harness, log)
        driver = psutil.Process(started["pid"])
        [broker] = [
            child for child in psutil.Process(harness.pid).children(recursive=True) if _is_broker(child)
        ]
        run_spec = json.loads((runs()[0] / "spec.json").read_text())
        offsets = KafkaOffsetsCollector(
            run_spec["bootstrap_servers"], run_spec["topic"], "bpbench-overhead-probe"
        )
        offsets.start()
        idle, ended = _ui_threads_share(driver.pid, None)
        print(f"  driver's web server, no polls: {idle:.2%} of a core", flush=True)
        cost, first_poll_ms, first_minute = {}, {}, {}
        for collector in (
            SparkRestCollector(ready["ui_url"], ready["app_id"]),
            DriverJvmCollector(ready["ui_url"], ready["app_id"]),
        ):
            name = collector.name
            first_poll_ms[name] = _first_poll_ms(driver.pid, collector.poll)
            share, ended_first = _ui_threads_share(driver.pid, collector.poll, SERVED_FIRST_S)
            first_minute[name] = share - idle
            share, ended_polled = _ui_threads_share(driver.pid, collector.poll)
            collector.stop()
            cost[name], ended = share - idle, ended + ended_first + ended_polled
            print(
                f"  {name}: first poll {first_poll_ms[name]:,.0f} ms; polled once a second, the driver's "
                f"web server {first_minute[name]:.2%} over the first minute, {cost[name]:.2%} after it",
                flush=True,
            )
        broker_poll = _ms_per_poll(broker, offsets.poll)
        cost["kafka_offsets"] = broker_poll["ms_per_poll"] / 1000
        print(
            f"  kafka_offsets: {broker_poll['ms_per_poll']:.2f} ms of the broker's CPU per poll", flush=True
        )
        offsets.stop()
    finally:
        harness.send_signal(signal.SIGTERM)  # as Ctrl-C: the harness stops everything it started
        try:
            harness.wait(timeout=120)
        except subprocess.TimeoutExpired:
            harness.kill()
            harness.wait()
    return {
        "driver_web_server_idle_cpu_frac": idle,
        "driver_web_server_threads_ended": ended,
        "first_poll_ms": first_poll_ms,
        "first_minute_cpu_frac": first_minute,
        "broker_poll": broker_poll,
        "cost": cost,
        "cpu_frac_at_1s": sum(cost.values()),
    }


def conclude(rows: list[dict[str, Any]], served: dict[str, Any]) -> dict[str, Any]:
    by_pair: dict[int, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_pair.setdefault(row["pair"], {})[row["arm"]] = row
    ratios = [
        p["with"]["processing_rate_rps"] / p["without"]["processing_rate_rps"] for p in by_pair.values()
    ]
    cpu = [row["collector_cpu_frac"] for row in rows if row["arm"] == "with"]
    without = [row["processing_rate_rps"] for row in rows if row["arm"] == "without"]
    total = max(cpu) + served["cpu_frac_at_1s"]
    return {
        "rate_ratio_mean": statistics.fmean(ratios),
        "rate_ratios": ratios,
        "without_spread": (max(without) - min(without)) / statistics.fmean(without),
        "collector_cpu_frac_mean": statistics.fmean(cpu),
        "collector_cpu_frac_max": max(cpu),
        "served": served,
        "total_cpu_frac": total,
        "cpu_goal_met": total < GOAL_CPU_FRAC,
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
    payload = {"environment": environment(), "result": result, "runs": rows, "method": METHOD}
    (RESULTS / "overhead.json").write_text(json.dumps(payload, indent=2) + "\n")
    env = payload["environment"]
    served = result["served"]
    lines = [
        "# Collector overhead",
        "",
        f"{env['when']}; {env['system']}, {env['cpus']} CPUs; Python {env['python']}, "
        f"pyspark {env['pyspark']}, bpbench {env['bpbench']}.",
        "",
        "| goal | measured | met |",
        "| --- | --- | --- |",
        f"| collectors together under {GOAL_CPU_FRAC:.0%} of one core at 1 s polling | "
        f"{result['total_cpu_frac']:.2%} (polling threads {result['collector_cpu_frac_max']:.2%}, "
        f"the most of any run; driver and broker answering them {served['cpu_frac_at_1s']:.2%}) | "
        f"{'yes' if result['cpu_goal_met'] else 'no'} |",
        "",
        "What each collector's polls, once a second, cost the process that answers them (share of one core):",
        "",
        "| collector | answered by | cost | over the first minute of polls |",
        "| --- | --- | --- | --- |",
        *(
            f"| {name} | {ANSWERED_BY[name]} | {share:.2%} | "
            f"{served['first_minute_cpu_frac'].get(name, share):.2%} |"
            for name, share in served["cost"].items()
        ),
        "",
        f"The driver's web-server threads without polls: "
        f"{served['driver_web_server_idle_cpu_frac']:.2%} of a core (subtracted), and "
        f"{served['driver_web_server_threads_ended']} of its threads ended within a window "
        "(their CPU there uncounted); "
        "the broker: "
        f"{served['broker_poll']['polls']:,} polls back to back, "
        f"{served['broker_poll']['ms_per_poll']:.2f} ms each.",
        "",
        "Once per run, each collector's first poll costs the driver more (its endpoints' start-up, "
        "not in the shares above): "
        + ", ".join(f"{name} {ms:,.0f} ms" for name, ms in served["first_poll_ms"].items())
        + ".",
        "",
        f"Processing rate with collectors over without: mean {result['rate_ratio_mean']:.3f} (pairs: "
        f"{', '.join(f'{r:.3f}' for r in result['rate_ratios'])}); the runs without collectors differ among "
        f"themselves by {result['without_spread']:.1%} of their mean.",
        "",
        "| pair | collectors | processing rate (rec/s) | polling threads' CPU | outcome |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {r['pair']} | {r['arm']} | {r['processing_rate_rps']:,.0f} | {r['collector_cpu_frac']:.2%} | "
            f"{r['outcome']} |"
            for r in rows
        ),
        "",
        "## Method",
        "",
        METHOD.split("\n\n    python")[0].strip(),
        "",
    ]
    (RESULTS / "overhead.md").write_text("\n".join(lines))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="pairs of runs, with and without (default 3)")
    args = parser.parse_args()
    if args.pairs < 1:
        parser.error("--pairs: at least 1")
    print(
        f"overhead benchmark: {args.pairs} pairs of runs and one more, about {args.pairs * 3 + 6} minutes",
        flush=True,
    )
    print("what the collectors' requests cost the driver and the broker", flush=True)
    with tempfile.TemporaryDirectory(prefix="bpbench-overhead-") as tmp:
        served = served_cost(Path(tmp))
    rows = measure(args.pairs)
    result = conclude(rows, served)
    write_results(rows, result)
    print(
        f"collectors together: {result['total_cpu_frac']:.2%} of a core (goal < {GOAL_CPU_FRAC:.0%}); "
        f"processing rate with/without: {result['rate_ratio_mean']:.3f}; written to {RESULTS / 'overhead.md'}"
    )
    return 0 if result["cpu_goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
