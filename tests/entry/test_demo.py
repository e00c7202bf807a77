"""`make demo` tells the whole story and ends well (its own process and Spark)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_the_demo_runs_end_to_end(tmp_path):
    lake = tmp_path / "lake"
    result = subprocess.run(
        [sys.executable, "-m", "lakegate_cli.demo", "--lake", str(lake)],
        capture_output=True,
        text=True,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    out = result.stdout
    assert result.returncode == 0, out[-3000:] + result.stderr[-3000:]
    for line in (
        "counts agree with what the generator injected: yes",
        "gold promoted as account_balances version 1",
        "promoted as version 2: only March moves to the new run",
        "promoted as version 3: the fixed rows are appended",
        "_LATEST.json still at version 3",
        "account_balances: published versions (newest first)",
        "Month-end balances, 2024 Q1",
        "datapoints published by 4 runs; the first run's:",
        "P1 Circuit breaker -> Data Platform, topic data-platform-p1",
        # The forced halt is the demo's one incident; its halted run misses no month.
        "alarms raised (1 of 16 defined):",
    ):
        assert line in out, line
    pages = [line.rsplit(": ", 1)[1] for line in out.splitlines() if line.endswith(".html")]
    assert [p.rsplit("/", 1)[1].split("-", 1)[0] for p in pages] == ["review", "review", "audit"]
    assert all(Path(p).read_text().startswith("<!doctype html>") for p in pages)
    titles = [line for line in out.splitlines() if line.startswith("== ")]
    assert len(titles) == 11  # ten steps and "Next"
    assert (lake / "corrections").is_dir()
