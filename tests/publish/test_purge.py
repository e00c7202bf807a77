"""purge-condemned on real S3 objects, as the promoter, in moto with IAM enforced.

Condemned rows live in the versioned quarantine bucket: a plain delete would only hide
them behind a delete marker. The purge removes every version of every condemned object
past the cut-off, after writing the audit record (under Object Lock, in silver) that
lists each key; quarantined rows and younger condemned rows are untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from moto.core import set_initial_no_auth_action_count

from lakegate.storage import Lake
from promotion import audit
from promotion.purge import purge_condemned
from rehearsal.definitions import audit_retention
from rehearsal.roles import Place
from tests import policy_eval
from tests.aws_lake import as_promoter

PLACE = Place()
BUCKETS = PLACE.buckets
CONDEMNED = [
    "transactions/condemned/run_id=R1/year=2024/month=03/part-0.parquet",
    "transactions/condemned/run_id=R2/year=2024/month=04/part-0.parquet",
]
QUARANTINED = "transactions/quarantine/run_id=R1/year=2024/month=03/part-0.parquet"


@pytest.fixture
def promoter_lake():
    def fill(admin):
        for key in CONDEMNED:  # two versions each: a rerun rewrote the file
            for body in (b"first" * 100, b"second" * 100):
                admin.put_object(Bucket=BUCKETS["quarantine"], Key=key, Body=body)
        admin.put_object(Bucket=BUCKETS["quarantine"], Key=QUARANTINED, Body=b"kept")

    with as_promoter(PLACE, versioned=True, fill=fill) as environment:
        yield environment


@set_initial_no_auth_action_count(0)
def purge_as_promoter(lake: Lake, now: datetime, older_than_days: int) -> dict:
    """purge-condemned with IAM enforced from the first request."""
    return purge_condemned(
        lake, "transactions", "Fay Compliance", "retention ended", "aws:fay", now, older_than_days
    )


def test_purge_deletes_every_version_and_records_what_it_deleted(promoter_lake):
    admin, lake, _ = promoter_lake
    result = purge_as_promoter(lake, datetime.now(UTC) + timedelta(days=1), older_than_days=0)
    assert result["deleted"] == 2 and result["bytes"] == 2 * len(b"second" * 100)
    versions = admin.list_object_versions(
        Bucket=BUCKETS["quarantine"], Prefix="transactions/condemned/"
    )
    assert versions.get("Versions", []) == [] and versions.get("DeleteMarkers", []) == []
    assert admin.get_object(Bucket=BUCKETS["quarantine"], Key=QUARANTINED)["Body"].read() == (
        b"kept"
    )
    (event,) = audit.events(lake["silver"], "transactions")
    assert event["event"] == "purge-condemned" and event["approver"] == "Fay Compliance"
    assert event["deleted"] == CONDEMNED
    head = admin.head_object(Bucket=BUCKETS["silver"], Key=result["audit_event"])
    assert head["ObjectLockMode"] == audit_retention(PLACE.env).mode


def test_purge_keeps_rows_younger_than_the_cut_off(promoter_lake):
    admin, lake, _ = promoter_lake
    assert purge_as_promoter(lake, datetime.now(UTC), older_than_days=30)["deleted"] == 0
    versions = admin.list_object_versions(
        Bucket=BUCKETS["quarantine"], Prefix="transactions/condemned/"
    )
    assert len(versions["Versions"]) == 4
    (event,) = audit.events(lake["silver"], "transactions")
    assert event["deleted"] == [] and event["older_than_days"] == 30


def test_the_promoter_may_list_versions_only_of_condemned_rows(promoter_lake):
    *_, policy = promoter_lake
    bucket = f"arn:aws:s3:::{BUCKETS['quarantine']}"
    allowed = {"s3:prefix": "transactions/condemned/run_id=R1/"}
    assert policy_eval.decide(policy, "s3:ListBucketVersions", bucket, allowed) == "allow"
    other = {"s3:prefix": "transactions/quarantine/"}
    assert policy_eval.decide(policy, "s3:ListBucketVersions", bucket, other) != "allow"
    row = f"{bucket}/{QUARANTINED}"
    assert policy_eval.decide(policy, "s3:DeleteObjectVersion", row) != "allow"
