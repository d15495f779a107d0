"""Figures for the HTML report, rendered to PNG bytes so the report stays a single offline file."""

from __future__ import annotations

import base64
import io

import matplotlib

# The report is built on headless machines (CI, cluster edge nodes): never try to open a display.
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

MIB = 1024 * 1024
DPI = 100
# Past this many executors a per-executor legend covers the plot and says little.
MAX_EXECUTOR_LEGEND = 10

_THOUSANDS = FuncFormatter(lambda value, _pos: f"{value:,.0f}")


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _render(fig: Figure) -> bytes:
    try:
        buffer = io.BytesIO()
        # No Software metadata: the report promises to reference nothing outside itself.
        fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(fig)


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _bar_width_s(times_s: np.ndarray, batch_interval_ms: float | None) -> float:
    if batch_interval_ms and batch_interval_ms > 0:
        return batch_interval_ms / 1000.0
    gaps = np.diff(times_s)
    gaps = gaps[gaps > 0]
    return float(np.median(gaps)) if gaps.size else 1.0


def _plot_input(
    ax: Axes, times_s: np.ndarray, records: np.ndarray, width_s: float, target_per_batch: float | None
) -> None:
    # One extra edge so the last batch gets a visible step instead of a zero-width sliver.
    edges = np.append(times_s, times_s[-1] + width_s)
    heights = np.append(records, records[-1])
    ax.fill_between(edges, heights, step="post", alpha=0.35, color="tab:blue", linewidth=0)
    ax.step(edges, heights, where="post", color="tab:blue", linewidth=1.0, label="input records")
    if target_per_batch is not None:
        ax.axhline(target_per_batch, color="tab:red", linestyle="--", linewidth=1.2, label="target per batch")
    _finish_axes(ax, "records per batch")


def _finish_axes(ax: Axes, ylabel: str) -> None:
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.legend(loc="upper left", fontsize="small")
    ax.grid(True, alpha=0.3)


def _plot_delays(
    ax: Axes, times_s: np.ndarray, scheduling: np.ndarray, total: np.ndarray, batch_interval_ms: float | None
) -> None:
    marker = "." if times_s.size <= 200 else None
    ax.plot(times_s, scheduling, color="tab:orange", linewidth=1.2, marker=marker, label="scheduling delay")
    ax.plot(times_s, total, color="tab:purple", linewidth=1.2, marker=marker, label="total delay")
    if batch_interval_ms is not None:
        ax.axhline(batch_interval_ms, color="tab:gray", linestyle="--", linewidth=1.2, label="batch interval")
    ax.set_xlabel("seconds since first batch")
    _finish_axes(ax, "delay (ms)")


def batch_figure(
    batches: pd.DataFrame, *, target_per_batch: float | None, batch_interval_ms: float | None
) -> bytes | None:
    """Input records (top) and delays (bottom) per batch; None when no batch has a usable time."""
    times_ms = _numeric(batches, "batch_time_ms")
    frame = (
        pd.DataFrame(
            {
                "time_ms": times_ms,
                "records": _numeric(batches, "input_records"),
                "scheduling": _numeric(batches, "scheduling_delay_ms"),
                "total": _numeric(batches, "total_delay_ms"),
            }
        )
        .dropna(subset=["time_ms"])
        .sort_values("time_ms", kind="stable")
    )
    if frame.empty:
        return None

    times_s = ((frame["time_ms"] - frame["time_ms"].iloc[0]) / 1000.0).to_numpy()
    fig, (top, bottom) = plt.subplots(
        2,
        1,
        figsize=(10, 6),
        sharex=True,
        gridspec_kw={"height_ratios": [1, 1.3]},
        layout="constrained",
    )
    _plot_input(
        top, times_s, frame["records"].to_numpy(), _bar_width_s(times_s, batch_interval_ms), target_per_batch
    )
    _plot_delays(
        bottom, times_s, frame["scheduling"].to_numpy(), frame["total"].to_numpy(), batch_interval_ms
    )
    return _render(fig)


def _executor_legend(ax: Axes, executor_ids: list[str]) -> None:
    style_handles = [
        Line2D([], [], color="black", linestyle="-", label="memory used"),
        Line2D([], [], color="black", linestyle="--", label="peak JVM heap"),
    ]
    handles, labels = ax.get_legend_handles_labels()
    if len(executor_ids) > MAX_EXECUTOR_LEGEND:
        handles, labels = [], []
    ax.legend(
        handles=style_handles + handles,
        labels=[h.get_label() for h in style_handles] + labels,
        loc="upper left",
        fontsize="small",
        ncol=2,
    )


def executor_memory_figure(executors: pd.DataFrame, *, origin_ms: float | None = None) -> bytes | None:
    """Memory used and peak JVM heap per executor over time (MiB); None when there is nothing to draw.

    origin_ms is the first batch's time, so this figure's x axis lines up with the batch figure;
    without it the first sample is the origin.
    """
    frame = (
        pd.DataFrame(
            {
                "time_ms": _numeric(executors, "sample_time_ms"),
                "executor": executors["executor_id"].astype(str)
                if "executor_id" in executors.columns
                else "?",
                "used": _numeric(executors, "memory_used_bytes") / MIB,
                "heap": _numeric(executors, "peak_jvm_heap_bytes") / MIB,
            }
        )
        .dropna(subset=["time_ms"])
        .sort_values("time_ms", kind="stable")
    )
    if frame.empty or frame[["used", "heap"]].isna().all().all():
        return None

    origin = origin_ms if origin_ms is not None else frame["time_ms"].iloc[0]
    frame["t_s"] = (frame["time_ms"] - origin) / 1000.0
    fig, ax = plt.subplots(figsize=(10, 3.8), layout="constrained")
    executor_ids = sorted(frame["executor"].unique())
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for index, executor_id in enumerate(executor_ids):
        rows = frame[frame["executor"] == executor_id]
        colour = colours[index % len(colours)]
        label = "driver" if executor_id == "driver" else f"executor {executor_id}"
        ax.plot(rows["t_s"], rows["used"], color=colour, linewidth=1.2, label=label)
        if rows["heap"].notna().any():
            ax.plot(rows["t_s"], rows["heap"], color=colour, linewidth=1.0, linestyle="--")
    ax.set_xlabel("seconds since first batch" if origin_ms is not None else "seconds since first sample")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(_THOUSANDS)
    ax.grid(True, alpha=0.3)
    _executor_legend(ax, executor_ids)
    return _render(fig)
