"""AWS Glue 5.1 entry script of the ingestion job (uploaded as the job's script).

Glue passes --key value arguments; getResolvedOptions reads them. Only this script
imports awsglue. With the Glue runtime present it runs under GlueContext/Job; anywhere
else (tests, a laptop) under a plain SparkSession, so the same script runs in both.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from lakegate.summary import RunSummary

REQUIRED = [
    "JOB_NAME",
    "dataset",
    "bronze",
    "silver",
    "quarantine",
    "gold",
    "artifacts",
    "run_type",
]
OPTIONAL = [
    "year",
    "month",
    "to_year",
    "to_month",
    "run_id",
    "execution_arn",
    "breaker_threshold",
    "max_quarantine_rate",
    "lookback_months",
    "code_version",
    "publish_metrics",
    "input_files",
    "schema_v",
]


def resolve_args(argv: list[str]) -> dict[str, str | None]:
    from awsglue.utils import getResolvedOptions

    args = dict(getResolvedOptions(argv, REQUIRED))
    present = [name for name in OPTIONAL if f"--{name}" in argv]
    args.update(getResolvedOptions(argv, present) if present else {})
    return {name: args.get(name) for name in REQUIRED + OPTIONAL}


def given(args: dict[str, str | None], name: str) -> str:
    """An argument the run needs: its value, or a one-line error naming it."""
    value = args.get(name)
    if not value:
        from lakegate.errors import BadArgument

        raise BadArgument(f"--{name} is required")
    return value


def spark_and_job(job_name: str, argv: list[str]):
    """(spark, glue Job or None): GlueContext only where Glue's JVM libraries exist.

    Glue (like spark-submit) starts the JVM before the script and hands it over in
    PYSPARK_GATEWAY_PORT. Without one, and without a session already running, this
    process starts its own: through local_session, so that Lakegate's settings (memory,
    shuffle partitions) apply, not those of a bare SparkContext made to probe for Glue."""
    import os

    from pyspark.sql import SparkSession

    from glue_jobs.session import apply_correctness_conf, local_session

    if "PYSPARK_GATEWAY_PORT" not in os.environ and SparkSession.getActiveSession() is None:
        spark = local_session(job_name)
        apply_correctness_conf(spark)
        return spark, None
    try:
        from awsglue.context import GlueContext
        from awsglue.job import Job
        from pyspark.context import SparkContext

        glue = GlueContext(SparkContext.getOrCreate())
    except Exception:  # no Glue runtime: TypeError/Py4JError from the missing JVM classes
        active = SparkSession.getActiveSession()
        spark = active or local_session(job_name)
        apply_correctness_conf(spark)
        return spark, None
    job = Job(glue)
    job.init(job_name, {"JOB_NAME": job_name})
    apply_correctness_conf(glue.spark_session)
    return glue.spark_session, job


def metrics_client(args: dict[str, str | None]):
    """A CloudWatch client when --publish_metrics true (as on Glue), else None."""
    if (args.get("publish_metrics") or "false").lower() != "true":
        return None
    import boto3

    return boto3.client("cloudwatch")


def build_request(args: dict[str, str | None], today: datetime):
    from glue_jobs.job import IngestRequest
    from lakegate.config import dataset_config
    from lakegate.ids import Month, MonthWindow, new_run_id, scheduled_window

    def number(name: str, cast):
        return cast(args[name]) if args.get(name) not in (None, "") else None

    if args.get("year") and args.get("month"):
        first = Month.parse(given(args, "year"), given(args, "month"))
        last = (
            Month.parse(given(args, "to_year"), given(args, "to_month"))
            if args.get("to_year")
            else first
        )
        window = MonthWindow(first, last)
    else:
        window = scheduled_window(today)
    run_type = given(args, "run_type")
    return IngestRequest(
        config=dataset_config(
            given(args, "dataset"),
            breaker_threshold=number("breaker_threshold", int),
            max_quarantine_rate=number("max_quarantine_rate", float),
            lookback_months=number("lookback_months", int),
            schema_v=args.get("schema_v") or None,
        ),
        window=window,
        run_id=args.get("run_id") or new_run_id(today, run_type),
        run_type=run_type,
        execution_arn=args.get("execution_arn") or None,
        code_version=args.get("code_version") or "unknown",
        input_files=tuple(k for k in (args.get("input_files") or "").split(",") if k),
    )


def main(argv: list[str] | None = None) -> RunSummary:
    argv = list(sys.argv if argv is None else argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    args = resolve_args(argv)
    request = build_request(args, datetime.now(UTC))

    from glue_jobs.job import run_ingest
    from lakegate.storage import Lake

    lake = Lake.from_uris(
        {
            name: given(args, name)
            for name in ("bronze", "silver", "gold", "quarantine", "artifacts")
        }
    )
    spark, job = spark_and_job(given(args, "JOB_NAME"), argv)
    summary = run_ingest(spark, lake, request, cloudwatch=metrics_client(args))
    if job is not None:
        job.commit()
    return summary


if __name__ == "__main__":
    main()
