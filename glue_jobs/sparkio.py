"""Spark reads and writes: the only place the ingestion job touches files through Spark."""

from __future__ import annotations

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StructType

from glue_jobs.schemas import BRONZE_TEXT_SCHEMA, columns_without_partitions

# One output file per partition for ordinary runs; a very large month is cut into
# files of at most this many rows (~100 MB of silver Parquet).
MAX_RECORDS_PER_FILE = 3_000_000


def read_bronze(spark: SparkSession, uris: list[str]) -> DataFrame:
    """Each bronze file as one row: (uri, value). The input is read once, here."""
    return (
        spark.read.schema(BRONZE_TEXT_SCHEMA)
        .text(uris, wholetext=True)  # an .option() would be reset by text()'s own default
        .select(F.col("_metadata.file_path").alias("uri"), "value")
    )


def read_parquet_files(spark: SparkSession, uris: list[str], schema: StructType) -> DataFrame:
    """Only the named columns of the given Parquet files (an empty frame for none)."""
    if not uris:
        return spark.createDataFrame([], schema)
    return spark.read.schema(schema).parquet(*uris)


def write_partitioned(df: DataFrame, uri: str, sort_by: list[str]) -> None:
    """Write by year/month, one file per partition, to a path that must not exist yet;
    rows sorted by `sort_by` within each file."""
    if isinstance(sort_by, str):
        raise TypeError("sort_by is a list of column names")
    (
        df.repartition("year", "month")
        .sortWithinPartitions("year", "month", *sort_by)
        .write.mode("errorifexists")
        .option("maxRecordsPerFile", MAX_RECORDS_PER_FILE)
        .partitionBy("year", "month")
        .parquet(uri)
    )


def count_rows(spark: SparkSession, uris: list[str], schema: StructType) -> int:
    """Rows in written Parquet files (from their footers): checks what reached storage."""
    if not uris:
        return 0
    return spark.read.schema(columns_without_partitions(schema)).parquet(*uris).count()
