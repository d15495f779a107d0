"""``bpbench simulate``: every run of a manifest through the model, written as run directories.

A simulated run directory has the files and columns of a real one (``harness.results.tables``), its
``summary.json`` comes from ``harness.results.summary.summarize`` (so its outcome follows the same
rule), and its ``spec.json`` says ``simulated: true`` with the calibration it used.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import __version__
from harness.control.rate_limits import rate_limit_rows
from harness.errors import UsageError
from harness.results.outcomes import Evidence, Outcome
from harness.results.store import SCHEMA_VERSION, RunDirectory, write_json, write_table
from harness.results.summary import RunFacts, summarize
from harness.results.tables import (
    BACKEND_TABLES,
    BATCH_COLUMNS,
    EXECUTOR_COLUMNS,
    GENERATOR_COLUMNS,
    IN_FLIGHT_COLUMNS,
    LOGGED_RATE_COLUMNS,
    OFFSET_COLUMNS,
    RATE_LIMIT_COLUMNS,
    TABLE_COLUMNS,
)
from harness.run.runner import APP_STOP_TIMEOUT_S
from harness.sim.calibration import Calibration, calibrate, state_timeout_ms
from harness.sim.model import (
    DEFAULT_BLOCK_INTERVAL_MS,
    DEFAULT_MIN_RATE_PER_PARTITION,
    Scenario,
    Trace,
    simulate,
)
from harness.spec.manifest import Manifest, RunSpec, jvm_memory_bytes, load_experiment

# Times of simulated runs start here (2026-01-01 UTC), so the same seed writes the same files.
EPOCH_MS = 1_767_225_600_000
# Spark's reserved system memory and spark.memory.fraction's default (UnifiedMemoryManager).
RESERVED_BYTES = 300 << 20
MEMORY_FRACTION = 0.6
# 3: a simulated run's residuals all come from one calibration run, picked per run, in circular blocks
# of consecutive batches. 2 drew blocks that could not wrap, each from any calibration run; it first
# wrote the residuals per calibration run (``calibration.cost.residual_runs_ms``,
# ``residual_block_batches``). 1 drew them one by one from all runs and wrote only their count
# (``calibration.cost.residuals_ms``).
MODEL_VERSION = 3


def unsupported(manifest: Manifest) -> list[str]:
    """What the model does not cover in a manifest, one line per field."""
    problems = []
    workload, config = manifest.workload, manifest.config
    if workload.source not in ("direct", "receiver"):
        problems.append(
            f"workload.source: {workload.source} is not simulated (the model covers the direct and receiver "
            "DStream sources; Structured Streaming has no backpressure loop to model)"
        )
    if getattr(manifest, "faults", None):
        problems.append("faults: not simulated (the model has no executor loss, kill or network fault)")
    controller = getattr(config.backpressure, "controller", None)
    kind = getattr(controller, "kind", None)
    if kind not in (None, "spark", "pid"):
        problems.append(
            f"config.backpressure.controller.kind: {kind} is not simulated (Spark's PID only: spark or pid)"
        )
    for key in config.spark_conf:
        if (
            key.startswith("spark.streaming.concurrentJobs")
            or key == "spark.streaming.backpressure.rateEstimator"
        ):
            problems.append(f"config.spark_conf.{key}: not simulated (one job at a time, Spark's PID only)")
    return problems


def record_bytes(manifest: Manifest) -> int:
    records = manifest.workload.records
    if records.layout == "json":
        from apps.records import DEFAULT_EVENT_BYTES

        return records.event_bytes or DEFAULT_EVENT_BYTES
    return 8 + 4 * records.values


def storage_pool_bytes(manifest: Manifest, observed: dict[str, int]) -> int:
    """The unified memory (storage can borrow all of it) of the JVM that holds the receivers' blocks:
    what Spark reported in a calibration run with the same memory setting, else
    ``(heap - 300 MiB) * spark.memory.fraction``."""
    spark = manifest.platform.spark
    memory = spark.driver_memory if spark.topology == "local" else spark.executor_memory
    fraction = manifest.config.spark_conf.get("spark.memory.fraction")
    if memory in observed and fraction is None:
        return observed[memory]
    return int((jvm_memory_bytes(memory) - RESERVED_BYTES) * float(fraction or MEMORY_FRACTION))


def scenario(manifest: Manifest, calibration: Calibration) -> Scenario:
    config, workload = manifest.config, manifest.workload
    bp = config.backpressure
    conf = config.spark_conf
    block = config.block_interval_ms or int(
        str(conf.get("spark.streaming.blockInterval", DEFAULT_BLOCK_INTERVAL_MS)).removesuffix("ms")
    )
    return Scenario(
        interval_ms=config.batch_interval_ms,
        profile=workload.generator,
        duration_s=workload.duration_s,
        load_start_ms=calibration.load_start_ms,
        source_start_ms=calibration.source_start_ms,
        drain_timeout_ms=round(manifest.run.drain_timeout_s * 1000),
        source=workload.source,
        partitions=manifest.platform.kafka.partitions,
        record_bytes=record_bytes(manifest),
        backpressure=bp.enabled,
        pid=(bp.pid.proportional, bp.pid.integral, bp.pid.derived, bp.pid.min_rate),
        initial_rate=bp.initial_rate,
        max_rate_per_partition=bp.max_rate_per_partition,
        min_rate_per_partition=int(
            conf.get("spark.streaming.kafka.minRatePerPartition", DEFAULT_MIN_RATE_PER_PARTITION)
        ),
        receivers=workload.receivers,
        block_interval_ms=block,
        receiver_max_rate=bp.max_rate,
        in_flight_budget=workload.in_flight_budget,
        state_timeout_ms=state_timeout_ms(manifest.model_dump(mode="json")),
        # Blocks stored with a disk level spill instead of filling memory: no oom rule for them.
        storage_pool_bytes=None
        if "DISK" in config.receiver_storage_level
        else storage_pool_bytes(manifest, calibration.storage_pools),
        held_bytes_factor=calibration.held_bytes_factor,
        stop_grace_ms=round(APP_STOP_TIMEOUT_S * 1000),
    )


def seed_of(spec: RunSpec) -> int:
    return spec.manifest.workload.seed * 1000 + spec.repetition


@dataclass(frozen=True)
class Simulated:
    spec: RunSpec
    seed: int
    trace: Trace
    summary: dict[str, Any]
    tables: dict[str, tuple[list[dict[str, Any]], list[str]]]


def _batch_rows(trace: Trace) -> list[dict[str, Any]]:
    rows = []
    for b in trace.batches:
        time_ms = EPOCH_MS + b["batch_time_ms"]
        processing = b["processing_time_ms"]
        scheduling = b["scheduling_delay_ms"]
        rows.append({
            "batch_id": time_ms, "batch_time_ms": time_ms, "status": b["status"],
            "input_records": b["input_records"],
            "scheduling_delay_ms": None if scheduling is None else float(scheduling),
            "processing_time_ms": None if processing is None else float(processing),
            "total_delay_ms": None if processing is None else float(scheduling + processing),
            "output_ops_failed": 0,
        })  # fmt: skip
    return rows


def _offset_rows(trace: Trace, partitions: int) -> list[dict[str, Any]]:
    from harness.sim.model import partition_counts

    rows = []
    for time_ms, produced, committed in trace.offsets:
        ends = partition_counts(produced, partitions)
        commits = partition_counts(committed, partitions)
        for p in range(partitions):
            rows.append({
                "sample_time_ms": EPOCH_MS + time_ms, "partition": p, "end_offset": int(ends[p]),
                "committed_offset": int(commits[p]), "lag": int(ends[p] - commits[p]),
            })  # fmt: skip
    return rows


def _memory_rows(
    trace: Trace, sc: Scenario, executor: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """executors.parquet (storage memory the held blocks take, sampled every second) and in_flight.parquet."""
    executors, flight = [], []
    peak = 0
    next_sample = 0
    for time_ms, taken, held in trace.held:
        if time_ms < next_sample:
            continue
        next_sample = time_ms + 1000
        used = int(held * sc.held_bytes_factor)
        peak = max(peak, used)
        row = dict.fromkeys(EXECUTOR_COLUMNS)
        row.update({
            "sample_time_ms": EPOCH_MS + time_ms, "executor_id": executor, "is_active": True,
            "memory_used_bytes": used, "max_memory_bytes": sc.storage_pool_bytes,
            "used_on_heap_storage_bytes": used, "total_on_heap_storage_bytes": sc.storage_pool_bytes,
            "peak_on_heap_storage_bytes": peak,
        })  # fmt: skip
        executors.append(row)
        budget = sc.in_flight_budget
        flight.append({
            "time_ms": EPOCH_MS + time_ms, "stream_id": 0, "taken_records": taken // sc.record_bytes,
            "taken_bytes": taken, "processed_records": (taken - held) // sc.record_bytes,
            "in_flight_bytes": held, "budget_bytes": budget, "share_bytes": budget,
            "held_back": budget is not None and held >= budget,
        })  # fmt: skip
    return executors, flight


def run_simulation(spec: RunSpec, calibration: Calibration, seed: int | None = None) -> Simulated:
    """Simulate one run (with the run's own seed unless ``seed`` is given); its tables and its summary
    (by ``summarize``), nothing written."""
    manifest = spec.manifest
    sc = scenario(manifest, calibration)
    seed = seed_of(spec) if seed is None else seed
    trace = simulate(sc, calibration.cost, seed)
    batches = _batch_rows(trace)
    executor = "driver" if manifest.platform.spark.topology == "local" else "0"
    executors, flight = _memory_rows(trace, sc, executor) if sc.source == "receiver" else ([], [])
    pid = manifest.config.backpressure.pid
    tables: dict[str, tuple[list[dict[str, Any]], list[str]]] = {
        name: ([], columns) for name, columns in TABLE_COLUMNS.items() if name not in BACKEND_TABLES
    }
    tables["batches"] = (batches, BATCH_COLUMNS)
    tables["offsets"] = (_offset_rows(trace, sc.partitions), OFFSET_COLUMNS)
    tables["executors"] = (executors, EXECUTOR_COLUMNS)
    tables["in_flight"] = (flight, IN_FLIGHT_COLUMNS)
    tables["rate_limits"] = (
        rate_limit_rows(batches, sc.interval_ms, pid.proportional, pid.integral, pid.derived, pid.min_rate),
        RATE_LIMIT_COLUMNS,
    )
    if sc.source == "receiver":
        logged = [
            {"time_ms": EPOCH_MS + t, "source": "driver", "rate_rps": rate} for t, _, rate in trace.published
        ]
        tables["logged_rate_limits"] = (logged, LOGGED_RATE_COLUMNS)
    seconds = manifest.workload.generator.planned_per_second(manifest.workload.duration_s)
    tables["generator"] = (
        [
            {"second": s, "planned": n, "sent": n, "acked": n, "failed": 0, "queue_full": 0, "sent_during": n}
            for s, n in enumerate(seconds)
        ],
        GENERATOR_COLUMNS,
    )
    duration = manifest.workload.duration_s
    generator = {
        "planned": trace.produced, "sent": trace.produced, "acked": trace.produced, "failed": 0,
        "send_duration_s": duration, "achieved_rate_rps": trace.produced / duration,
        "start_time_ms": EPOCH_MS + sc.load_start_ms, "record_bytes": sc.record_bytes, "simulated": True,
    }  # fmt: skip
    evidence = (Evidence(Outcome.OOM, "simulator", trace.oom_detail),) if trace.oom_ms is not None else ()
    facts = RunFacts(
        run_id=spec.run_id,
        experiment=spec.experiment,
        batch_interval_ms=sc.interval_ms,
        backpressure=sc.backpressure,
        target_rate_rps=trace.produced / duration,
        duration_s=trace.stop_ms / 1000.0 + calibration.overhead_s,
        warmup_s=manifest.run.warmup_s,
        generator=generator,
        processed=trace.processed,
        backlog=trace.backlog,
        drained=trace.drained,
        app_failed=False,
        load_end_ms=EPOCH_MS + sc.load_end_ms,
        evidence=evidence,
    )
    summary = summarize(facts, batches, executors, offsets=tables["offsets"][0])
    summary["simulated"] = True
    summary["processed_from"] = "simulator"
    tables["_generator"] = ([generator], [])
    return Simulated(spec, seed, trace, summary, tables)


def spec_json(result: Simulated, calibration: Calibration, environment: dict[str, Any]) -> dict[str, Any]:
    spec = result.spec
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": spec.run_id,
        "experiment": spec.experiment,
        "source_file": spec.source_file,
        "manifest": spec.manifest.model_dump(mode="json"),
        "spark_conf": {},
        "simulated": True,
        "simulation": {
            "model_version": MODEL_VERSION,
            "seed": result.seed,
            "calibration": calibration.to_json(),
        },
        **environment,
    }


def write_run(out: Path, result: Simulated, calibration: Calibration, environment: dict[str, Any]) -> Path:
    """The run directory, every file atomically, ``COMPLETE`` last."""
    directory = RunDirectory(out, result.spec.experiment, result.spec.run_id)
    directory.prepare()
    write_json(directory.file("spec.json"), spec_json(result, calibration, environment))
    for name, (rows, columns) in result.tables.items():
        if name.startswith("_"):
            continue
        write_table(directory.file(f"{name}.parquet"), rows, columns)
    write_json(directory.file("generator-result.json"), result.tables["_generator"][0][0])
    app_batches = [
        {"batch_time_ms": b["batch_time_ms"], "records": b["input_records"]}
        for b in result.tables["batches"][0]
        if b["status"] == "COMPLETED"
    ]
    write_json(directory.file("app-batches.json"), app_batches)
    write_json(directory.file("summary.json"), result.summary)
    directory.mark_complete()
    return directory.path


def environment() -> dict[str, Any]:
    """Where the simulation ran (no JVM is involved: Spark's and Kafka's versions are the calibration's)."""
    import os
    import platform
    import sys

    return {
        "versions": {"bpbench": __version__, "python": platform.python_version()},
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "python_executable": sys.executable,
        },
    }


def load_covered(manifest_path: Path) -> list[RunSpec]:
    """The manifest's runs; UsageError naming each field the model does not cover."""
    specs = load_experiment(manifest_path)
    problems: list[str] = []
    for spec in specs:
        problems += [
            f"{manifest_path}: {p}"
            for p in unsupported(spec.manifest)
            if f"{manifest_path}: {p}" not in problems
        ]
    if specs[0].search is not None:
        problems.append(
            f"{manifest_path}: search: the rate search is not simulated; list the rates in a matrix"
        )
    if problems:
        raise UsageError("\n".join(problems))
    return specs


def simulate_experiment(
    manifest_path: Path, calibrate_dirs: list[Path], out: Path
) -> tuple[list[Simulated], list[str]]:
    """Every run of the manifest, simulated and written under ``out`` (nothing is written on bad input),
    and warnings about the calibration."""
    specs = load_covered(manifest_path)
    calibration = calibrate(calibrate_dirs, specs[0].manifest.model_dump(mode="json"))
    for spec in specs[1:]:
        calibrate_check(spec, calibration)
    results = [run_simulation(spec, calibration) for spec in specs]
    env = environment()
    for result in results:
        write_run(out, result, calibration, env)
    return results, calibration_warnings(specs, calibration)


def calibration_warnings(specs: list[RunSpec], calibration: Calibration) -> list[str]:
    """What makes the calibration a weaker fit for these runs: another source, rates far from it."""
    warnings = list(calibration.notes)
    sources = {run["source"] for run in calibration.runs}
    for source in sorted({spec.manifest.workload.source for spec in specs} - sources):
        warnings.append(
            f"the manifest's {source} runs are simulated with a cost model calibrated on "
            f"{', '.join(sorted(sources))} runs only (per-record costs differ between sources)"
        )
    return warnings


def calibrate_check(spec: RunSpec, calibration: Calibration) -> None:
    from harness.sim.calibration import app_identity

    wanted = app_identity(spec.manifest.model_dump(mode="json"))
    if wanted != (calibration.app, calibration.impl, calibration.record_bytes):
        raise UsageError(
            f"{spec.source_file}: run {spec.run_id} ({'/'.join(map(str, wanted))}) is not of the "
            f"calibrated app ({calibration.app}/{calibration.impl}/{calibration.record_bytes}): a matrix "
            "over the app or the records needs a calibration per app"
        )


def describe(result: Simulated) -> str:
    """One line a run: outcome, throughput, p95 total delay, backlog."""
    s = result.summary
    parts = [f"{result.spec.experiment}/{result.spec.run_id}: {s['outcome']}"]
    if s["throughput_rps"] is not None:
        parts.append(f"throughput {s['throughput_rps']:,.0f} rec/s")
    delay = s["total_delay_ms"]["p95"]
    parts.append(f"total delay p95 {f'{delay:,.0f} ms' if delay is not None else '-'}")
    parts.append(f"backlog {s['backlog']:,}")
    return "  ".join(parts)
