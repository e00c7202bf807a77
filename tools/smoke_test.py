"""Post-deploy smoke test of an environment (run by the deploy workflow as the deployer).

    python tools/smoke_test.py --env dev --code-version 0.1.0+g1a2b3c4d5e6f

Checks, one line each: every lake bucket exists and blocks all public access; the Glue
job runs the script and wheel of this code version, and both objects are in the
artifacts bucket; the ingestion state machine exists and is active. The jobs and state
machines are checked for every dataset the environment deploys (--dataset, repeated; the
deploy workflow passes the Terraform output's datasets). Exit 1 if any fails.
"""

from __future__ import annotations

import argparse
import sys

from botocore.exceptions import ClientError

from lakegate import aws

PUBLIC_ACCESS_SETTINGS = (
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
)


def check_buckets(s3, env: str) -> list[tuple[bool, str]]:
    results = []
    for role, bucket in aws.bucket_names(env).items():
        try:
            config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        except ClientError as error:
            results.append((False, f"bucket {bucket}: {error.response['Error']['Code']}"))
            continue
        open_settings = [k for k in PUBLIC_ACCESS_SETTINGS if not config.get(k)]
        if open_settings:
            results.append((False, f"bucket {bucket}: public access not blocked: {open_settings}"))
        else:
            results.append((True, f"bucket {bucket} ({role}) exists and blocks public access"))
    return results


def check_glue_job(glue, s3, env: str, dataset: str, code_version: str) -> list[tuple[bool, str]]:
    name = aws.glue_job_name(env, dataset)
    artifacts = aws.bucket_names(env)["artifacts"]
    prefix = f"glue/{code_version}/"
    script = f"s3://{artifacts}/{prefix}ingest_transactions.py"
    wheel = f"s3://{artifacts}/{prefix}lakegate-{code_version}-py3-none-any.whl"
    try:
        job = glue.get_job(JobName=name)["Job"]
    except ClientError as error:
        return [(False, f"glue job {name}: {error.response['Error']['Code']}")]
    results = []
    location = job["Command"]["ScriptLocation"]
    results.append((location == script, f"glue job {name} runs {location} (want {script})"))
    modules = job.get("DefaultArguments", {}).get("--additional-python-modules")
    results.append((modules == wheel, f"glue job {name} installs {modules} (want {wheel})"))
    for uri in (script, wheel):
        key = uri.removeprefix(f"s3://{artifacts}/")
        try:
            s3.head_object(Bucket=artifacts, Key=key)
            results.append((True, f"artifact {uri} is uploaded"))
        except ClientError as error:
            results.append((False, f"artifact {uri}: {error.response['Error']['Code']}"))
    return results


def check_state_machine(sfn, env: str, dataset: str) -> list[tuple[bool, str]]:
    from lakegate.errors import LakegateError

    try:
        arn = aws.find_state_machine(sfn, env, dataset)
    except LakegateError as error:
        return [(False, str(error))]
    status = sfn.describe_state_machine(stateMachineArn=arn).get("status", "ACTIVE")
    return [(status == "ACTIVE", f"state machine {arn} is {status}")]


def run(
    session, env: str, code_version: str, datasets: tuple[str, ...] = ("transactions",)
) -> list[tuple[bool, str]]:
    s3 = session.client("s3")
    glue, sfn = session.client("glue"), session.client("stepfunctions")
    return [
        *check_buckets(s3, env),
        *[
            result
            for dataset in datasets
            for result in (
                *check_glue_job(glue, s3, env, dataset, code_version),
                *check_state_machine(sfn, env, dataset),
            )
        ],
    ]


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", required=True, choices=aws.ENVIRONMENTS)
    parser.add_argument("--code-version", required=True)
    parser.add_argument(
        "--dataset",
        action="append",
        dest="datasets",
        help="a dataset the environment deploys (repeat; default: transactions)",
    )
    args = parser.parse_args(argv)
    datasets = tuple(args.datasets or ("transactions",))
    results = run(boto3.session.Session(), args.env, args.code_version, datasets)
    for ok, line in results:
        print(f"{'ok  ' if ok else 'FAIL'} {line}")
    failed = sum(not ok for ok, _ in results)
    print(f"smoke test of {args.env}: {len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
