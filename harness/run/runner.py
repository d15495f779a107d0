"""One run's lifecycle, and the loop over an experiment's runs.

A run: topic created -> app submitted -> driver announces itself -> collectors start -> generator
runs the pressure profile -> the app drains (bounded) -> collectors take a last sample -> the app
stops -> tables, summary and events are written -> ``COMPLETE`` last. A failing app is a measured
outcome; only a fault of the harness itself ends the experiment.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from apps.driver import OFFSETS_FILE, AppConfig
from harness import environment, jvm
from harness.control.rate_limits import rate_limit_rows
from harness.errors import HarnessError, UsageError
from harness.observe.base import Collector, CollectorFactory, CollectorSet, RunContext
from harness.observe.in_flight import control_topic
from harness.observe.kafka_offsets import OffsetReader
from harness.observe.parsers.gc_log import parse_gc_file
from harness.observe.parsers.spark_logs import logged_rate_limits
from harness.observe.registry import COLLECTORS, collectors_for
from harness.platform import make_backend, platform_problems
from harness.platform.base import Backend
from harness.results.accounting import direct_backlog, processed_until, read_offset_log
from harness.results.outcomes import (
    Evidence,
    distinct,
    driver_evidence,
    executor_evidence,
    log_evidence,
)
from harness.results.recovery import FaultWindow, fault_recovery
from harness.results.store import SCHEMA_VERSION, RunDirectory, write_json, write_table
from harness.results.summary import RunFacts, summarize
from harness.results.tables import (
    BACKEND_TABLES,
    GC_COLUMNS,
    GENERATOR_COLUMNS,
    LOGGED_RATE_COLUMNS,
    RATE_LIMIT_COLUMNS,
    TABLE_COLUMNS,
)
from harness.run.disk_space import DiskSpaceWatch, free_space_problem
from harness.run.events import EventLog
from harness.run.faults import FaultInjector
from harness.run.load import LoadGenerator
from harness.run.search import Probe, SearchResult, bisect
from harness.run.socket_source import LineServer
from harness.run.spark_app import SparkApp, jvm_jars
from harness.run.spark_conf import controller_setting, resolve_spark_conf
from harness.run.supervisor import ManagedProcess, ProcessSupervisor
from harness.run.watch import PlatformWatch
from harness.spec.manifest import (
    Platform,
    RunSpec,
    Workload,
    expand_data,
    experiment_warnings,
    read_manifest_data,
)

APP_STOP_TIMEOUT_S = 60.0
ABORT_STOP_GRACE_S = 5.0  # a run that is given up: its app and generator get this long after SIGTERM
TICK_S = 0.5


@dataclass(frozen=True)
class ExperimentResult:
    experiment_dir: Path
    run_dirs: list[Path]


@dataclass
class Observation:
    """What a run saw between submitting the app and its exit."""

    generator: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, tuple[list[dict[str, Any]], list[str]]] = field(default_factory=dict)
    drained: bool = False
    backlog: int | None = None
    load_end_ms: int | None = None
    app_id: str | None = None
    app_failed: bool = False
    app_exit_code: int | None = None
    stop_requested_ms: int | None = None
    duration_s: float = 0.0
    evidence: tuple[Evidence, ...] = ()
    collector_cost: dict[str, float] = field(default_factory=dict)
    faults: list[FaultWindow] = field(default_factory=list)


class Run:
    """Everything one run needs while it is under way."""

    def __init__(
        self,
        spec: RunSpec,
        out: Path,
        backend: Backend,
        supervisor: ProcessSupervisor,
        console: Console,
        *,
        app_factory: Callable[..., SparkApp] = SparkApp,
        load_factory: Callable[..., LoadGenerator] = LoadGenerator,
        offset_reader: Callable[..., OffsetReader] = OffsetReader,
        collectors: Sequence[CollectorFactory] = COLLECTORS,
    ) -> None:
        """``app_factory``, ``load_factory`` and ``offset_reader`` take the arguments of ``SparkApp``,
        ``LoadGenerator`` and ``OffsetReader``; ``collectors`` is the registry the run's collectors
        come from. Tests swap them; a run uses the defaults."""
        self.spec = spec
        self.manifest = spec.manifest
        self.directory = RunDirectory(out, spec.experiment, spec.run_id)
        self.backend = backend
        self.supervisor = supervisor
        self.console = console
        self.app_factory = app_factory
        self.offset_reader = offset_reader
        self.collector_registry = collectors
        self.generator_process: ManagedProcess | None = None
        # Kafka's log and every file of the run go to ``out``: a run that fills its disk is not a
        # measurement, nor is one whose platform stopped answering (a container engine gone).
        self.platform_watch = PlatformWatch(backend.lost)
        self.watches = (DiskSpaceWatch(out), self.platform_watch)
        self.time_limit_reached = threading.Event()
        self.topic = f"bpbench-{spec.run_id}"
        # Receivers measure their data in flight through it (and hold back at a budget).
        self.control_topic = (
            control_topic(self.topic) if spec.manifest.workload.source == "receiver" else None
        )
        self.group_id = f"bpbench-{spec.run_id}"
        self.load = load_factory(
            self.directory.path,
            spec.manifest.workload,
            backend.bootstrap_servers,
            self.topic,
            client_config=backend.kafka_client_config,
        )
        self.line_server = (
            LineServer(self.directory.path, backend.bootstrap_servers, self.topic, self.group_id)
            if spec.manifest.workload.source == "socket"
            else None
        )

    def execute(self) -> dict[str, Any]:
        with contextlib.ExitStack() as watching:
            for watch in self.watches:
                watching.enter_context(watch)
            return self._execute_logged()

    def _check_watches(self) -> None:
        for watch in self.watches:
            watch.check()

    def _execute_logged(self) -> dict[str, Any]:
        self.directory.prepare()
        backend_events = self.supervisor.events
        with EventLog(self.directory.file("events.jsonl")) as events:
            self.supervisor.events = events
            try:
                with self.supervisor.scope():
                    return self._execute(events)
            except Exception as failure:
                # A run whose disk filled or whose platform went away failed for that, whatever broke
                # first; the reason is the run's last event.
                try:
                    self._check_watches()
                except HarnessError as cause:
                    events.emit("run_failed", reason=str(cause))
                    raise cause from failure
                events.emit("run_failed", reason=str(failure) or type(failure).__name__)
                raise
            finally:
                self.supervisor.events = backend_events
                # Measured (or failed): its data would only fill the broker's disk (a broker gone with
                # its platform has none left to delete).
                if self.platform_watch.first_loss is None:
                    self.backend.delete_topics([t for t in (self.topic, self.control_topic) if t is not None])

    def _execute(self, events: EventLog) -> dict[str, Any]:
        events.emit("run_started", run_id=self.spec.run_id, experiment=self.spec.experiment)
        partitions = self.manifest.platform.kafka.partitions
        self.backend.create_topic(self.topic, partitions)
        events.emit("topic_created", topic=self.topic, partitions=partitions)
        if self.control_topic is not None:
            self.backend.create_topic(self.control_topic, 1)
            events.emit("topic_created", topic=self.control_topic, partitions=1)
        spark_conf = resolve_spark_conf(
            self.manifest,
            self.backend.spark_master,
            self.spec.run_id,
            self.directory.logs,
            placement=self.backend.spark_conf(),
            executor_logs_local=self.backend.executor_logs_local,
        )
        self._write_spec(spark_conf)
        workload = self.manifest.workload
        app = self.app_factory(
            workload.app,
            workload.impl,
            AppConfig(
                bootstrap_servers=self.backend.bootstrap_servers,
                topic=self.topic,
                group_id=self.group_id,
                batch_interval_ms=self.manifest.config.batch_interval_ms,
                output_dir=self.directory.app,
                source=workload.source,
                receivers=workload.receivers,
                checkpoint_dir=self.directory.path / "checkpoint",
                state_timeout_s=workload.state_timeout_s,
                source_options=self.manifest.config.structured.source_options(),
                layout=workload.records.layout,
                cost_factor=workload.records.cost_factor,
                kafka_params=self.backend.app_kafka_params,
                socket_port=self.line_server.port if self.line_server else None,
                ranks=workload.records.ranks,
                report_state=workload.report_state,
                storage_level=self.manifest.config.receiver_storage_level,
                in_flight_budget=workload.in_flight_budget,
                control_topic=self.control_topic,
                controller=controller_setting(self.manifest),
                **window_settings(workload),
            ),
            conf_dir=self.directory.path / "spark-conf",
            log_path=self.directory.logs / "driver.log",
            environment=self.backend.driver_environment(),
        )
        observed = self._observe(app, spark_conf, events)
        return self._record(app, observed, events)

    def _write_spec(self, spark_conf: dict[str, str]) -> None:
        write_json(self.directory.file("spec.json"), {
            "schema_version": SCHEMA_VERSION,
            "run_id": self.spec.run_id,
            "experiment": self.spec.experiment,
            "source_file": self.spec.source_file,
            "manifest": self.manifest.model_dump(mode="json"),
            "spark_conf": spark_conf,
            "topic": self.topic,
            "bootstrap_servers": self.backend.bootstrap_servers,
            **environment.describe(),
        })  # fmt: skip

    def _observe(self, app: SparkApp, spark_conf: dict[str, str], events: EventLog) -> Observation:
        """Submit the app, press on it, let it drain, stop it: what the collectors and the run saw."""
        observed = Observation()
        started = time.monotonic()
        kafka = self.backend.bootstrap_servers, self.topic, self.group_id
        offsets = self.offset_reader(*kafka, client_config=self.backend.kafka_client_config)
        context = RunContext(
            manifest=self.manifest,
            bootstrap_servers=self.backend.bootstrap_servers,
            topic=self.topic,
            group_id=self.group_id,
            app_output=app.output_dir,
            processes=self.supervisor.running,
            kafka_client_config=self.backend.kafka_client_config,
            control_topic=self.control_topic,
        )
        collectors = CollectorSet(
            [*collectors_for("start", context, self.collector_registry), *self.backend.collectors()],
            self.manifest.run.poll_interval_s,
            events,
        )
        self.console.log(
            f"[bold]{self.spec.experiment}/{self.spec.run_id}[/]: "
            f"submitting {app.name} ({app.impl}) to {self.backend.spark_master}"
        )
        driver = None
        batches: Collector | None = None
        # Collectors of files the app writes until it stops: read once more after it stopped.
        app_files: list[Collector] = []
        injector = FaultInjector(
            self.manifest.faults, self.backend, self.supervisor, events, self.directory.logs
        )
        watchdog = threading.Timer(self.manifest.time_limit_s(), self._stop_at_time_limit, (app, events))
        watchdog.daemon = True
        watchdog.start()
        # Ctrl-C or a harness failure (a full disk, Kafka gone): nothing more to measure, so the app is
        # stopped at once rather than drained and stopped gracefully, and the backlog is not read.
        aborted = False
        try:
            if self.line_server is not None:
                self.line_server.start(self.supervisor)
                events.emit("line_server_started", port=self.line_server.port)
            app.submit(self.supervisor, spark_conf)
            collectors.start()
            driver = app.wait_for_driver()
            if driver is None:
                events.emit("app_failed", phase="startup", log_tail=app.log_tail())
                self.console.log(f"[red]the app did not start[/]; see {app.log_path}")
            else:
                events.emit("driver_ready", app_id=driver.app_id, ui_url=driver.ui_url)
                driver_up = context.with_driver(driver.app_id, driver.ui_url)
                added = collectors_for("driver", driver_up, self.collector_registry)
                collectors.add(*added)
                # The live view: the latest batch (the batches' collector) and heap (Spark's REST API).
                batches = next((c for c in added if hasattr(c, "latest_completed")), None)
                app_files = [c for c in added if getattr(c, "reads_app_files", False)]
                spark_rest = next((c for c in added if hasattr(c, "latest_heap_bytes")), None)
                observed.app_id = driver.app_id
                injector.start(driver, app.process)
                observed.generator = self._generate(app, batches, spark_rest, events)
                observed.load_end_ms = int(time.time() * 1000)
                if app.alive():
                    observed.drained = self._drain(
                        app, int(observed.generator.get("acked", 0)), offsets, events
                    )
        except BaseException:
            aborted = True
            raise
        finally:
            watchdog.cancel()
            injector.stop()  # a paused broker or stalled driver resumes before anything is stopped
            observed.faults = injector.windows
            observed.tables.update(collectors.stop())
            observed.collector_cost = collectors.cost()
            events.emit("collectors_stopped", **observed.collector_cost)
            try:
                # An app that never announced itself failed, even if its process is still hanging on.
                observed.stop_requested_ms = int(time.time() * 1000)
                generator = self.generator_process
                if aborted and generator is not None and generator.alive():
                    self.supervisor.stop(generator, grace_s=ABORT_STOP_GRACE_S)
                failed_early, observed.app_exit_code = self._stop_app(app, events, graceful=not aborted)
                observed.app_failed = failed_early or driver is None
                for collector in [] if aborted else app_files:
                    # The app wrote until it stopped: every batch it finished, every decision it made.
                    collector.poll()
                    observed.tables.update(collector.tables())
                if self.line_server is not None:
                    events.emit("line_server_stopped", **self.line_server.stop(self.supervisor))
                if not aborted:
                    observed.backlog = self._backlog(app, offsets)
            finally:
                offsets.close()
        events.emit("backlog", records=observed.backlog, drained=observed.drained)
        observed.duration_s = time.monotonic() - started
        return observed

    def _backlog(self, app: SparkApp, offsets: OffsetReader) -> int:
        """Records left in Kafka after the app stopped (see harness.results.accounting)."""
        if self.manifest.workload.source in ("receiver", "socket"):
            return offsets.lag()  # what no receiver stored, or what the line server did not serve
        end_offsets = {p.partition: p.end_offset for p in offsets.read()}
        finished = [batch["batch_time_ms"] for batch in app.processed_batches()]
        until = processed_until(read_offset_log(app.output_dir / OFFSETS_FILE), finished)
        return direct_backlog(end_offsets, until)

    def _collect_logs(self, observed: Observation, events: EventLog) -> None:
        """Bring executor logs into the run, parse GC logs, and gather the evidence of failures."""
        if observed.app_id:
            for name, path in self.backend.executor_logs(observed.app_id):
                shutil.copyfile(path, self.directory.logs / name)
        gc_rows: list[dict[str, Any]] = []
        for path in sorted(self.directory.logs.glob("gc-*.log")):
            gc_events, warnings = parse_gc_file(path)
            source = path.stem.removeprefix("gc-")
            gc_rows.extend({"source": source, **event.row()} for event in gc_events)
            for warning in warnings:
                events.emit("gc_log_warning", file=path.name, warning=warning)
        observed.tables["gc"] = (gc_rows, GC_COLUMNS)
        logged: list[dict[str, Any]] = []
        for path in sorted(
            [self.directory.logs / "driver.log", *self.directory.logs.glob("executor-*.stderr")]
        ):
            logged.extend(logged_rate_limits(path, path.stem))
        observed.tables["logged_rate_limits"] = (logged, LOGGED_RATE_COLUMNS)
        executors = observed.tables.get("executors", ([], []))[0]
        app_logs = [p for p in self.directory.logs.iterdir() if not p.name.startswith("gc-")]
        worker = (
            self.backend.failure_evidence(observed.app_id, observed.stop_requested_ms)
            if observed.app_id
            else []
        )
        observed.evidence = distinct(
            [
                *executor_evidence(executors),
                *worker,
                *driver_evidence(observed.app_exit_code, stop_requested_first=not observed.app_failed),
                *log_evidence(app_logs),
                *self._time_limit_evidence(),
            ]
        )
        for evidence in observed.evidence:
            events.emit("failure_evidence", evidence=evidence.to_json())

    def _time_limit_evidence(self) -> list[Evidence]:
        if not self.time_limit_reached.is_set():
            return []
        limit = self.manifest.time_limit_s()
        return [
            Evidence("time_limit", "harness", f"the run passed its time limit ({limit:g} s) and was stopped")
        ]

    def _record(self, app: SparkApp, observed: Observation, events: EventLog) -> dict[str, Any]:
        """Write the run's tables and summary, then mark it complete."""
        self._check_watches()
        self._collect_logs(observed, events)
        # Every table is written, even when nothing filled it (a backend's own only by that backend).
        tables = {
            name: observed.tables.get(name, ([], columns))
            for name, columns in TABLE_COLUMNS.items()
            if name not in BACKEND_TABLES
        }
        # A backend's own collectors add their tables (the compose backend's containers).
        tables.update({name: table for name, table in observed.tables.items() if name not in tables})
        tables["generator"] = (self.load.rows(), GENERATOR_COLUMNS)
        pid = self.manifest.config.backpressure.pid
        rates = rate_limit_rows(
            tables["batches"][0], self.manifest.config.batch_interval_ms,
            pid.proportional, pid.integral, pid.derived, pid.min_rate,
        )  # fmt: skip
        tables["rate_limits"] = (rates, RATE_LIMIT_COLUMNS)
        for name, (rows, columns) in tables.items():
            write_table(self.directory.file(f"{name}.parquet"), rows, columns)
        app_batches = app.processed_batches()
        write_json(self.directory.file("app-batches.json"), app.own_batches())
        m = self.manifest
        facts = RunFacts(
            run_id=self.spec.run_id,
            experiment=self.spec.experiment,
            batch_interval_ms=m.config.batch_interval_ms,
            backpressure=m.config.backpressure.enabled,
            target_rate_rps=m.workload.generator.total_records(m.workload.duration_s) / m.workload.duration_s,
            duration_s=observed.duration_s,
            warmup_s=m.run.warmup_s,
            generator=observed.generator,
            processed=sum(int(b["records"]) for b in app_batches),
            backlog=observed.backlog,
            drained=observed.drained,
            app_failed=observed.app_failed,
            load_end_ms=observed.load_end_ms,
            evidence=observed.evidence,
            collector_cpu_frac=observed.collector_cost.get("cpu_frac"),
        )
        summary = summarize(
            facts,
            tables["batches"][0],
            tables["executors"][0],
            offsets=tables["offsets"][0],
            gc_events=tables["gc"][0],
        )
        summary["processed_from"] = app.processed_from
        summary["faults"] = fault_recovery(
            observed.faults,
            tables["batches"][0],
            tables["offsets"][0],
            self._rate_limits(tables),
            m.config.batch_interval_ms,
            lost=summary["lost"],
            target_rate_rps=summary["target_rate_rps"],
        )
        write_json(self.directory.file("summary.json"), summary)
        counts = {key: summary[key] for key in ("produced", "processed", "backlog", "lost")}
        events.emit("run_finished", outcome=summary["outcome"], **counts)
        self._check_watches()
        events.check()
        self.directory.mark_complete()
        return summary

    def _rate_limits(
        self, tables: dict[str, tuple[list[dict[str, Any]], list[str]]]
    ) -> list[tuple[float, float]]:
        """(time, limit) of the rate limits in force: the plugged controller's decisions, or Spark's
        PID replayed over the batches; none without backpressure."""
        backpressure = self.manifest.config.backpressure
        if backpressure.plugged:
            decisions = tables["controller"][0]
            return [
                (row["decided_ms"], row["limit_rps"])
                for row in decisions
                if row["event"] == "decision" and row["limit_rps"] is not None
            ]
        if not backpressure.enabled:
            return []
        return [
            (row["batch_time_ms"], row["pid_limit_rps"])
            for row in tables["rate_limits"][0]
            if row["pid_limit_rps"] is not None
        ]

    def _stop_at_time_limit(self, app: SparkApp, events: EventLog) -> None:
        """Runs on the watchdog's thread: stopping the app and generator ends every phase."""
        self.time_limit_reached.set()
        events.emit("time_limit", limit_s=self.manifest.time_limit_s())
        for process in (app.process, self.generator_process):
            if process is not None:
                process.terminate()

    def _generate(
        self,
        app: SparkApp,
        batches: Any,
        spark_rest: Any,
        events: EventLog,
    ) -> dict[str, Any]:
        workload = self.manifest.workload
        process = self.generator_process = self.load.start(self.supervisor)
        events.emit(
            "generator_started", profile=self.load.config.to_json()["profile"], duration_s=workload.duration_s
        )
        interval_s = self.manifest.config.batch_interval_ms / 1000
        with Progress(
            TextColumn("[bold]load[/]"), BarColumn(), TimeElapsedColumn(), TextColumn("left"),
            TimeRemainingColumn(), TextColumn("{task.fields[live]}"),
            console=self.console, transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task("load", total=workload.duration_s, live="")
            started = time.monotonic()
            while process.alive():
                self._check_watches()
                if not app.alive():
                    events.emit("app_failed", phase="load", log_tail=app.log_tail())
                    self.supervisor.stop(process)
                    break
                latest = batches.latest_completed() if batches is not None else None
                heap = spark_rest.latest_heap_bytes() if spark_rest is not None else None
                live = ""
                if latest:
                    live = (
                        f"input {latest['input_records'] / interval_s:,.0f} rec/s  "
                        f"delay {latest['total_delay_ms'] or 0:,.0f} ms"
                    )
                if heap:
                    live += f"  heap {heap / 2**20:,.0f} MiB"
                progress.update(
                    task, completed=min(time.monotonic() - started, workload.duration_s), live=live
                )
                time.sleep(TICK_S)
        result = self.load.result()
        events.emit("generator_finished", **result)
        self.console.log(
            f"generator: {result.get('acked', 0):,} records acknowledged "
            f"at {result.get('achieved_rate_rps', 0):,.0f} rec/s"
        )
        return result

    def _drain(self, app: SparkApp, produced: int, offsets: OffsetReader, events: EventLog) -> bool:
        """Wait until the app has processed everything produced and committed its offsets."""
        deadline = time.monotonic() + self.manifest.run.drain_timeout_s
        while time.monotonic() < deadline and app.alive():
            self._check_watches()
            processed = sum(int(b["records"]) for b in app.processed_batches())
            if processed >= produced and offsets.lag() == 0:
                events.emit("drained", processed=processed, produced=produced)
                return True
            time.sleep(TICK_S)
        events.emit("drain_timeout" if app.alive() else "app_failed", phase="drain", lag=offsets.lag())
        return False

    def _stop_app(self, app: SparkApp, events: EventLog, graceful: bool = True) -> tuple[bool, int | None]:
        """Ask the driver to stop (or, not ``graceful``, stop its process at once); whether the app had
        ended on its own before that, and its exit code."""
        failed_early = not app.alive()
        code = None
        if graceful:
            app.request_stop()
            code = app.wait(APP_STOP_TIMEOUT_S)
        if app.process is not None:
            if graceful:
                code = self.supervisor.stop(app.process)
            else:
                code = self.supervisor.stop(app.process, grace_s=ABORT_STOP_GRACE_S)
        events.emit("app_stopped", exit_code=code, failed_early=failed_early)
        return failed_early, code


def window_settings(workload: Workload) -> dict[str, Any]:
    """The window apps' part of the app's configuration (nothing for the other apps)."""
    window = workload.window
    if window is None:
        return {}
    return {
        "window_size": window.size,
        "window_slide": window.slide,
        "top_k": window.k,
        "checkpoint_interval_batches": window.checkpoint_interval_batches,
    }


def run_experiment(
    manifest_path: Path, out: Path, console: Console, backend: str | None = None
) -> ExperimentResult:
    """Run every run of a manifest that is not yet complete (the CLI then reports the experiment)."""
    # Executors run in their worker's folder: every path the run hands to Spark must be absolute.
    out = out.absolute()
    data = read_manifest_data(manifest_path)
    if backend is not None:
        data.setdefault("platform", {})["backend"] = backend
    specs = expand_data(data, str(manifest_path), manifest_path.parent)
    for warning in experiment_warnings(specs):
        console.log(f"[yellow]warning:[/] {warning}")
    experiment_dir = out / specs[0].experiment
    if specs[0].search is not None:
        run_dirs = _search_rates(specs, out, console)
    else:
        run_dirs = _run_all(specs, out, console)
    return ExperimentResult(experiment_dir, run_dirs)


def _run_all(specs: list[RunSpec], out: Path, console: Console) -> list[Path]:
    pending = [s for s in specs if not RunDirectory(out, s.experiment, s.run_id).complete]
    for spec in specs:
        if spec not in pending:
            console.log(f"{spec.experiment}/{spec.run_id}: complete, skipped")
    if pending:
        preflight(pending, out)
        # Runs that share a platform share a backend; a platform change (memory levels) restarts it.
        by_platform = itertools.groupby(
            sorted(pending, key=lambda s: s.manifest.platform.model_dump_json()),
            key=lambda s: s.manifest.platform,
        )
        number = 0
        for platform, group in by_platform:
            with backend_session(platform, out, out / specs[0].experiment / "backend", console) as run:
                for spec in group:
                    number += 1
                    cell = ", ".join(f"{k}={v}" for k, v in spec.cell.items()) or "single cell"
                    console.log(
                        f"[bold]run {number}/{len(pending)}[/]: {cell}, "
                        f"repetition {spec.repetition}/{spec.repetitions}"
                    )
                    run(spec)
    return [RunDirectory(out, s.experiment, s.run_id).path for s in specs]


def _search_rates(specs: list[RunSpec], out: Path, console: Console) -> list[Path]:
    """Each matrix cell's sustainable rate (harness.run.search); ``search.json`` holds the probes."""
    settings = specs[0].search
    assert settings is not None
    preflight(specs, out)
    experiment_dir = out / specs[0].experiment
    cells: dict[str, list[RunSpec]] = {}
    for spec in specs:
        cells.setdefault(json.dumps(spec.cell, sort_keys=True), []).append(spec)
    results: list[SearchResult] = []
    run_dirs: list[Path] = []
    for number, repetitions in enumerate(cells.values(), start=1):
        described = ", ".join(f"{k}={v}" for k, v in repetitions[0].cell.items()) or "single cell"
        console.log(
            f"[bold]search {number}/{len(cells)}[/]: {described}, "
            f"rates {settings.low:,.0f} to {settings.high:,.0f} rec/s"
        )
        platform = repetitions[0].manifest.platform
        with backend_session(platform, out, experiment_dir / "backend", console) as run:
            probes = bisect(settings, functools.partial(_probe, repetitions, run, out, console, run_dirs))
        results.append(SearchResult(repetitions[0].cell, probes))
        best = results[-1].sustainable_rps
        console.log(
            f"[bold]{described}: sustainable rate {f'{best:,.0f} rec/s' if best else 'none found'}[/] "
            f"({len(probes)} rates probed)"
        )
        write_json(experiment_dir / "search.json", {
            "schema_version": SCHEMA_VERSION,
            "search": settings.model_dump(),
            "cells": [r.to_json() for r in results],
        })  # fmt: skip
    return run_dirs


def _probe(
    repetitions: list[RunSpec],
    run: Callable[[RunSpec], dict[str, Any]],
    out: Path,
    console: Console,
    run_dirs: list[Path],
    rate: float,
) -> Probe:
    """Every repetition of a cell at ``rate``; runs complete from an earlier attempt are reused."""
    outcomes, run_ids = [], []
    for spec in (s.at_rate(rate) for s in repetitions):
        directory = RunDirectory(out, spec.experiment, spec.run_id)
        if directory.complete:
            summary = json.loads((directory.path / "summary.json").read_text())
            console.log(f"{spec.experiment}/{spec.run_id}: complete, skipped")
        else:
            console.log(f"probe {rate:,.0f} rec/s, repetition {spec.repetition}/{spec.repetitions}")
            summary = run(spec)
        outcomes.append(summary["outcome"])
        run_ids.append(spec.run_id)
        run_dirs.append(directory.path)
    probe = Probe(rate, tuple(outcomes), tuple(run_ids))
    console.log(f"{rate:,.0f} rec/s: {'sustainable' if probe.sustainable else 'not sustainable'}")
    return probe


def preflight(specs: list[RunSpec], out: Path | None = None) -> None:
    """Fail on a platform that cannot run here (too large, no Docker, an unreachable cluster), a missing
    JDK, jar or JVM helper, or a full disk under ``out``, before anything is started or written."""
    problems = []
    if out is not None and (full := free_space_problem(out)):
        problems.append(full)
    # One check per platform: an external cluster's reachability takes a network round trip.
    by_platform = {spec.manifest.platform.model_dump_json(): spec for spec in specs}
    for spec in by_platform.values():
        problems += [f"{spec.source_file}: {p}" for p in platform_problems(spec.manifest.platform)]
    if problems:
        raise UsageError("\n".join(dict.fromkeys(problems)))
    jvm.require_jdk()
    jvm.classpath("kafka-broker")
    if jvm.JVM_HELPER_JAR.exists():
        jvm.build_helper()  # its sources changed since it was built (a pull, an edit): built again
    jvm_jars()


@contextlib.contextmanager
def backend_session(
    platform: Platform, out: Path, backend_dir: Path, console: Console
) -> Iterator[Callable[[RunSpec], dict[str, Any]]]:
    """Bring the backend up, hand out a function that makes one run on it (returning its summary),
    and take everything down whatever happens."""
    backend_dir.mkdir(parents=True, exist_ok=True)
    with (
        EventLog(backend_dir / "events.jsonl") as backend_events,
        ProcessSupervisor(backend_events) as supervisor,
    ):
        backend = make_backend(backend_dir, platform, supervisor)
        try:
            console.log(f"backend {backend.name}: bringing Kafka and Spark up")
            backend.up()
            console.log(
                f"backend {backend.name}: Kafka at {backend.bootstrap_servers}, Spark {backend.spark_master}"
            )

            def run(spec: RunSpec) -> dict[str, Any]:
                summary = Run(spec, out, backend, supervisor, console).execute()
                console.log(_one_line(summary))
                return summary

            yield run
        finally:
            backend.down()


def _one_line(summary: dict[str, Any]) -> str:
    delay = summary["total_delay_ms"]["p95"]
    return (
        f"{summary['experiment']}/{summary['run_id']}: [bold]{summary['outcome']}[/]  "
        f"produced {summary['produced']:,}  processed {summary['processed']:,}  "
        f"backlog {summary['backlog'] if summary['backlog'] is not None else '-'}  "
        f"lost {summary['lost'] if summary['lost'] is not None else '-'}  "
        f"total delay p95 {f'{delay:,.0f} ms' if delay is not None else '-'}"
    )
