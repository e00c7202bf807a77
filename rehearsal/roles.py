"""Each role's policy as Terraform renders it: the same templates, the values the
modules pass (tests/aws/test_rehearsal.py pins the names against the modules' templatefile
calls), for one emulated account."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from lakegate import aws
from lakegate.templating import render

INFRA = Path(__file__).resolve().parent.parent / "infra" / "modules"
# role -> (module, template); the Terraform resource that attaches it is named alike.
TEMPLATES = {
    "job": ("iam", "job"),
    "gold_job": ("iam", "gold_job"),
    "state_machine": ("orchestration", "state_machine"),
    "promoter": ("iam", "promoter"),
    "operator": ("iam", "operator"),
    "schedule": ("orchestration", "schedule"),
}


@dataclass(frozen=True)
class Place:
    """Where the environment lives: account, region, environment, dataset."""

    env: str = "dev"
    account: str = "123456789012"
    region: str = "eu-west-1"
    dataset: str = "transactions"
    partition: str = "aws"
    prefix: str | None = None  # the name prefix; None: the default, lakegate-<account>

    @property
    def name_prefix(self) -> str:
        return self.prefix or aws.default_name_prefix(self.account)

    @property
    def name(self) -> str:  # local.name of every module
        return aws.environment_name(self.env, self.name_prefix)

    @property
    def buckets(self) -> dict[str, str]:
        return aws.bucket_names(self.env, self.name_prefix)

    @property
    def kms_key_arn(self) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{self.name}"

    def job_arn(self, job: str) -> str:
        return f"arn:{self.partition}:glue:{self.region}:{self.account}:job/{job}"

    def topic_arn(self, topic: str) -> str:
        return f"arn:{self.partition}:sns:{self.region}:{self.account}:{self.name}-{topic}"


def policy_values(place: Place, topic_arns: list[str]) -> dict[str, dict[str, object]]:
    """The values each module passes to its templates (infra/modules/iam: local.policy_values;
    orchestration: the state machine's templatefile call)."""
    iam = {
        "name": place.name,
        "partition": place.partition,
        "region": place.region,
        "account_id": place.account,
        **{f"{role}_arn": f"arn:{place.partition}:s3:::{b}" for role, b in place.buckets.items()},
        "kms_key_arn": place.kms_key_arn,
        "glue_database": aws.glue_database(place.env, place.name_prefix),
        "athena_workgroup": f"{place.name}-analysts",
    }
    orchestration = {
        "glue_job_arn": place.job_arn(
            aws.glue_job_name(place.env, place.dataset, place.name_prefix)
        ),
        "silver_bucket_arn": f"arn:{place.partition}:s3:::{place.buckets['silver']}",
        "dataset": place.dataset,
        "kms_key_arn": place.kms_key_arn,
        "topic_arns": json.dumps(topic_arns),
        "state_machine_arn": (
            f"arn:{place.partition}:states:{place.region}:{place.account}"
            f":stateMachine:{aws.state_machine_name(place.env, place.dataset, place.name_prefix)}"
        ),
    }
    return {"iam": iam, "orchestration": orchestration}


def template_path(role: str) -> Path:
    module, template = TEMPLATES[role]
    return INFRA / module / "policies" / f"{template}.json.tftpl"


def role_policy(role: str, place: Place, topic_arns: list[str]) -> dict:
    module, _ = TEMPLATES[role]
    values = policy_values(place, topic_arns)[module]
    return json.loads(render(template_path(role).read_text(), values))


# --- policies Terraform builds as aws_iam_policy_document data sources ------------------
# The deployer's policy stays HCL, where checkov's privilege-escalation checks read it;
# this renders it as the provider would, for one account.
CONDITION_KEYS = {"test": "test", "variable": "variable", "values": "values"}
HCL_ELEMENTS = {
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}


INTERPOLATION = re.compile(r"\$\{([^{}]+)\}")


def unquote(value: str) -> str:
    return value[1:-1] if value[:1] == value[-1:] == '"' else value


def interpolate(text: str, refs: dict[str, str]) -> str:
    """An HCL value as python-hcl2 gives it ("${local.code}/x", var.schema_v, "text"), with
    every reference replaced from `refs`; references to locals are followed."""
    text = unquote(text.strip())
    if text in refs:  # a bare reference (var.schema_v)
        text = refs[text]
    for _ in range(5):  # locals refer to locals and variables
        expanded = INTERPOLATION.sub(lambda m: refs[m.group(1).strip()], text)
        if expanded == text:
            return unquote(expanded)
        text = unquote(expanded)
    raise ValueError(f"unresolved interpolation in {text!r}")


def hcl_policy_document(module: str, name: str, refs: dict[str, str]) -> dict:
    """The JSON of `data "aws_iam_policy_document" "<name>"` in infra/modules/<module>."""
    import hcl2

    blocks = []
    for file in sorted((INFRA / module).glob("*.tf")):
        for data in hcl2.loads(file.read_text()).get("data", []):
            document = data.get('"aws_iam_policy_document"', {}).get(f'"{name}"')
            if document:
                blocks.append(document)
    if len(blocks) != 1:
        raise ValueError(f"infra/modules/{module} has {len(blocks)} policy documents {name}")
    statements = []
    for statement in blocks[0].get("statement", []):
        rendered = {
            "Sid": interpolate(statement.get("sid", '""'), refs),
            "Effect": interpolate(statement.get("effect", '"Allow"'), refs),
        }
        for hcl, key in HCL_ELEMENTS.items():
            if hcl in statement:
                rendered[key] = [interpolate(v, refs) for v in statement[hcl]]
        conditions: dict[str, dict[str, list[str]]] = {}
        for condition in statement.get("condition", []):
            test, variable = (
                interpolate(condition["test"], refs),
                interpolate(condition["variable"], refs),
            )
            values = [interpolate(v, refs) for v in condition["values"]]
            conditions.setdefault(test, {})[variable] = values
        if conditions:
            rendered["Condition"] = conditions
        statements.append(rendered)
    return {"Version": "2012-10-17", "Statement": statements}


def _github_oidc_refs(place: Place) -> dict[str, str]:
    """The values infra/modules/github_oidc's policy documents refer to, for one place."""
    arn = f"arn:{place.partition}"
    return {
        "local.arn": arn,
        "local.name": place.name,
        "local.account": place.account,
        "local.region": place.region,
        "var.environment": place.env,
        "var.state_bucket_arn": f"{arn}:s3:::{place.name}-tfstate",  # infra/bootstrap
        'replace(local.name, "-", "_")': place.name.replace("-", "_"),
    }


def deployer_policy(place: Place) -> dict:
    """The deployer's policy (infra/modules/github_oidc) for the place's environment."""
    return hcl_policy_document("github_oidc", "deployer", _github_oidc_refs(place))


def planner_policy(place: Place) -> dict:
    """The planner's read-only policy (infra/modules/github_oidc)."""
    return hcl_policy_document("github_oidc", "planner", _github_oidc_refs(place))
