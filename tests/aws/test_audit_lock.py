"""Write-once audit: S3 Object Lock on silver and gold, tried in moto (which implements it).

The promoter writes an audit record with Lakegate's own code (`promotion.audit.record`
through `S3Storage`, as `lakegate promote --env` does); then every role Terraform
deploys tries to delete it, to delete its version, to bypass its retention, to shorten
it and to overwrite it. Every attempt is refused and the record reads back unchanged,
the only version under its key.

moto judges each role's identity policy and the Object Lock retention. It does not
evaluate bucket policies, so the write-once statements of the bucket policy
(infra/modules/storage/policies/write_once.json.tftpl), rendered as Terraform renders
them, are judged here for each request, from the parameters S3 turns into their
condition keys (`s3:if-none-match`, `s3:object-lock-mode`,
`s3:object-lock-remaining-retention-days`).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from lakegate.errors import LakegateError
from lakegate.storage import (
    RETENTION_DAYS_TAG,
    RETENTION_MODE_TAG,
    Retention,
    S3Storage,
)
from lakegate.templating import render
from promotion import audit
from rehearsal.definitions import audit_retention, retention_tags, write_once_buckets
from rehearsal.roles import Place, deployer_policy, role_policy
from tests import policy_eval, terraform
from tests.aws.test_iam_policies import TEMPLATES, document

PLACE = Place(prefix="lakegate")  # the names tests.aws.test_iam_policies renders with
SILVER = PLACE.buckets["silver"]
SILVER_ARN = f"arn:aws:s3:::{SILVER}"
WRITE_ONCE = terraform.INFRA / "modules/storage/policies/write_once.json.tftpl"
AT = datetime(2024, 4, 2, 9, 30, tzinfo=UTC)


def role_documents() -> dict[str, dict]:
    """Every identity Terraform deploys that could reach silver, with its policy."""
    documents = {persona: document(template) for persona, template in TEMPLATES.items()}
    for role in ("operator", "state_machine", "schedule"):
        documents[role] = role_policy(role, PLACE, [PLACE.topic_arn("alerts")])
    documents["deployer"] = deployer_policy(PLACE)
    return documents


# --- the bucket policy, judged as S3 judges it --------------------------------------


def _request_context(operation: str, params: dict) -> tuple[list[str], dict[str, str | None]]:
    """The IAM actions one S3 request needs, and the condition keys it carries."""
    if operation == "PutObject":
        actions = ["s3:PutObject"]
        if "ObjectLockMode" in params:
            actions.append("s3:PutObjectRetention")
    elif operation == "DeleteObject":
        actions = ["s3:DeleteObjectVersion" if "VersionId" in params else "s3:DeleteObject"]
    elif operation == "PutObjectRetention":
        actions = ["s3:PutObjectRetention"]
    else:
        actions = []
    if params.get("BypassGovernanceRetention"):
        actions.append("s3:BypassGovernanceRetention")
    until = params.get("ObjectLockRetainUntilDate")
    keys = {
        "s3:if-none-match": params.get("IfNoneMatch"),
        "s3:object-lock-mode": params.get("ObjectLockMode"),
        "s3:object-lock-remaining-retention-days": (
            str((until - datetime.now(UTC)).days) if until else None
        ),
    }
    return actions, keys


def bucket_policy_judge(policy: dict):
    """A botocore before-call handler: AccessDenied when an explicit Deny matches. It
    judges the call's parameters, which `remember_parameters` keeps in its context."""

    def judge(model, params, context=None, **_):
        params = (context or {}).get("judged_parameters", params)
        if params.get("Bucket") != SILVER or "Key" not in params:
            return None
        actions, keys = _request_context(model.name, params)
        resource = f"{SILVER_ARN}/{params['Key']}"
        for action in actions:
            if policy_eval.decide(policy, action, resource, keys) == policy_eval.DENY:
                response = AWSResponse("https://s3.invalid", 403, {}, None)
                error = {"Code": "AccessDenied", "Message": f"bucket policy denies {action}"}
                return response, {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 403}}
        return None

    return judge


def remember_parameters(params, context, **_):
    context["judged_parameters"] = dict(params)


def judged(client, policy: dict):
    client.meta.events.register("before-parameter-build.s3", remember_parameters)
    client.meta.events.register("before-call.s3", bucket_policy_judge(policy))
    return client


def write_once_policy(retention: Retention) -> dict:
    values = {"bucket_arn": SILVER_ARN, "mode": retention.mode, "days": retention.days}
    return json.loads(render(WRITE_ONCE.read_text(), values))


# --- the environment ------------------------------------------------------------------


@pytest.fixture(params=["dev", "prod"])
def silver(request):
    """Silver as Terraform creates it (Object Lock on, retention tags), one IAM user per
    role holding exactly its policy, and a client per role judged by the bucket policy."""
    retention = audit_retention(request.param)
    policy = write_once_policy(retention)
    with mock_aws():
        admin = boto3.client("s3", region_name=PLACE.region)
        admin.create_bucket(
            Bucket=SILVER,
            CreateBucketConfiguration={"LocationConstraint": PLACE.region},
            ObjectLockEnabledForBucket=True,
        )
        admin.put_bucket_tagging(Bucket=SILVER, Tagging={"TagSet": retention_tags(retention)})
        iam = boto3.client("iam", region_name="us-east-1")
        clients = {}
        for role, role_document in role_documents().items():
            user = re.sub(r"\W", "", role)
            iam.create_user(UserName=user)
            iam.put_user_policy(
                UserName=user, PolicyName=user, PolicyDocument=json.dumps(role_document)
            )
            key = iam.create_access_key(UserName=user)["AccessKey"]
            client = boto3.client(
                "s3",
                region_name=PLACE.region,
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
            )
            clients[role] = judged(client, policy)
        yield {"admin": admin, "roles": clients, "retention": retention}


def _refused(call) -> str | None:
    """The error code of a refused call, None when it succeeded (IAM on from the start)."""

    @set_initial_no_auth_action_count(0)
    def attempt():
        try:
            call()
        except ClientError as error:
            return error.response["Error"]["Code"]
        return None

    return attempt()


def _write_record(silver) -> tuple[str, str, bytes]:
    promoter = silver["roles"]["promoter"]
    store = S3Storage(promoter, SILVER)
    key = None

    @set_initial_no_auth_action_count(0)
    def write():
        nonlocal key
        key = audit.record(store, "transactions", "promote", AT, {"run_id": "R1", "version": 1})

    write()
    head = silver["admin"].head_object(Bucket=SILVER, Key=key)
    body = silver["admin"].get_object(Bucket=SILVER, Key=key)["Body"].read()
    return key, head["VersionId"], body


def test_the_promoter_writes_audit_records_under_the_environments_retention(silver):
    key, version, _ = _write_record(silver)
    head = silver["admin"].head_object(Bucket=SILVER, Key=key, VersionId=version)
    retention = silver["retention"]
    assert head["ObjectLockMode"] == retention.mode
    remaining = head["ObjectLockRetainUntilDate"] - datetime.now(UTC)
    assert timedelta(days=retention.days) <= remaining <= timedelta(days=retention.days + 1)


def test_no_role_can_delete_or_overwrite_an_audit_record(silver):
    key, version, body = _write_record(silver)
    shorter = datetime.now(UTC) + timedelta(hours=1)
    attempts = {
        "delete": dict(op="delete_object", Key=key),
        "delete the version": dict(op="delete_object", Key=key, VersionId=version),
        "delete bypassing governance": dict(
            op="delete_object", Key=key, VersionId=version, BypassGovernanceRetention=True
        ),
        "shorten the retention": dict(
            op="put_object_retention",
            Key=key,
            VersionId=version,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": shorter},
            BypassGovernanceRetention=True,
        ),
        "overwrite": dict(op="put_object", Key=key, Body=b'{"event": "forged"}'),
        "overwrite create-only": dict(
            op="put_object", Key=key, Body=b'{"event": "forged"}', IfNoneMatch="*"
        ),
    }
    allowed = []
    for role, client in silver["roles"].items():
        for name, attempt in attempts.items():
            params = {k: v for k, v in attempt.items() if k != "op"}
            call = getattr(client, attempt["op"])
            if _refused(lambda call=call, params=params: call(Bucket=SILVER, **params)) is None:
                allowed.append(f"{role}: {name}")
    assert allowed == []
    admin = silver["admin"]
    versions = admin.list_object_versions(Bucket=SILVER, Prefix=key)
    assert [v["VersionId"] for v in versions.get("Versions", [])] == [version]
    assert versions.get("DeleteMarkers", []) == []
    assert admin.get_object(Bucket=SILVER, Key=key)["Body"].read() == body


def test_object_lock_itself_holds_the_record_whatever_the_policies_say(silver):
    """With no policy in the way (moto's account root, IAM not enforced), the retention
    refuses the version's deletion; in COMPLIANCE even with the governance bypass."""
    key, version, body = _write_record(silver)
    admin = silver["admin"]
    with pytest.raises(ClientError, match="AccessDenied"):
        admin.delete_object(Bucket=SILVER, Key=key, VersionId=version)
    if silver["retention"].mode == "COMPLIANCE":
        with pytest.raises(ClientError, match="AccessDenied"):
            admin.delete_object(
                Bucket=SILVER, Key=key, VersionId=version, BypassGovernanceRetention=True
            )
    assert admin.get_object(Bucket=SILVER, Key=key, VersionId=version)["Body"].read() == body


def test_the_policy_refuses_records_without_the_retention():
    """What the bucket policy asks: create-only, the environment's mode, at least its
    days; a record the promoter writes carries exactly that."""
    retention = audit_retention("prod")
    judge = bucket_policy_judge(write_once_policy(retention))

    class Put:
        name = "PutObject"

    key = "transactions/_audit/20240402T093000000000Z.promote.R1.a1b2c3d4.json"
    until = retention.until(datetime.now(UTC))
    good = {"Bucket": SILVER, "Key": key, "IfNoneMatch": "*", "ObjectLockMode": retention.mode}
    assert judge(Put, {**good, "ObjectLockRetainUntilDate": until}) is None
    refused = {
        "no If-None-Match": {**good, "IfNoneMatch": None, "ObjectLockRetainUntilDate": until},
        "no lock": {"Bucket": SILVER, "Key": key, "IfNoneMatch": "*"},
        "another mode": {
            **good,
            "ObjectLockMode": "GOVERNANCE",
            "ObjectLockRetainUntilDate": until,
        },
        "a day short": {**good, "ObjectLockRetainUntilDate": until - timedelta(days=2)},
    }
    for name, params in refused.items():
        params = {k: v for k, v in params.items() if v is not None}
        assert judge(Put, params) is not None, name
    elsewhere = {"Bucket": SILVER, "Key": "transactions/_LATEST.json"}
    assert judge(Put, elsewhere) is None


def test_terraform_tags_the_buckets_with_the_names_the_promoter_reads():
    storage = terraform.text(terraform.INFRA / "modules/storage")
    assert f'"{RETENTION_MODE_TAG}" = var.audit_retention.mode' in storage
    assert f'"{RETENTION_DAYS_TAG}" = tostring(var.audit_retention.days)' in storage
    assert write_once_buckets() == ["silver", "gold"]
    assert audit_retention("prod").mode == "COMPLIANCE"


def test_a_badly_tagged_bucket_is_a_one_line_error():
    assert Retention.from_tags("b", {}) is None
    assert Retention.from_tags("b", {RETENTION_MODE_TAG: "COMPLIANCE", RETENTION_DAYS_TAG: "7"})
    for tags in (
        {RETENTION_MODE_TAG: "FOREVER", RETENTION_DAYS_TAG: "7"},
        {RETENTION_MODE_TAG: "COMPLIANCE", RETENTION_DAYS_TAG: "seven"},
        {RETENTION_MODE_TAG: "COMPLIANCE", RETENTION_DAYS_TAG: "0"},
        {RETENTION_MODE_TAG: "COMPLIANCE"},
    ):
        with pytest.raises(LakegateError, match=r"^bucket b: tag lakegate:audit-retention-"):
            Retention.from_tags("b", tags)
