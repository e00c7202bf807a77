"""Run the `lakegate` command line as a separate process, as a user would; or in this
process, on the tests' Spark session, where no process boundary is under test (a
cold Spark process costs half a minute)."""

from __future__ import annotations

import contextlib
import io
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


def lakegate_here(*args: str) -> tuple[int, str]:
    """`lakegate ARGS` in this process: its exit code and what it printed. Ask for the
    `spark` fixture first, so that the command finds the tests' session."""
    from lakegate_cli.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    return code, out.getvalue()
