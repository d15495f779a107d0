"""``bpbench plan``: every run of a manifest with its resolved settings, without starting anything.

A run's Spark configuration is what the harness would submit, less what only the backend knows once
it is up: the master's address (shown as a placeholder outside ``local[N]``), the executors'
placement keys, the UI's free port and the run's log folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.run.spark_conf import resolve_spark_conf
from harness.spec.manifest import Manifest, RunSpec

STANDALONE_MASTER = "spark://(the backend's master)"
RUN_DIR = Path("(run directory)")


def planned_master(manifest: Manifest) -> str:
    platform = manifest.platform
    if platform.backend == "local" and platform.spark.topology == "local":
        return f"local[{platform.spark.cores}]"
    if platform.backend == "external" and platform.external is not None:
        return platform.external.spark.master
    return STANDALONE_MASTER


def planned_run(spec: RunSpec) -> dict[str, Any]:
    """One run as ``plan --json`` prints it."""
    manifest = spec.manifest
    conf = resolve_spark_conf(manifest, planned_master(manifest), spec.run_id, RUN_DIR / "logs")
    conf["spark.ui.port"] = "(a free port)"
    return {
        "experiment": spec.experiment,
        "run_id": spec.run_id,
        "repetition": spec.repetition,
        "cell": spec.cell,
        "in_flight_budget": manifest.workload.in_flight_budget,
        "manifest": manifest.model_dump(mode="json"),
        "spark_conf": conf,
        "warnings": manifest.warnings(),
    }


def _size(value: int | None) -> str:
    if value is None:
        return "none"
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if value >= 1 << shift and value % (1 << shift) == 0:
            return f"{value >> shift} {unit}"
    return f"{value} B"


def _app(app: str | dict[str, Any]) -> str:
    """A built-in app's name, or the user's own app's script or jar (with its main class)."""
    if isinstance(app, str):
        return app
    own = app["script"] or f"{app['jar']} {app['main_class']}"
    return f"own app {own}"


def _backpressure(backpressure: dict[str, Any], conf: dict[str, str]) -> str:
    """Spark's built-in backpressure on or off, or the plugged controller (Spark's key is then off)."""
    controller = backpressure.get("controller") or {"kind": "spark"}
    if controller["kind"] != "spark":
        return f"controller {controller['kind']}"
    return f"backpressure {'on' if conf['spark.streaming.backpressure.enabled'] == 'true' else 'off'}"


def plan_line(planned: dict[str, Any]) -> str:
    """One run in a line: what tells its arm and pressure apart."""
    manifest, conf = planned["manifest"], planned["spark_conf"]
    workload, config, spark = manifest["workload"], manifest["config"], manifest["platform"]["spark"]
    rate_keys = (
        ("initialRate", "spark.streaming.backpressure.initialRate"),
        ("receiver.maxRate", "spark.streaming.receiver.maxRate"),
        ("maxRatePerPartition", "spark.streaming.kafka.maxRatePerPartition"),
    )
    caps = ", ".join(f"{name} {conf[key]}" for name, key in rate_keys if key in conf) or "no rate cap"
    profile = workload["generator"]
    load = f"{profile['profile']} {profile.get('rate', '')}".strip()
    parts = [
        f"{planned['run_id']}",
        f"{_app(workload['app'])} ({workload['impl']}, {workload['source']})",
        _backpressure(config["backpressure"], conf),
        caps,
        f"budget {_size(planned['in_flight_budget'])}",
        f"load {load} for {workload['duration_s']:g} s",
        f"executor {spark['executor_memory']}",
        f"storage {config['receiver_storage_level']}",
        f"gc {config['gc']}",
    ]
    faults = manifest.get("faults") or []
    if faults:
        parts.append("faults " + ", ".join(f"{f['action']} at {f['at_s']:g} s" for f in faults))
    return "  ".join(parts)


def plan_lines(specs: list[RunSpec], as_json: bool) -> list[str]:
    """The plan's lines: a JSON object a run, or a readable line a run with a heading."""
    planned = [planned_run(spec) for spec in specs]
    if as_json:
        return [json.dumps(run, sort_keys=True) for run in planned]
    cells = len({json.dumps(spec.cell, sort_keys=True) for spec in specs})
    reps = specs[0].repetitions
    repetitions = f"{reps} repetition{'s' if reps != 1 else ''}"
    heading = f"{specs[0].experiment}: {len(specs)} runs ({cells} cells x {repetitions})"
    return [heading, *(plan_line(run) for run in planned)]
