"""The manifest reference (docs/manifest.md), generated from the schema so the two never disagree.

``python -m harness.spec.reference`` prints it; ``make docs`` writes it; a unit test fails when the
committed file is stale.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from generators import profiles
from harness.platform import BACKENDS
from harness.spec.manifest import CONTROLLERS, Manifest, RateSearch

SEARCH_NOTE = (
    "It needs the `constant` profile, whose `rate` it sets (so the matrix may not vary the rate). A rate "
    "is sustainable when every repetition of a run at it ends `stable`; the answer is the highest rate "
    "probed sustainable. Each probe is an ordinary run; `search.json` in the experiment folder lists "
    "every cell's probes and answer, and a rerun resumes from the probes that completed."
)

HEADER = """# Manifest reference

Generated from the schema by `make docs` (`python -m harness.spec.reference`); do not edit by hand.
A manifest is YAML. Unknown keys are errors. Besides the fields below, a manifest may have
`matrix:` (dotted field paths to lists of values: the runs are their cartesian product) and
`repetitions:` (how many times each cell runs, default 1), and `search:` (below).
"""


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(
            f"`{value}`" if value is not None else "null" for value in typing.get_args(annotation)
        )
    if origin in (typing.Union, types.UnionType) and all(
        isinstance(arg, type) and issubclass(arg, profiles.RateProfile) for arg in typing.get_args(annotation)
    ):
        return "profile (below)"
    if origin in (typing.Union, types.UnionType) and set(typing.get_args(annotation)) == set(CONTROLLERS):
        return "controller (below)"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(
            _type_name(arg) if arg is not type(None) else "null" for arg in typing.get_args(annotation)
        )
    if origin in (list, tuple):
        return f"list of {_type_name(typing.get_args(annotation)[0])}"
    if origin is dict:
        return "mapping"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "section"
    return getattr(annotation, "__name__", str(annotation))


def _backend_choices() -> tuple[str, str]:
    """``platform.backend``'s type and meaning, from the registry of backends."""
    return (
        " \\| ".join(f"`{name}`" for name in BACKENDS),
        "; ".join(f"{name}: {backend.summary}" for name, backend in BACKENDS.items()),
    )


def _constraint(metadata: Any) -> str:
    for attribute, symbol in (("gt", ">"), ("ge", ">="), ("lt", "<"), ("le", "<=")):
        if getattr(metadata, attribute, None) is not None:
            return f"{symbol} {getattr(metadata, attribute)}"
    return ""


def _default(field: Any) -> str:
    if field.is_required():
        return "required"
    value = field.default if field.default is not PydanticUndefined else field.default_factory()
    if isinstance(value, BaseModel):
        return ""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return "null" if value is None else f"`{value}`"


def _nested(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The section a field holds, optional or as a list (``[]`` in its fields' paths), if any."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # a tagged choice (workload.app: a name or a section)
        return _nested(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        sections = [_nested(arg) for arg in typing.get_args(annotation) if arg is not type(None)]
        found = [section for section in sections if section]
        return found[0] if len(found) == 1 and len(sections) <= 2 else None
    if origin is list:
        inner = _nested(typing.get_args(annotation)[0])
        return (inner[0], "[]" + inner[1]) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, ""
    return None


def _rows(model: type[BaseModel], prefix: str) -> list[str]:
    rows = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{field.alias or name}"
        annotation = field.annotation
        constraints = [_constraint(m) for m in field.metadata if _constraint(m)]
        note = field.description or ""
        if constraints:
            note = f"{note} ({', '.join(constraints)})".strip()
        kind = _type_name(annotation)
        if isinstance(field.json_schema_extra, dict) and field.json_schema_extra.get("choices") == "backends":
            kind, note = _backend_choices()
        default = "`{kind: spark}`" if kind == "controller (below)" else _default(field)
        rows.append(f"| `{path}` | {kind} | {default} | {note} |")
        nested = _nested(annotation)
        if nested and not issubclass(nested[0], profiles.RateProfile):
            rows.extend(_rows(nested[0], f"{path}{nested[1]}."))
    return rows


def _table(rows: list[str]) -> str:
    return "\n".join(["| field | type | default | meaning |", "| --- | --- | --- | --- |", *rows])


def reference() -> str:
    parts = [HEADER, "## Fields\n", _table(_rows(Manifest, "")), ""]
    parts.append("## Sustainable-rate search (`search:`)\n")
    parts.append(" ".join((RateSearch.__doc__ or "").split()).replace("``", "`") + " " + SEARCH_NOTE + "\n")
    parts.extend([_table(_rows(RateSearch, "search.")), ""])
    parts.append("## Pressure profiles (`workload.generator`)\n")
    parts.append(
        "Chosen by `profile:`; rates in records per second, times in seconds from the start of the load.\n"
    )
    for model in typing.get_args(typing.get_args(profiles.Profile)[0]):
        name = model.model_fields["profile"].default
        parts.append(f"### `{name}`\n")
        summary = (model.__doc__ or "").strip().split("\n\n")[0]
        if summary:
            parts.append(" ".join(summary.split()).replace("``", "`") + "\n")
        rows = [row for row in _rows(model, "") if not row.startswith("| `profile`")]
        parts.extend([_table(rows), ""])
    parts.append("## Rate controllers (`config.backpressure.controller`)\n")
    parts.append(
        "Chosen by `kind:`; every kind but `spark` is plugged into the Kafka sources by the JVM helper "
        "and records its decisions in `controller.parquet` (see docs/controllers.md).\n"
    )
    for model in CONTROLLERS:
        name = typing.get_args(model.model_fields["kind"].annotation)[0]
        parts.append(f"### `{name}`\n")
        parts.append(" ".join((model.__doc__ or "").split()).replace("``", "`") + "\n")
        rows = [row for row in _rows(model, "") if not row.startswith("| `kind`")]
        if rows:
            parts.extend([_table(rows), ""])
    return "\n".join(parts)


if __name__ == "__main__":
    print(reference(), end="")
