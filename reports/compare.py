"""Two result sets side by side, the way Rally's ``compare`` shows two races: metric, baseline,
contender, diff and diff %.

Each side is a run directory, an experiment directory or a results root. A side with several complete
runs is summarised by the median of each metric over them (the ``Runs`` row says how many). The same
rows render as a small HTML page (``compare``) or as a plain-text table (``compare_text``).
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from harness.results.outcomes import OUTCOMES
from harness.results.store import find_run_dirs
from reports.builder import outcome_text, render, write_page
from reports.metrics import Metric, diff_percent, fmt_number, fmt_percent, metrics_for
from reports.runs import MISSING, Run, SkippedRun, load_run, pressure_text
from reports.stats import finite

TEMPLATE = "compare.html.j2"


@dataclass(frozen=True)
class Side:
    path: Path
    runs: list[Run]
    skipped: list[SkippedRun]

    @property
    def pressure(self) -> str:
        """The runs' pressure levels (``in-flight budget 20 GiB``, or input per task memory for runs
        without a budget), each with its run count when they differ."""
        counts = Counter(pressure_text(run) or MISSING for run in self.runs)
        if len(counts) <= 1:
            return next(iter(counts), MISSING)
        return "; ".join(f"{text} ({count} runs)" for text, count in counts.most_common())

    @property
    def controllers(self) -> str:
        """The runs' rate controllers (``config.backpressure.controller``'s kind; ``spark`` for runs
        from before the setting), so two controllers' runs are told apart."""
        kinds = sorted({_controller_kind(run) for run in self.runs})
        return ", ".join(kinds) or MISSING

    @property
    def plugged(self) -> bool:
        """Some run had a controller plugged in place of Spark's built-in backpressure."""
        return any(_controller_kind(run) != "spark" for run in self.runs)

    def description(self, controllers: bool = False) -> str:
        text = f"{self.path} ({len(self.runs)} run{'' if len(self.runs) == 1 else 's'}"
        if self.skipped:
            text += f", {len(self.skipped)} incomplete left out"
        text += f"), pressure level: {self.pressure}"
        return text + f", rate controller: {self.controllers}" if controllers else text


def _descriptions(baseline: Side, contender: Side) -> tuple[str, str]:
    """Both sides' descriptions; with their rate controllers when either side plugged one in."""
    controllers = baseline.plugged or contender.plugged
    return baseline.description(controllers), contender.description(controllers)


def _controller_kind(run: Run) -> str:
    backpressure = run.manifest.get("config", {}).get("backpressure", {})
    controller = backpressure.get("controller") if isinstance(backpressure, dict) else None
    return str(controller.get("kind")) if isinstance(controller, dict) else "spark"


@dataclass(frozen=True)
class CompareRow:
    metric: str
    unit: str
    baseline: str
    contender: str
    diff: str
    diff_percent: str
    # "better" or "worse" for metrics with a better direction, else "".
    direction: str = ""


def load_side(path: Path) -> Side:
    """The complete runs at ``path``; UsageError when it does not exist or holds no run."""
    runs: list[Run] = []
    skipped: list[SkippedRun] = []
    for run_dir in find_run_dirs([Path(path)]):
        loaded = load_run(run_dir)
        (skipped if isinstance(loaded, SkippedRun) else runs).append(loaded)
    return Side(Path(path), runs, skipped)


def _median(side: Side, metric: Metric) -> float | None:
    values = finite(metric.value(run.summary) for run in side.runs)
    return statistics.median(values) if values else None


def _signed(value: float | None, decimals: int) -> str:
    if value is None:
        return MISSING
    return fmt_number(0, decimals) if value == 0 else f"{value:+,.{decimals}f}"


def _direction(metric: Metric, diff: float | None) -> str:
    if metric.better is None or not diff:
        return ""
    return "better" if (diff > 0) == (metric.better == "higher") else "worse"


def _row(
    metric: str,
    unit: str,
    baseline: float | None,
    contender: float | None,
    decimals: int,
    better: Metric | None = None,
) -> CompareRow:
    diff = None if baseline is None or contender is None else contender - baseline
    return CompareRow(
        metric=metric,
        unit=unit,
        baseline=fmt_number(baseline, decimals),
        contender=fmt_number(contender, decimals),
        diff=_signed(diff, decimals),
        diff_percent=fmt_percent(diff_percent(baseline, contender)),
        direction=_direction(better, diff) if better else "",
    )


def compare_rows(baseline: Side, contender: Side) -> list[CompareRow]:
    """Runs, every metric's median, then the count of runs per outcome (those that occur on a side)."""
    rows = [_row("Runs", "", len(baseline.runs), len(contender.runs), 0)]
    for metric in metrics_for(run.summary for run in [*baseline.runs, *contender.runs]):
        rows.append(
            _row(
                metric.label,
                metric.unit,
                _median(baseline, metric),
                _median(contender, metric),
                metric.decimals,
                metric,
            )
        )
    base_outcomes = Counter(outcome_text(run.summary) for run in baseline.runs)
    contender_outcomes = Counter(outcome_text(run.summary) for run in contender.runs)
    order = [o for o in OUTCOMES if o in base_outcomes or o in contender_outcomes]
    order += sorted((set(base_outcomes) | set(contender_outcomes)) - set(order))
    for outcome in order:
        rows.append(
            _row(f"Outcome {outcome}", "runs", base_outcomes[outcome], contender_outcomes[outcome], 0)
        )
    return rows


COLUMNS = ("Metric", "Unit", "Baseline", "Contender", "Diff", "Diff %")


def format_table(rows: list[CompareRow]) -> str:
    """A pipe table (Markdown-compatible): the metric and unit left-aligned, numbers right-aligned."""
    cells = [[r.metric, r.unit, r.baseline, r.contender, r.diff, r.diff_percent] for r in rows]
    widths = [max(len(COLUMNS[i]), *(len(row[i]) for row in cells)) for i in range(len(COLUMNS))]

    def line(values: list[str] | tuple[str, ...]) -> str:
        padded = [
            v.ljust(w) if i < 2 else v.rjust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(("-" * (w + 1) + ":") if i >= 2 else ":" + "-" * (w + 1) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(COLUMNS), rule, *(line(row) for row in cells)])


def compare_text(baseline: Path, contender: Path) -> str:
    """The comparison as plain text, for a terminal."""
    base_side, contender_side = load_side(baseline), load_side(contender)
    base_text, contender_text = _descriptions(base_side, contender_side)
    header = [
        f"Baseline:  {base_text}",
        f"Contender: {contender_text}",
        "Values are medians over each side's complete runs; diff = contender - baseline.",
        "",
    ]
    return "\n".join(header) + format_table(compare_rows(base_side, contender_side)) + "\n"


def compare(baseline: Path, contender: Path, output: Path) -> Path:
    """Writes the comparison as one self-contained HTML file at ``output`` (atomically); returns it."""
    base_side, contender_side = load_side(baseline), load_side(contender)
    base_text, contender_text = _descriptions(base_side, contender_side)
    html = render(
        TEMPLATE,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        baseline=base_text,
        contender=contender_text,
        columns=COLUMNS,
        rows=compare_rows(base_side, contender_side),
    )
    output = Path(output)
    write_page(output, html)
    return output
