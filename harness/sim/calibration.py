"""Calibration: the cost model fitted to recorded runs of one app, with the quality of the fit.

Processing time per batch is regressed on the batch's records (and, for stateful apps, the records
still in the state; for apps that checkpoint their state, a checkpoint batch indicator) with a robust
loss (``scipy.optimize.least_squares``, Cauchy), so a GC pause or a slow first batch does not pull the
line. The first ``STARTUP_BATCHES`` batches of a run (JIT, Python workers starting) are left out of the
fit and modelled as extra time of their own. What the fit leaves of each run's batches, its residuals,
is kept per run in batch order: the model draws them in blocks of consecutive batches
(``harness.sim.residuals``).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.errors import UsageError
from harness.results.store import COMPLETE_MARKER, READABLE_SCHEMA_VERSIONS
from harness.sim.model import CostModel

STARTUP_BATCHES = 5
# Spark checkpoints a stateful DStream every smallest multiple of the batch interval of at least 10 s.
STATE_CHECKPOINT_MS = 10_000
# Two regressors this correlated cannot be told apart by the fit; the state term is then left out.
COLLINEAR = 0.98
# Runs need at least this many batches past the start-up to be fitted.
MIN_BATCHES = 3
REQUIRED_FILES = ("spec.json", "summary.json", "batches.parquet", "generator-result.json")


@dataclass(frozen=True)
class RunRecord:
    """A calibration run as the fit reads it."""

    path: Path
    manifest: dict[str, Any]
    summary: dict[str, Any]
    batches: list[dict[str, Any]]
    generator: dict[str, Any]
    versions: dict[str, Any]


@dataclass(frozen=True)
class Calibration:
    """The fitted cost model and what else the runs tell the model, with the fit's quality."""

    app: str
    impl: str
    record_bytes: int
    cost: CostModel
    load_start_ms: int  # the generator's start after the first batch (median over the runs)
    source_start_ms: int  # when the source takes its first records, after the first batch (median)
    overhead_s: float  # run duration beyond the batches (submission, start-up, stop)
    held_bytes_factor: float  # storage memory per byte of received-not-processed records
    storage_pools: dict[str, int]  # storage memory Spark reported, by the JVM's memory setting
    quality: dict[str, Any]
    runs: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost"]["startup_ms"] = list(self.cost.startup_ms)
        data["cost"]["residual_runs_ms"] = [list(run) for run in self.cost.residual_runs_ms]
        return data


def app_identity(manifest: dict[str, Any]) -> tuple[str, str, int]:
    """(app, impl, record bytes) of a manifest dump: the cost model belongs to these."""
    workload = manifest.get("workload") or {}
    app = workload.get("app")
    if isinstance(app, dict):
        app = str(app.get("script") or app.get("main_class") or app.get("jar"))
    records = workload.get("records") or {}
    if records.get("layout") == "json":
        size = int(records.get("event_bytes") or 0)
    else:
        size = 8 + 4 * int(records.get("values") or 0)
    return str(app), str(workload.get("impl", "python")), size


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: cannot read it ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not a JSON object")
    return data


def read_run(path: Path) -> RunRecord:
    """A recorded run for calibration; UsageError (exit 2) naming what makes it unusable."""
    path = Path(path)
    if not (path / "spec.json").is_file():
        raise UsageError(f"--calibrate {path}: not a run directory (no spec.json)")
    missing = [name for name in (COMPLETE_MARKER, *REQUIRED_FILES) if not (path / name).is_file()]
    if missing:
        raise UsageError(f"--calibrate {path}: incomplete run directory (missing {', '.join(missing)})")
    spec = _json(path / "spec.json")
    summary = _json(path / "summary.json")
    if spec.get("schema_version") not in READABLE_SCHEMA_VERSIONS:
        raise UsageError(
            f"--calibrate {path}: spec.json schema_version {spec.get('schema_version')!r} unknown"
        )
    if spec.get("simulated") or spec.get("imported"):
        kind = "simulated" if spec.get("simulated") else "imported from the original artifact"
        raise UsageError(f"--calibrate {path}: a {kind} run; calibrate on runs this harness recorded")
    manifest = spec.get("manifest") or {}
    source = (manifest.get("workload") or {}).get("source", "direct")
    if source not in ("direct", "receiver"):
        raise UsageError(
            f"--calibrate {path}: workload.source {source}: the simulator models direct and receiver "
            "streams only"
        )
    import pandas as pd

    frame = pd.read_parquet(path / "batches.parquet")
    frame = frame.astype(object).where(frame.notna(), None)
    batches = sorted(frame.to_dict("records"), key=lambda row: row["batch_time_ms"])
    return RunRecord(
        path, manifest, summary, batches, _json(path / "generator-result.json"), spec.get("versions") or {}
    )


def state_records(times_ms: list[int], records: list[int], timeout_ms: int | None) -> np.ndarray:
    """For each batch, the records of the earlier batches within the state timeout: what a stateful
    app's ``mapWithState`` still holds (and scans for timeouts) when the batch runs."""
    held = np.zeros(len(times_ms))
    if timeout_ms is None:
        return held
    window: list[tuple[int, int]] = []
    for i, (time_ms, count) in enumerate(zip(times_ms, records, strict=True)):
        window = [(t, n) for t, n in window if t > time_ms - timeout_ms]
        held[i] = sum(n for _, n in window)
        window.append((time_ms, count))
    return held


def checkpoint_every(manifest: dict[str, Any]) -> int | None:
    """Batches between a stateful app's state checkpoints (``DStream.initialize``; a window app's
    ``checkpoint_interval_batches``); None for stateless apps."""
    from apps import BUILTIN_APPS

    workload = manifest.get("workload") or {}
    app = BUILTIN_APPS.get(workload.get("app")) if isinstance(workload.get("app"), str) else None
    if app is None or not app.stateful:
        return None
    window = workload.get("window")
    if app.window and window:
        return int(window.get("checkpoint_interval_batches") or 10)
    interval = int((manifest.get("config") or {}).get("batch_interval_ms", 2000))
    return max(1, math.ceil(STATE_CHECKPOINT_MS / interval))


def state_timeout_ms(manifest: dict[str, Any]) -> int | None:
    from apps import BUILTIN_APPS

    workload = manifest.get("workload") or {}
    app = BUILTIN_APPS.get(workload.get("app")) if isinstance(workload.get("app"), str) else None
    if app is None or not app.stateful or app.window:
        return None
    return round(float(workload.get("state_timeout_s", 20.0)) * 1000)


@dataclass
class _Design:
    rows: list[np.ndarray] = field(default_factory=list)  # features per fitted batch
    y: list[float] = field(default_factory=list)
    starts: list[tuple[int, np.ndarray, float]] = field(default_factory=list)  # startup batches


def _features(run: RunRecord, every: int | None, phase: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(feature matrix [1, records, state, checkpoint], processing ms, batch index) of completed batches."""
    done = [b for b in run.batches if b["status"] == "COMPLETED" and b["processing_time_ms"] is not None]
    times = [int(b["batch_time_ms"]) for b in done]
    records = [int(b["input_records"]) for b in done]
    first = int(run.batches[0]["batch_time_ms"]) if run.batches else 0
    interval = int((run.manifest.get("config") or {}).get("batch_interval_ms", 2000))
    index = np.array([(t - first) // interval for t in times])
    state = state_records(times, records, state_timeout_ms(run.manifest))
    checkpoint = (index % every == phase).astype(float) if every else np.zeros(len(done))
    x = np.column_stack([np.ones(len(done)), records, state, checkpoint]) if done else np.zeros((0, 4))
    y = np.array([float(b["processing_time_ms"]) for b in done])
    return x, y, index


def _robust_fit(x: np.ndarray, y: np.ndarray, columns: list[int]) -> np.ndarray:
    """Non-negative coefficients minimising a Cauchy loss; the loss's scale is the residuals' MAD,
    taken again from the robust fit's own residuals (those of least squares are spread by outliers)."""
    from scipy.optimize import least_squares

    sub = x[:, columns]
    beta, *_ = np.linalg.lstsq(sub, y, rcond=None)
    beta = np.maximum(beta, 0.0)
    for _ in range(3):
        residuals = y - sub @ beta
        scale = max(1.0, 1.4826 * float(np.median(np.abs(residuals - np.median(residuals)))))
        fit = least_squares(
            lambda b: sub @ b - y, beta, loss="cauchy", f_scale=scale, bounds=(0.0, np.inf), x_scale="jac"
        )
        beta = fit.x
    full = np.zeros(x.shape[1])
    full[columns] = beta
    return full


def _quality(y: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    residuals = y - predicted
    total = float(np.sum((y - y.mean()) ** 2))
    return {
        "batches": len(y),
        "r2": 1.0 - float(np.sum(residuals**2)) / total if total > 0 else None,
        "mae_ms": float(np.mean(np.abs(residuals))),
        "rmse_ms": float(np.sqrt(np.mean(residuals**2))),
        "residual_p5_ms": float(np.percentile(residuals, 5)),
        "residual_p95_ms": float(np.percentile(residuals, 95)),
        "mean_processing_ms": float(y.mean()),
    }


def fit_cost(runs: list[RunRecord]) -> tuple[CostModel, dict[str, Any], list[str]]:
    """The cost model of the runs (one app), its quality on the fitted batches, and notes."""
    notes: list[str] = []
    every = checkpoint_every(runs[0].manifest)
    best: tuple[float, CostModel, dict[str, Any]] | None = None
    for phase in range(every or 1):
        parts = [_features(run, every, phase) for run in runs]
        keep = [(x[i >= STARTUP_BATCHES], y[i >= STARTUP_BATCHES]) for x, y, i in parts]
        x = np.vstack([k[0] for k in keep])
        y = np.concatenate([k[1] for k in keep])
        if len(y) < MIN_BATCHES:
            raise UsageError(
                f"--calibrate: {len(y)} completed batches past the first {STARTUP_BATCHES}; "
                f"the fit needs at least {MIN_BATCHES} (a longer run)"
            )
        columns = [0, 1]
        stateful = bool(np.any(x[:, 2] > 0))
        if stateful:
            if (
                np.std(x[:, 1]) > 0
                and np.std(x[:, 2]) > 0
                and abs(np.corrcoef(x[:, 1], x[:, 2])[0, 1]) < COLLINEAR
            ):
                columns.append(2)
            elif phase == 0:
                notes.append(
                    "state size and batch size move together in the calibration runs (correlation >= "
                    f"{COLLINEAR}), so the state term is not fitted: its cost is inside the per-record cost "
                    "(calibrate on runs at different rates or profiles to separate them)"
                )
        if every and np.any(x[:, 3] > 0):
            columns.append(3)
        beta = _robust_fit(x, y, columns)
        predicted = x @ beta
        loss = float(np.sum(np.sqrt(1 + ((y - predicted) / max(1.0, np.std(y))) ** 2)))
        if best is None or loss < best[0]:
            residual_runs = [yk - xk @ beta for xk, yk in keep if len(yk)]
            startup = []
            for k in range(STARTUP_BATCHES):
                extra = [
                    yk - xk @ beta
                    for (xr, yr, ir) in parts
                    for xk, yk, ik in zip(xr, yr, ir, strict=True)
                    if ik == k
                ]
                startup.append(max(0.0, float(np.median(extra))) if extra else 0.0)
            model = CostModel(
                fixed_ms=float(beta[0]),
                per_record_ms=float(beta[1]),
                per_state_record_ms=float(beta[2]),
                checkpoint_ms=float(beta[3]),
                checkpoint_every=every if 3 in columns else None,
                checkpoint_phase=phase,
                startup_ms=tuple(startup),
                residual_runs_ms=tuple(tuple(float(r) for r in run) for run in residual_runs),
            )
            best = (loss, model, _quality(y, predicted))
    assert best is not None
    return best[1], best[2], notes


def _median(values: list[float], default: float) -> float:
    return float(np.median(values)) if values else default


def _held_factor(runs: list[RunRecord], notes: list[str]) -> float:
    """Storage memory per byte the receivers hold: the peak of Spark's on-heap storage memory
    (``executors.peak_on_heap_storage_bytes``) over the peak of the receivers' in-flight bytes
    (``in_flight.parquet``), the median over receiver runs that held more than 1 MiB; 1 otherwise.
    (The REST API's ``memoryUsed`` is sampled between batches, when the blocks are mostly freed.)"""
    import pandas as pd

    ratios: list[float] = []
    for run in runs:
        flight, executors = run.path / "in_flight.parquet", run.path / "executors.parquet"
        if not (flight.is_file() and executors.is_file()):
            continue
        held = pd.read_parquet(flight, columns=["time_ms", "in_flight_bytes"])
        peaks = pd.read_parquet(executors, columns=["peak_on_heap_storage_bytes"]).dropna()
        if held.empty or peaks.empty:
            continue
        held_peak = float(held.groupby("time_ms")["in_flight_bytes"].sum().max())
        if held_peak > 1 << 20:
            ratios.append(float(peaks["peak_on_heap_storage_bytes"].max()) / held_peak)
    if not ratios:
        notes.append(
            "held-bytes factor not fitted (no receiver run with more than 1 MiB in flight): taken as 1, "
            "a record in storage memory as its own bytes"
        )
        return 1.0
    return float(np.median(ratios))


def _storage_pools(runs: list[RunRecord]) -> dict[str, int]:
    """The storage memory Spark reported (``max_memory_bytes``) by the JVM memory setting of the runs
    (``driver_memory`` in local topology, else ``executor_memory``): the model takes it over the
    formula for a target with the same setting."""
    import pandas as pd

    pools: dict[str, int] = {}
    for run in runs:
        path = run.path / "executors.parquet"
        spark = (run.manifest.get("platform") or {}).get("spark") or {}
        memory = spark.get(
            "driver_memory" if spark.get("topology", "local") == "local" else "executor_memory"
        )
        if not path.is_file() or not memory:
            continue
        sizes = pd.read_parquet(path, columns=["max_memory_bytes"]).dropna()
        if not sizes.empty:
            pools[str(memory)] = int(sizes["max_memory_bytes"].max())
    return pools


def calibrate(paths: list[Path], target: dict[str, Any] | None = None) -> Calibration:
    """The calibration of the runs at ``paths``; with ``target`` (a manifest dump), UsageError unless
    every run is of the target's app, implementation and record size."""
    runs = [read_run(Path(p)) for p in paths]
    identities = {app_identity(run.manifest) for run in runs}
    if len(identities) > 1:
        shown = "; ".join(f"{run.path}: {'/'.join(map(str, app_identity(run.manifest)))}" for run in runs)
        raise UsageError(f"--calibrate: runs of different apps (app/impl/record bytes): {shown}")
    app, impl, size = identities.pop()
    if target is not None:
        wanted = app_identity(target)
        if wanted != (app, impl, size):
            raise UsageError(
                f"--calibrate {runs[0].path}: a run of {app} ({impl}, {size}-byte records), but the manifest "
                f"runs {wanted[0]} ({wanted[1]}, {wanted[2]}-byte records): calibrate on a run of the same "
                "app, workload.impl and workload.records"
            )
    cost, quality, notes = fit_cost(runs)
    lead, visible, overhead = [], [], []
    for run in runs:
        first = int(run.batches[0]["batch_time_ms"])
        last = int(run.batches[-1]["batch_time_ms"])
        interval = int((run.manifest.get("config") or {}).get("batch_interval_ms", 2000))
        if run.generator.get("start_time_ms"):
            lead.append(float(run.generator["start_time_ms"]) - first)
        # The source took its first records within the interval before the first batch with records:
        # its midpoint (the generator may have started before the receivers were up, or its first
        # records may have taken a while to reach Kafka).
        loaded = [int(b["batch_time_ms"]) for b in run.batches if (b["input_records"] or 0) > 0]
        if loaded:
            visible.append(loaded[0] - first - interval / 2)
        if run.summary.get("duration_s"):
            overhead.append(float(run.summary["duration_s"]) - (last - first) / 1000.0)
    return Calibration(
        app=app,
        impl=impl,
        record_bytes=size,
        cost=cost,
        load_start_ms=round(_median(lead, 0.0)),
        source_start_ms=max(0, round(_median(visible, 0.0))),
        overhead_s=max(0.0, _median(overhead, 0.0)),
        held_bytes_factor=_held_factor(runs, notes),
        storage_pools=_storage_pools(runs),
        quality=quality,
        runs=[
            {
                "path": str(run.path.resolve()),
                "run_id": run.summary.get("run_id"),
                "experiment": run.summary.get("experiment"),
                "source": (run.manifest.get("workload") or {}).get("source", "direct"),
                "target_rate_rps": run.summary.get("target_rate_rps"),
                "outcome": run.summary.get("outcome"),
                "versions": run.versions,
            }
            for run in runs
        ],
        notes=notes,
    )
