"""Figures for the HTML report: PNG bytes to embed (the report stays one offline file) and SVG for papers.

Series are prepared by small pure functions over the run's tables (``*_series``); the figure
functions only draw them. Every time axis is seconds since the run's first batch, so the panels of
one run, and the runs of one configuration, line up.
"""

from __future__ import annotations

import base64
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib

# The report is built on headless machines (CI, cluster edge nodes): never try to open a display.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib import MatplotlibDeprecationWarning  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from harness.results.outcomes import Outcome, removal_kind  # noqa: E402

MIB = 1024 * 1024
DPI = 100
WIDTH_IN = 10.0
PANEL_HEIGHT_IN = 2.3
# Past this many points a line's markers hide the line.
MAX_MARKED_POINTS = 200
LEGEND_HEADROOM = 1.3
# GC events drawn per series at most (about one per pixel column); the peaks are kept.
MAX_DRAWN_EVENTS = 600


def _tick(value: float, _position: int) -> str:
    """Short tick labels: millions as M and hundreds of thousands as k (the panels share one left margin),
    thousands separated below, decimals kept for small values (MiB of a tiny heap)."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.4g}M"
    if abs(value) >= 1e5:
        return f"{value / 1e3:,.4g}k"
    if value == int(value) or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


_THOUSANDS = FuncFormatter(_tick)
MARKER_STYLE = {
    Outcome.OOM: {"color": "#cf222e", "linestyle": "-", "label": "out of memory"},
    Outcome.EXECUTOR_LOST: {"color": "#bc4c00", "linestyle": "--", "label": "executor lost"},
}
FAULT_COLOUR = "#8250df"
GC_KIND_COLOURS = {
    "young": "#6e7781",
    "mixed": "#8250df",
    "full": "#cf222e",
    "remark": "#0969da",
    "cleanup": "#1a7f37",
}

# SVG element ids are random unless salted: a fixed salt keeps the files the same from build to build.
plt.rcParams["svg.hashsalt"] = "bpbench"


@dataclass(frozen=True)
class RenderedFigure:
    name: str
    title: str
    png: bytes
    svg: bytes | None = None

    @property
    def data_uri(self) -> str:
        return png_data_uri(self.png)


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render(fig: Figure, name: str, title: str, svg: bool = True) -> RenderedFigure:
    """PNG (and SVG) bytes of ``fig``; the figure is closed either way."""
    try:
        png = io.BytesIO()
        # No Software metadata: the report promises to reference nothing outside itself.
        fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None})
        vector = None
        if svg:
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
            vector = buffer.getvalue()
        return RenderedFigure(name, title, png.getvalue(), vector)
    finally:
        plt.close(fig)


# ---------------------------------------------------------------------------------------------------------
# Series


def numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def origin_ms(tables: dict[str, pd.DataFrame]) -> float | None:
    """The first batch's time, else the earliest sample of any table."""
    batches = tables.get("batches", pd.DataFrame())
    first = numeric(batches, "batch_time_ms").min()
    if not pd.isna(first):
        return float(first)
    candidates = [
        numeric(tables.get(name, pd.DataFrame()), column).min()
        for name, column in (
            ("executors", "sample_time_ms"),
            ("offsets", "sample_time_ms"),
            ("gc", "time_ms"),
            ("in_flight", "time_ms"),
        )
    ]
    known = [float(c) for c in candidates if not pd.isna(c)]
    return min(known) if known else None


def batch_series(batches: pd.DataFrame, origin: float, batch_interval_ms: float | None) -> pd.DataFrame:
    """Per batch: seconds since origin, records, capacity per interval and delays.

    Capacity is the records the batch's processing rate (records / processing time) would handle in
    one batch interval: input above it means the batch took longer than the interval.
    """
    frame = pd.DataFrame(
        {
            "t_s": (numeric(batches, "batch_time_ms") - origin) / 1000.0,
            "records": numeric(batches, "input_records"),
            "scheduling": numeric(batches, "scheduling_delay_ms"),
            "processing": numeric(batches, "processing_time_ms"),
            "total": numeric(batches, "total_delay_ms"),
        }
    )
    frame = frame.dropna(subset=["t_s"]).sort_values("t_s", kind="stable").reset_index(drop=True)
    usable = (frame["processing"] > 0) & (frame["records"] > 0)
    capacity = frame["records"] / frame["processing"] * (batch_interval_ms or np.nan)
    frame["capacity"] = capacity.where(usable)
    return frame


def lag_series(offsets: pd.DataFrame, origin: float) -> pd.DataFrame:
    """Total consumer lag (records) over the topic's partitions at each sample."""
    if offsets.empty or "sample_time_ms" not in offsets.columns:
        return pd.DataFrame({"t_s": [], "lag": []})
    frame = pd.DataFrame({"time": numeric(offsets, "sample_time_ms"), "lag": numeric(offsets, "lag")})
    totals = frame.dropna().groupby("time", sort=True)["lag"].sum()
    return pd.DataFrame({"t_s": (totals.index.to_numpy() - origin) / 1000.0, "lag": totals.to_numpy()})


def _worker_rows(executors: pd.DataFrame) -> pd.DataFrame:
    """The executors that run tasks: all but the driver, unless the driver is the only one (local mode)."""
    if "executor_id" not in executors.columns:
        return executors
    ids = executors["executor_id"].astype(str)
    workers = executors[ids != "driver"]
    return workers if not workers.empty else executors


def memory_series(executors: pd.DataFrame, origin: float) -> pd.DataFrame:
    """Per sample, the largest value over the task-running executors, in MiB (the one nearest OOM)."""
    columns = {
        "storage_used": "memory_used_bytes",
        "peak_storage": "peak_on_heap_storage_bytes",
        "peak_execution": "peak_on_heap_execution_bytes",
        "peak_unified": "peak_on_heap_unified_bytes",
        "peak_heap": "peak_jvm_heap_bytes",
    }
    if executors.empty or "sample_time_ms" not in executors.columns:
        return pd.DataFrame(columns=["t_s", *columns])
    rows = _worker_rows(executors)
    frame = pd.DataFrame({name: numeric(rows, column) / MIB for name, column in columns.items()})
    frame["time"] = numeric(rows, "sample_time_ms")
    peaks = frame.dropna(subset=["time"]).groupby("time", sort=True).max()
    peaks.insert(0, "t_s", (peaks.index.to_numpy() - origin) / 1000.0)
    return peaks.reset_index(drop=True)


IN_FLIGHT_COLUMNS = ["t_s", "in_flight", "budget", "held_back"]


def in_flight_series(in_flight: pd.DataFrame, origin: float) -> pd.DataFrame:
    """Per sample time, the bytes taken from Kafka and not yet processed summed over the input streams
    (each stream at its latest sample), in MiB; the budget in MiB (null without one); whether any
    receiver was held back at the budget."""
    if in_flight.empty or not {"time_ms", "in_flight_bytes"} <= set(in_flight.columns):
        return pd.DataFrame(columns=IN_FLIGHT_COLUMNS)
    streams = in_flight["stream_id"] if "stream_id" in in_flight.columns else 0
    frame = pd.DataFrame(
        {
            "time": numeric(in_flight, "time_ms"),
            "stream": streams,
            "bytes": numeric(in_flight, "in_flight_bytes"),
            "budget": numeric(in_flight, "budget_bytes"),
            "held": (
                in_flight["held_back"].astype("boolean").fillna(False).astype(float)
                if "held_back" in in_flight.columns
                else 0.0
            ),
        }
    ).dropna(subset=["time"])
    if frame.empty:
        return pd.DataFrame(columns=IN_FLIGHT_COLUMNS)

    def per_stream(column: str) -> pd.DataFrame:
        wide = frame.pivot_table(index="time", columns="stream", values=column, aggfunc="last", dropna=False)
        return wide.sort_index().ffill()

    totals = per_stream("bytes").sum(axis=1, min_count=1)
    held = per_stream("held").max(axis=1).fillna(0.0) > 0
    budget = frame.groupby("time", sort=True)["budget"].max().reindex(totals.index).ffill()
    return pd.DataFrame(
        {
            "t_s": (totals.index.to_numpy() - origin) / 1000.0,
            "in_flight": totals.to_numpy() / MIB,
            "budget": budget.to_numpy() / MIB,
            "held_back": held.to_numpy(),
        }
    )


def gc_series(gc: pd.DataFrame, origin: float) -> pd.DataFrame:
    """Stop-the-world pauses of the executors' JVMs (the driver's when it is the only JVM), with the
    cumulative pause time in seconds and the heap after each collection in MiB."""
    if gc.empty or "time_ms" not in gc.columns:
        return pd.DataFrame(columns=["t_s", "pause_ms", "kind", "cumulative_s", "heap_after", "heap_total"])
    sources = gc["source"].astype(str) if "source" in gc.columns else pd.Series("", index=gc.index)
    executors = gc[sources.str.startswith("executor")]
    rows = executors if not executors.empty else gc
    frame = pd.DataFrame(
        {
            "t_s": (numeric(rows, "time_ms") - origin) / 1000.0,
            "pause_ms": numeric(rows, "pause_ms").fillna(0.0),
            "kind": rows["kind"].astype(str) if "kind" in rows.columns else "young",
            "heap_after": numeric(rows, "heap_after_bytes") / MIB,
            "heap_total": numeric(rows, "heap_total_bytes") / MIB,
        }
    ).dropna(subset=["t_s"])
    frame = frame[frame["pause_ms"] > 0].sort_values("t_s", kind="stable").reset_index(drop=True)
    frame["cumulative_s"] = frame["pause_ms"].cumsum() / 1000.0
    return frame


def rate_series(
    rate_limits: pd.DataFrame, logged: pd.DataFrame, origin: float, controller: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The rate panel's lines. A run with a plugged controller shows the limit it decided (at each
    decision's time) in place of Spark's PID replayed over the batches, which did not run."""
    series = {}
    decisions = pd.DataFrame()
    if controller is not None and not controller.empty and "end_time_ms" in controller.columns:
        decisions = controller[controller["event"] == "decision"]
        # Receiver streams each have a controller: show the first stream's, one line like the others.
        decisions = decisions[decisions["stream_id"] == decisions["stream_id"].min()]
    if not rate_limits.empty and "batch_time_ms" in rate_limits.columns:
        t_s = (numeric(rate_limits, "batch_time_ms") - origin) / 1000.0
        series["batch"] = pd.DataFrame({"t_s": t_s, "rate": numeric(rate_limits, "batch_rate_rps")})
        if decisions.empty:
            series["pid"] = pd.DataFrame({"t_s": t_s, "rate": numeric(rate_limits, "pid_limit_rps")})
    if not decisions.empty:
        t_s = (numeric(decisions, "end_time_ms") - origin) / 1000.0
        series["controller"] = pd.DataFrame({"t_s": t_s, "rate": numeric(decisions, "limit_rps")})
    if not logged.empty and "time_ms" in logged.columns:
        t_s = (numeric(logged, "time_ms") - origin) / 1000.0
        series["logged"] = pd.DataFrame({"t_s": t_s, "rate": numeric(logged, "rate_rps")})
    return {
        name: frame.dropna().sort_values("t_s")
        for name, frame in series.items()
        if frame["rate"].notna().any()
    }


@dataclass(frozen=True)
class Marker:
    t_s: float
    kind: str  # Outcome.OOM or Outcome.EXECUTOR_LOST
    label: str


@dataclass(frozen=True)
class FaultSpan:
    """An injected fault (summary.json's ``faults``), from its start to its end, in seconds."""

    start_s: float
    end_s: float
    action: str


def fault_spans(faults: Sequence[dict[str, Any]], origin: float) -> list[FaultSpan]:
    spans = []
    for fault in faults:
        start, end = fault.get("start_ms"), fault.get("end_ms")
        if fault.get("failed") or not isinstance(start, int | float):
            continue
        end = end if isinstance(end, int | float) else start
        spans.append(FaultSpan((start - origin) / 1000.0, (end - origin) / 1000.0, str(fault.get("action"))))
    return spans


def markers(executors: pd.DataFrame, failure_events: Sequence[dict[str, Any]], origin: float) -> list[Marker]:
    """OOM and executor-loss moments: each removed executor's remove time (exit code 52 is OOM), then
    the failure evidence the run logged with a time and no removed executor to show it."""
    found: list[Marker] = []
    seen_executors: set[str] = set()
    if not executors.empty and "remove_time_ms" in executors.columns:
        removed = executors.assign(remove_ms=numeric(executors, "remove_time_ms")).dropna(
            subset=["remove_ms"]
        )
        for executor_id, rows in removed.groupby(removed["executor_id"].astype(str), sort=True):
            last = rows.iloc[-1]
            reason = str(last.get("remove_reason") or "")
            kind = removal_kind(reason)
            found.append(
                Marker((float(last["remove_ms"]) - origin) / 1000.0, kind, f"executor {executor_id}")
            )
            seen_executors.add(f"executor {executor_id}")
    for event in failure_events:
        time_ms = event.get("time_ms")
        # The runner nests the evidence ({"kind": "failure_evidence", "evidence": {kind, source, detail}}).
        nested_evidence = event.get("evidence")
        source = str((nested_evidence if isinstance(nested_evidence, dict) else event).get("source", ""))
        kind = _evidence_kind(event)
        if not isinstance(time_ms, int | float) or source in seen_executors or kind not in MARKER_STYLE:
            continue
        found.append(Marker((float(time_ms) - origin) / 1000.0, kind, source or kind))
    return sorted(found, key=lambda m: m.t_s)


def _evidence_kind(event: dict[str, Any]) -> str | None:
    """``oom`` or ``executor_lost`` for a ``failure_evidence`` event: its ``evidence_kind``, or a nested
    ``evidence`` object's ``kind`` (the event's own ``kind`` names the event), else read from its detail."""
    if event.get("evidence_kind"):
        return str(event["evidence_kind"])
    evidence = event.get("evidence")
    if isinstance(evidence, dict) and evidence.get("kind"):
        return str(evidence["kind"])
    detail = str(event.get("detail", ""))
    if "OutOfMemoryError" in detail or removal_kind(detail) == Outcome.OOM:
        return Outcome.OOM
    return Outcome.EXECUTOR_LOST if event.get("source") else None


# ---------------------------------------------------------------------------------------------------------
# Drawing helpers


def _finish(ax: Axes, ylabel: str, legend: bool = True) -> None:
    ax.set_ylabel(ylabel)
    # Headroom above the data for the legend in the upper left corner.
    ax.set_ylim(0, max(ax.get_ylim()[1], 1e-9) * LEGEND_HEADROOM)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.grid(True, alpha=0.3)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize="small", ncol=3, framealpha=0.85)


def _no_data(ax: Axes, what: str) -> None:
    ax.text(
        0.5, 0.5, f"no {what} recorded", transform=ax.transAxes, ha="center", va="center", color="#59636e"
    )
    ax.set_yticks([])


def _draw_markers(ax: Axes, found: Sequence[Marker], label: bool) -> None:
    labelled: set[str] = set()
    for marker in found:
        style = dict(MARKER_STYLE[marker.kind])
        name = style.pop("label")
        ax.axvline(
            marker.t_s,
            linewidth=1.6,
            alpha=0.9,
            label=name if label and name not in labelled else None,
            **style,
        )
        labelled.add(name)


def _draw_faults(ax: Axes, spans: Sequence[FaultSpan], label: bool) -> None:
    """Lasting faults as a shaded span, instantaneous ones (kills) as a dotted line."""
    labelled = False
    for span in spans:
        name = "injected fault" if label and not labelled else None
        if span.end_s - span.start_s >= 0.5:
            ax.axvspan(span.start_s, span.end_s, color=FAULT_COLOUR, alpha=0.15, label=name)
        else:
            ax.axvline(span.start_s, color=FAULT_COLOUR, linestyle=":", linewidth=1.6, label=name)
        labelled = True


def _panels(count: int) -> tuple[Figure, list[Axes]]:
    """Stacked panels sharing the time axis, with fixed margins: a layout engine would measure every
    tick label of every panel, twice per figure (PNG and SVG), and cost more than the drawing."""
    height = PANEL_HEIGHT_IN * count + 0.7
    fig, axes = plt.subplots(count, 1, figsize=(WIDTH_IN, height), sharex=True)
    fig.subplots_adjust(left=0.09, right=0.93, top=1 - 0.15 / height, bottom=0.55 / height, hspace=0.12)
    return fig, list(np.atleast_1d(axes))


def _step(ax: Axes, t_s: np.ndarray, values: np.ndarray, **style: Any) -> None:
    ax.step(t_s, values, where="post", **{"linewidth": 1.1, **style})


# ---------------------------------------------------------------------------------------------------------
# Run figures


@dataclass
class RunSeries:
    """Everything a run's figures draw, kept small so configurations can overlay their runs."""

    run_id: str
    batch_interval_ms: float | None
    target_rate_rps: float | None
    batches: pd.DataFrame
    lag: pd.DataFrame
    memory: pd.DataFrame
    gc: pd.DataFrame
    rates: dict[str, pd.DataFrame] = field(default_factory=dict)
    markers: list[Marker] = field(default_factory=list)
    faults: list[FaultSpan] = field(default_factory=list)
    in_flight: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=IN_FLIGHT_COLUMNS))


def run_series(
    run_id: str,
    tables: dict[str, pd.DataFrame],
    failure_events: Sequence[dict[str, Any]],
    batch_interval_ms: float | None,
    target_rate_rps: float | None,
    faults: Sequence[dict[str, Any]] = (),
) -> RunSeries | None:
    """The run's series; None when no table has a time to put on an axis. ``faults`` are the
    summary's injected faults."""
    origin = origin_ms(tables)
    if origin is None:
        return None
    empty = pd.DataFrame()
    return RunSeries(
        run_id=run_id,
        batch_interval_ms=batch_interval_ms,
        target_rate_rps=target_rate_rps,
        batches=batch_series(tables.get("batches", empty), origin, batch_interval_ms),
        lag=lag_series(tables.get("offsets", empty), origin),
        memory=memory_series(tables.get("executors", empty), origin),
        gc=gc_series(tables.get("gc", empty), origin),
        rates=rate_series(
            tables.get("rate_limits", empty),
            tables.get("logged_rate_limits", empty),
            origin,
            tables.get("controller", empty),
        ),
        markers=markers(tables.get("executors", empty), failure_events, origin),
        faults=fault_spans(faults, origin),
        in_flight=in_flight_series(tables.get("in_flight", empty), origin),
    )


def _records_panel(ax: Axes, series: RunSeries) -> None:
    frame = series.batches
    if frame.empty:
        _no_data(ax, "batches")
        return
    t_s = frame["t_s"].to_numpy()
    ax.fill_between(t_s, frame["records"].to_numpy(), step="post", alpha=0.3, color="tab:blue", linewidth=0)
    _step(ax, t_s, frame["records"].to_numpy(), color="tab:blue", label="input records per batch")
    if frame["capacity"].notna().any():
        ax.plot(
            t_s,
            frame["capacity"].to_numpy(),
            color="tab:green",
            linewidth=1.2,
            marker=".",
            markersize=3,
            label="capacity per interval (processing rate x interval)",
        )
    if series.target_rate_rps and series.batch_interval_ms:
        ax.axhline(
            series.target_rate_rps * series.batch_interval_ms / 1000.0,
            color="tab:red",
            linestyle=":",
            linewidth=1.2,
            label="target per batch",
        )
    _finish(ax, "records per batch", legend=False)
    # A batch of a few records processed in a few ms has a huge capacity: keep the scale on the input.
    top = robust_top(frame["records"], frame["capacity"])
    if top:
        ax.set_ylim(0, top)


def robust_top(records: pd.Series, capacity: pd.Series) -> float | None:
    """An upper y limit showing all the input and most of the capacity line (its 95th percentile)."""
    candidates = [records.max(), capacity.quantile(0.95) if capacity.notna().any() else np.nan]
    known = [float(c) for c in candidates if not pd.isna(c) and c > 0]
    return max(known) * LEGEND_HEADROOM if known else None


def _delay_panel(ax: Axes, series: RunSeries) -> None:
    frame = series.batches
    if frame.empty or frame[["scheduling", "total"]].isna().all().all():
        _no_data(ax, "batch delays")
        return
    t_s = frame["t_s"].to_numpy()
    ax.plot(t_s, frame["scheduling"].to_numpy(), color="tab:orange", linewidth=1.2, label="scheduling delay")
    ax.plot(t_s, frame["total"].to_numpy(), color="tab:purple", linewidth=1.2, label="total delay")
    ax.plot(t_s, frame["processing"].to_numpy(), color="tab:gray", linewidth=0.8, label="processing time")
    if series.batch_interval_ms:
        ax.axhline(
            series.batch_interval_ms, color="black", linestyle="--", linewidth=1.0, label="batch interval"
        )
    _finish(ax, "ms", legend=False)


def _rate_panel(ax: Axes, series: RunSeries) -> None:
    if not series.rates:
        _no_data(ax, "rate limits")
        return
    styles = {
        "batch": ("batch rate (input / interval)", "tab:blue", "-"),
        "pid": ("PID limit", "tab:red", "-"),
        "controller": ("controller's limit", "tab:purple", "-"),
        "logged": ("limit logged by Spark", "tab:olive", ":"),
    }
    for name, frame in series.rates.items():
        label, colour, linestyle = styles[name]
        _step(
            ax,
            frame["t_s"].to_numpy(),
            frame["rate"].to_numpy(),
            color=colour,
            linestyle=linestyle,
            label=label,
        )
    if series.target_rate_rps:
        ax.axhline(series.target_rate_rps, color="tab:red", linestyle=":", linewidth=1.0, label="target rate")
    _finish(ax, "records/s", legend=False)


def _lag_panel(ax: Axes, series: RunSeries) -> None:
    if series.lag.empty:
        _no_data(ax, "Kafka offsets")
        return
    ax.plot(
        series.lag["t_s"],
        series.lag["lag"],
        color="tab:brown",
        linewidth=1.2,
        label="Kafka lag (all partitions)",
    )
    _finish(ax, "records", legend=False)


def timeline_figure(series: RunSeries, name: str, svg: bool = True) -> RenderedFigure:
    """Input against capacity, delays, the rate limit and Kafka lag over time, with failure markers.

    The rate and lag panels are left out when the run recorded neither (imported artifact runs)."""
    draws = [_records_panel, _delay_panel]
    if series.rates:
        draws.append(_rate_panel)
    if not series.lag.empty:
        draws.append(_lag_panel)
    fig, axes = _panels(len(draws))
    for ax, draw in zip(axes, draws, strict=True):
        draw(ax, series)
        _draw_markers(ax, series.markers, label=True)
        _draw_faults(ax, series.faults, label=True)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize="small", ncol=3, framealpha=0.85)
    axes[-1].set_xlabel("seconds since first batch")
    return render(fig, name, "Input, delays, rate limit and Kafka lag", svg)


def _umm_panel(ax: Axes, memory: pd.DataFrame) -> None:
    if memory.empty or memory[["storage_used", "peak_storage", "peak_execution"]].isna().all().all():
        _no_data(ax, "executor memory")
        return
    t_s = memory["t_s"].to_numpy()
    for column, label, colour, linestyle in (
        ("storage_used", "storage used", "tab:blue", "-"),
        ("peak_storage", "peak storage", "tab:blue", "--"),
        ("peak_execution", "peak execution", "tab:orange", "--"),
        ("peak_unified", "peak unified (storage + execution)", "tab:green", ":"),
    ):
        if memory[column].notna().any():
            ax.plot(
                t_s, memory[column].to_numpy(), color=colour, linestyle=linestyle, linewidth=1.2, label=label
            )
    _finish(ax, "MiB (UMM, on heap)", legend=False)


def _heap_panel(ax: Axes, memory: pd.DataFrame, gc: pd.DataFrame) -> None:
    has_peak = not memory.empty and memory["peak_heap"].notna().any()
    if not has_peak and gc.empty:
        _no_data(ax, "JVM heap")
        return
    if has_peak:
        ax.plot(memory["t_s"], memory["peak_heap"], color="tab:purple", linewidth=1.2, label="peak JVM heap")
    if not gc.empty and gc["heap_after"].notna().any():
        after = thin_events(gc.dropna(subset=["heap_after"]), "heap_after")
        ax.plot(
            after["t_s"],
            after["heap_after"],
            linestyle="none",
            marker=".",
            markersize=3,
            color="tab:gray",
            label="heap after GC",
        )
        ax.step(
            gc["t_s"],
            gc["heap_total"],
            where="post",
            color="black",
            linewidth=0.8,
            linestyle=":",
            label="heap size",
        )
    _finish(ax, "MiB", legend=False)


def thin_events(frame: pd.DataFrame, value: str, bins: int = MAX_DRAWN_EVENTS) -> pd.DataFrame:
    """At most one row per time bin, the one with the largest ``value``: a drawn pause or heap sample
    per pixel column or so, keeping the peaks, instead of thousands of overlapping marks."""
    if len(frame) <= bins:
        return frame
    t_s = frame["t_s"].to_numpy()
    edges = np.linspace(t_s.min(), t_s.max(), bins + 1)
    bin_index = np.clip(np.searchsorted(edges, t_s, side="right") - 1, 0, bins - 1)
    keep = frame.assign(_bin=bin_index).sort_values(value, ascending=False, kind="stable")
    return keep.drop_duplicates("_bin").drop(columns="_bin").sort_values("t_s", kind="stable")


def _gc_panel(ax: Axes, gc: pd.DataFrame) -> None:
    if gc.empty:
        _no_data(ax, "GC pauses")
        return
    for kind, rows in gc.groupby("kind", sort=True):
        rows = thin_events(rows, "pause_ms")
        ax.vlines(
            rows["t_s"],
            0,
            rows["pause_ms"],
            color=GC_KIND_COLOURS.get(str(kind), "tab:gray"),
            linewidth=1.0,
            label=f"{kind} pause",
        )
    _finish(ax, "pause (ms)", legend=False)
    twin = ax.twinx()
    twin.plot(gc["t_s"], gc["cumulative_s"], color="black", linewidth=1.2, label="cumulative GC time")
    twin.set_ylabel("cumulative (s)")
    twin.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = twin.get_legend_handles_labels()
    ax.legend(
        handles + more_handles,
        labels + more_labels,
        loc="upper left",
        fontsize="small",
        ncol=3,
        framealpha=0.85,
    )


def has_in_flight_data(series: RunSeries) -> bool:
    return not series.in_flight.empty and series.in_flight["in_flight"].notna().any()


def has_memory_data(series: RunSeries) -> bool:
    memory = series.memory
    recorded = not memory.empty and memory.drop(columns="t_s").notna().any().any()
    return recorded or not series.gc.empty or has_in_flight_data(series)


# SVG ids of the in-flight panel's lines (``gid``), so the figure's content can be checked.
IN_FLIGHT_GID = "in-flight-bytes"
BUDGET_GID = "in-flight-budget"


def _in_flight_panel(ax: Axes, in_flight: pd.DataFrame) -> None:
    """Bytes taken and not yet processed (all streams) against the in-flight budget, held-back time shaded."""
    t_s = in_flight["t_s"].to_numpy(dtype=float)
    values = in_flight["in_flight"].to_numpy(dtype=float)
    _step(ax, t_s, values, color="tab:cyan", label="in flight (all streams)", gid=IN_FLIGHT_GID)
    budgets = in_flight["budget"].dropna()
    if not budgets.empty:
        ax.axhline(
            float(budgets.max()),
            color="tab:red",
            linestyle="--",
            linewidth=1.2,
            label="in-flight budget",
            gid=BUDGET_GID,
        )
    held = in_flight["held_back"].to_numpy(dtype=bool)
    if held.any():
        ax.fill_between(
            t_s,
            0,
            1,
            where=held,
            step="post",
            transform=ax.get_xaxis_transform(),
            color="tab:red",
            alpha=0.12,
            linewidth=0,
            label="held back at the budget",
        )
    _finish(ax, "MiB in flight", legend=False)


def memory_figure(series: RunSeries, name: str, svg: bool = True) -> RenderedFigure:
    """In-flight bytes against the budget (when the run recorded them), UMM storage vs execution
    memory, JVM heap, and GC pauses with cumulative GC time."""
    with_in_flight = has_in_flight_data(series)
    fig, axes = _panels(4 if with_in_flight else 3)
    if with_in_flight:
        _in_flight_panel(axes[0], series.in_flight)
    _umm_panel(axes[-3], series.memory)
    _heap_panel(axes[-2], series.memory, series.gc)
    for ax in axes[:-1]:
        _draw_markers(ax, series.markers, label=True)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize="small", ncol=3, framealpha=0.85)
    _draw_markers(axes[-1], series.markers, label=False)
    _gc_panel(axes[-1], series.gc)
    axes[-1].set_xlabel("seconds since first batch")
    title = "In flight, memory (UMM, JVM heap) and GC" if with_in_flight else "Memory (UMM, JVM heap) and GC"
    return render(fig, name, title, svg)


def overlay_figure(runs: Sequence[RunSeries], name: str, svg: bool = True) -> RenderedFigure:
    """A configuration's repetitions on shared axes: input, total delay, Kafka lag and JVM heap."""
    fig, axes = _panels(4)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    drawn = [False] * 4
    for index, series in enumerate(runs):
        style = {"color": colours[index % len(colours)], "linewidth": 1.1, "label": series.run_id}
        if not series.batches.empty:
            _step(axes[0], series.batches["t_s"].to_numpy(), series.batches["records"].to_numpy(), **style)
            axes[1].plot(series.batches["t_s"], series.batches["total"], **style)
            drawn[0] = drawn[1] = True
        if not series.lag.empty:
            axes[2].plot(series.lag["t_s"], series.lag["lag"], **style)
            drawn[2] = True
        if not series.memory.empty and series.memory["peak_heap"].notna().any():
            axes[3].plot(series.memory["t_s"], series.memory["peak_heap"], **style)
            drawn[3] = True
        for ax in axes:
            _draw_markers(ax, series.markers, label=False)
    for ax, ylabel, what, has_data in zip(
        axes,
        ("records per batch", "total delay (ms)", "Kafka lag (records)", "peak JVM heap (MiB)"),
        ("batches", "batch delays", "Kafka offsets", "JVM heap"),
        drawn,
        strict=True,
    ):
        if has_data:
            _finish(ax, ylabel, legend=ax is axes[0])
        else:
            _no_data(ax, what)
    axes[-1].set_xlabel("seconds since each run's first batch")
    return render(fig, name, "Repetitions overlaid", svg)


# ---------------------------------------------------------------------------------------------------------
# Claim figures


@dataclass(frozen=True)
class Bar:
    label: str
    value: float | None
    supports: bool | None


def claim_figure(
    name: str, title: str, panels: Sequence[tuple[str, Sequence[Bar], float | None]], svg: bool = True
) -> RenderedFigure:
    """Horizontal bars of the deciding number per run, green where the run supports the claim, red
    where it contradicts it, grey where unknown, with the rule's threshold as a dashed line."""
    count = max((len(bars) for _label, bars, _threshold in panels), default=1)
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(WIDTH_IN, 1.3 + 0.32 * count),
        layout="constrained",
        squeeze=False,
        sharey=True,
    )
    for ax, (xlabel, bars, threshold) in zip(axes[0], panels, strict=True):
        colours = ["#1a7f37" if b.supports else "#cf222e" if b.supports is False else "#afb8c1" for b in bars]
        widths = [b.value if b.value is not None and math.isfinite(b.value) else 0.0 for b in bars]
        positions = np.arange(len(bars))
        ax.barh(positions, widths, color=colours)
        ax.set_yticks(positions, [b.label for b in bars], fontsize="small")
        ax.invert_yaxis()
        if threshold is not None:
            ax.axvline(
                threshold, color="black", linestyle="--", linewidth=1.0, label=f"threshold {threshold:g}"
            )
            ax.legend(loc="best", fontsize="small")
        finite_widths = [abs(w) for w in widths]
        if finite_widths and max(finite_widths) > 1000:
            ax.set_xscale("symlog", linthresh=10)
        ax.set_xlabel(xlabel)
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle(title, fontsize="medium")
    return render(fig, name, title, svg)


def distribution_figure(values: pd.DataFrame, name: str, title: str, svg: bool = True) -> RenderedFigure:
    """Each metric's per-run values by configuration: a box over the repetitions and every run as a
    point, so the spread behind a median is seen. ``values`` has columns ``metric`` (its title),
    ``configuration`` (the number the comparison table gives it) and ``value``."""
    metrics = list(dict.fromkeys(values["metric"]))
    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    count = values["configuration"].nunique()
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(WIDTH_IN, rows * (0.9 + 0.25 * count)),
        layout="constrained",
        squeeze=False,
    )
    for ax, metric in zip(axes.flat, metrics, strict=False):
        data = values[values["metric"] == metric]
        order = sorted(data["configuration"].unique(), key=int)
        with warnings.catch_warnings():
            # seaborn 0.13 still passes matplotlib's deprecated `vert` to boxplot; the figure is the same.
            warnings.simplefilter("ignore", MatplotlibDeprecationWarning)
            sns.boxplot(
                data=data, x="value", y="configuration", order=order, ax=ax, color="#d0d7de", fliersize=0
            )
        sns.stripplot(data=data, x="value", y="configuration", order=order, ax=ax, color="#0969da", size=4)
        ax.set_title(metric, fontsize="small")
        ax.set_xlabel("")
        ax.set_ylabel("configuration")
        ax.grid(True, axis="x", alpha=0.3)
    for ax in list(axes.flat)[len(metrics) :]:
        ax.set_visible(False)
    fig.suptitle(title, fontsize="medium")
    return render(fig, name, title, svg)
