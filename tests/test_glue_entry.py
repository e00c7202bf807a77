"""The Glue entry script runs as-is outside Glue (a plain SparkSession)."""

import json

from glue_jobs import ingest_transactions
from lakegate import layout
from lakegate.ids import Month
from lakegate.sample import generate


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
