"""No escalation through the deployer: every role it makes carries the permissions
boundary, and neither the boundary nor the deploy roles are its to change.

The deployer's policy is rendered from its HCL (infra/modules/github_oidc) as the
provider renders it, and judged with AWS's rules, conditions included
(tests/policy_eval.py; moto skips the conditions these statements rest on).
"""

from __future__ import annotations

import json

import pytest

from rehearsal.roles import Place, deployer_policy
from tests import policy_eval, terraform
from tools import iam_lint

PLACE = Place()
IAM = f"arn:aws:iam::{PLACE.account}"
BOUNDARY = f"{IAM}:policy/{PLACE.name}-boundary"
JOB_ROLE = f"{IAM}:role/{PLACE.name}-glue-job"  # the ingestion job's
BOUNDARY_DOCUMENT = json.loads(
    (terraform.INFRA / "modules/github_oidc/policies/boundary.json").read_text()
)


@pytest.fixture(scope="module")
def deployer() -> dict:
    return deployer_policy(PLACE)


def decide(document: dict, action: str, resource: str, **context: str) -> str:
    keys = {key.replace("__", ":"): value for key, value in context.items()}
    return policy_eval.decide(document, action, resource, keys)


def test_the_deployer_creates_roles_only_with_the_boundary(deployer):
    new_role = f"{IAM}:role/{PLACE.name}-something"
    assert decide(deployer, "iam:CreateRole", new_role, iam__PermissionsBoundary=BOUNDARY) == (
        policy_eval.ALLOW
    )
    assert decide(deployer, "iam:CreateRole", new_role) == policy_eval.DENY
    other = f"{IAM}:policy/{PLACE.name}-wide-open"
    assert decide(deployer, "iam:CreateRole", new_role, iam__PermissionsBoundary=other) == (
        policy_eval.DENY
    )


@pytest.mark.parametrize(
    "action", ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRolePolicy"]
)
def test_the_deployer_changes_policies_only_of_roles_under_the_boundary(deployer, action):
    context = {"iam:PolicyARN": f"{IAM}:policy/{PLACE.name}-job"}
    with_boundary = {**context, "iam:PermissionsBoundary": BOUNDARY}
    assert policy_eval.decide(deployer, action, JOB_ROLE, with_boundary) == policy_eval.ALLOW
    assert policy_eval.decide(deployer, action, JOB_ROLE, context) == policy_eval.DENY


@pytest.mark.parametrize(
    "action",
    [
        "iam:DeleteRolePermissionsBoundary",
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
    ],
)
def test_the_boundary_is_not_the_deployers_to_change_or_drop(deployer, action):
    resource = JOB_ROLE if "Role" in action else BOUNDARY
    assert decide(deployer, action, resource, iam__PermissionsBoundary=BOUNDARY) == (
        policy_eval.DENY
    )
    if action == "iam:CreatePolicyVersion":  # a control: its own policies it may change
        own = f"{IAM}:policy/{PLACE.name}-job"
        assert decide(deployer, action, own) == policy_eval.ALLOW


@pytest.mark.parametrize("role", ["deployer", "planner"])
@pytest.mark.parametrize(
    "action", ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:UpdateAssumeRolePolicy"]
)
def test_the_deployer_cannot_change_the_deploy_roles(deployer, role, action):
    arn = f"{IAM}:role/{PLACE.name}-{role}"
    context = {"iam:PermissionsBoundary": BOUNDARY, "iam:PolicyARN": f"{IAM}:policy/{PLACE.name}-x"}
    assert policy_eval.decide(deployer, action, arn, context) == policy_eval.DENY


def test_the_deployer_attaches_no_arbitrary_managed_policy(deployer):
    context = {"iam:PermissionsBoundary": BOUNDARY}
    for policy in ("arn:aws:iam::aws:policy/AdministratorAccess", f"{IAM}:policy/other-admin"):
        decision = policy_eval.decide(
            deployer, "iam:AttachRolePolicy", JOB_ROLE, {**context, "iam:PolicyARN": policy}
        )
        assert decision != policy_eval.ALLOW, policy
    assert decide(deployer, "iam:CreateUser", f"{IAM}:user/anyone") == policy_eval.IMPLICIT


def test_every_role_a_deployment_creates_carries_the_boundary():
    for module in ("iam", "orchestration"):
        roles = {
            name: body
            for (tf_type, name), body in terraform.resources(
                terraform.INFRA / "modules" / module
            ).items()
            if tf_type == "aws_iam_role"
        }
        assert roles, module
        for name, body in roles.items():
            assert body.get("permissions_boundary") == "${var.permissions_boundary_arn}", name
    wiring = terraform.labelled(terraform.INFRA / "modules/lakegate", "module")
    for module in ("iam", "orchestration"):
        assert wiring[module]["permissions_boundary_arn"] == "${local.permissions_boundary_arn}"
    lakegate = terraform.text(terraform.INFRA / "modules/lakegate")
    assert ":policy/${local.name_prefix}-${var.environment}-boundary" in lakegate
    github_oidc = terraform.resources(terraform.INFRA / "modules/github_oidc")
    boundary = github_oidc[("aws_iam_policy", "boundary")]
    assert terraform.unquote(boundary["name"]) == "${local.name}-boundary"


def _role_documents() -> dict[str, dict]:
    """Every role and persona policy (the documents the IAM lint reads, minus the deploy
    roles, which bootstrap makes without the boundary, and the boundary itself)."""
    docs = iam_lint.documents(PLACE)
    return {k: v for k, v in docs.items() if k not in ("deployer", "planner", "boundary")}


def test_the_boundary_allows_what_every_role_needs():
    """A role's policy is cut by the boundary: each of its allowed actions must pass."""
    cut = []
    for role, role_document in _role_documents().items():
        for statement in role_document["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                if policy_eval.decide(BOUNDARY_DOCUMENT, action, "*") != policy_eval.ALLOW:
                    cut.append(f"{role}: {action}")
    assert cut == []


@pytest.mark.parametrize(
    "action",
    [
        "iam:CreateRole",
        "iam:PassRole",
        "sts:AssumeRole",
        "s3:PutBucketPolicy",
        "s3:DeleteBucket",
        "s3:BypassGovernanceRetention",
        "s3:PutBucketObjectLockConfiguration",
        "kms:ScheduleKeyDeletion",
        "kms:PutKeyPolicy",
    ],
)
def test_the_boundary_refuses_what_no_role_may_do(action):
    assert policy_eval.decide(BOUNDARY_DOCUMENT, action, "*") != policy_eval.ALLOW


def test_the_deployer_touches_only_the_states_objects(deployer):
    state = f"arn:aws:s3:::{PLACE.name}-tfstate"
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert decide(deployer, action, f"{state}/lakegate/dev.tfstate") == policy_eval.ALLOW
    assert decide(deployer, "s3:ListBucket", state) == policy_eval.ALLOW
    for action in (
        "s3:PutBucketPolicy",
        "s3:DeleteBucket",
        "s3:PutBucketVersioning",
        "s3:PutLifecycleConfiguration",
        "s3:DeleteObjectVersion",
    ):
        resource = f"{state}/lakegate/dev.tfstate" if "Object" in action else state
        assert decide(deployer, action, resource) == policy_eval.DENY, action
    lake = f"arn:aws:s3:::{PLACE.name}-silver"
    assert decide(deployer, "s3:PutBucketPolicy", lake) == policy_eval.ALLOW  # Terraform's
