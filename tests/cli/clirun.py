"""Run the CLI as a user would: ``python -m narrascope ARGS`` in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "narrascope", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=full_env)
