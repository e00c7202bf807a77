"""The plain Spark job: what a tuned PySpark job without Lakegate's contract does.

Spark's CSV reader (files grouped by their header line, one read per header order,
white space trimmed by the reader, malformed lines in a corrupt-record column), the
same value rules as column expressions (required values, amount and timestamp
patterns and casts, the currency allow-list, the month of the folder), in-batch
duplicates by a window over TransactionID in file order (exact when every value
equals the first row's), the classified rows persisted once, then silver and the
failed rows written as Parquet partitioned by year/month, and the outcome counts.

What it leaves out, by design: line numbers, row hashes, duplicates against published
silver and attempt history (no history at all), raw text of every failed row, the
written-row check and _SUCCESS. Its counts therefore differ from the contract's in one
class only: a row re-sending a published TransactionID is valid here
(bench.run.without_history gives what it must count).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import eventlog
from glue_jobs.parsing import SOURCE_KEY_PATTERN
from glue_jobs.rules import AMOUNT_PATTERN, TIMESTAMP_PATTERN
from lakegate.bronze import INPUT_COLUMNS
from lakegate.config import DEFAULT_CURRENCIES

CORRUPT = "_corrupt_record"


def _by_header(files: list[Path]) -> dict[tuple[str, ...], list[str]]:
    """Files grouped by their header's column order (the reader maps fields by
    position, so each order is read with a schema in that order)."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for path in files:
        with path.open(encoding="utf-8", newline="") as f:
            header = tuple(name.strip() for name in f.readline().strip("\r\n").split(","))
        groups.setdefault(header, []).append(str(path))
    return groups


def classified(spark, files: list[Path]):
    from functools import reduce

    from pyspark.sql import DataFrame, Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    reads = []
    for header, paths in sorted(_by_header(files).items()):
        schema = StructType(
            [StructField(name, StringType()) for name in header]
            + [StructField(CORRUPT, StringType())]
        )
        reads.append(
            spark.read.options(
                header=True,
                mode="PERMISSIVE",
                columnNameOfCorruptRecord=CORRUPT,
                ignoreLeadingWhiteSpace=True,
                ignoreTrailingWhiteSpace=True,
            )
            .schema(schema)
            .csv(sorted(paths))
            .select(
                *INPUT_COLUMNS,
                CORRUPT,
                F.col("_metadata.file_path").alias("file"),
            )
        )
    rows = reduce(DataFrame.unionByName, reads).select(
        "*",
        F.regexp_extract("file", SOURCE_KEY_PATTERN, 2).alias("year"),
        F.regexp_extract("file", SOURCE_KEY_PATTERN, 3).alias("month"),
        F.monotonically_increasing_id().alias("row_id"),
    )
    amount, stamp = F.col("TransactionAmount"), F.col("TransactionTimestamp")
    typed = rows.select(
        "*",
        F.when(amount.rlike(AMOUNT_PATTERN), amount.cast("decimal(18,2)")).alias("amount"),
        F.when(stamp.rlike(TIMESTAMP_PATTERN), stamp.cast("timestamp")).alias("event_ts"),
    )
    value_error = F.when(F.col(CORRUPT).isNotNull(), "MALFORMED_ROW")
    for name in INPUT_COLUMNS:
        value_error = value_error.when(F.col(name).isNull(), "NULL_VALUE_ERROR")
    value_error = (
        value_error.when(F.col("amount").isNull() | F.col("event_ts").isNull(), "TYPE_ERROR")
        .when(~F.col("Currency").isin(*DEFAULT_CURRENCIES), "CURRENCY_ERROR")
        .when(
            (F.year("event_ts") != F.col("year").cast("int"))
            | (F.month("event_ts") != F.col("month").cast("int")),
            "PARTITION_MISMATCH",
        )
    )
    ruled = typed.select("*", value_error.alias("value_error"))
    batch = Window.partitionBy("TransactionID", F.col("value_error").isNull()).orderBy(
        "file", "row_id"
    )
    values = F.struct(*INPUT_COLUMNS)
    ranked = ruled.select(
        "*",
        F.row_number().over(batch).alias("rank"),
        F.first(values).over(batch).alias("first_values"),
    )
    error_type = (
        F.when(F.col("value_error").isNotNull(), F.col("value_error"))
        .when(F.col("rank") == 1, F.lit(None))
        .when(values == F.col("first_values"), "EXACT_DUPLICATE")
        .otherwise("DUPLICATE_IN_BATCH")
    )
    return ranked.select(
        *INPUT_COLUMNS, CORRUPT, "amount", "event_ts", "year", "month",
        error_type.alias("error_type"),
    )  # fmt: skip


def job(spark, bronze_files: list[Path], out: Path) -> dict:
    """Classify, write silver and the failed rows under `out`, count: the timed part."""
    from pyspark.sql import functions as F

    rows = classified(spark, bronze_files).persist()
    silver_columns = [
        "TransactionID", "CustomerID", F.col("amount").alias("TransactionAmount"),
        "Currency", F.col("event_ts").alias("TransactionTimestamp"), "year", "month",
    ]  # fmt: skip
    silver, failed = out / "silver", out / "failed"
    (
        rows.where(F.col("error_type").isNull())
        .select(*silver_columns)
        .write.partitionBy("year", "month")
        .parquet(str(silver))
    )
    (
        rows.where(F.col("error_type").isNotNull())
        .select(*INPUT_COLUMNS, F.col(CORRUPT).alias("raw_line"), "error_type", "year", "month")
        .write.partitionBy("year", "month")
        .parquet(str(failed))
    )
    counts = rows.groupBy("error_type").count().collect()  # one row per error class
    rows.unpersist()
    by_error = {r["error_type"]: r["count"] for r in counts if r["error_type"] is not None}
    valid = next((r["count"] for r in counts if r["error_type"] is None), 0)
    condemned = by_error.get("EXACT_DUPLICATE", 0)
    return {
        "engine": "spark",
        "input_rows": valid + sum(by_error.values()),
        "valid": valid,
        "quarantined": sum(by_error.values()) - condemned,
        "condemned": condemned,
        "by_error_type": dict(sorted(by_error.items())),
        "silver_dir": str(silver),
    }


def run(
    bronze_files: list[Path], published_files: list[Path], out: Path, event_log: Path | None = None
) -> dict:
    """The job in a Spark session of its own, built as Lakegate's local session is (same
    heap, cores and JVM options); Spark's start-up timed apart. `published_files` is
    ignored: this job has no history. With `event_log`, Spark writes its event log
    there and the result adds the job's Spark jobs and stages (bench.eventlog)."""
    from glue_jobs.session import local_session
    from lakegate_cli.javacheck import ensure_java17

    ensure_java17()
    started = time.perf_counter()
    spark = local_session("plain-spark-bench", **eventlog.spark_conf(event_log))
    spark.range(1).count()
    spark_start = time.perf_counter() - started
    job_started_ms = int(time.time() * 1000)
    started = time.perf_counter()
    result = job(spark, bronze_files, out)
    elapsed = time.perf_counter() - started
    app_id = spark.sparkContext.applicationId
    spark.stop()
    if event_log is not None:
        result["spark"] = eventlog.counts(event_log / app_id, job_started_ms)
        result["event_log"] = str(event_log / app_id)
    return {**result, "job_s": round(elapsed, 2), "spark_start_s": round(spark_start, 2)}
