"""Spark reads and writes: the only place the ingestion job touches files through Spark."""

from __future__ import annotations

from decimal import Decimal
from functools import reduce

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from glue_jobs.schemas import BRONZE_TEXT_SCHEMA, PARTITION_FIELDS, columns_without_partitions

# One output file per partition for ordinary runs; a very large month is cut into
# files of at most this many rows: silver takes about 96 bytes a row (a 2M-row month
# was one 192 MB file at 3M rows a file), so under 128 MB of Parquet.
MAX_RECORDS_PER_FILE = 1_250_000


def read_bronze(spark: SparkSession, uris: list[str]) -> DataFrame:
    """Each bronze file as one row: (uri, value). The input is read once, here.

    One scan per month folder, so that a month's files (up to the scan's split size,
    spark.sql.files.maxPartitionBytes) are one task: every later step keeps rows of a
    month together and each output partition is written as one file, with no shuffle
    to group them (session.JOB_CONF sets the packing)."""
    by_folder: dict[str, list[str]] = {}
    for uri in uris:
        by_folder.setdefault(uri.rsplit("/", 1)[0], []).append(uri)
    scans = [
        spark.read.schema(BRONZE_TEXT_SCHEMA)
        .text(sorted(files), wholetext=True)  # an .option() would be reset by text()'s default
        .select(F.col("_metadata.file_path").alias("uri"), "value")
        for _, files in sorted(by_folder.items())
    ]
    return reduce(DataFrame.unionByName, scans)


def read_parquet_files(spark: SparkSession, uris: list[str], schema: StructType) -> DataFrame:
    """Only the named columns of the given Parquet files (an empty frame for none)."""
    if not uris:
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).parquet(*uris)


def write_partitioned(
    df: DataFrame, uri: str, sort_by: list[str], unique: tuple[str, ...] = ()
) -> None:
    """Write by year/month to a path that must not exist yet; rows sorted by `sort_by`
    within each file. `df` keeps a month's rows in one task (read_bronze), so each
    partition is one file (more only past MAX_RECORDS_PER_FILE rows). Columns named in
    `unique` hold a different value in (nearly) every row: Parquet is told not to try
    a dictionary for them, which it would build and then drop."""
    if isinstance(sort_by, str):
        raise TypeError("sort_by is a list of column names")
    writer = (
        df.sortWithinPartitions("year", "month", *sort_by)
        .write.mode("errorifexists")
        .option("maxRecordsPerFile", MAX_RECORDS_PER_FILE)
    )
    for column in unique:
        writer = writer.option(f"parquet.enable.dictionary#{column}", "false")
    writer.partitionBy("year", "month").parquet(uri)


def control_totals(
    spark: SparkSession, uris: list[str], schema: StructType, by: str, amount: str
) -> list[tuple[str, str, int, Decimal]]:
    """Rows and the exact sum of `amount` per partition and value of `by`, read back from
    written Parquet files (two columns; year and month from the files' folders, which
    the reader gives as constants per file): (partition, value, rows, sum). A handful
    of rows per partition reach the driver, never the data."""
    if not uris:
        return []
    base = uris[0].split("/year=", 1)[0]
    columns = StructType([schema[by], schema[amount], *PARTITION_FIELDS])
    totals = (
        spark.read.option("basePath", base)
        .schema(columns)
        .parquet(*uris)
        .groupBy("year", "month", F.col(by).alias("value"))
        .agg(F.count(F.lit(1)).alias("rows"), F.sum(amount).alias("total"))
    )
    return [
        (
            f"year={r.year}/month={r.month}",
            r.value,
            r.rows,
            r.total if r.total is not None else Decimal(0),
        )
        for r in totals.collect()
    ]


def count_rows(spark: SparkSession, uris: list[str], schema: StructType) -> int:
    """Rows in written Parquet files (from their footers): checks what reached storage."""
    if not uris:
        return 0
    return spark.read.schema(columns_without_partitions(schema)).parquet(*uris).count()
