"""Crash points: where the reliability tests kill the process for real.

With LAKEGATE_CRASH_AT=<name> in the environment, the process sends itself SIGKILL when
it reaches the crash point of that name: no exception handler, `finally` block or exit
hook runs, as when a Glue worker or a laptop dies. Without the variable a crash point
does nothing. The points (tests/entry/test_chaos.py tries each):

    ingest:after_classify   rows read and counted, nothing written
    ingest:after_quarantine quarantine and condemned written, silver not
    ingest:after_silver     silver data written, not yet checked
    ingest:before_success   everything checked, _SUCCESS not yet written
    promote:before_manifest approval recorded in the audit, no manifest
    promote:after_manifest  version manifest written, _LATEST.json not swapped
    promote:after_pointer   _LATEST.json swapped, current/ not yet synced
"""

from __future__ import annotations

import os
import signal
import sys

ENV = "LAKEGATE_CRASH_AT"
POINTS = (
    "ingest:after_classify",
    "ingest:after_quarantine",
    "ingest:after_silver",
    "ingest:before_success",
    "promote:before_manifest",
    "promote:after_manifest",
    "promote:after_pointer",
)


def crash_point(name: str) -> None:
    if name not in POINTS:
        raise ValueError(f"unknown crash point {name!r}")
    if os.environ.get(ENV) == name:
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)
