"""Run the `lakegate` command line as a separate process, as a user would."""

from __future__ import annotations

import subprocess
import sys


def lakegate(*args: str, timeout: float = 600, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lakegate_cli.cli", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        **kwargs,
    )
