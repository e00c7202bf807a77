"""Builders for Spark test inputs, from the project's schema constants."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from glue_jobs import parsing, transforms
from glue_jobs.schemas import (
    PRIOR_FAILURES_SCHEMA,
    PUBLISHED_KEYS_SCHEMA,
    RELEASES_SCHEMA,
    TRANSACTIONS,
)
from lakegate.bronze import INPUT_COLUMNS
from lakegate.config import DEFAULT_CURRENCIES, dataset_config
from lakegate.metrics import VALID

HEADER = ",".join(INPUT_COLUMNS)
RUN_AT = datetime(2026, 1, 21, 12, 0, tzinfo=UTC)


def files_frame(spark: SparkSession, files: dict[str, str]) -> DataFrame:
    """{bronze key: file text} -> the (uri, value) rows the bronze reader produces."""
    rows = [(f"file:/lake/bronze/{key}", text) for key, text in files.items()]
    return spark.createDataFrame(rows, "uri string, value string")


def csv_file(*lines: str, header: str = HEADER) -> str:
    return "\n".join([header, *lines]) + "\n"


def expected_hash(*values: str) -> str:
    """The documented row_hash: SHA-256 over the five trimmed values joined by U+001F."""
    return hashlib.sha256("\x1f".join(v.strip() for v in values).encode()).hexdigest()


def published_frame(spark: SparkSession, rows: list[tuple[str, str]]) -> DataFrame:
    return spark.createDataFrame(rows, PUBLISHED_KEYS_SCHEMA)


def prior_frame(spark: SparkSession, rows: list[tuple]) -> DataFrame:
    """Earlier failed rows; a row may stop after retry_history (a quarantined row of an
    unnamed run: run_id, quarantined_at and condemned_reason null)."""
    width = len(PRIOR_FAILURES_SCHEMA.fields)
    return spark.createDataFrame(
        [tuple(r) + (None,) * (width - len(r)) for r in rows], PRIOR_FAILURES_SCHEMA
    )


def released_frame(spark: SparkSession, rows: list[tuple[str, datetime]]) -> DataFrame:
    return spark.createDataFrame(rows, RELEASES_SCHEMA)


def lookups(
    spark: SparkSession,
    validated: DataFrame,
    published: list[tuple[str, str]] | None = None,
    prior: list[tuple] | None = None,
    released: list[tuple[str, datetime]] | None = None,
    landed: dict[str, datetime] | None = None,
) -> transforms.Lookups:
    return transforms.lookups(
        TRANSACTIONS,
        validated,
        published_frame(spark, published or []),
        prior_frame(spark, prior or []),
        released_frame(spark, released or []),
        landed or {},
    )


def validated_files(
    spark: SparkSession, files: dict[str, str], currencies: tuple[str, ...] = DEFAULT_CURRENCIES
) -> DataFrame:
    """The validated lines of `files`, materialised first as the job persists them (a
    local checkpoint here): plans over an unmaterialised frame push the duplicate
    checks' filter through every validation step and grow to megabytes, which every
    test would pay for."""
    lines = parsing.bronze_lines(files_frame(spark, files), INPUT_COLUMNS)
    config = dataset_config("transactions", currencies=currencies)
    return lines.transform(transforms.validate(config)).localCheckpoint()


def classify_files(
    spark: SparkSession,
    files: dict[str, str],
    published: list[tuple[str, str]] | None = None,
    prior: list[tuple] | None = None,
    run_id: str = "run-test",
    currencies: tuple[str, ...] = DEFAULT_CURRENCIES,
    released: list[tuple[str, datetime]] | None = None,
    landed: dict[str, datetime] | None = None,
) -> DataFrame:
    """Every line of `files` with its outcome, by the job's own two paths: the notable
    rows (transforms.notable_rows, what quarantine, condemned and the counts read) and
    the valid rows (transforms.valid_rows, what silver takes). A valid row that is also
    notable (a duplicate's first occurrence, a fixed re-submission) is taken once, from
    the notable rows; the others are `valid` with no error, attempt or history."""
    validated = validated_files(spark, files, currencies)
    found = lookups(spark, validated, published, prior, released, landed)
    config = dataset_config("transactions", currencies=currencies)
    notable = validated.transform(transforms.notable_rows(config, found, run_id, RUN_AT))
    record = ["source_file", "source_line"]
    plain = (
        validated.transform(transforms.valid_rows(found))
        .join(notable.select(*record), record, "left_anti")
        .transform(transforms.with_received_values)
        .withColumn("outcome", F.lit(VALID))
    )
    return notable.unionByName(plain, allowMissingColumns=True)


MARCH = "transactions/year=2024/month=03/a.csv"


def job_outputs(
    spark: SparkSession, files: dict[str, str], run_id: str = "run-test", **known
) -> tuple[list, list, list]:
    """The silver, quarantine and condemned rows, derived as the job derives them: valid
    rows by their own path, failed rows from the notable ones. `known`: what lookups()
    takes (published, prior, released, landed; none by default)."""
    validated = validated_files(spark, files)
    found = lookups(spark, validated, **known)
    notable = validated.transform(
        transforms.notable_rows(dataset_config("transactions"), found, run_id, RUN_AT)
    )
    return (
        validated.transform(transforms.valid_rows(found))
        .transform(transforms.silver_rows(TRANSACTIONS, run_id, "v1"))
        .collect(),
        notable.transform(transforms.quarantine_rows(TRANSACTIONS, run_id, RUN_AT)).collect(),
        notable.transform(transforms.condemned_rows(TRANSACTIONS, run_id, RUN_AT)).collect(),
    )
