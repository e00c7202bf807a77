"""Restoring an earlier version of an environment's Terraform state (moto), and the
deployer's right to do it and nothing more on the state bucket (tests/policy_eval)."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from lakegate.errors import LakegateError
from rehearsal.roles import Place, deployer_policy
from tests import policy_eval
from tools import state_restore

# The prefix tests name resources with (tests/conftest.py), as the tool resolves it.
BUCKET, KEY = state_restore.state_location("prod", prefix="lakegate")


@pytest.fixture
def s3():
    """The prod state bucket with three applies: three versions of the state."""
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        ids = [
            client.put_object(Bucket=BUCKET, Key=KEY, Body=f'{{"serial": {n}}}'.encode())[
                "VersionId"
            ]
            for n in (1, 2, 3)
        ]
        yield client, ids


def body(client) -> bytes:
    return client.get_object(Bucket=BUCKET, Key=KEY)["Body"].read()


def test_the_state_is_where_the_backend_and_the_prefix_say():
    assert state_restore.state_location("prod") == (BUCKET, KEY)
    assert (BUCKET, KEY) == ("lakegate-prod-tfstate", "lakegate/prod/terraform.tfstate")


def test_restoring_copies_a_version_over_the_current_one_and_keeps_every_version(s3, capsys):
    client, ids = s3
    assert state_restore.main(["--env", "prod", "--version-id", ids[0]], s3=client) == 0
    assert body(client) == b'{"serial": 1}'
    history = state_restore.versions(client, BUCKET, KEY)
    assert len(history) == 4 and history[0]["latest"]
    assert {v["version_id"] for v in history} >= set(ids)
    out = capsys.readouterr()
    assert f'"replaced_version": "{ids[2]}"' in out.out
    assert f"(undo: --version-id {ids[2]})" in out.err
    # ... and undone the same way
    assert state_restore.main(["--env", "prod", "--version-id", ids[2]], s3=client) == 0
    assert body(client) == b'{"serial": 3}'


def test_the_list_shows_versions_newest_first(s3, capsys):
    client, ids = s3
    assert state_restore.main(["--env", "prod", "--list"], s3=client) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ids[::-1]
    assert lines[0].endswith("(current)")


def test_refused_while_locked_for_unknown_current_or_deleted_versions(s3, capsys):
    client, ids = s3
    with pytest.raises(LakegateError, match="already the current state"):
        state_restore.restore(client, BUCKET, KEY, ids[2])
    with pytest.raises(LakegateError, match="has no version nope"):
        state_restore.restore(client, BUCKET, KEY, "nope")
    with pytest.raises(LakegateError, match="is not an S3 version id"):
        state_restore.restore(client, BUCKET, KEY, "../x")
    client.put_object(Bucket=BUCKET, Key=f"{KEY}.tflock", Body=b"{}")
    assert state_restore.main(["--env", "prod", "--version-id", ids[0]], s3=client) == 1
    assert "Terraform holds the state's lock" in capsys.readouterr().err
    assert body(client) == b'{"serial": 3}'
    client.delete_object(Bucket=BUCKET, Key=f"{KEY}.tflock")
    marker = client.delete_object(Bucket=BUCKET, Key=KEY)["VersionId"]
    with pytest.raises(LakegateError, match="is a delete marker"):
        state_restore.restore(client, BUCKET, KEY, marker)


def test_the_deployer_reads_state_versions_but_deletes_none():
    place = Place(env="prod", prefix="lakegate")
    deployer = deployer_policy(place)
    state = f"arn:aws:s3:::{place.name}-tfstate"
    obj = f"{state}/{KEY}"
    allowed = {
        ("s3:ListBucketVersions", state): True,
        ("s3:GetObjectVersion", obj): True,
        ("s3:PutObject", obj): True,
        ("s3:DeleteObjectVersion", obj): False,
        ("s3:PutBucketVersioning", state): False,
        ("s3:PutObjectRetention", obj): False,
    }
    for (action, resource), expected in allowed.items():
        decision = policy_eval.decide(deployer, action, resource)
        assert (decision == policy_eval.ALLOW) == expected, (action, decision)
