"""Validation rules: every error class, the rule order, decimals and timestamps."""

from datetime import datetime
from decimal import Decimal

from chispa import assert_df_equality
from pyspark.sql import functions as F

from tests.helpers import MARCH, classify_files, csv_file

JAN = "transactions/year=2024/month=01/j.csv"
FEB = "transactions/year=2024/month=02/f.csv"


def outcome_rows(df):
    return df.select("source_line", "error_type", "outcome")


def test_each_error_class_and_the_first_failing_rule_wins(spark):
    text = csv_file(
        "T01,C1,10.00,EUR,2024-03-05 10:30:00",  # 2 valid
        "T02,C1,10.00,EUR,2024-03-05,x",  # 3 malformed (even if values look fine)
        " ,C1,abc,eur,nonsense",  # 4 null beats type/currency
        "T04,C1,abc,eur,nonsense",  # 5 amount type beats timestamp/currency
        "T05,C1,1.00,eur,nonsense",  # 6 timestamp type beats currency
        "T06,C1,1.00,eur,2024-04-01 10:00:00",  # 7 currency beats partition
        "T07,C1,1.00,EUR,2024-04-01 10:00:00",  # 8 partition mismatch
        "T08,,1.00,EUR,2024-03-01 10:00:00",  # 9 null CustomerID
        "T09,C1,,EUR,2024-03-01 10:00:00",  # 10 null amount
        "T10,C1,1.00, ,2024-03-01 10:00:00",  # 11 null currency
        "T11,C1,1.00,EUR,",  # 12 null timestamp
    )
    result = classify_files(spark, {MARCH: text})
    expected = spark.createDataFrame(
        [
            (2, None, "valid"),
            (3, "MALFORMED_ROW", "quarantined"),
            (4, "NULL_VALUE_ERROR", "quarantined"),
            (5, "TYPE_ERROR", "quarantined"),
            (6, "TYPE_ERROR", "quarantined"),
            (7, "CURRENCY_ERROR", "quarantined"),
            (8, "PARTITION_MISMATCH", "quarantined"),
            (9, "NULL_VALUE_ERROR", "quarantined"),
            (10, "NULL_VALUE_ERROR", "quarantined"),
            (11, "NULL_VALUE_ERROR", "quarantined"),
            (12, "NULL_VALUE_ERROR", "quarantined"),
        ],
        "source_line int, error_type string, outcome string",
    )
    assert_df_equality(outcome_rows(result), expected, ignore_nullable=True, ignore_row_order=True)


def test_messages_name_the_field_and_the_value(spark):
    text = csv_file(
        "T1,C1,1.00,EUR,2024-03-05,x",
        "T2,,1.00,EUR,2024-03-05 10:00:00",
        "T3,C1,1.234,EUR,2024-03-05 10:00:00",
        "T4,C1,1.00,EUR,05/03/2024",
        "T5,C1,1.00,BTC,2024-03-05 10:00:00",
        "T6,C1,1.00,EUR,2024-04-05 10:00:00",
    )
    result = classify_files(spark, {MARCH: text}).select("source_line", "error_message")
    expected = spark.createDataFrame(
        [
            (2, "line is not a record: 6 fields, expected 5"),
            (3, "CustomerID is missing (value '')"),
            (
                4,
                "TransactionAmount '1.234' is not a decimal with at most 16 integer digits and"
                " 2 decimals",
            ),
            (5, "TransactionTimestamp '05/03/2024' is not an ISO-8601 date and time"),
            (6, "Currency 'BTC' is not one of EUR, USD, GBP, CHF, JPY"),
            (
                7,
                "TransactionTimestamp '2024-04-05 10:00:00' is 2024-04 in UTC, outside the file's"
                " month 2024-03",
            ),
        ],
        "source_line int, error_message string",
    )
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)


VALID_AMOUNTS = [
    ("0.1", Decimal("0.10")),
    ("-12.5", Decimal("-12.50")),
    ("+5", Decimal("5.00")),
    ("-0", Decimal("0.00")),
    ("007.01", Decimal("7.01")),
    ("1234567890123456.99", Decimal("1234567890123456.99")),
    ("-9999999999999999.99", Decimal("-9999999999999999.99")),
    (" 42.00 ", Decimal("42.00")),
]
INVALID_AMOUNTS = [
    '"1,000.00"',
    "12.345",
    "1e5",
    "1E5",
    "NaN",
    "Infinity",
    "12345678901234567",
    ".5",
    "5.",
    "0x10",
    "1 000",
    "--1",
    "1.2.3",
    "１２",
]


def _one_file(spark, key, values, template):
    """One row per value (line 2, 3, ...), classified together in one job."""
    lines = [template.format(i=i, v=v) for i, v in enumerate(values)]
    return classify_files(spark, {key: csv_file(*lines)})


def test_valid_amounts_are_exact_decimals(spark):
    texts = [t for t, _ in VALID_AMOUNTS]
    result = _one_file(spark, MARCH, texts, "T{i},C1,{v},EUR,2024-03-05 10:00:00")
    expected = spark.createDataFrame(
        [(i + 2, "valid", amount) for i, (_, amount) in enumerate(VALID_AMOUNTS)],
        "source_line int, outcome string, amount decimal(18,2)",
    )
    assert_df_equality(
        result.select("source_line", "outcome", F.col("t_TransactionAmount").alias("amount")),
        expected,
        ignore_nullable=True,
        ignore_row_order=True,
    )


def test_invalid_amounts_are_type_errors_never_rounded(spark):
    result = _one_file(spark, MARCH, INVALID_AMOUNTS, "T{i},C1,{v},EUR,2024-03-05 10:00:00")
    expected = spark.createDataFrame(
        [(i + 2, "TYPE_ERROR", None) for i in range(len(INVALID_AMOUNTS))],
        "source_line int, error_type string, amount decimal(18,2)",
    )
    assert_df_equality(
        result.select("source_line", "error_type", F.col("t_TransactionAmount").alias("amount")),
        expected,
        ignore_nullable=True,
        ignore_row_order=True,
    )


def test_decimal_sums_are_exact(spark):
    text = csv_file("T1,C1,0.1,EUR,2024-03-05 10:00:00", "T2,C1,0.2,EUR,2024-03-05 10:00:00")
    total = classify_files(spark, {MARCH: text}).agg(F.sum("t_TransactionAmount")).collect()[0][0]
    assert total == Decimal("0.30")


VALID_TIMESTAMPS = [
    (MARCH, "2024-03-05 10:30:00", datetime(2024, 3, 5, 10, 30)),
    (MARCH, "2024-03-05T10:30:00Z", datetime(2024, 3, 5, 10, 30)),
    (MARCH, "2024-03-05T10:30:00+02:00", datetime(2024, 3, 5, 8, 30)),
    (MARCH, "2024-03-05T10:30:00-0530", datetime(2024, 3, 5, 16, 0)),
    (MARCH, "2024-03-05T10:30:00+01", datetime(2024, 3, 5, 9, 30)),
    (MARCH, "2024-03-05 10:30:00.123456", datetime(2024, 3, 5, 10, 30, 0, 123456)),
    (MARCH, "2024-03-05T10:30:00.5Z", datetime(2024, 3, 5, 10, 30, 0, 500000)),
    # an offset that moves the instant back into the file's month
    (MARCH, "2024-04-01T00:30:00+01:00", datetime(2024, 3, 31, 23, 30)),
    (JAN, "2023-12-31T23:30:00-01:00", datetime(2024, 1, 1, 0, 30)),
    (FEB, "2024-02-29 12:00:00", datetime(2024, 2, 29, 12, 0)),
]


def test_timestamps_are_normalised_to_utc(spark):
    files: dict[str, list[str]] = {}
    for i, (key, text, _) in enumerate(VALID_TIMESTAMPS):
        files.setdefault(key, []).append(f"T{i},C1,1.00,EUR,{text}")
    result = classify_files(spark, {k: csv_file(*v) for k, v in files.items()}).select(
        "TransactionID",
        "outcome",
        F.date_format("t_TransactionTimestamp", "yyyy-MM-dd HH:mm:ss.SSSSSS"),
    )
    expected = spark.createDataFrame(
        [
            (f"T{i}", "valid", utc.strftime("%Y-%m-%d %H:%M:%S.%f"))
            for i, (_, _, utc) in enumerate(VALID_TIMESTAMPS)
        ],
        "TransactionID string, outcome string, ts string",
    )
    assert_df_equality(
        result.toDF("TransactionID", "outcome", "ts"),
        expected,
        ignore_nullable=True,
        ignore_row_order=True,
    )


MISMATCHED = [
    (MARCH, "2024-03-31T23:30:00-01:00"),  # 2024-04-01 00:30 UTC
    (JAN, "2024-01-01T00:30:00+01:00"),  # 2023-12-31 23:30 UTC: the year before
    (MARCH, "9999-12-31 23:59:59"),
    (MARCH, "2024-02-29 12:00:00"),
]


def test_instants_outside_the_bronze_month_are_partition_mismatches(spark):
    files: dict[str, list[str]] = {}
    for i, (key, text) in enumerate(MISMATCHED):
        files.setdefault(key, []).append(f"T{i},C1,1.00,EUR,{text}")
    result = classify_files(spark, {k: csv_file(*v) for k, v in files.items()})
    expected = spark.createDataFrame(
        [(f"T{i}", "PARTITION_MISMATCH") for i in range(len(MISMATCHED))],
        "TransactionID string, error_type string",
    )
    assert_df_equality(
        result.select("TransactionID", "error_type"),
        expected,
        ignore_nullable=True,
        ignore_row_order=True,
    )


INVALID_TIMESTAMPS = [
    "2023-02-29 12:00:00",
    "2024-03-32 10:00:00",
    "0000-00-00 00:00:00",
    "2024-03-05 24:00:00",
    "2024-03-05",
    "05/03/2024 10:00:00",
    "2024-03-05T10:30:00+25:00",
    "2024-03-05 10:30",
    "2024-03-05T10:30:00.1234567Z",
    "2024-03-05t10:30:00",
    "2024-03-05 10:30:00 UTC",
]


def test_invalid_timestamps_are_type_errors(spark):
    result = _one_file(spark, MARCH, INVALID_TIMESTAMPS, "T{i},C1,1.00,EUR,{v}")
    expected = spark.createDataFrame(
        [(i + 2, "TYPE_ERROR") for i in range(len(INVALID_TIMESTAMPS))],
        "source_line int, error_type string",
    )
    assert_df_equality(
        result.select("source_line", "error_type"),
        expected,
        ignore_nullable=True,
        ignore_row_order=True,
    )


# Texts the timestamp pattern accepts, at the edges of what a zone offset may be.
ZONED = [
    f"{day}{sep}{time}{fraction}{zone}"
    for day in ("2024-03-05", "2024-02-29", "2023-02-29", "2024-03-32", "2024-12-31")
    for sep in ("T", " ")
    for time in ("10:30:00", "00:00:00", "23:59:59", "23:59:60", "24:00:00")
    for fraction in ("", ".5", ".123456")
    for zone in (
        "", "Z", "+00", "-00:00", "+05", "+0530", "+05:30", "-05:30", "-0930", "+13:45",
        "+18", "+18:00", "-18:00", "+1800", "+18:01", "-18:30", "+19", "+24:00",
        "+05:60", "+0599", "-00:59", "+17:59",
    )
]  # fmt: skip


def test_a_zone_offset_is_read_as_spark_reads_the_whole_text(spark):
    """The offset is applied as arithmetic (not by Spark's cast of the whole text, which
    compiles two regular expressions per row); the cast of the whole text is the
    reference for every text the pattern accepts, valid or not."""
    from glue_jobs import rules
    from lakegate import datasets

    texts = spark.createDataFrame([(t,) for t in ZONED], "t string")
    assert texts.where(~F.col("t").rlike(rules.TIMESTAMP_PATTERN)).count() == 0
    lines = texts.select(
        F.lit(None).cast("string").alias("malformed"),
        F.lit(None).cast("string").alias("line"),
        *[
            (F.col("t") if c == "TransactionTimestamp" else F.lit("x")).alias(c)
            for c in ("TransactionID", "CustomerID", "TransactionAmount", "Currency")
        ],
        F.col("t").alias("TransactionTimestamp"),
    )
    typed = rules.with_typed_values(datasets.dataset("transactions"))
    ours = lines.transform(typed).select(
        F.col("TransactionTimestamp").alias("t"), F.col("t_TransactionTimestamp").alias("event_ts")
    )
    reference = texts.select("t", F.expr("try_cast(t AS TIMESTAMP)").alias("event_ts"))
    assert reference.where(F.col("event_ts").isNull()).count() > 100  # refusals are tested too
    assert_df_equality(ours, reference, ignore_nullable=True, ignore_row_order=True)


def test_currency_must_be_exactly_in_the_allow_list(spark):
    text = csv_file(
        *[
            f"T{i},C1,1.00,{c},2024-03-05 10:00:00"
            for i, c in enumerate(["EUR", " usd ", "eur", "EURO", "XXX", " GBP"])
        ]
    )
    result = classify_files(spark, {MARCH: text}).select("source_line", "error_type")
    expected = spark.createDataFrame(
        [
            (2, None),
            (3, "CURRENCY_ERROR"),
            (4, "CURRENCY_ERROR"),
            (5, "CURRENCY_ERROR"),
            (6, "CURRENCY_ERROR"),
            (7, None),
        ],
        "source_line int, error_type string",
    )
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)


def test_allow_list_is_per_dataset(spark):
    result = classify_files(
        spark, {MARCH: csv_file("T1,C1,1.00,SEK,2024-03-05 10:00:00")}, currencies=("SEK",)
    )
    assert result.collect()[0]["outcome"] == "valid"
