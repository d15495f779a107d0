"""The Spark applications under test (PySpark DStream apps, and JVM ports in apps/jvm) and what they share.

``BUILTIN_APPS`` is the one registry of the apps that ship: the manifest's choices, its reference and
the submission all read it. Adding an app is its script in this folder plus one line below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WindowKind = Literal["count", "time"]


@dataclass(frozen=True)
class BuiltinApp:
    """An app that ships: how a manifest names it and how spark-submit starts it."""

    name: str  # as a manifest says it (workload.app)
    script: str  # the PySpark script spark-submit runs, in this folder
    jvm_class: str | None = None  # main class of its Java port in the helper jar (impl: jvm)
    structured: bool = False  # also runs on Structured Streaming (workload.source: structured), in PySpark
    window: WindowKind | None = None  # a window app: count windows in tuples, time windows in seconds
    stateful: bool = False  # keeps state across batches

    @property
    def summary(self) -> str:
        """What the app is, in a few words (the manifest reference lists it)."""
        kinds = ["stateful" if self.stateful else "stateless"]
        if self.window:
            kinds.append(f"{self.window} window")
        if self.jvm_class:
            kinds.append("jvm")
        if self.structured:
            kinds.append("structured")
        return f"{self.name} ({', '.join(kinds)})"


_JVM = "bpbench.jvm.apps"  # the Java ports' package in the helper jar

BUILTIN_APPS: dict[str, BuiltinApp] = {
    app.name: app
    for app in (
        # The original artifact's four (apps/stateless_sum.py, apps/paper_apps.py); Java ports in apps/jvm.
        BuiltinApp("stateless_sum", "stateless_sum.py", f"{_JVM}.StatelessSum", structured=True),
        BuiltinApp("sum", "sum.py", f"{_JVM}.Sum", structured=True, stateful=True),
        BuiltinApp("global_sum", "global_sum.py", f"{_JVM}.GlobalSum", structured=True, stateful=True),
        BuiltinApp(
            "global_histogram",
            "global_histogram.py",
            f"{_JVM}.GlobalHistogram",
            structured=True,
            stateful=True,
        ),
        # GOVERNOR's window operators (apps/window_apps.py); Java ports in apps/jvm.
        BuiltinApp(
            "count_sliding_window",
            "count_sliding_window.py",
            f"{_JVM}.CountSlidingWindow",
            window="count",
            stateful=True,
        ),
        BuiltinApp(
            "count_tumbling_window",
            "count_tumbling_window.py",
            f"{_JVM}.CountTumblingWindow",
            window="count",
            stateful=True,
        ),
        BuiltinApp(
            "time_sliding_window",
            "time_sliding_window.py",
            f"{_JVM}.TimeSlidingWindow",
            window="time",
            stateful=True,
        ),
        BuiltinApp(
            "time_sliding_topk",
            "time_sliding_topk.py",
            f"{_JVM}.TimeSlidingTopK",
            window="time",
            stateful=True,
        ),
    )
}


def apps_where(**traits: object) -> list[str]:
    """The names of the built-in apps with every given trait, such as ``apps_where(structured=True)``;
    a trait given as True matches any value that is set (``window=True``: every window app)."""

    def matches(app: BuiltinApp, trait: str, wanted: object) -> bool:
        value = getattr(app, trait)
        return value is not None and value is not False if wanted is True else value == wanted

    return [app.name for app in BUILTIN_APPS.values() if all(matches(app, k, v) for k, v in traits.items())]


# Storage levels a receiver's blocks may take (config.receiver_storage_level); the original's is MEMORY_ONLY.
RECEIVER_STORAGE_LEVELS = (
    "MEMORY_ONLY",
    "MEMORY_ONLY_SER",
    "MEMORY_AND_DISK",
    "MEMORY_AND_DISK_SER",
    "DISK_ONLY",
)
