"""The persona matrix of infra/README.md against the policy documents Terraform deploys.

The documents in infra/modules/iam/policies/ are rendered exactly as templatefile()
renders them, attached to IAM users in moto, and every row of the matrix is tried as
that user: GetObject for Read, PutObject for Write. moto's IAM engine evaluates Allow
and explicit Deny on resources; it ignores conditions, so those are checked by reading
the documents.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from lakegate.layout import BUCKETS
from lakegate.templating import render
from tests.terraform import INFRA

POLICIES = INFRA / "modules/iam/policies"
ACCOUNT = "123456789012"  # moto's account
DOMAIN = "payments"
VALUES = {
    "name": "lakegate-dev",
    "partition": "aws",
    "region": "eu-west-1",
    "account_id": ACCOUNT,
    **{f"{role}_arn": f"arn:aws:s3:::lakegate-dev-{role}" for role in BUCKETS},
    "kms_key_arn": f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0f6a1c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
    "glue_database": "lakegate_dev",
    "athena_workgroup": "lakegate-dev-analysts",
}
TEMPLATES = {
    "platform": "platform",
    "job": "job",
    "promoter": "promoter",
    f"domain `{DOMAIN}`": "domain",
    "analyst": "analyst",
    "compliance": "compliance",
    "data-quality": "data_quality",
}


def document(template: str) -> dict:
    values = {**VALUES, "domain": DOMAIN} if template == "domain" else VALUES
    return json.loads(render((POLICIES / f"{template}.json.tftpl").read_text(), values))


def matrix() -> list[dict]:
    readme = (INFRA / "README.md").read_text()
    table = readme.split("<!-- persona-matrix:start -->")[1].split("<!-- persona-matrix:end -->")[0]
    rows = [line for line in table.strip().splitlines() if line.startswith("|")][2:]
    parsed = []
    for line in rows:
        persona, bucket, key, read, write = (c.strip() for c in line.strip("|").split("|"))
        parsed.append(
            {
                "persona": persona,
                "bucket": bucket,
                "key": key.strip("`"),
                "read": read,
                "write": write,
            }
        )
    return parsed


MATRIX = matrix()


def test_the_matrix_covers_every_persona_and_bucket():
    pairs = {(row["persona"], row["bucket"]) for row in MATRIX}
    assert pairs == {(p, b) for p in TEMPLATES for b in BUCKETS}
    assert {row["read"] for row in MATRIX} <= {"yes", "no", "via Athena"}
    assert {row["write"] for row in MATRIX} <= {"yes", "no"}


@pytest.fixture(scope="module")
def as_persona():
    """An S3 client per persona, signed with the keys of a moto user holding its policy."""
    with mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        admin = boto3.client("s3", region_name="eu-west-1")
        for role in BUCKETS:
            admin.create_bucket(
                Bucket=f"lakegate-dev-{role}",
                CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
            )
        for row in MATRIX:  # every probed key exists, so a refused read is AccessDenied
            admin.put_object(Bucket=f"lakegate-dev-{row['bucket']}", Key=row["key"], Body=b"x")
        clients = {}
        for persona, template in TEMPLATES.items():
            user = re.sub(r"\W", "", persona)
            iam.create_user(UserName=user)
            iam.put_user_policy(
                UserName=user, PolicyName=template, PolicyDocument=json.dumps(document(template))
            )
            key = iam.create_access_key(UserName=user)["AccessKey"]
            clients[persona] = boto3.client(
                "s3",
                region_name="eu-west-1",
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
            )
        yield clients


def _allowed(call) -> bool:
    """Run one S3 call with IAM enforced from its first request."""

    @set_initial_no_auth_action_count(0)
    def attempt():
        try:
            call()
        except ClientError as error:
            if error.response["Error"]["Code"] == "AccessDenied":
                return False
            raise
        return True

    return attempt()


@pytest.mark.parametrize(
    "row", MATRIX, ids=lambda r: f"{r['persona'].split()[0]}-{r['bucket']}-{r['key']}"
)
def test_each_persona_can_do_exactly_what_the_matrix_says(as_persona, row):
    s3 = as_persona[row["persona"]]
    bucket = f"lakegate-dev-{row['bucket']}"
    can_read = _allowed(lambda: s3.get_object(Bucket=bucket, Key=row["key"]))
    can_write = _allowed(lambda: s3.put_object(Bucket=bucket, Key=row["key"], Body=b"probe"))
    assert can_read == (row["read"] in ("yes", "via Athena")), "read"
    assert can_write == (row["write"] == "yes"), "write"


def test_the_engine_really_refuses(as_persona):
    """A control: with the compliance policy, a write is refused, a read is not."""
    s3 = as_persona["compliance"]
    bronze = "lakegate-dev-bronze"
    key = "transactions/year=2024/month=03/day-01.csv"
    assert not _allowed(lambda: s3.put_object(Bucket=bronze, Key=key, Body=b"x"))
    assert _allowed(lambda: s3.get_object(Bucket=bronze, Key=key))


def _statements(template: str) -> list[dict]:
    return document(template)["Statement"]


def _actions(statement: dict) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else actions


def test_analysts_reach_data_only_through_athena():
    for statement in _statements("analyst"):
        touches_data = any(a.startswith(("s3:", "kms:")) for a in _actions(statement))
        if touches_data:
            condition = statement["Condition"]["ForAnyValue:StringEquals"]
            assert condition == {"aws:CalledVia": ["athena.amazonaws.com"]}, statement["Sid"]
    readable = {r for s in _statements("analyst") for r in s["Resource"] if ":s3:::" in r}
    assert readable == {VALUES["gold_arn"], VALUES["gold_arn"] + "/*"}


def test_compliance_and_analysts_have_no_write_action():
    # Running a query and encrypting its result in Athena's managed storage is not a write
    # to the lake: analysts need those, through Athena only (checked above).
    querying = {"athena:StartQueryExecution", "athena:StopQueryExecution", "kms:GenerateDataKey"}
    for template, allowed_extra in (("compliance", set()), ("analyst", querying)):
        for statement in _statements(template):
            for action in _actions(statement):
                verb = action.split(":")[1]
                read_only = verb.startswith(("Get", "List", "Describe", "Decrypt", "BatchGet"))
                assert read_only or action in allowed_extra, f"{template}: {action}"


def test_domain_listing_is_limited_to_the_domain_prefix():
    (listing,) = [s for s in _statements("domain") if "s3:ListBucket" in _actions(s)]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": [f"{DOMAIN}/*", f"{DOMAIN}/"]}}


def test_the_job_may_not_publish_even_if_an_allow_is_added_later():
    (deny,) = [s for s in _statements("job") if s["Effect"] == "Deny"]
    assert set(_actions(deny)) == {"s3:PutObject", "s3:DeleteObject"}
    for layer in ("silver", "gold"):
        arn = VALUES[f"{layer}_arn"]
        for name in ("_LATEST.json", "current/*", "_versions/*", "_audit/*"):
            assert f"{arn}/*/{name}" in deny["Resource"]


def test_metrics_are_limited_to_lakegate_and_glue_namespaces():
    (metrics,) = [s for s in _statements("job") if "cloudwatch:PutMetricData" in _actions(s)]
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": ["Lakegate", "Glue"]}}


def test_platform_may_not_change_bucket_policies_or_delete_buckets(as_persona):
    """The platform persona runs the lake, but the publication and the buckets' own
    protections (policy, versioning, Object Lock, lifecycle) are not its to change."""
    s3 = as_persona["platform"]
    bucket = "lakegate-dev-silver"
    attempts = {
        "DeleteBucketPolicy": lambda: s3.delete_bucket_policy(Bucket=bucket),
        "PutBucketVersioning": lambda: s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}
        ),
        "DeleteBucket": lambda: s3.delete_bucket(Bucket=bucket),
        "DeleteObject _audit": lambda: s3.delete_object(
            Bucket=bucket, Key="transactions/_audit/20240301T000000Z.promote.R.a1b2.json"
        ),
    }
    for name, call in attempts.items():
        assert not _allowed(call), name
    assert _allowed(lambda: s3.list_objects_v2(Bucket=bucket)), "a control"


def test_the_gold_job_has_its_own_role_reading_only_published_silver():
    """Ingestion and gold run as different roles: gold reads silver and writes gold run
    paths; it cannot read bronze nor write silver or quarantine."""
    from rehearsal.roles import Place, role_policy
    from tests import policy_eval
    from tests.terraform import resources

    place = Place()
    gold = role_policy("gold_job", place, [])
    arn = f"arn:aws:s3:::{place.name}"
    run_path = "transactions/schema_v=v1/run_id=R1/year=2024/month=03/part-0.parquet"
    gold_path = f"account_balances/schema_v=v1/run_id=G1/{run_path.split('run_id=R1/')[1]}"
    allowed = {
        ("s3:GetObject", f"{arn}-silver/{run_path}"): True,
        ("s3:PutObject", f"{arn}-gold/{gold_path}"): True,
        ("s3:GetObject", f"{arn}-bronze/transactions/year=2024/month=03/a.csv"): False,
        ("s3:PutObject", f"{arn}-silver/{run_path}"): False,
        ("s3:PutObject", f"{arn}-quarantine/transactions/quarantine/run_id=G1/x"): False,
        ("s3:PutObject", f"{arn}-gold/account_balances/_LATEST.json"): False,
    }
    for (action, resource), expected in allowed.items():
        decision = policy_eval.decide(gold, action, resource)
        assert (decision == policy_eval.ALLOW) == expected, (action, resource)
    jobs = resources(INFRA / "modules/glue")
    assert jobs[("aws_glue_job", "ingest")]["role_arn"] == "${var.job_role_arn}"
    assert jobs[("aws_glue_job", "gold")]["role_arn"] == "${var.gold_job_role_arn}"
