"""The names of an environment's AWS resources, as Terraform gives them.

Every name is `<prefix>-<env>-<what>`, as Terraform gives it (infra/modules/lakegate:
local.name_prefix). The prefix is $LAKEGATE_NAME_PREFIX, or `lakegate-<account id>` of
the caller (one STS call), the default Terraform and infra/bootstrap use as well.
Clients are created here, at call time, never at import.
"""

from __future__ import annotations

import os
import re
from functools import cache

from lakegate.errors import BadArgument
from lakegate.ids import validate_dataset
from lakegate.layout import BUCKETS
from lakegate.storage import Lake

ENVIRONMENTS = ("dev", "sit", "prod")
PREFIX_VARIABLE = "LAKEGATE_NAME_PREFIX"
# As infra/modules/storage validates it: bucket and role names stay within AWS limits.
PREFIX = re.compile(r"[a-z][a-z0-9-]{1,20}")


def default_name_prefix(account_id: str) -> str:
    """The prefix when none is set: the account id keeps global bucket names apart."""
    return f"lakegate-{account_id}"


def validate_name_prefix(prefix: str) -> str:
    if not PREFIX.fullmatch(prefix):
        raise BadArgument(
            f"name prefix {prefix!r} must be 2-21 lower-case letters, digits or hyphens,"
            " starting with a letter"
        )
    return prefix


@cache
def _account_id() -> str:
    import boto3

    return boto3.client("sts").get_caller_identity()["Account"]


def name_prefix() -> str:
    """$LAKEGATE_NAME_PREFIX, or lakegate-<the caller's account id>."""
    explicit = os.environ.get(PREFIX_VARIABLE, "").strip()
    return validate_name_prefix(explicit or default_name_prefix(_account_id()))


def environment_name(env: str, prefix: str | None = None) -> str:
    """`<prefix>-<env>`, the name every resource of the environment starts with (the
    modules' local.name)."""
    if env not in ENVIRONMENTS:
        raise ValueError(f"environment {env!r} is not one of {', '.join(ENVIRONMENTS)}")
    return f"{validate_name_prefix(prefix) if prefix else name_prefix()}-{env}"


def bucket_names(env: str, prefix: str | None = None) -> dict[str, str]:
    return {bucket: f"{environment_name(env, prefix)}-{bucket}" for bucket in BUCKETS}


def environment_lake(env: str) -> Lake:
    import boto3

    return Lake.s3(boto3.client("s3"), bucket_names(env))


def glue_database(env: str, prefix: str | None = None) -> str:
    """The environment's catalog database: `<prefix>_<env>` with '-' as '_'
    (infra/modules/glue), or $LAKEGATE_GLUE_DATABASE."""
    named = os.environ.get("LAKEGATE_GLUE_DATABASE")
    return named or environment_name(env, prefix).replace("-", "_")


def pipeline_name(env: str, dataset: str, prefix: str | None = None) -> str:
    """`<prefix>-<env>-<dataset>`: every resource of one dataset's pipeline starts with
    it (infra/modules/glue and orchestration: for_each over the environment's
    datasets)."""
    return f"{environment_name(env, prefix)}-{validate_dataset(dataset)}"


def state_machine_name(env: str, dataset: str, prefix: str | None = None) -> str:
    """A dataset's ingestion state machine: `<prefix>-<env>-<dataset>-ingest`."""
    return f"{pipeline_name(env, dataset, prefix)}-ingest"


def glue_job_name(env: str, dataset: str, prefix: str | None = None) -> str:
    """A dataset's ingestion job (infra/modules/glue): `<prefix>-<env>-<dataset>-ingest`."""
    return f"{pipeline_name(env, dataset, prefix)}-ingest"


def gold_job_name(env: str, dataset: str, prefix: str | None = None) -> str:
    """The gold job of a dataset with a gold dataset: `<prefix>-<env>-<dataset>-gold`."""
    return f"{pipeline_name(env, dataset, prefix)}-gold"


def find_state_machine(sfn_client, env: str, dataset: str) -> str:
    from lakegate.errors import LakegateError

    wanted = state_machine_name(env, dataset)
    for page in sfn_client.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == wanted:
                return machine["stateMachineArn"]
    raise LakegateError(
        f"state machine {wanted} not found: is {dataset} deployed in the {env} environment"
        f" (datasets in infra/envs/{env}/main.tf)?"
    )


def console_link(execution_arn: str) -> str:
    region = execution_arn.split(":")[3]
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{execution_arn}"
    )
