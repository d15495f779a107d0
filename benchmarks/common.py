"""What the benchmarks that drive ``bpbench`` share: running it, and naming the machine measured."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def bpbench(*args: str) -> None:
    """``bpbench ARGS`` from the repository's root, echoed; exits naming the command when it fails."""
    command = [sys.executable, "-m", "harness.cli", *args]
    print("$ bpbench " + " ".join(args), flush=True)
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(f"bpbench {args[0]} failed with status {result.returncode}")


def machine() -> str:
    """CPUs, memory and Python of this machine, as the results files say them."""
    return (
        f"{os.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.1f} GiB; "
        f"Python {platform.python_version()}"
    )
