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
