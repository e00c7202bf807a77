"""The AWS side of the command line: an environment's buckets and the caller's identity.

Bucket names follow `<prefix>-<env>-<role>` (prefix `lakegate`, or
$LAKEGATE_BUCKET_PREFIX), the names Terraform gives them. Clients are created here,
at call time, never at import.
"""

from __future__ import annotations

import os

from lakegate.layout import BUCKETS
from lakegate.storage import Lake

ENVIRONMENTS = ("dev", "sit", "prod")


def environment_name(env: str) -> str:
    """`<prefix>-<env>`, the name every resource of the environment starts with (the
    modules' local.name)."""
    return f"{os.environ.get('LAKEGATE_BUCKET_PREFIX', 'lakegate')}-{env}"


def bucket_names(env: str) -> dict[str, str]:
    if env not in ENVIRONMENTS:
        raise ValueError(f"environment {env!r} is not one of {', '.join(ENVIRONMENTS)}")
    return {bucket: f"{environment_name(env)}-{bucket}" for bucket in BUCKETS}


def environment_lake(env: str) -> Lake:
    import boto3

    return Lake.s3(boto3.client("s3"), bucket_names(env))


def caller_arn() -> str:
    import boto3

    from promotion.identity import aws_caller

    return aws_caller(boto3.client("sts"))


def glue_database(env: str) -> str:
    """The environment's catalog database: `lakegate_<env>` (infra/modules/glue), or
    $LAKEGATE_GLUE_DATABASE."""
    return os.environ.get("LAKEGATE_GLUE_DATABASE", f"lakegate_{env}")


def glue_catalog(env: str, dataset: str):
    """The environment's published table `<dataset>` (Terraform makes it)."""
    import boto3

    from promotion.catalog import GlueCatalog

    return GlueCatalog(boto3.client("glue"), glue_database(env), dataset)


def state_machine_name(env: str) -> str:
    return f"{environment_name(env)}-ingest"


def glue_job_name(env: str) -> str:
    """The ingestion job (infra/modules/glue): `<prefix>-<env>-ingest`."""
    return f"{environment_name(env)}-ingest"


def gold_job_name(env: str) -> str:
    """The gold job (infra/modules/glue): `<prefix>-<env>-gold`."""
    return f"{environment_name(env)}-gold"


def find_state_machine(sfn_client, env: str) -> str:
    from lakegate.errors import LakegateError

    wanted = state_machine_name(env)
    for page in sfn_client.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == wanted:
                return machine["stateMachineArn"]
    raise LakegateError(f"state machine {wanted} not found: is the {env} environment deployed?")


def console_link(execution_arn: str) -> str:
    region = execution_arn.split(":")[3]
    return (
        f"https://{region}.console.aws.amazon.com/states/home?region={region}"
        f"#/v2/executions/details/{execution_arn}"
    )
