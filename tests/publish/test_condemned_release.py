"""Condemned rows under approval (SPEC §4): a TransactionID condemned after its attempts
stays condemned until `lakegate condemned release`; the release is audited, and the job
reads it. The rule in Spark, the release on a local lake and on S3 as the promoter."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from moto.core import set_initial_no_auth_action_count

from lakegate import layout, releases
from lakegate.config import dataset_config
from lakegate.errors import Refused
from lakegate.storage import Lake
from promotion import audit
from promotion.audit_view import audit_entries
from promotion.identity import local_caller
from promotion.publisher import Promoter
from promotion.release import condemned_listing, release_condemned
from rehearsal.definitions import audit_retention
from rehearsal.roles import Place
from tests.aws_lake import as_promoter
from tests.cli import lakegate
from tests.helpers import MARCH, RUN_AT, classify_files, csv_file, expected_hash, job_outputs

ROW = ("T1", "C1", "10.00", "EUR", "2024-03-05 10:00:00")
FIX = "transactions/year=2024/month=03/retry-fix.csv"
OLD = "transactions/year=2024/month=03/old.csv"
CONDEMNED_AT = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)


def _condemned(tid="T1", reason="MAX_ATTEMPTS", at=CONDEMNED_AT, run_id="r4", source=OLD):
    """An earlier condemned row of `tid` (PRIOR_FAILURES_SCHEMA)."""
    history = [(f"r{i}", RUN_AT, "TYPE_ERROR") for i in range(1, 5)]
    return (tid, source, 2, "h-old", 3, history, run_id, at, reason)


def _landed(after: timedelta = timedelta(hours=1)) -> dict[str, datetime]:
    return {FIX: CONDEMNED_AT + after}


# --- the rule, in Spark ---------------------------------------------------------------
@pytest.mark.spark
def test_an_unreleased_condemned_id_is_condemned_again_with_a_clear_message(spark):
    silver, quarantined, condemned = job_outputs(
        spark, {FIX: csv_file(",".join(ROW))}, prior=[_condemned()], landed=_landed()
    )
    assert silver == [] and quarantined == []
    (row,) = condemned
    assert (row["error_type"], row["condemned_reason"]) == (
        releases.NOT_RELEASED_ERROR,
        releases.NOT_RELEASED_REASON,
    )
    assert row["error_message"] == (
        "TransactionID 'T1' was condemned by run r4 and is not released: a data-quality"
        " approver runs `lakegate condemned release` before it is re-submitted"
    )
    assert row["attempt_count"] == 4
    assert [e["run_id"] for e in row["retry_history"]] == ["r1", "r2", "r3", "r4", "run-test"]


@pytest.mark.spark
def test_a_release_after_the_condemnation_lets_the_row_through(spark):
    released = [("T1", CONDEMNED_AT + timedelta(minutes=5))]
    silver, quarantined, condemned = job_outputs(
        spark,
        {FIX: csv_file(",".join(ROW))},
        prior=[_condemned()],
        released=released,
        landed=_landed(),
    )
    assert [r["TransactionID"] for r in silver] == ["T1"]
    assert quarantined == [] and condemned == []


@pytest.mark.spark
def test_a_release_before_a_later_condemnation_does_not_lift_it(spark):
    released = [("T1", CONDEMNED_AT - timedelta(days=1))]
    rows = classify_files(
        spark,
        {FIX: csv_file(",".join(ROW))},
        prior=[_condemned()],
        released=released,
        landed=_landed(),
    ).collect()
    assert [(r["outcome"], r["condemned_reason"]) for r in rows] == [
        ("condemned", releases.NOT_RELEASED_REASON)
    ]


@pytest.mark.spark
def test_what_is_not_a_re_submission_is_judged_as_before(spark):
    """T1: the same failed record read again; T2: its file landed before the
    condemnation (a backfill reading the accepted original); T3: condemned as an exact
    duplicate. None is locked."""
    early = "transactions/year=2024/month=03/early.csv"
    t1, t2, t3 = (("T" + n, "C1", "10.00", "EUR", "2024-03-05 10:00:00") for n in "123")
    same_record = (
        "T1", FIX, 2, expected_hash(*t1), 3, [("r1", RUN_AT, "TYPE_ERROR")], "r4", CONDEMNED_AT,
        "MAX_ATTEMPTS",
    )  # fmt: skip
    prior = [same_record, _condemned("T2"), _condemned("T3", reason="EXACT_DUPLICATE")]
    files = {FIX: csv_file(",".join(t1), ",".join(t3)), early: csv_file(",".join(t2))}
    landed = {**_landed(), early: CONDEMNED_AT - timedelta(days=30)}
    silver, quarantined, condemned = job_outputs(spark, files, prior=prior, landed=landed)
    assert sorted(r["TransactionID"] for r in silver) == ["T1", "T2", "T3"]
    assert quarantined == [] and condemned == []


@pytest.mark.spark
def test_a_locked_row_that_fails_a_value_rule_keeps_its_class(spark):
    bad = ("T1", "C1", "ten", "EUR", "2024-03-05 10:00:00")
    (row,) = classify_files(
        spark, {FIX: csv_file(",".join(bad))}, prior=[_condemned()], landed=_landed()
    ).collect()
    assert (row["error_type"], row["outcome"], row["condemned_reason"]) == (
        "TYPE_ERROR",
        "condemned",
        "MAX_ATTEMPTS",
    )


@pytest.mark.spark
def test_other_ids_in_the_same_file_are_untouched(spark):
    text = csv_file(",".join(ROW), "T2,C2,2.00,EUR,2024-03-06 10:00:00")
    silver, _, condemned = job_outputs(
        spark, {MARCH: text}, prior=[_condemned()], landed={MARCH: CONDEMNED_AT + timedelta(1)}
    )
    assert [r["TransactionID"] for r in silver] == ["T2"]
    assert [r["TransactionID"] for r in condemned] == ["T1"]


# --- the release, on a local lake -----------------------------------------------------
def _write_condemned(lake: Lake, run_id: str, rows: list[tuple[str, str, int]]) -> str:
    """A condemned Parquet file as the job writes it (the columns the release reads)."""
    table = pa.table(
        {
            "TransactionID": [r[0] for r in rows],
            "run_id": [run_id] * len(rows),
            "condemned_reason": [r[1] for r in rows],
            "attempt_count": pa.array([r[2] for r in rows], pa.int32()),
            "quarantined_at": pa.array([CONDEMNED_AT.replace(tzinfo=None)] * len(rows)),
        }
    )
    sink = io.BytesIO()
    pq.write_table(table, sink)
    key = layout.condemned_run_prefix("transactions", run_id) + "year=2024/month=03/part-0.parquet"
    lake["quarantine"].write_bytes(key, sink.getvalue())
    return key


def test_release_records_who_why_and_the_runs_that_condemned(lake):
    _write_condemned(lake, "r4", [("T1", "MAX_ATTEMPTS", 3), ("T5", "EXACT_DUPLICATE", 0)])
    _write_condemned(lake, "r6", [("T1", "NOT_RELEASED", 4)])
    now = datetime(2026, 2, 1, tzinfo=UTC)
    key, release = release_condemned(
        lake, "transactions", ["T1", " T1 "], "Dana DQ", "source system fixed", "me@host", now
    )
    assert release.transaction_ids == ("T1",)
    (event,) = audit.events(lake["silver"], "transactions")
    assert event["key"] == key and event["event"] == releases.EVENT
    assert (event["approver"], event["reason"], event["caller"]) == (
        "Dana DQ",
        "source system fixed",
        "me@host",
    )
    assert event["transaction_ids"] == ["T1"] and event["condemned_by"] == {"T1": ["r4", "r6"]}
    assert releases.read_releases(lake["silver"], "transactions") == [release]
    assert releases.released_at([release]) == [("T1", now)]
    listing = {
        (r["transaction_id"], r["run_id"]): r for r in condemned_listing(lake, "transactions")
    }
    assert not listing[("T1", "r4")]["locked"] and not listing[("T5", "r4")]["locked"]
    (entry,) = audit_entries(Promoter(lake, dataset_config("transactions"), lambda: "test"))
    assert entry["what"] == "condemned rows released for re-submission"


def test_release_is_refused_for_an_id_that_is_not_locked(lake):
    _write_condemned(lake, "r4", [("T5", "EXACT_DUPLICATE", 0)])
    now = datetime(2026, 2, 1, tzinfo=UTC)
    for ids in (["T5"], ["T404"]):
        with pytest.raises(Refused, match=f"nothing to release: {ids[0]}"):
            release_condemned(lake, "transactions", ids, "Dana", "why", "me", now)
    assert audit.events(lake["silver"], "transactions") == []


def test_the_command_line_lists_and_releases(lake_root):
    lake = Lake.local(lake_root)
    _write_condemned(lake, "r4", [("T1", "MAX_ATTEMPTS", 3)])
    listed = lakegate("condemned", "list", "--lake", str(lake_root))
    assert listed.returncode == 0, listed.stderr
    assert "locked" in listed.stdout and "lakegate condemned release T1" in listed.stdout
    missing = lakegate("condemned", "release", "T1", "--reason", "x", "--lake", str(lake_root))
    assert missing.returncode == 2 and "--approver" in missing.stderr
    done = lakegate(
        "condemned", "release", "T1", "--approver", "Dana", "--reason", "fixed",
        "--lake", str(lake_root),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Released 1 condemned key(s) of transactions" in done.stdout
    again = lakegate("condemned", "list", "--json", "--lake", str(lake_root))
    (row,) = json.loads(again.stdout)
    assert row["locked"] is False and row["released_at"]
    shown = lakegate("audit", "--lake", str(lake_root))
    assert "condemned rows released for re-submission" in shown.stdout, shown.stdout
    (event,) = audit.events(lake["silver"], "transactions")
    assert event["caller"] == local_caller()  # who ran it, beside the named approver


# --- the release on S3, as the promoter (IAM enforced) -------------------------------
PLACE = Place()


@set_initial_no_auth_action_count(0)
def _release_as(lake: Lake) -> str:
    return release_condemned(
        lake, "transactions", ["T1"], "Dana", "fixed", "aws:dana", datetime.now(UTC)
    )[0]


def test_the_promoter_releases_on_s3_and_the_event_is_write_once():
    def fill(admin):
        _write_condemned(Lake.s3(admin, PLACE.buckets), "r4", [("T1", "MAX_ATTEMPTS", 3)])

    with as_promoter(PLACE, fill=fill) as (admin, lake, _):
        event = _release_as(lake)
        head = admin.head_object(Bucket=PLACE.buckets["silver"], Key=event)
        assert head["ObjectLockMode"] == audit_retention(PLACE.env).mode
        (release,) = releases.read_releases(Lake.s3(admin, PLACE.buckets)["silver"], "transactions")
        assert release.transaction_ids == ("T1",) and release.approver == "Dana"
