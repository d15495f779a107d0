"""The user's own rate controller in Python (``config.backpressure.controller: {kind: python}``).

A controller is a class made as ``Class(batch_interval_ms, **params)`` with the method
``compute(time_ms, num_elements, processing_delay_ms, scheduling_delay_ms) -> rate or None``, the
signature of Spark's estimators (``harness.control.pid.PIDRateEstimator`` has it). It runs on the
PySpark driver: the JVM helper's plugged controller calls it after each completed batch through
Py4J's callback server, which PySpark's StreamingContext already runs for DStream functions.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def load_class(reference: str, search: Iterable[Path] = ()) -> tuple[type, Path]:
    """The class ``package.module:ClassName`` names, importing the module with the ``search`` folders
    first on the import path; and the folder its top-level package was imported from. Raises
    ValueError saying what is wrong."""
    module_name, _, class_name = reference.partition(":")
    if not module_name or not class_name:
        raise ValueError(f"{reference!r}: write it as package.module:ClassName")
    added = [str(folder) for folder in search if str(folder) not in sys.path]
    sys.path[:0] = added
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - whatever the user's module raises is the answer
        raise ValueError(
            f"{reference!r}: module {module_name} does not import ({exc.__class__.__name__}: {exc})"
        ) from None
    finally:
        for folder in added:
            sys.path.remove(folder)
    cls = getattr(module, class_name, None)
    if not isinstance(cls, type):
        raise ValueError(f"{reference!r}: module {module_name} has no class {class_name}")
    if not callable(getattr(cls, "compute", None)):
        raise ValueError(
            f"{reference!r}: {class_name} has no method compute(time_ms, num_elements, processing_delay_ms, "
            "scheduling_delay_ms)"
        )
    file = Path(module.__file__ or "").resolve()
    # The folder the top-level package sits in: the file's, up one level per dot (a package's
    # __init__.py one more).
    depth = module_name.count(".") + (file.name == "__init__.py")
    root = file.parents[depth]
    return cls, root


def make_controller(cls: type, batch_interval_ms: int, params: dict[str, Any]) -> Any:
    """An instance, or ValueError saying why the parameters do not fit."""
    try:
        return cls(batch_interval_ms, **params)
    except Exception as exc:  # noqa: BLE001 - the user's constructor decides what it refuses
        raise ValueError(
            f"{cls.__name__}({batch_interval_ms}, **params) failed: {exc.__class__.__name__}: {exc}"
        ) from None


def checked_rate(rate: object) -> float | None:
    """A controller's answer as the JVM takes it: None (keep the limit) or a number."""
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise TypeError(f"compute returned {rate!r}, not a number or None")
    return float(rate)


class Decider:
    """What the JVM calls (as a ``java.util.function.Function``, a JDK interface Py4J can always load):
    ``apply("stream,batch_time,end_time,elements,processing,scheduling")`` -> rate or None. Each input
    stream gets its own controller instance, as each receiver stream gets its own PID in Spark."""

    def __init__(self, cls: type, batch_interval_ms: int, params: dict[str, Any]) -> None:
        self._cls = cls
        self._interval = batch_interval_ms
        self._params = params
        self._controllers: dict[int, Any] = {}

    def apply(self, line: str) -> float | None:
        stream, _batch_time, end, elements, processing, scheduling = (int(part) for part in line.split(","))
        if stream not in self._controllers:
            self._controllers[stream] = make_controller(self._cls, self._interval, self._params)
        return checked_rate(self._controllers[stream].compute(end, elements, processing, scheduling))

    class Java:
        implements = ["java.util.function.Function"]


def decider(setting: dict[str, Any], batch_interval_ms: int) -> Decider:
    """The bridge for the resolved setting the harness hands the app (``class``, ``params``, ``path``)."""
    cls, _ = load_class(setting["class"], [Path(setting["path"])])
    return Decider(cls, batch_interval_ms, setting.get("params") or {})
