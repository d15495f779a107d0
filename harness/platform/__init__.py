"""The backends, by name: the one registry ``make_backend``, the manifest's ``platform.backend``, the
manifest reference and ``bpbench run --backend`` read. A new backend is a module with a class of the
``BackendClass`` protocol (``harness/platform/base.py``) and one line in ``BACKENDS``.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import UsageError
from harness.platform.base import Backend, BackendClass
from harness.platform.compose import ComposeBackend
from harness.platform.external import ExternalBackend
from harness.platform.local import LocalBackend
from harness.run.supervisor import ProcessSupervisor
from harness.spec.manifest import Platform

BACKENDS: dict[str, BackendClass] = {
    backend.name: backend for backend in (LocalBackend, ComposeBackend, ExternalBackend)
}


def backend_class(name: str) -> BackendClass:
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
    return BACKENDS[name]


def make_backend(workdir: Path, platform: Platform, supervisor: ProcessSupervisor) -> Backend:
    return backend_class(platform.backend).create(workdir, platform, supervisor)


def platform_problems(platform: Platform) -> list[str]:
    """What stops a platform before anything starts: too little machine, no Docker, an unreachable
    cluster. Each problem is one line that says how to fix it."""
    return backend_class(platform.backend).problems(platform)
