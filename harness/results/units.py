"""Sizes as the results carry them: JVM memory settings (``512m``, ``8g``) read back into bytes.

The manifest validates them on the way in; the report reads them out of ``spec.json``; both parse
them here.
"""

from __future__ import annotations

import re
from typing import Any

JVM_MEMORY = re.compile(r"^([1-9][0-9]*)([kmgt])$", re.IGNORECASE)
_SHIFT = {"k": 10, "m": 20, "g": 30, "t": 40}


def jvm_memory_bytes(value: Any) -> int | None:
    """A JVM memory size (``512m``, ``2g``) in bytes; None when it is not one."""
    match = JVM_MEMORY.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    return int(match.group(1)) << _SHIFT[match.group(2).lower()]
