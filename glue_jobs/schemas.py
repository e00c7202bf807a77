"""Every Spark schema Lakegate reads or writes. Reads pass these; tests build from them.

What a published run holds comes from the dataset registry (lakegate/datasets.json, which
the Glue catalog's tables are made from too); the rest is the job's own bookkeeping.
"""

from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DataType,
    DateType,
    DecimalType,
    IntegerType,
    LongType,
    StringType,
    StructField,
    StructType,
    TimestampType,
)

from lakegate import datasets
from lakegate.datasets import Column, Dataset

SIMPLE_TYPES: dict[str, DataType] = {
    "string": StringType(),
    "int": IntegerType(),
    "bigint": LongType(),
    "timestamp": TimestampType(),
    "date": DateType(),
}


def spark_type(name: str) -> DataType:
    """The Spark type of a registry (catalog) type name: its simpleString()."""
    decimal = datasets.decimal_of(name)
    if decimal:
        return DecimalType(*decimal)
    return SIMPLE_TYPES[name]


def fields(columns: tuple[Column, ...]) -> list[StructField]:
    return [StructField(c.name, spark_type(c.type)) for c in columns]


AMOUNT_TYPE = DecimalType(18, 2)

# One row per bronze file: Spark's text source read whole-file.
BRONZE_TEXT_SCHEMA = StructType([StructField("value", StringType())])

HISTORY_ENTRY = StructType(
    [
        StructField("run_id", StringType()),
        StructField("at", TimestampType()),
        StructField("error_type", StringType()),
    ]
)
RETRY_HISTORY = ArrayType(HISTORY_ENTRY)

PARTITION_FIELDS = [StructField("year", StringType()), StructField("month", StringType())]


def silver_schemas(dataset: Dataset) -> dict[str, StructType]:
    """Silver, per schema version of an ingested dataset: its typed values, then the
    lineage (source_file, source_line, row_hash, run_id), then the partitions."""
    return {
        v: StructType([*fields(dataset.published_columns(v)), *PARTITION_FIELDS])
        for v in dataset.schema_versions
    }


def raw_schema(dataset: Dataset) -> StructType:
    """The bronze columns as received (strings, untrimmed): those of the newest schema
    version, so quarantine keeps every column any version has (null where a file lacks
    one)."""
    newest = dataset.version_columns(dataset.schema_versions[-1])
    return StructType([StructField(c.name, StringType()) for c in newest])


def quarantine_schema(dataset: Dataset) -> StructType:
    return StructType(
        [
            *raw_schema(dataset).fields,
            StructField("raw_line", StringType()),
            StructField("source_file", StringType()),
            StructField("source_line", IntegerType()),
            StructField("row_hash", StringType()),
            StructField("error_type", StringType()),
            StructField("error_message", StringType()),
            StructField("critical", BooleanType()),
            StructField("run_id", StringType()),
            StructField("attempt_count", IntegerType()),
            StructField("retry_history", RETRY_HISTORY),
            StructField("quarantined_at", TimestampType()),
            *PARTITION_FIELDS,
        ]
    )


def condemned_schema(dataset: Dataset) -> StructType:
    return StructType(
        [
            *quarantine_schema(dataset).fields[:-2],
            StructField("condemned_reason", StringType()),
            *PARTITION_FIELDS,
        ]
    )


def published_keys_schema(dataset: Dataset) -> StructType:
    """What duplicate detection reads of published silver: the key columns and the row
    hash (Parquet pruning reads nothing else)."""
    silver = silver_schemas(dataset)[dataset.schema_versions[0]]
    return StructType([*(silver[k] for k in dataset.key), StructField("row_hash", StringType())])


def prior_failures_schema(dataset: Dataset) -> StructType:
    """What attempt carry-forward and the release lock read of earlier quarantine and
    condemned rows (condemned_reason is null in quarantine files): the key columns as
    received, then a row's identity, attempts and outcome, as the condemned schema
    types them."""
    condemned = condemned_schema(dataset)
    return StructType([condemned[name] for name in (*dataset.key, *PRIOR_FAILURE_FIELDS)])


PRIOR_FAILURE_FIELDS = (
    "source_file",
    "source_line",
    "row_hash",
    "attempt_count",
    "retry_history",
    "run_id",
    "quarantined_at",
    "condemned_reason",
)


# The transactions dataset's (the tests' and the benchmark's rows are transactions).
TRANSACTIONS = datasets.dataset("transactions")
SILVER_SCHEMAS = silver_schemas(TRANSACTIONS)
SILVER_SCHEMA = SILVER_SCHEMAS["v1"]
RAW_SCHEMA = raw_schema(TRANSACTIONS)
QUARANTINE_SCHEMA = quarantine_schema(TRANSACTIONS)
CONDEMNED_SCHEMA = condemned_schema(TRANSACTIONS)
PUBLISHED_KEYS_SCHEMA = published_keys_schema(TRANSACTIONS)
PRIOR_FAILURES_SCHEMA = prior_failures_schema(TRANSACTIONS)

# Gold month-end balances (SPEC §8): what the gold job reads of published silver, and
# what it writes. Sums of decimal(18,2) amounts stay exact in decimal(38,2).
BALANCE_TYPE = DecimalType(38, 2)
GOLD_SOURCE_SCHEMA = StructType(
    [
        StructField("CustomerID", StringType()),
        StructField("Currency", StringType()),
        StructField("TransactionAmount", AMOUNT_TYPE),
        StructField("TransactionTimestamp", TimestampType()),
    ]
)
BALANCES_SCHEMA = StructType(
    [*fields(datasets.dataset("account_balances").published_columns()), *PARTITION_FIELDS]
)

# What the circuit breaker reads of earlier runs' failed rows: a row's identity and class.
FAILED_ROW_KEYS_SCHEMA = StructType(
    [
        StructField("error_type", StringType()),
        StructField("source_file", StringType()),
        StructField("source_line", IntegerType()),
    ]
)

# The releases of condemned keys (lakegate.releases.released_at).
RELEASES_SCHEMA = StructType(
    [StructField("key", StringType()), StructField("released_at", TimestampType())]
)


def columns_without_partitions(schema: StructType) -> StructType:
    """The columns stored inside the Parquet files (partition columns live in the path)."""
    return StructType([f for f in schema.fields if f.name not in ("year", "month")])
