"""``bpbench tune``: controller settings swept on the simulator against an objective, and a manifest
that runs the best and the default on real Spark to confirm them.

The grid is a matrix over manifest fields (``config.backpressure.pid.proportional=0.5,1,2``): every
combination is simulated for every run of the manifest and scored by the median over those runs.
"""

from __future__ import annotations

import copy
import json
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.errors import UsageError
from harness.results.store import write_text
from harness.sim.calibration import calibrate
from harness.sim.simulate import calibrate_check, load_covered, run_simulation
from harness.spec.manifest import expand_data, read_manifest_data


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    """``FIELD=V1,V2,...`` items as a matrix; values are YAML scalars (``0.5``, ``true``, ``null``)."""
    grid: dict[str, list[Any]] = {}
    for item in items:
        field, sep, values = item.partition("=")
        field = field.strip()
        if not sep or not field or not values.strip():
            raise UsageError(
                f"--grid {item!r}: FIELD=V1,V2,... such as config.backpressure.pid.integral=0,0.2"
            )
        if field in grid:
            raise UsageError(f"--grid {field}: given twice")
        try:
            grid[field] = [yaml.safe_load(v) for v in values.split(",")]
        except yaml.YAMLError:
            raise UsageError(
                f"--grid {field}: values must be numbers or words, separated by commas"
            ) from None
    return grid


@dataclass(frozen=True)
class Score:
    settings: dict[str, Any]
    throughput_rps: float
    p95_total_delay_ms: float
    outcomes: tuple[str, ...]
    feasible: bool

    def key(self, objective: str) -> tuple[float, ...]:
        """Sort key, best first."""
        if objective == "delay":
            return (self.p95_total_delay_ms,)
        return (0.0 if self.feasible else 1.0, -self.throughput_rps, self.p95_total_delay_ms)


def _median(values: list[float | None]) -> float:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else float("nan")


def _common_section(fields: list[str]) -> str:
    """The deepest section every grid field is inside: the confirmation manifest varies it whole."""
    parts = [f.split(".")[:-1] for f in fields]
    common: list[str] = []
    for level in zip(*parts, strict=False):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    if not common:
        raise UsageError(
            f"--grid {', '.join(fields)}: the fields must be in one section (such as config) so the "
            "confirmation manifest can run the best and the default side by side"
        )
    return ".".join(common)


def _section(dump: dict[str, Any], path: str) -> Any:
    node: Any = dump
    for part in path.split("."):
        node = node[part]
    return node


def tune(
    manifest_path: Path,
    calibrate_dirs: list[Path],
    grid_items: list[str],
    objective: str = "throughput",
    top: int = 5,
    confirm: Path | None = None,
) -> list[str]:
    """Sweep, print the best ``top``, write the confirmation manifest; the lines to print."""
    grid = parse_grid(grid_items)
    base_specs = load_covered(manifest_path)
    data = read_manifest_data(manifest_path)
    matrix = dict(data.get("matrix") or {})
    section = _common_section(list(grid))
    clash = [k for k in matrix if k in grid or k.startswith(section + ".") or section.startswith(k + ".")]
    if clash:
        raise UsageError(
            f"{manifest_path}: matrix.{clash[0]} overlaps --grid ({section}); leave it out of one"
        )
    swept = copy.deepcopy(data)
    swept["matrix"] = {**matrix, **grid}
    specs = expand_data(swept, str(manifest_path), manifest_path.parent)
    calibration = calibrate(calibrate_dirs, base_specs[0].manifest.model_dump(mode="json"))
    for spec in specs:
        calibrate_check(spec, calibration)
    runs: dict[str, list[dict[str, Any]]] = {}
    settings: dict[str, dict[str, Any]] = {}
    for spec in specs:
        chosen = {k: spec.cell[k] for k in grid}
        key = json.dumps(chosen, sort_keys=True)
        settings[key] = chosen
        runs.setdefault(key, []).append(run_simulation(spec, calibration).summary)
    interval = base_specs[0].manifest.config.batch_interval_ms
    scores = []
    for key, summaries in runs.items():
        delays = [s["total_delay_ms"]["p95"] for s in summaries]
        scores.append(
            Score(
                settings=settings[key],
                throughput_rps=_median([s["throughput_rps"] for s in summaries]),
                p95_total_delay_ms=_median(delays),
                outcomes=tuple(sorted({s["outcome"] for s in summaries})),
                feasible=all(d is not None and d <= interval for d in delays),
            )
        )
    scores.sort(key=lambda s: s.key(objective))
    lines = [
        f"{len(scores)} settings x {len(base_specs)} runs simulated; objective: "
        + (
            f"highest throughput with p95 total delay <= {interval} ms"
            if objective == "throughput"
            else "lowest p95 total delay"
        )
    ]
    for rank, score in enumerate(scores[:top], start=1):
        shown = ", ".join(f"{k}={v}" for k, v in score.settings.items())
        lines.append(
            f"{rank}. {shown}: throughput {score.throughput_rps:,.0f} rec/s, p95 total delay "
            f"{score.p95_total_delay_ms:,.0f} ms, {'/'.join(score.outcomes)}"
            + ("" if score.feasible else " (delay over the interval)")
        )
    best = scores[0]
    best_dump = next(s for s in specs if {k: s.cell[k] for k in grid} == best.settings).manifest.model_dump(
        mode="json"
    )
    default_dump = base_specs[0].manifest.model_dump(mode="json")
    values = [_section(best_dump, section)]
    if _section(default_dump, section) != values[0]:
        values.append(_section(default_dump, section))
    confirmation = copy.deepcopy(data)
    confirmation["name"] = f"{data['name']}-confirm"
    confirmation["description"] = (
        f"Confirmation on real Spark of bpbench tune's best {section} (first) against the manifest's "
        f"(second) for {manifest_path.name}"
    )
    confirmation["matrix"] = {**matrix, section: values}
    target = confirm or manifest_path.with_name(f"{manifest_path.stem}-confirm.yaml")
    header = "".join(
        f"# simulated: {', '.join(f'{k}={v}' for k, v in s.settings.items())}: throughput "
        f"{s.throughput_rps:,.0f} rec/s, p95 total delay {s.p95_total_delay_ms:,.0f} ms\n"
        for s in scores[:top]
    )
    expand_data(copy.deepcopy(confirmation), str(target), manifest_path.parent)  # valid before it is written
    write_text(target, header + yaml.safe_dump(confirmation, sort_keys=False))
    lines.append(f"confirmation manifest (best and default on real Spark): {target}")
    return lines
