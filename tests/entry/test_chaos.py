"""Crash injection: the job and the promoter killed for real (SIGKILL) at every crash
point (lakegate/faults.py) and, by watching the lake, in the middle of the read and of
the silver write. After each: no _SUCCESS for the crashed run, _LATEST.json unchanged
and valid, current/ unchanged, and a rerun under a new run id gives exactly the rows of
a clean run. make test runs one point of each kind; make chaos runs them all."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lakegate import layout
from lakegate.faults import ENV
from lakegate.ids import Month
from lakegate.pointer import Latest
from lakegate.storage import Lake
from lakegate_cli.sample import generate
from tests.cli import lakegate, lakegate_here
from tests.fake_runs import make_run

WINDOW = ("--year", "2024", "--month", "2", "--to-year", "2024", "--to-month", "3")
APPROVE = ("--approver", "Chaos Tester", "--reason", "reliability test")


def snapshot(root: Path, prefix: str) -> dict[str, str]:
    """Every file under root/prefix and a hash of its bytes."""
    base = root / prefix
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }


def published_state(root: Path) -> dict:
    silver = root / "silver"
    return {
        "latest": (silver / "transactions/_LATEST.json").read_bytes(),
        "current": snapshot(silver, "transactions/current"),
    }


def assert_pointer_valid(root: Path) -> Latest:
    lake = Lake.local(root)
    latest = Latest.from_json((root / "silver/transactions/_LATEST.json").read_bytes())
    for runs in latest.partitions.values():
        for run_id in runs:
            assert lake["silver"].exists(layout.success_key("transactions", "v1", run_id))
    assert lake["silver"].exists(latest.manifest)
    return latest


def silver_hashes(root: Path, run_id: str) -> list[str]:
    prefix = root / "silver" / layout.run_prefix("transactions", "v1", run_id)
    hashes = []
    for path in sorted(prefix.rglob("*.parquet")):
        hashes += (
            pq.read_table(io.BytesIO(path.read_bytes()), columns=["row_hash"]).column(0).to_pylist()
        )
    return sorted(hashes)


def ingest_here(root: Path, *args: str) -> dict:
    """`lakegate ingest --json` in this process: the runs that set the scene and the
    reruns after a crash. Only the crashed runs need a process of their own, to be
    killed."""
    code, out = lakegate_here("ingest", "--lake", str(root), *args, "--json")
    assert code == 0, out[-2000:]
    return json.loads(out)


@pytest.fixture(scope="module")
def template(tmp_path_factory, spark) -> dict:
    """A lake with January published, February and March waiting in bronze; and the
    result of a clean run of February..March for comparison."""
    root = tmp_path_factory.mktemp("chaos") / "lake"
    lake = Lake.local(root)
    generate(lake["bronze"], "transactions", [Month(2024, m) for m in (1, 2, 3)], 1500, seed=10)
    ingest_here(root, "--year", "2024", "--month", "1", "--run-id", "jan")
    assert lakegate_here("promote", "jan", "--lake", str(root), *APPROVE)[0] == 0
    reference = root.parent / "reference"
    shutil.copytree(root, reference)
    summary = ingest_here(reference, *WINDOW, "--run-id", "clean")
    return {"root": root, "summary": summary, "hashes": silver_hashes(reference, "clean")}


def fresh(template, tmp_path) -> Path:
    root = tmp_path / "lake"
    shutil.copytree(template["root"], root)
    return root


def check_after_crash(root: Path, before: dict, template: dict) -> None:
    lake = Lake.local(root)
    assert not lake["silver"].exists(layout.success_key("transactions", "v1", "crashed"))
    assert published_state(root) == before, "_LATEST.json or current/ changed"
    assert_pointer_valid(root)
    refused = lakegate("promote", "crashed", "--lake", str(root), *APPROVE)
    assert refused.returncode == 3 and "has no _SUCCESS" in refused.stderr
    summary = ingest_here(root, *WINDOW, "--run-id", "rerun")
    counts = ("input_rows", "valid_rows_count", "quarantined_rows_count", "condemned_rows_count")
    assert {k: summary[k] for k in counts} == {k: template["summary"][k] for k in counts}
    assert summary["error_type_distribution"] == template["summary"]["error_type_distribution"]
    assert silver_hashes(root, "rerun") == template["hashes"]


def crash_ingest(root: Path, point: str) -> subprocess.CompletedProcess:
    return lakegate(
        "ingest", "--lake", str(root), *WINDOW, "--run-id", "crashed",
        env={**os.environ, ENV: point},
    )  # fmt: skip


INGEST_POINTS = [
    pytest.param("ingest:after_classify", marks=pytest.mark.chaos),
    pytest.param("ingest:after_quarantine", marks=pytest.mark.chaos),
    pytest.param("ingest:after_silver", marks=pytest.mark.chaos),
    "ingest:before_success",
]


@pytest.mark.slow
@pytest.mark.parametrize("point", INGEST_POINTS)
def test_the_job_killed_at_a_crash_point_loses_and_publishes_nothing(template, tmp_path, point):
    root = fresh(template, tmp_path)
    before = published_state(root)
    result = crash_ingest(root, point)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    check_after_crash(root, before, template)


def _watch_and_kill(root: Path, ready) -> int:
    process = subprocess.Popen(
        [sys.executable, "-m", "lakegate_cli.cli", "ingest", "--lake", str(root), *WINDOW,
         "--run-id", "crashed"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None and not ready():
        time.sleep(0.01)
    reached = process.poll() is None
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert reached, "the job ended before the kill point"
    return process.returncode


@pytest.mark.chaos
@pytest.mark.parametrize("moment", ["spark_reading", "silver_partly_written"])
def test_the_job_killed_while_spark_works_loses_and_publishes_nothing(template, tmp_path, moment):
    root = fresh(template, tmp_path)
    before = published_state(root)
    run = root / "silver" / layout.run_prefix("transactions", "v1", "crashed")
    quarantine = root / "quarantine" / layout.quarantine_run_prefix("transactions", "crashed")
    if moment == "spark_reading":
        # Spark has started reading once its temporary folders or first outputs exist.
        def ready():
            return quarantine.exists()
    else:

        def ready():
            return any(run.rglob("*.parquet")) or any(run.rglob("_temporary"))

    assert _watch_and_kill(root, ready) == -signal.SIGKILL
    check_after_crash(root, before, template)


# --- the promoter ---------------------------------------------------------------------
@pytest.fixture
def promotable(tmp_path) -> Path:
    """Version 1 published (run jan), run feb completed and promotable (no Spark)."""
    root = tmp_path / "lake"
    lake = Lake.local(root)
    make_run(lake, "jan", {"year=2024/month=01": 100})
    make_run(lake, "feb", {"year=2024/month=02": 120})
    assert lakegate("promote", "jan", "--lake", str(root), *APPROVE).returncode == 0
    return root


@pytest.mark.parametrize("point", ["promote:before_manifest", "promote:after_manifest"])
def test_the_promoter_killed_before_the_swap_changes_nothing_visible(promotable, point):
    before = published_state(promotable)
    result = lakegate(
        "promote", "feb", "--lake", str(promotable), *APPROVE, env={**os.environ, ENV: point}
    )
    assert result.returncode == -signal.SIGKILL
    assert published_state(promotable) == before
    assert assert_pointer_valid(promotable).version == 1
    # Promoting again works: a manifest left behind has a unique name, never in the way.
    again = lakegate("promote", "feb", "--lake", str(promotable), *APPROVE)
    assert again.returncode == 0, again.stderr
    latest = assert_pointer_valid(promotable)
    assert latest.version == 2 and latest.partitions["year=2024/month=02"] == ["feb"]


def test_the_promoter_killed_after_the_swap_leaves_a_valid_pointer_and_a_repairable_current(
    promotable,
):
    before = published_state(promotable)
    result = lakegate(
        "promote", "feb", "--lake", str(promotable), *APPROVE,
        env={**os.environ, ENV: "promote:after_pointer"},
    )  # fmt: skip
    assert result.returncode == -signal.SIGKILL
    latest = assert_pointer_valid(promotable)
    assert latest.version == 2  # the approved version is published
    assert published_state(promotable)["current"] == before["current"]  # not yet served
    repaired = lakegate("sync-current", "--lake", str(promotable))
    assert repaired.returncode == 0, repaired.stderr
    version = (promotable / "silver/transactions/current/_VERSION").read_text().strip()
    assert version.startswith("2")
    assert (promotable / "silver/transactions/current/year=2024/month=02/symlink.txt").exists()
