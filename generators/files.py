"""The generator processes' result files, written as the harness writes its own.

Each file is written to a ``.partial`` sibling and renamed into place, so a reader never sees half of
one. (Generators do not import the harness, which imports them; ``harness.results.store`` does the
same for the run directory.)
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    os.replace(partial, path)
