"""The sustainable-rate search: the highest constant input rate a configuration sustains.

A rate is sustainable when every repetition of a run at that rate ends ``stable`` (the app keeps
up: delay and lag do not grow, and it drains). Bisection between the manifest's ``low`` and
``high``: a sustainable rate raises the floor, an unsustainable one lowers the ceiling, until the
bracket is within ``precision`` of the ceiling or ``max_runs`` rates were probed. The answer is
the highest rate probed sustainable (none if no probe was): a measured rate, never an interpolated
one. Probes are ordinary runs with their own directories, so an interrupted search resumes from the
probes that completed (the same outcomes lead to the same next rate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.results.outcomes import Outcome
from harness.spec.manifest import RateSearch


@dataclass(frozen=True)
class Probe:
    rate_rps: float
    outcomes: tuple[str, ...]
    run_ids: tuple[str, ...]

    @property
    def sustainable(self) -> bool:
        return all(outcome == Outcome.STABLE for outcome in self.outcomes)


@dataclass
class SearchResult:
    cell: dict[str, Any]
    probes: list[Probe] = field(default_factory=list)

    @property
    def sustainable_rps(self) -> float | None:
        return max((p.rate_rps for p in self.probes if p.sustainable), default=None)

    def to_json(self) -> dict[str, Any]:
        return {
            "cell": self.cell,
            "sustainable_rps": self.sustainable_rps,
            "probes": [{**asdict(p), "sustainable": p.sustainable} for p in self.probes],
        }


def bisect(settings: RateSearch, probe: Callable[[float], Probe]) -> list[Probe]:
    """Probe rates by bisection; ``probe`` runs (or finds) the runs at a rate."""
    low, high = settings.low, settings.high
    probes: list[Probe] = []
    while len(probes) < settings.max_runs and (high - low) > settings.precision * high:
        rate = float(round((low + high) / 2))
        if not low < rate < high:  # no whole rate left between the two
            break
        result = probe(rate)
        probes.append(result)
        if result.sustainable:
            low = rate
        else:
            high = rate
    return probes
