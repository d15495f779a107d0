"""``faults:``: what goes wrong during a run, on a schedule, and what each backend lets the harness do.

A fault happens ``at_s`` seconds after the load starts. Those with a ``duration_s`` (a paused broker,
a stalled driver, a CPU hog) end that much later; the kills are instantaneous; a restarted broker
stays down ``duration_s`` (default 0) before it starts again. Every fault starts and ends within
the load, so the drain that follows measures what it left behind.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FaultAction = Literal[
    "kill_executor",
    "kill_receiver_executor",
    "pause_broker",
    "restart_broker",
    "stall_driver",
    "cpu_hog",
]
# Faults that last: they need a duration. restart_broker takes one (the time the broker stays down).
LASTING = frozenset({"pause_broker", "stall_driver", "cpu_hog"})
INSTANT = frozenset({"kill_executor", "kill_receiver_executor"})
# What each fault acts on: two faults on one target may not overlap.
TARGETS = {
    "kill_executor": "executor",
    "kill_receiver_executor": "executor",
    "pause_broker": "broker",
    "restart_broker": "broker",
    "stall_driver": "driver",
    "cpu_hog": "cpu",
}
# What the harness can do to each backend's processes. An external cluster's are not the harness's
# to touch; only load on this machine is.
BACKEND_ACTIONS: dict[str, frozenset[str]] = {
    "local": frozenset(TARGETS),
    "compose": frozenset(TARGETS),
    "external": frozenset({"cpu_hog"}),
}
# Killing an executor needs executors apart from the driver.
NEEDS_EXECUTORS = frozenset({"kill_executor", "kill_receiver_executor"})


class Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    at_s: Annotated[float, Field(ge=0)] = Field(description="seconds after the load starts")
    action: FaultAction = Field(
        description="kill_executor (SIGKILL), kill_receiver_executor (the executor hosting a receiver), "
        "pause_broker (for duration_s), restart_broker (down for duration_s, default 0), stall_driver "
        "(SIGSTOP for duration_s), cpu_hog (busy processes on `cores` cores for duration_s)"
    )
    duration_s: Annotated[float, Field(gt=0)] | None = Field(
        None, description="how long the fault lasts (pause_broker, stall_driver, cpu_hog, restart_broker)"
    )
    target: str | None = Field(
        None, description="kill_executor: the executor id (default: the lowest-numbered one alive)"
    )
    cores: Annotated[int, Field(gt=0)] = Field(1, description="cpu_hog: busy processes, one per core")

    @model_validator(mode="after")
    def _fields_of_the_action(self) -> Fault:
        if self.action in LASTING and self.duration_s is None:
            raise ValueError(f"duration_s: {self.action} lasts; give its duration in seconds")
        if self.action in INSTANT and self.duration_s is not None:
            raise ValueError(f"duration_s: {self.action} is instantaneous; leave duration_s out")
        if self.target is not None and self.action != "kill_executor":
            raise ValueError(f"target: only kill_executor takes one, not {self.action}")
        if self.cores != 1 and self.action != "cpu_hog":
            raise ValueError(f"cores: only cpu_hog takes it, not {self.action}")
        return self

    @property
    def target_key(self) -> tuple[str, str | None]:
        return TARGETS[self.action], self.target

    @property
    def end_s(self) -> float:
        return self.at_s + (self.duration_s or 0.0)


def schedule_problems(
    faults: list[Fault], load_s: float, backend: str, topology: str, source: str
) -> list[str]:
    """What makes a fault schedule impossible on this platform and load, each naming its field."""
    problems = []
    for i, fault in enumerate(faults):
        field = f"faults.{i}"
        if fault.end_s >= load_s:
            problems.append(
                f"{field}: {fault.action} at {fault.at_s:g} s ends at {fault.end_s:g} s, not within the load "
                f"(workload.duration_s {load_s:g})"
            )
        possible = BACKEND_ACTIONS[backend]
        if fault.action not in possible:
            problems.append(
                f"{field}.action: {fault.action} is not possible on the {backend} backend (the harness does "
                f"not touch an external cluster's processes); possible: {', '.join(sorted(possible))}"
            )
        elif fault.action in NEEDS_EXECUTORS and backend == "local" and topology == "local":
            problems.append(
                f"{field}.action: {fault.action} needs executors apart from the driver "
                "(platform.spark.topology: standalone); in local[N] the driver is the executor"
            )
        if fault.action == "kill_receiver_executor" and source != "receiver":
            problems.append(f"{field}.action: kill_receiver_executor needs workload.source: receiver")
    for i, first in enumerate(faults):
        for j in range(i + 1, len(faults)):
            second = faults[j]
            if (
                first.target_key == second.target_key
                and first.at_s <= second.end_s
                and second.at_s <= first.end_s
            ):
                problems.append(
                    f"faults.{j}: {second.action} at {second.at_s:g} s overlaps faults.{i} ({first.action} "
                    f"from {first.at_s:g} s to {first.end_s:g} s) on the same {TARGETS[first.action]}"
                )
    return problems
