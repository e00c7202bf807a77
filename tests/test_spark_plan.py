"""How the job runs in Spark: the input is scanned once, no Python UDF runs."""

from glue_jobs import parsing, sparkio, transforms
from glue_jobs.schemas import PRIOR_FAILURES_SCHEMA, PUBLISHED_KEYS_SCHEMA
from lakegate.config import DEFAULT_CURRENCIES
from lakegate.ids import Month
from lakegate.sample import generate
from tests.helpers import RUN_AT


def _plan(df) -> str:
    return df._jdf.queryExecution().executedPlan().toString()


def test_validation_scans_bronze_once_and_uses_no_python_udf(spark, lake):
    expected = generate(lake["bronze"], "transactions", [Month(2024, 3)], rows_per_month=50)
    uris = [lake["bronze"].uri(key) for key in expected.files]
    classified = parsing.bronze_lines(sparkio.read_bronze(spark, uris)).transform(
        transforms.classify(
            DEFAULT_CURRENCIES,
            spark.createDataFrame([], PUBLISHED_KEYS_SCHEMA),
            spark.createDataFrame([], PRIOR_FAILURES_SCHEMA),
            "plan",
            RUN_AT,
        )
    )
    counts = transforms.outcome_counts(classified)
    plan = _plan(counts)
    assert plan.count("FileScan text") == 1, plan
    for python_node in ("BatchEvalPython", "ArrowEvalPython", "PythonUDF", "FlatMapGroupsInPandas"):
        assert python_node not in plan

    # Persisted, every output reads the cached classification, not bronze again.
    classified.persist()
    try:
        counts.collect()
        for output in (
            transforms.silver_rows("plan"),
            transforms.quarantine_rows("plan", RUN_AT),
            transforms.condemned_rows("plan", RUN_AT),
        ):
            output_plan = _plan(classified.transform(output))
            assert "InMemoryTableScan" in output_plan
            assert "FileScan text" not in output_plan.split("InMemoryRelation")[0]
    finally:
        classified.unpersist()
