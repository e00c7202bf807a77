"""The promoter against both storage implementations (S3 through moto)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from lakegate.config import dataset_config
from lakegate.errors import BadArgument, Conflict, Refused
from lakegate.layout import BUCKETS
from lakegate.pointer import read_latest
from lakegate.storage import Lake
from promotion import audit
from promotion.publisher import Promoter
from tests.fake_runs import make_run

MAR, APR, MAY = "year=2024/month=03", "year=2024/month=04", "year=2024/month=05"
NAMES = {b: f"lakegate-test-{b}" for b in BUCKETS}


def s3_lake(endpoint_url: str | None = None) -> Lake:
    client = boto3.client("s3", region_name="eu-west-1", endpoint_url=endpoint_url)
    return Lake.s3(client, NAMES)


def create_buckets(lake: Lake) -> None:
    for store in lake.stores.values():
        store.client.create_bucket(
            Bucket=store.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )


@pytest.fixture(params=["local", "s3"])
def lake(request, tmp_path):
    if request.param == "local":
        yield Lake.local(tmp_path / "lake")
        return
    with mock_aws():
        lake = s3_lake()
        create_buckets(lake)
        yield lake


def promoter(lake: Lake) -> Promoter:
    ticks = itertools.count()
    return Promoter(
        lake,
        dataset_config("transactions"),
        lambda: "test:caller",
        now=lambda: datetime(2026, 1, 21, 12, 0, tzinfo=UTC) + timedelta(milliseconds=next(ticks)),
    )


def files_of(p: Promoter, partition: str) -> list[str]:
    return list(p.current()[1].partitions[partition].files)


def test_a_run_without_success_is_never_promoted(lake):
    make_run(lake, "partial", {MAR: 10}, success=False)
    with pytest.raises(
        Refused, match="promotion of partial refused: success: run partial has no _SUCCESS"
    ):
        promoter(lake).promote("partial", "Dana", "month end")
    assert read_latest(lake["silver"], "transactions") is None
    assert list(lake["silver"].list("transactions/current/")) == []


@pytest.mark.parametrize(
    ("kwargs", "check"),
    [
        ({"quarantine_rate": 0.2}, "quarantine_rate"),
        ({"critical": {"BUSINESS_DUPLICATE": 1}}, "critical_errors"),
        ({"breaker": 1}, "circuit_breaker"),
        ({"schema_v": "v7"}, "success"),
    ],  # v7 is not a known schema: its _SUCCESS is not looked up
)
def test_gate_failures_refuse_and_publish_nothing(lake, kwargs, check):
    make_run(lake, "bad", {MAR: 10}, **kwargs)
    with pytest.raises(Refused, match=f"refused: {check}:"):
        promoter(lake).promote("bad", "Dana", "month end")
    assert read_latest(lake["silver"], "transactions") is None
    assert [e["event"] for e in audit.events(lake["silver"], "transactions")] == ["promote-refused"]


def test_promote_rollback_promote(lake):
    p = promoter(lake)
    a = make_run(lake, "a", {MAR: 10, APR: 20})
    b = make_run(lake, "b", {MAR: 11, APR: 21})
    assert p.promote("a", "Dana", "first").version == 1
    assert p.promote("b", "Dana", "second").version == 2
    assert files_of(p, MAR) == b["partitions"][0]["files"]
    rolled = p.rollback("Dana", "b was wrong")
    assert (rolled.version, rolled.rollback_to, rolled.action) == (3, 1, "rollback")
    assert files_of(p, MAR) == a["partitions"][0]["files"]
    c = make_run(lake, "c", {APR: 22}, run_type="backfill")
    assert p.promote("c", "Dana", "backfill").version == 4
    latest = read_latest(lake["silver"], "transactions")
    assert latest.partitions == {MAR: ["a"], APR: ["c"]}
    assert files_of(p, APR) == c["partitions"][0]["files"]
    assert [v.version for _, v in p.history()] == [4, 3, 2, 1]
    back = p.rollback("Dana", "back to two", to_version=2)
    assert back.version == 5
    assert read_latest(lake["silver"], "transactions").partitions == {MAR: ["b"], APR: ["b"]}


def test_latest_and_the_manifest_name_the_execution_that_made_the_run(lake):
    p = promoter(lake)
    arn = "arn:aws:states:eu-west-1:123456789012:execution:lakegate-dev-ingest:run-a"
    make_run(lake, "a", {MAR: 10}, execution_arn=arn)
    make_run(lake, "b", {MAR: 11})
    p.promote("a", "Dana", "first")
    latest = json.loads(lake["silver"].read_bytes("transactions/_LATEST.json"))
    manifest = json.loads(lake["silver"].read_bytes(latest["manifest"]))
    assert latest["execution_arn"] == manifest["run_metrics"]["execution_arn"] == arn
    p.promote("b", "Dana", "second, run by hand")
    assert (
        json.loads(lake["silver"].read_bytes("transactions/_LATEST.json"))["execution_arn"] is None
    )
    p.rollback("Dana", "back to a")
    assert (
        json.loads(lake["silver"].read_bytes("transactions/_LATEST.json"))["execution_arn"] == arn
    )


def test_a_backfill_changes_only_its_partitions_and_current_follows(lake):
    p = promoter(lake)
    make_run(lake, "full", {MAR: 10, APR: 20, MAY: 30})
    p.promote("full", "Dana", "full")
    before = {
        o.key: lake["silver"].read_bytes(o.key)
        for o in lake["silver"].list("transactions/current/")
        if "month=04" not in o.key and o.key.endswith("symlink.txt")
    }
    bf = make_run(lake, "bf", {APR: 25}, run_type="backfill")
    p.promote("bf", "Dana", "fix april")
    assert read_latest(lake["silver"], "transactions").partitions == {
        MAR: ["full"],
        APR: ["bf"],
        MAY: ["full"],
    }
    after = {key: lake["silver"].read_bytes(key) for key in before}
    assert after == before
    symlink = lake["silver"].read_text(f"transactions/current/{APR}/symlink.txt")
    assert symlink == "".join(lake["silver"].uri(k) + "\n" for k in bf["partitions"][0]["files"])
    assert lake["silver"].read_text("transactions/current/_VERSION") == "2\n"


def test_a_retry_run_appends_and_cannot_be_appended_twice(lake):
    p = promoter(lake)
    make_run(lake, "base", {MAR: 10})
    make_run(lake, "fix", {MAR: 2}, run_type="retry")
    p.promote("base", "Dana", "base")
    p.promote("fix", "Dana", "corrections")
    assert read_latest(lake["silver"], "transactions").partitions == {MAR: ["base", "fix"]}
    with pytest.raises(Refused, match="not_published"):
        p.promote("fix", "Dana", "again")


def test_rejected_runs_are_refused_and_both_are_audited(lake):
    p = promoter(lake)
    make_run(lake, "r", {MAR: 10})
    p.reject("r", "Fiona Controller", "totals do not reconcile")
    with pytest.raises(Refused, match="not_rejected"):
        p.promote("r", "Dana", "try anyway")
    events = audit.events(lake["silver"], "transactions")
    assert [e["event"] for e in events] == ["reject", "promote-refused"]
    reject = events[0]
    assert reject["approver"] == "Fiona Controller"
    assert reject["reason"] == "totals do not reconcile"
    assert reject["caller"] == "test:caller"
    assert reject["gate"]["passed"] is True
    assert reject["run_metrics"]["valid_rows_count"] == 10


def test_audit_records_are_complete_and_never_rewritten(lake):
    p = promoter(lake)
    make_run(lake, "a", {MAR: 10})
    version = p.promote("a", "Dana", "month end")
    (event,) = audit.events(lake["silver"], "transactions")
    assert event["event"] == "promote" and event["run_id"] == "a"
    assert (event["approver"], event["reason"], event["caller"]) == (
        "Dana",
        "month end",
        "test:caller",
    )
    assert event["at"].startswith("2026-01-21T12:00:00")
    assert event["gate"]["passed"] and len(event["gate"]["checks"]) == 7
    assert event["run_metrics"]["quarantine_rate"] == 0.01
    manifest = json.loads(
        lake["silver"].read_bytes(read_latest(lake["silver"], "transactions").manifest)
    )
    assert manifest["audit_event"] == event["key"] == version.audit_event
    assert (manifest["approved_by"], manifest["run_metrics"]["valid_rows_count"]) == ("Dana", 10)
    with pytest.raises(Conflict):
        lake["silver"].write_bytes(event["key"], b"{}", if_none_match=True)
    assert json.loads(lake["silver"].read_bytes(event["key"]))["event"] == "promote"


@pytest.mark.parametrize("run_id", ["../x", "a/b", "", "x" * 81, "r\u0131n", "ｒ", "run id"])
def test_run_ids_that_could_escape_are_refused(lake, run_id):
    with pytest.raises(BadArgument):
        promoter(lake).promote(run_id, "Dana", "x")


@pytest.mark.parametrize(
    ("approver", "reason"), [("", "r"), ("Dana", " "), ("a\nb", "r"), ("Dana", "x\x1b[31m")]
)
def test_approver_and_reason_must_be_one_printable_line(lake, approver, reason):
    make_run(lake, "a", {MAR: 1})
    with pytest.raises(BadArgument):
        promoter(lake).promote("a", approver, reason)


def test_a_stale_pointer_loses_the_swap(lake):
    p = promoter(lake)
    make_run(lake, "a", {MAR: 10})
    make_run(lake, "b", {APR: 10})
    p.promote("a", "Dana", "one")
    stale = read_latest(lake["silver"], "transactions")
    p.promote("b", "Dana", "two")
    with pytest.raises(Conflict, match="another promotion published transactions first"):
        p._publish(p.current()[1], stale)


# Concurrency: several processes promote retry runs that all append to one partition.
# Each worker retries on Conflict; no update may be lost.
def _promote_until_published(kind, where, run_id, barrier, results) -> None:
    lake = Lake.local(where) if kind == "local" else s3_lake(where)
    p = Promoter(lake, dataset_config("transactions"), lambda: f"worker:{run_id}")
    conflicts = 0
    barrier.wait()  # every worker starts its promotion at the same moment
    while True:
        try:
            p.promote(run_id, "Dana", "concurrent")
            results.put((run_id, conflicts))
            return
        except Conflict:
            conflicts += 1


def _race(kind: str, where: str, lake: Lake, workers: int = 6) -> None:
    make_run(lake, "base", {MAR: 100})
    promoter(lake).promote("base", "Dana", "base")
    runs = [f"fix-{i}" for i in range(workers)]
    for run_id in runs:
        make_run(lake, run_id, {MAR: 1}, run_type="retry")
    context = multiprocessing.get_context("spawn")
    barrier, queue = context.Barrier(workers), context.Queue()
    processes = [
        context.Process(target=_promote_until_published, args=(kind, where, r, barrier, queue))
        for r in runs
    ]
    for process in processes:
        process.start()
    results = [queue.get(timeout=120) for _ in runs]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    conflicts = sum(n for _, n in results)
    print(f"{kind}: {workers} concurrent promotions, {conflicts} lost the swap and retried")
    latest = read_latest(lake["silver"], "transactions")
    assert latest.version == workers + 1
    assert sorted(latest.partitions[MAR]) == sorted(["base", *runs])
    p = promoter(lake)
    assert p.current()[1].partitions[MAR].rows == 100 + workers
    assert len(p.history()) == workers + 1
    assert lake["silver"].read_text("transactions/current/_VERSION") == f"{workers + 1}\n"
    symlink = lake["silver"].read_text(f"transactions/current/{MAR}/symlink.txt")
    assert len(symlink.splitlines()) == workers + 1


def test_concurrent_promotions_never_lose_an_update_local(tmp_path):
    root = tmp_path / "lake"
    _race("local", str(root), Lake.local(root))


def test_concurrent_promotions_never_lose_an_update_s3(monkeypatch):
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        lake = s3_lake(endpoint)
        create_buckets(lake)
        _race("s3", endpoint, lake)
    finally:
        server.stop()
