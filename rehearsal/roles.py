"""Each role's policy as Terraform renders it: the same templates, the values the
modules pass (tests/test_rehearsal.py pins the names against the modules' templatefile
calls), for one emulated account."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lakegate import aws
from lakegate.templating import render

INFRA = Path(__file__).resolve().parent.parent / "infra" / "modules"
# role -> (module, template); the Terraform resource that attaches it is named alike.
TEMPLATES = {
    "job": ("iam", "job"),
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

    @property
    def name(self) -> str:  # local.name of every module
        return aws.state_machine_name(self.env).removesuffix("-ingest")

    @property
    def buckets(self) -> dict[str, str]:
        return aws.bucket_names(self.env)

    @property
    def kms_key_arn(self) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/lakegate-{self.env}"

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
        "glue_database": aws.glue_database(place.env),
        "athena_workgroup": f"{place.name}-analysts",
    }
    orchestration = {
        "glue_job_arn": place.job_arn(aws.glue_job_name(place.env)),
        "silver_bucket_arn": f"arn:{place.partition}:s3:::{place.buckets['silver']}",
        "dataset": place.dataset,
        "kms_key_arn": place.kms_key_arn,
        "topic_arns": json.dumps(topic_arns),
        "state_machine_arn": (
            f"arn:{place.partition}:states:{place.region}:{place.account}"
            f":stateMachine:{aws.state_machine_name(place.env)}"
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
