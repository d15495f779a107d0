"""Benchmark: the generator's maximum sustained rate against Kafka's own producer, and its schedule fidelity.

On a local broker started for the purpose (stopped at the end), in one run:

1. At 100-byte and at 10,000-byte records, the generator's maximum sustained rate (acknowledged records
   over the time from the schedule's start until the last acknowledgement, with a schedule that asks
   for far more than it can send) with 1 and with one-per-CPU worker processes, the better of the two
   counting, against ``org.apache.kafka.tools.ProducerPerformance`` (the ``kafka-tools`` jar, run with
   the broker's classpath) sending as many records of the same size with the same producer settings.
   Both send the same number of records, sized by a short pilot of the generator to last about
   ``--run-s`` seconds. Goal: generator / ProducerPerformance >= 0.8 at both sizes.
2. Schedule fidelity at 50 % of that maximum (100-byte records, the process count of the maximum) for
   ``--fidelity-s`` seconds: records actually sent per 10 s window over the records due in it (goal:
   every window within +-1 %), and the lateness p99 over all sends (goal: < 5 ms).

    python benchmarks/generator_bench.py [--run-s S] [--fidelity-s S]

Writes benchmarks/results/generator.json and generator.md, pass or fail per goal; exits 1 when a goal
is missed. On a machine shared with other work the figures move with the load (recorded with them).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import confluent_kafka
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.records import HEADER, VALUE_DTYPE  # noqa: E402
from generators.produce import PRODUCER_SETTINGS, GeneratorConfig  # noqa: E402
from generators.profiles import parse_profile  # noqa: E402
from harness import environment, jvm  # noqa: E402
from harness.errors import HarnessError  # noqa: E402
from harness.platform.kafka_broker import KafkaBroker  # noqa: E402
from harness.run.supervisor import ProcessSupervisor  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SIZES = (100, 10_000)
PARTITIONS = 2
GOAL_RATIO = 0.8
GOAL_WINDOW_ERROR = 0.01
GOAL_P99_MS = 5.0
WINDOW_S = 10
FIDELITY_SHARE = 0.5
OVERDRIVE_RPS = 20_000_000.0  # a schedule no producer here can follow: it measures the maximum
PILOT_RECORDS = {100: 200_000, 10_000: 10_000}
PERFORMANCE_MAIN = "org.apache.kafka.tools.ProducerPerformance"
PERFORMANCE_HEAP = "-Xmx1g"
# The producer settings both tools share (names as both clients spell them).
SHARED_SETTINGS = ("acks", "enable.idempotence", "linger.ms", "batch.size", "compression.type")
_PERFORMANCE_TOTAL = re.compile(r"^(\d+) records sent, ([0-9.]+) records/sec \(([0-9.]+) MB/sec\)")

METHOD = (
    "One local Kafka broker (KRaft, 1 GiB heap), a fresh topic of {partitions} partitions per measurement. "
    "Maximum sustained rate: acknowledged records over the time from the first send to the last "
    "acknowledgement. The generator (generators.produce, confluent-kafka) follows a constant schedule of "
    "{overdrive:,.0f} records/s, far above what it can send, so it sends as fast as it can; it is measured "
    "with 1 and with {cpus} worker processes and the better counts. ProducerPerformance runs with "
    "--throughput -1 and the broker's classpath and reports records/sec over the same span (its total line). "
    "Both send the same number of records (a generator pilot sizes them to about {run_s:g} s) with the same "
    "settings: {settings}. Fidelity: a constant schedule at {share:.0%} of the generator's maximum at 100 B "
    "for {fidelity_s:g} s with the processes of that maximum; per {window} s window, records actually sent "
    "in it over records due in it; lateness is send time minus due time over every send."
)


def log(started: float, message: str) -> None:
    print(f"[{time.monotonic() - started:5.0f} s] {message}", flush=True)


def values_for(size: int) -> int:
    values, rest = divmod(size - HEADER.size, VALUE_DTYPE.itemsize)
    if rest or values < 1:
        raise ValueError(f"no artifact record is {size} bytes")
    return values


def shared_settings() -> dict[str, str]:
    return {name: str(PRODUCER_SETTINGS[name]).lower() for name in SHARED_SETTINGS}


@dataclass
class Bench:
    work: Path
    supervisor: ProcessSupervisor
    broker: KafkaBroker
    started: float
    _topics: int = 0

    def _topic(self, label: str) -> str:
        self._topics += 1
        name = f"bench-{self._topics}-{label}"
        self.broker.create_topic(name, PARTITIONS)
        return name

    def generator(self, label: str, profile: dict[str, Any], duration_s: float, size: int, processes: int):
        """One generator run; its result and its per-second rows."""
        folder = self.work / label
        folder.mkdir()
        config = GeneratorConfig(
            bootstrap_servers=self.broker.bootstrap_servers,
            topic=self._topic(label),
            profile=parse_profile(profile),
            duration_s=duration_s,
            records={"layout": "artifact", "values": values_for(size), "ranks": 4, "steps": None},
            seed=1,
            stats_path=folder / "stats.jsonl",
            result_path=folder / "result.json",
            processes=processes,
        )
        (folder / "config.json").write_text(json.dumps(config.to_json()))
        command = [sys.executable, "-m", "generators.produce", "--config", str(folder / "config.json")]
        process = self.supervisor.start(f"generator-{label}", command, folder / "generator.log", cwd=ROOT)
        code = process.popen.wait()
        self.supervisor.stop(process)
        if code != 0:
            raise HarnessError(f"the generator failed (exit {code}):\n{process.log_tail()}")
        result = json.loads(config.result_path.read_text())
        rows = [json.loads(line) for line in config.stats_path.read_text().splitlines()]
        return result, rows

    def generator_max(self, label: str, size: int, records: int, processes: int) -> dict[str, Any]:
        profile = {"profile": "constant", "rate": OVERDRIVE_RPS}
        result, _ = self.generator(label, profile, records / OVERDRIVE_RPS, size, processes)
        if result["acked"] != records:
            raise HarnessError(f"{label}: {result['acked']} of {records} records acknowledged")
        rate = result["acked"] / result["ack_duration_s"]
        return {
            "processes": processes,
            "records": records,
            "seconds": result["ack_duration_s"],
            "rate_rps": rate,
            "mb_per_s": rate * size / 1e6,
            "failed": result["failed"],
        }

    def producer_performance(self, size: int, records: int) -> dict[str, Any]:
        topic = self._topic(f"pp-{size}")
        properties = [f"{k}={v}" for k, v in shared_settings().items()]
        command = [
            "java", PERFORMANCE_HEAP, "-cp", ":".join(map(str, jvm.classpath("kafka-broker"))),
            PERFORMANCE_MAIN, "--topic", topic, "--num-records", str(records), "--record-size", str(size),
            "--throughput", "-1",
            "--producer-props", f"bootstrap.servers={self.broker.bootstrap_servers}", *properties,
        ]  # fmt: skip
        log_path = self.work / f"producer-performance-{size}.log"
        process = self.supervisor.start(f"producer-performance-{size}", command, log_path)
        code = process.popen.wait()
        self.supervisor.stop(process)
        totals = [m for line in log_path.read_text().splitlines() if (m := _PERFORMANCE_TOTAL.match(line))]
        if code != 0 or not totals or int(totals[-1].group(1)) != records:
            raise HarnessError(f"ProducerPerformance failed (exit {code}):\n{process.log_tail()}")
        sent, rate, mb_per_s = totals[-1].groups()
        return {"records": int(sent), "rate_rps": float(rate), "mb_per_s": float(mb_per_s)}

    def throughput(self, size: int, run_s: float) -> dict[str, Any]:
        log(self.started, f"{size:,} B records: pilot of the generator ({PILOT_RECORDS[size]:,} records)")
        pilot = self.generator_max(f"pilot-{size}", size, PILOT_RECORDS[size], 1)
        records = max(PILOT_RECORDS[size], int(pilot["rate_rps"] * run_s))
        log(
            self.started,
            f"  pilot: {pilot['rate_rps']:,.0f} records/s; the runs send {records:,} records each",
        )
        runs = []
        for processes in sorted({1, os.cpu_count() or 1}):
            run = self.generator_max(f"max-{size}-{processes}p", size, records, processes)
            log(
                self.started,
                f"  generator, {processes} process{'es' if processes > 1 else ''}: "
                f"{run['rate_rps']:,.0f} records/s ({run['mb_per_s']:,.1f} MB/s)",
            )
            runs.append(run)
        best = max(runs, key=lambda run: run["rate_rps"])
        performance = self.producer_performance(size, records)
        log(
            self.started,
            f"  ProducerPerformance: {performance['rate_rps']:,.0f} records/s "
            f"({performance['mb_per_s']:,.1f} MB/s)",
        )
        ratio = best["rate_rps"] / performance["rate_rps"]
        log(self.started, f"  ratio generator / ProducerPerformance: {ratio:.2f} (goal >= {GOAL_RATIO})")
        return {
            "record_bytes": size,
            "records_per_run": records,
            "pilot": pilot,
            "generator_runs": runs,
            "generator": best,
            "producer_performance": performance,
            "ratio": ratio,
            "goal_met": ratio >= GOAL_RATIO,
        }

    def fidelity(self, max_rate: float, processes: int, duration_s: float) -> dict[str, Any]:
        target = FIDELITY_SHARE * max_rate
        log(
            self.started,
            f"fidelity: {target:,.0f} records/s of 100 B for {duration_s:g} s with {processes} process(es)",
        )
        profile = {"profile": "constant", "rate": target}
        result, rows = self.generator("fidelity", profile, duration_s, 100, processes)
        windows = []
        for start in range(0, int(duration_s), WINDOW_S):
            inside = [row for row in rows if start <= row["second"] < start + WINDOW_S]
            planned = sum(row["planned"] for row in inside)
            sent = sum(row["sent_during"] for row in inside)
            windows.append({"start_s": start, "planned": planned, "sent": sent, "ratio": sent / planned})
            log(self.started, f"  window {start:>3}-{start + WINDOW_S} s: sent / due = {sent / planned:.4f}")
        within = all(abs(w["ratio"] - 1) <= GOAL_WINDOW_ERROR for w in windows)
        p99 = result["lateness_p99_ms"]
        # Where lateness came from: seconds over the goal, which of them had sends wait for room in the
        # producer's queue (Kafka behind), and which had a sender wait for a CPU (the machine busy).
        late = [row for row in rows if (row["lateness_p99_ms"] or 0) >= GOAL_P99_MS]
        on_time = [row for row in rows if row["planned"] and (row["lateness_p99_ms"] or 0) < GOAL_P99_MS]
        log(
            self.started,
            f"  lateness p50 {result['lateness_p50_ms']:.2f} ms, p99 {p99:.2f} ms (goal < {GOAL_P99_MS} ms)",
        )
        return {
            "target_rate_rps": target,
            "processes": processes,
            "duration_s": duration_s,
            "planned": result["planned"],
            "acked": result["acked"],
            "failed": result["failed"],
            "queue_full": result["queue_full"],
            "late_seconds": len(late),
            "late_seconds_with_queue_full": sum(row["queue_full"] > 0 for row in late),
            "late_seconds_cpu_wait_ms_p50": median_cpu_wait(late),
            "on_time_seconds_cpu_wait_ms_p50": median_cpu_wait(on_time),
            "windows": windows,
            "lateness_p50_ms": result["lateness_p50_ms"],
            "lateness_p99_ms": p99,
            "lateness_max_ms": result["lateness_max_ms"],
            "windows_goal_met": within,
            "lateness_goal_met": p99 is not None and p99 < GOAL_P99_MS,
        }


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    for line in cpuinfo.read_text().splitlines() if cpuinfo.exists() else []:
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def describe(args: argparse.Namespace) -> dict[str, Any]:
    described = environment.describe()
    described["host"]["cpu_model"] = cpu_model()
    described["versions"]["confluent_kafka"] = metadata.version("confluent-kafka")
    described["versions"]["librdkafka"] = confluent_kafka.libversion()[0]
    described["versions"]["numpy"] = np.__version__
    described["method"] = METHOD.format(
        partitions=PARTITIONS,
        overdrive=OVERDRIVE_RPS,
        cpus=os.cpu_count(),
        run_s=args.run_s,
        settings=", ".join(f"{k}={v}" for k, v in shared_settings().items()),
        share=FIDELITY_SHARE,
        fidelity_s=args.fidelity_s,
        window=WINDOW_S,
    )
    return described


def median_cpu_wait(rows: list[dict[str, Any]]) -> float | None:
    waits = [row["cpu_wait_ms"] for row in rows if row["cpu_wait_ms"] is not None]
    return float(np.median(waits)) if waits else None


def cpu_wait_text(fidelity: dict[str, Any]) -> str:
    late, on_time = fidelity["late_seconds_cpu_wait_ms_p50"], fidelity["on_time_seconds_cpu_wait_ms_p50"]
    if late is None and on_time is None:
        return "This kernel does not report how long threads waited for a CPU."
    medians = [
        f"{median:.1f} ms of each {which} second" if median is not None else f"no {which} second"
        for median, which in ((late, "late"), (on_time, "other"))
    ]
    return (
        "A sender ready to run but waiting for a CPU (both cores busy with other threads), median over "
        f"seconds: {medians[0]}, {medians[1]}."
    )


def write_results(result: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "generator.json").write_text(json.dumps(result, indent=2) + "\n")
    host = result["host"]
    versions = result["versions"]
    fidelity = result["fidelity"]

    def verdict(met: bool) -> str:
        return "pass" if met else "FAIL"

    lines = [
        "# Generator benchmark",
        "",
        f"Measured {result['measured_at']} with `make bench-generator` ({result['wall_s']:.0f} s).",
        "",
        f"- Machine: {host['cpus']} x {host['cpu_model']}, {host['memory_bytes'] / 2**30:.1f} GiB, "
        f"{host['platform']}; load average (1 min) {result['load_average_before']:.2f} before, "
        f"{result['load_average_after']:.2f} after (the machine was shared: the figures are indicative).",
        f"- Versions: Python {versions['python']}, confluent-kafka {versions['confluent_kafka']} "
        f"(librdkafka {versions['librdkafka']}), Kafka {versions['kafka']}, {versions['java']}; "
        f"bpbench {result['git_commit']}.",
        f"- Method: {result['method']}",
        "",
        "## Maximum sustained rate",
        "",
        "| record | generator (processes) | ProducerPerformance | ratio | goal >= 0.8 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for size in result["throughput"]:
        best = size["generator"]
        others = ", ".join(
            f"{run['rate_rps']:,.0f} with {run['processes']}"
            for run in size["generator_runs"]
            if run is not best
        )
        lines.append(
            f"| {size['record_bytes']:,} B | {best['rate_rps']:,.0f} rec/s, {best['mb_per_s']:,.1f} MB/s "
            f"({best['processes']}{'; ' + others if others else ''}) | "
            f"{size['producer_performance']['rate_rps']:,.0f} rec/s, "
            f"{size['producer_performance']['mb_per_s']:,.1f} MB/s | {size['ratio']:.2f} | "
            f"{verdict(size['goal_met'])} |"
        )
    lines += [
        "",
        f"## Schedule fidelity at {FIDELITY_SHARE:.0%} of the maximum (100 B)",
        "",
        f"{fidelity['target_rate_rps']:,.0f} records/s for {fidelity['duration_s']:g} s with "
        f"{fidelity['processes']} process(es): {fidelity['acked']:,} of {fidelity['planned']:,} records "
        f"acknowledged, {fidelity['failed']} failed. Sends that waited for room in the producer's queue "
        f"(Kafka behind): {fidelity['queue_full']:,}; seconds whose lateness p99 reached {GOAL_P99_MS} ms: "
        f"{fidelity['late_seconds']} ({fidelity['late_seconds_with_queue_full']} of them with such waits). "
        f"{cpu_wait_text(fidelity)}",
        "",
        "| window | due | sent in it | sent / due |",
        "| --- | --- | --- | --- |",
    ]
    for window in fidelity["windows"]:
        lines.append(
            f"| {window['start_s']}-{window['start_s'] + WINDOW_S} s | {window['planned']:,} | "
            f"{window['sent']:,} | {window['ratio']:.4f} |"
        )
    lines += [
        "",
        f"Lateness over all sends: p50 {fidelity['lateness_p50_ms']:.2f} ms, "
        f"p99 {fidelity['lateness_p99_ms']:.2f} ms, max {fidelity['lateness_max_ms']:.1f} ms.",
        "",
        "## Goals",
        "",
        "| goal | result |",
        "| --- | --- |",
        *[
            f"| ratio >= {GOAL_RATIO} at {size['record_bytes']:,} B | {verdict(size['goal_met'])} "
            f"({size['ratio']:.2f}) |"
            for size in result["throughput"]
        ],
        f"| every 10 s window within +-1 % | {verdict(fidelity['windows_goal_met'])} |",
        f"| lateness p99 < {GOAL_P99_MS:g} ms | {verdict(fidelity['lateness_goal_met'])} "
        f"({fidelity['lateness_p99_ms']:.2f} ms) |",
        "",
        f"Goals met: {'yes' if result['goals_met'] else 'NO'}.",
        "",
    ]
    (RESULTS / "generator.md").write_text("\n".join(lines))


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--run-s", type=float, default=10.0, help="about how long each rate measurement sends"
    )
    parser.add_argument("--fidelity-s", type=float, default=60.0, help="length of the fidelity run")
    args = parser.parse_args(argv)
    if args.run_s <= 0 or args.fidelity_s < WINDOW_S:
        parser.error(f"--run-s must be > 0 and --fidelity-s >= {WINDOW_S}")
    jvm.require_jdk()
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.monotonic()
    result: dict[str, Any] = {
        "benchmark": "generator",
        "measured_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        **describe(args),
        "load_average_before": os.getloadavg()[0],
    }
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bpbench-generator-bench-") as work,
            ProcessSupervisor() as supervisor,
        ):
            log(started, "starting the Kafka broker")
            broker = KafkaBroker(Path(work) / "kafka", supervisor)
            broker.start()
            bench = Bench(Path(work), supervisor, broker, started)
            result["throughput"] = [bench.throughput(size, args.run_s) for size in SIZES]
            small = result["throughput"][0]["generator"]
            result["fidelity"] = bench.fidelity(small["rate_rps"], small["processes"], args.fidelity_s)
            log(started, "stopping the Kafka broker")
    except KeyboardInterrupt:
        print(
            "interrupted: every process the benchmark started was stopped; no results written",
            file=sys.stderr,
        )
        return 130
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    result["load_average_after"] = os.getloadavg()[0]
    result["wall_s"] = time.monotonic() - started
    fidelity = result["fidelity"]
    result["goals"] = {
        "ratio": {str(size["record_bytes"]): size["goal_met"] for size in result["throughput"]},
        "windows_within_1_percent": fidelity["windows_goal_met"],
        "lateness_p99_below_5_ms": fidelity["lateness_goal_met"],
    }
    result["goals_met"] = all(size["goal_met"] for size in result["throughput"]) and (
        fidelity["windows_goal_met"] and fidelity["lateness_goal_met"]
    )
    write_results(result)
    log(started, f"written: {RESULTS / 'generator.md'}; goals met: {'yes' if result['goals_met'] else 'NO'}")
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
