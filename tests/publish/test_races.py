"""Concurrency: two ingestion runs at once, promotions and rollbacks racing each other
(threads and processes, local store and S3 through a moto server), and a promotion
racing a run that is still writing. No lost update; no pointer to a run without
_SUCCESS; the version chain has exactly one link per successful operation."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from moto.server import ThreadedMotoServer

from lakegate import layout
from lakegate.config import dataset_config
from lakegate.errors import Conflict, Refused
from lakegate.ids import Month
from lakegate.pointer import read_latest
from lakegate.storage import Lake
from lakegate_cli.sample import generate
from promotion.publisher import Promoter
from tests.cli import lakegate
from tests.fake_runs import make_run
from tests.publish.test_publisher import create_buckets, s3_lake

MAR = "year=2024/month=03"
WINDOW = ("--year", "2024", "--month", "2", "--to-year", "2024", "--to-month", "3")


def open_lake(kind: str, where: str) -> Lake:
    return Lake.local(where) if kind == "local" else s3_lake(where)


def _operate(kind: str, where: str, op: str, run_id: str, barrier, results) -> None:
    """One promotion or one rollback, retried on Conflict until it lands."""
    lake = open_lake(kind, where)
    p = Promoter(lake, dataset_config("transactions"), lambda: f"worker:{op}:{run_id}")
    conflicts = 0
    barrier.wait()
    while True:
        try:
            if op == "promote":
                version = p.promote(run_id, "Dana", "race")
            else:
                version = p.rollback("Dana", f"race {run_id}")
            results.put((op, run_id, version.version, conflicts))
            return
        except Conflict:
            conflicts += 1
        except Exception as error:  # reported, so the test fails at once instead of waiting
            results.put((op, run_id, f"{type(error).__name__}: {error}", conflicts))
            return


def assert_chain(lake: Lake, operations: int) -> None:
    """Versions 1..N, each manifest linked to the one before, the pointer on the last,
    every run it names complete, and current/ serving it."""
    p = Promoter(lake, dataset_config("transactions"), lambda: "check")
    history = p.history()
    assert [v.version for _, v in history] == list(range(operations + 1, 0, -1))
    for (_, newer), (key, older) in itertools.pairwise(history):
        assert newer.previous_version == older.version and newer.previous_manifest == key
    latest = read_latest(lake["silver"], "transactions")
    assert latest.version == operations + 1
    for runs in latest.partitions.values():
        for run_id in runs:
            assert lake["silver"].exists(layout.success_key("transactions", "v1", run_id))
    p.sync_current()
    assert lake["silver"].read_text("transactions/current/_VERSION") == f"{latest.version}\n"


def _mixed_race(kind: str, where: str, lake: Lake, runner: str, workers: int = 8) -> list:
    setup = Promoter(lake, dataset_config("transactions"), lambda: "setup")
    make_run(lake, "base", {MAR: 100})
    setup.promote("base", "Dana", "base")
    make_run(lake, "base2", {MAR: 1}, run_type="retry")
    setup.promote("base2", "Dana", "so that a rollback always has a version to return to")
    ops = [("promote" if i % 2 == 0 else "rollback", f"fix-{i}") for i in range(workers)]
    for op, run_id in ops:
        if op == "promote":
            make_run(lake, run_id, {MAR: 1}, run_type="retry")
    if runner == "threads":
        import queue

        barrier, results = threading.Barrier(workers), queue.Queue()
        pool = [
            threading.Thread(target=_operate, args=(kind, where, op, r, barrier, results))
            for op, r in ops
        ]
    else:
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(workers), context.Queue()
        pool = [
            context.Process(target=_operate, args=(kind, where, op, r, barrier, results))
            for op, r in ops
        ]
    for worker in pool:
        worker.start()
    done = [results.get(timeout=180) for _ in ops]
    for worker in pool:
        worker.join(timeout=60)
    failures = [d for d in done if isinstance(d[2], str)]
    assert failures == []
    versions = sorted(v for _, _, v, _ in done)
    assert versions == list(range(3, workers + 3)), "each operation got its own version"
    assert_chain(lake, workers + 1)
    return done


@pytest.mark.parametrize("runner", ["threads", "processes"])
def test_promotions_and_rollbacks_race_on_the_local_store(tmp_path, runner):
    root = tmp_path / "lake"
    done = _mixed_race("local", str(root), Lake.local(root), runner)
    print(f"local/{runner}: {sum(c for *_, c in done)} lost swaps, all retried")


@pytest.mark.parametrize("runner", ["threads", "processes"])
def test_promotions_and_rollbacks_race_on_s3(runner):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        # moto servers in one process share their state: start from an empty S3.
        requests.post(f"{endpoint}/moto-api/reset", timeout=30)
        lake = s3_lake(endpoint)
        create_buckets(lake)
        done = _mixed_race("s3", endpoint, lake, runner)
        print(f"s3/{runner}: {sum(c for *_, c in done)} lost swaps, all retried")
    finally:
        server.stop()


@pytest.mark.slow
def test_two_ingestion_runs_at_once_are_each_complete(tmp_path):
    root = tmp_path / "lake"
    lake = Lake.local(root)
    expected = generate(lake["bronze"], "transactions", [Month(2024, 2), Month(2024, 3)], 1500)
    command = [sys.executable, "-m", "lakegate_cli.cli", "ingest", "--lake", str(root), *WINDOW]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "stdin": subprocess.DEVNULL}
    runs = [
        subprocess.Popen([*command, "--run-id", name, "--json"], text=True, **pipes)
        for name in ("first", "second")
    ]
    outputs = [run.communicate(timeout=600) for run in runs]
    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err[-2000:]
        summary = json.loads(out)
        assert summary["valid_rows_count"] == expected.valid
        assert summary["error_type_distribution"] == dict(expected.by_error_type)
    p = Promoter(lake, dataset_config("transactions"), lambda: "t")
    p.promote("first", "Dana", "one of two")
    with pytest.raises(Refused):  # the second is the same data: already published
        latest = read_latest(lake["silver"], "transactions")
        p.promote("first", "Dana", "again")
    assert read_latest(lake["silver"], "transactions").version == latest.version


@pytest.mark.slow
def test_a_promotion_racing_a_run_that_is_still_writing_is_refused_until_success(tmp_path):
    root = tmp_path / "lake"
    lake = Lake.local(root)
    generate(lake["bronze"], "transactions", [Month(2024, 2), Month(2024, 3)], 3000)
    make_run(lake, "base", {MAR: 5})
    p = Promoter(lake, dataset_config("transactions"), lambda: "racer")
    p.promote("base", "Dana", "base")
    process = subprocess.Popen(
        [sys.executable, "-m", "lakegate_cli.cli", "ingest", "--lake", str(root), *WINDOW,
         "--run-id", "writing"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    success = Path(root / "silver" / layout.success_key("transactions", "v1", "writing"))
    refusals = 0
    while process.poll() is None:
        try:
            p.promote("writing", "Dana", "too early")
        except Refused as refused:
            assert "has no _SUCCESS" in str(refused) or success.exists()
            refusals += 1
        latest = read_latest(lake["silver"], "transactions")
        if any("writing" in runs for runs in latest.partitions.values()):
            assert success.exists(), "the pointer named a run without _SUCCESS"
            break
        time.sleep(0.05)
    assert process.wait(timeout=600) == 0
    assert refusals > 0
    if read_latest(lake["silver"], "transactions").version == 1:
        p.promote("writing", "Dana", "now complete")
    latest = read_latest(lake["silver"], "transactions")
    assert latest.partitions["year=2024/month=03"] == ["writing"]
    assert_chain(lake, 1)


def test_the_cli_conflict_is_exit_4_with_one_line(tmp_path):
    root = tmp_path / "lake"
    lake = Lake.local(root)
    make_run(lake, "a", {MAR: 1})
    p = Promoter(lake, dataset_config("transactions"), lambda: "t")
    p.promote("a", "Dana", "one")
    stale = read_latest(lake["silver"], "transactions")
    make_run(lake, "b", {MAR: 1}, run_type="retry")
    p.promote("b", "Dana", "two")
    with pytest.raises(Conflict) as conflict:
        p._publish(p.current()[1], stale)
    assert conflict.value.exit_code == 4 and "\n" not in str(conflict.value)
    assert lakegate("runs", "--lake", str(root)).returncode == 0
