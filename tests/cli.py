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
    `spark` fixture first: the command runs on the tests' session as it is (the
    command's own session settings would otherwise be applied to it, and stay)."""
    from unittest import mock

    from pyspark.sql import SparkSession

    from lakegate_cli.cli import main

    def tests_session(*_args, **_kwargs) -> SparkSession:
        session = SparkSession.getActiveSession()
        assert session is not None, "ask for the spark fixture before lakegate_here"
        return session

    out = io.StringIO()
    with (
        mock.patch("glue_jobs.session.local_session", tests_session),
        contextlib.redirect_stdout(out),
    ):
        code = main(list(args))
    return code, out.getvalue()
