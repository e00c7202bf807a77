"""The Glue entry script runs as-is outside Glue (a plain SparkSession)."""

import json

from glue_jobs import ingest_transactions
from lakegate import layout
from lakegate.ids import Month
from lakegate_cli.sample import generate


def test_glue_script_runs_with_glue_style_arguments(spark, lake, lake_root):
    generate(lake["bronze"], "transactions", [Month(2024, 3)], rows_per_month=60)
    argv = [
        "ingest_transactions.py",
        "--JOB_NAME",
        "lakegate-ingest",
        "--dataset",
        "transactions",
        *[
            x
            for b in ("bronze", "silver", "gold", "quarantine", "artifacts")
            for x in (f"--{b}", (lake_root / b).as_uri())
        ],
        "--run_type",
        "backfill",
        "--year",
        "2024",
        "--month",
        "3",
        "--run_id",
        "sfn-exec-1",
        "--execution_arn",
        "arn:aws:states:eu-west-1:123456789012:execution:lakegate:sfn-exec-1",
        "--code_version",
        "0.1.0+gabc1234",
        "--breaker_threshold",
        "200",
    ]
    summary = ingest_transactions.main(argv)
    written = json.loads(
        lake["silver"].read_bytes(layout.success_key("transactions", "v1", "sfn-exec-1"))
    )
    assert written == summary
    assert written["execution_arn"].endswith(":sfn-exec-1")
    assert written["code_version"] == "0.1.0+gabc1234"
    assert written["run_type"] == "backfill"
    assert written["thresholds"]["breaker_threshold"] == 200


def test_gold_glue_script_runs_with_glue_style_arguments(spark, lake, lake_root):
    from glue_jobs import gold_balances
    from lakegate.config import dataset_config
    from promotion.publisher import Promoter

    generate(lake["bronze"], "transactions", [Month(2024, 3)], rows_per_month=60)
    argv = ["ingest_transactions.py", "--JOB_NAME", "lakegate-ingest", "--dataset", "transactions"]
    for bucket in ("bronze", "silver", "gold", "quarantine", "artifacts"):
        argv += [f"--{bucket}", (lake_root / bucket).as_uri()]
    argv += ["--run_type", "backfill", "--year", "2024", "--month", "3", "--run_id", "in-1"]
    ingest_transactions.main(argv)
    lenient = dataset_config("transactions", max_quarantine_rate=1.0)
    Promoter(lake, lenient, lambda: "test").promote("in-1", "Ana", "for gold")
    gold_argv = ["gold_balances.py", "--JOB_NAME", "lakegate-gold"]
    for bucket in ("bronze", "silver", "gold", "quarantine", "artifacts"):
        gold_argv += [f"--{bucket}", (lake_root / bucket).as_uri()]
    gold_argv += ["--run_id", "gold-exec-1", "--code_version", "0.1.0+gabc1234"]
    summary = gold_balances.main(gold_argv)
    written = json.loads(
        lake["gold"].read_bytes(layout.success_key("account_balances", "v1", "gold-exec-1"))
    )
    assert written == summary and written["source"]["version"] == 1
    assert written["input_rows"] == summary["source"]["rows"] > 0


def test_a_scheduled_execution_passes_empty_values_and_the_job_reads_its_months():
    """Step Functions passes --year "", --month "" and --input_files "" on every scheduled
    run (the Defaults state); the script reads them as absent: the current month, and the
    previous one on the first days."""
    from datetime import UTC, datetime

    argv = ["ingest_transactions.py", "--JOB_NAME", "lakegate-dev-ingest"]
    argv += ["--dataset", "transactions", "--run_type", "scheduled"]
    for bucket in ("bronze", "silver", "gold", "quarantine", "artifacts"):
        argv += [f"--{bucket}", f"s3://lakegate-dev-{bucket}"]
    argv += ["--run_id", "exec-1", "--execution_arn", "arn:x", "--year", "", "--month", ""]
    argv += ["--input_files", ""]
    args = ingest_transactions.resolve_args(argv)
    assert (args["year"], args["month"], args["input_files"]) == ("", "", "")
    early = ingest_transactions.build_request(args, datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    assert (early.window.first, early.window.last) == (Month(2026, 11), Month(2026, 12))
    assert early.input_files == () and early.run_type == "scheduled"
    later = ingest_transactions.build_request(args, datetime(2026, 12, 20, 2, 0, tzinfo=UTC))
    assert (later.window.first, later.window.last) == (Month(2026, 12), Month(2026, 12))


def test_a_failing_gold_job_counts_its_failure_for_the_alarm(spark, lake, lake_root, monkeypatch):
    """Nothing else watches the gold job: its entry script counts the failure."""
    import boto3
    import pytest
    from moto import mock_aws

    from glue_jobs import gold_balances
    from lakegate.errors import LakegateError

    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    argv = ["gold_balances.py", "--JOB_NAME", "lakegate-gold", "--publish_metrics", "true"]
    for bucket in ("bronze", "silver", "gold", "quarantine", "artifacts"):
        argv += [f"--{bucket}", (lake_root / bucket).as_uri()]
    with mock_aws():
        with pytest.raises(LakegateError):  # nothing of transactions is published yet
            gold_balances.main([*argv, "--run_id", "gold-fails"])
        listed = boto3.client("cloudwatch").list_metrics(
            Namespace="Lakegate", MetricName="PipelineFailures"
        )["Metrics"]
    assert sorted(len(m["Dimensions"]) for m in listed) == [1, 2]
    assert all({"Name": "Dataset", "Value": "account_balances"} in m["Dimensions"] for m in listed)


def test_outside_glue_the_script_starts_spark_with_lakegates_settings(monkeypatch):
    """With no JVM handed over (no PYSPARK_GATEWAY_PORT) and no session running, the
    script builds its session through local_session; it never makes a bare SparkContext
    to probe for Glue first, which would fix Spark's defaults before Lakegate's apply."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    from glue_jobs import session

    built = []
    monkeypatch.delenv("PYSPARK_GATEWAY_PORT", raising=False)
    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    monkeypatch.setattr(session, "local_session", lambda name: built.append(name) or "spark")
    monkeypatch.setattr(session, "apply_correctness_conf", lambda spark: None)
    probed = []

    def bare_context(*args, **kwargs):
        probed.append(True)
        raise RuntimeError("no Glue here")

    monkeypatch.setattr(SparkContext, "getOrCreate", bare_context)
    assert ingest_transactions.spark_and_job("lakegate-dev-ingest", []) == ("spark", None)
    assert built == ["lakegate-dev-ingest"] and probed == []
