"""How the job runs in Spark: the input is scanned once, no Python UDF runs."""

from glue_jobs import parsing, sparkio, transforms
from glue_jobs.schemas import (
    PRIOR_FAILURES_SCHEMA,
    PUBLISHED_KEYS_SCHEMA,
    RELEASES_SCHEMA,
    TRANSACTIONS,
)
from lakegate.bronze import INPUT_COLUMNS
from lakegate.config import dataset_config
from lakegate.ids import Month
from lakegate_cli.sample import generate
from tests.helpers import RUN_AT


def _plan(df) -> str:
    return df._jdf.queryExecution().executedPlan().toString()


def test_validation_scans_bronze_once_and_uses_no_python_udf(spark, lake):
    months = [Month(2024, 3), Month(2024, 4)]
    expected = generate(lake["bronze"], "transactions", months, rows_per_month=50)
    uris = [lake["bronze"].uri(key) for key in expected.files]
    validated = parsing.bronze_lines(sparkio.read_bronze(spark, uris), INPUT_COLUMNS).transform(
        transforms.validate(dataset_config("transactions"))
    )
    plan = _plan(validated)
    # One scan per month folder (a month is one task), each file in exactly one scan.
    assert plan.count("FileScan text") == len(months), plan
    assert plan.count("InMemoryFileIndex(2 paths)") == len(months), plan
    for python_node in ("BatchEvalPython", "ArrowEvalPython", "PythonUDF", "FlatMapGroupsInPandas"):
        assert python_node not in plan

    # As the job does: persisted once, every output and the counts read the cached
    # validation, never bronze again, and no output needs a sort of every row.
    validated.persist()
    try:
        found = transforms.lookups(
            TRANSACTIONS,
            validated,
            spark.createDataFrame([], PUBLISHED_KEYS_SCHEMA),
            spark.createDataFrame([], PRIOR_FAILURES_SCHEMA),
            spark.createDataFrame([], RELEASES_SCHEMA),
            {},
        ).persist()
        notable = validated.transform(
            transforms.notable_rows(dataset_config("transactions"), found, "plan", RUN_AT)
        )
        outputs = [
            transforms.partition_rows(validated),
            transforms.outcome_counts(notable),
            validated.transform(transforms.valid_rows(found)).transform(
                transforms.silver_rows(TRANSACTIONS, "plan", "v1")
            ),
            notable.transform(transforms.quarantine_rows(TRANSACTIONS, "plan", RUN_AT)),
            notable.transform(transforms.condemned_rows(TRANSACTIONS, "plan", RUN_AT)),
        ]
        for output in outputs:
            output_plan = _plan(output)
            assert "InMemoryTableScan" in output_plan
            outside_cache = "".join(
                part.split("\n", 1)[-1] for part in output_plan.split("InMemoryRelation")
            )
            assert "FileScan text" not in output_plan.split("InMemoryRelation")[0]
            assert "Window" not in outside_cache
            for python_node in ("BatchEvalPython", "ArrowEvalPython", "PythonUDF"):
                assert python_node not in output_plan
    finally:
        validated.unpersist()


def test_a_month_is_one_task_and_one_file_per_partition(spark, lake, tmp_path):
    months = [Month(2024, 3), Month(2024, 4), Month(2024, 5)]
    expected = generate(lake["bronze"], "transactions", months, rows_per_month=60)
    uris = [lake["bronze"].uri(key) for key in expected.files]
    frame = sparkio.read_bronze(spark, uris)
    assert frame.rdd.getNumPartitions() == len(months)
    out = tmp_path / "out"
    lines = parsing.bronze_lines(frame, INPUT_COLUMNS)
    sparkio.write_partitioned(lines, out.as_uri(), ["source_file", "source_line"])
    files = sorted(out.rglob("*.parquet"))
    assert [f.parent.relative_to(out).as_posix() for f in files] == [m.partition for m in months]
