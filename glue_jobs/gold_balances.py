"""AWS Glue 5.1 entry script of the gold job: month-end balances from published silver.

Same pattern as ingest_transactions.py: Glue passes --key value arguments, the script
runs under GlueContext where Glue's JVM libraries exist and under a plain SparkSession
elsewhere.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime

from lakegate.summary import RunSummary

BUCKETS = ("bronze", "silver", "gold", "quarantine", "artifacts")
REQUIRED = ["JOB_NAME", *BUCKETS]
OPTIONAL = ["dataset", "run_id", "execution_arn", "code_version", "publish_metrics"]


def resolve_args(argv: list[str]) -> dict[str, str | None]:
    from awsglue.utils import getResolvedOptions

    args = dict(getResolvedOptions(argv, REQUIRED))
    present = [name for name in OPTIONAL if f"--{name}" in argv]
    args.update(getResolvedOptions(argv, present) if present else {})
    return {name: args.get(name) for name in REQUIRED + OPTIONAL}


def main(argv: list[str] | None = None) -> RunSummary:
    argv = list(sys.argv if argv is None else argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    args = resolve_args(argv)

    from glue_jobs.gold_job import GoldRequest, run_gold
    from glue_jobs.ingest_transactions import given, metrics_client, spark_and_job
    from lakegate import metrics
    from lakegate.config import GOLD_DATASET
    from lakegate.ids import new_run_id
    from lakegate.storage import Lake

    request = GoldRequest(
        run_id=args.get("run_id") or new_run_id(datetime.now(UTC), "scheduled"),
        source=args.get("dataset") or "transactions",
        code_version=args.get("code_version") or "unknown",
        execution_arn=args.get("execution_arn") or None,
    )
    lake = Lake.from_uris({name: given(args, name) for name in BUCKETS})
    spark, job = spark_and_job(given(args, "JOB_NAME"), argv)
    cloudwatch = metrics_client(args)
    try:
        summary = run_gold(spark, lake, request, cloudwatch=cloudwatch)
    except Exception:
        # Nothing else watches the gold job: its failure is counted for the
        # gold-job-failure alarm before the job fails.
        if cloudwatch is not None:
            metrics.publish_failure(cloudwatch, GOLD_DATASET, "scheduled")
        raise
    if job is not None:
        job.commit()
    return summary


if __name__ == "__main__":
    main()
