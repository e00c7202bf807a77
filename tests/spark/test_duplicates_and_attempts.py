"""Duplicate classes against the run and against published data; attempt carry-forward."""

from chispa import assert_df_equality
from pyspark.sql import functions as F
from pyspark.sql.types import IntegerType, StringType, StructField, StructType

from glue_jobs import transforms
from glue_jobs.schemas import RETRY_HISTORY
from lakegate.attempts import MAX_ATTEMPTS, attempt_for, is_exhausted
from lakegate.config import dataset_config
from tests.helpers import (
    MARCH,
    RUN_AT,
    classify_files,
    csv_file,
    expected_hash,
    lookups,
    validated_files,
)

LATE = "transactions/year=2024/month=03/b.csv"
ROW = ("T1", "C1", "10.00", "EUR", "2024-03-05 10:00:00")


def line(*values):
    return ",".join(values)


def test_row_hash_is_sha256_of_the_trimmed_values(spark):
    result = classify_files(spark, {MARCH: csv_file(" T1 ,C1,10.00, EUR,2024-03-05 10:00:00")})
    assert result.collect()[0]["row_hash"] == expected_hash(*ROW)


def test_first_occurrence_is_kept_later_copies_are_classed(spark):
    files = {
        MARCH: csv_file(line(*ROW), line("T2", "C2", "5.00", "EUR", "2024-03-06 10:00:00")),
        LATE: csv_file(
            line(*ROW),  # exact copy
            line("T1", "C1", "99.00", "EUR", "2024-03-05 10:00:00"),  # same id, other content
            line("T2", "C2", "5.00", "EUR", "2024-03-06 10:00:00"),  # exact copy
        ),
    }
    result = classify_files(spark, files).select(
        "source_file", "source_line", "error_type", "outcome"
    )
    expected = spark.createDataFrame(
        [
            (MARCH, 2, None, "valid"),
            (MARCH, 3, None, "valid"),
            (LATE, 2, "EXACT_DUPLICATE", "condemned"),
            (LATE, 3, "DUPLICATE_IN_BATCH", "quarantined"),
            (LATE, 4, "EXACT_DUPLICATE", "condemned"),
        ],
        "source_file string, source_line int, error_type string, outcome string",
    )
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)


def test_a_failed_row_does_not_count_as_the_first_occurrence(spark):
    text = csv_file(line("T1", "C1", "bad", "EUR", "2024-03-05 10:00:00"), line(*ROW))
    result = classify_files(spark, {MARCH: text}).select("source_line", "error_type")
    expected = spark.createDataFrame(
        [(2, "TYPE_ERROR"), (3, None)], "source_line int, error_type string"
    )
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)


def test_duplicates_against_published_rows(spark):
    published = [("T1", expected_hash(*ROW)), ("T9", expected_hash("T9", "C9", "1.00", "EUR", "x"))]
    text = csv_file(
        line(*ROW),  # identical to published
        line("T9", "C9", "2.00", "EUR", "2024-03-07 10:00:00"),  # same id, other content
        line("T3", "C3", "3.00", "EUR", "2024-03-07 10:00:00"),  # new
    )
    result = classify_files(spark, {MARCH: text}, published=published).select(
        "TransactionID", "error_type", "outcome", "critical", "error_message"
    )
    expected = spark.createDataFrame(
        [
            (
                "T1",
                "EXACT_DUPLICATE",
                "condemned",
                False,
                "TransactionID 'T1' is identical to a published row",
            ),
            (
                "T9",
                "BUSINESS_DUPLICATE",
                "quarantined",
                True,
                "TransactionID 'T9' is already published with different content",
            ),
            ("T3", None, "valid", None, None),
        ],
        "TransactionID string, error_type string, outcome string, critical boolean,"
        " error_message string",
    )
    assert_df_equality(
        result.select(
            "TransactionID", "error_type", "outcome", "critical", "error_message"
        ).withColumn("critical", F.when(F.col("error_type").isNotNull(), F.col("critical"))),
        expected,
        ignore_nullable=True,
        ignore_row_order=True,
    )


def _history(*entries):
    return [(run_id, RUN_AT, error_type) for run_id, error_type in entries]


def test_first_failure_has_attempt_zero_and_one_history_entry(spark):
    result = classify_files(
        spark, {MARCH: csv_file(line("T1", "C1", "bad", "EUR", "2024-03-05"))}, run_id="run-1"
    )
    row = result.collect()[0]
    assert row["attempt_count"] == 0
    assert [tuple(e) for e in row["retry_history"]] == [
        ("run-1", RUN_AT.replace(tzinfo=None), "TYPE_ERROR")
    ]


def test_resubmission_from_another_source_counts_one_more_attempt(spark):
    prior = [
        (
            "T1",
            "transactions/year=2024/month=03/old.csv",
            7,
            "h-old",
            1,
            _history(("run-1", "TYPE_ERROR"), ("run-2", "TYPE_ERROR")),
        )
    ]
    result = classify_files(
        spark,
        {MARCH: csv_file(line("T1", "C1", "bad", "EUR", "2024-03-05"))},
        prior=prior,
        run_id="run-3",
    )
    row = result.collect()[0]
    assert (row["attempt_count"], row["outcome"]) == (2, "quarantined")
    assert [e["run_id"] for e in row["retry_history"]] == ["run-1", "run-2", "run-3"]


def test_third_failed_retry_goes_to_condemned(spark):
    prior = [
        (
            "T1",
            "transactions/year=2024/month=03/old.csv",
            7,
            "h-old",
            2,
            _history(("r1", "TYPE_ERROR"), ("r2", "TYPE_ERROR"), ("r3", "TYPE_ERROR")),
        )
    ]
    result = classify_files(
        spark,
        {MARCH: csv_file(line("T1", "C1", "1.00", "eur", "2024-03-05 10:00:00"))},
        prior=prior,
        run_id="r4",
    )
    row = result.collect()[0]
    assert (row["attempt_count"], row["outcome"], row["condemned_reason"], row["error_type"]) == (
        3,
        "condemned",
        "MAX_ATTEMPTS",
        "CURRENCY_ERROR",
    )


def test_reading_the_same_bronze_record_again_is_not_a_new_attempt(spark):
    text = csv_file(line("T1", "C1", "bad", "EUR", "2024-03-05 10:00:00"))
    first = classify_files(spark, {MARCH: text}, run_id="r1").collect()[0]
    prior = [
        ("T1", MARCH, 2, first["row_hash"], 1, _history(("r0", "TYPE_ERROR"), ("r1", "TYPE_ERROR")))
    ]
    again = classify_files(spark, {MARCH: text}, prior=prior, run_id="r2").collect()[0]
    assert again["attempt_count"] == 1
    assert [e["run_id"] for e in again["retry_history"]] == ["r0", "r1"]


def test_a_fixed_row_is_valid_whatever_its_history(spark):
    prior = [
        ("T1", "transactions/year=2024/month=03/old.csv", 7, "h-old", 2, _history(("r1", "X")))
    ]
    result = classify_files(spark, {MARCH: csv_file(line(*ROW))}, prior=prior)
    row = result.collect()[0]
    assert (row["outcome"], row["attempt_count"]) == ("valid", None)


def test_notable_rows_are_every_row_but_the_plainly_valid(spark):
    """The job classifies and keeps only these rows; the count of the rest is what
    remains of the input, so a row left out here would be counted valid."""
    old = "transactions/year=2024/month=03/old.csv"
    prior = [("T7", old, 4, "h-old", 0, _history(("r1", "X")))]
    published = [("T9", expected_hash("T9", "C9", "1.00", "EUR", "2024-03-01 10:00:00"))]
    text = csv_file(
        line(*ROW),  # first of two T1: valid, but a duplicate's original
        line("T2", "C2", "bad", "EUR", "2024-03-05 10:00:00"),  # value rule
        line("T3", "C3", "3.00", "EUR", "2024-03-05 10:00:00"),  # plainly valid
        line(*ROW),  # exact copy of line 2
        line("T7", "C7", "7.00", "EUR", "2024-03-05 10:00:00"),  # fixed re-submission
        line("T9", "C9", "2.00", "EUR", "2024-03-05 10:00:00"),  # published, other content
        "only,three,fields",  # malformed
    )
    validated = validated_files(spark, {MARCH: text})
    found = lookups(spark, validated, published, prior)
    result = validated.transform(
        transforms.notable_rows(dataset_config("transactions"), found, "r2", RUN_AT)
    ).select("source_line", "error_type", "outcome", "retry_of", "error_message")
    expected = spark.createDataFrame(
        [
            (2, None, "valid", None, None),
            (3, "TYPE_ERROR", "quarantined", None,
             "TransactionAmount 'bad' is not a decimal with at most 16 integer digits and"
             " 2 decimals"),
            (5, "EXACT_DUPLICATE", "condemned", None,
             f"TransactionID 'T1' is identical to {MARCH} line 2"),
            (6, None, "valid", "r1", None),
            (7, "BUSINESS_DUPLICATE", "quarantined", None,
             "TransactionID 'T9' is already published with different content"),
            (8, "MALFORMED_ROW", "quarantined", None,
             "line is not a record: 3 fields, expected 5"),
        ],
        "source_line int, error_type string, outcome string, retry_of string,"
        " error_message string",
    )  # fmt: skip
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)
    # The valid rows come by their own path: every valid row above and the plain one.
    valid = validated.transform(transforms.valid_rows(found)).select("source_line")
    assert sorted(r.source_line for r in valid.collect()) == [2, 4, 6]


def test_the_jobs_attempt_expressions_are_the_plain_attempt_policy(spark):
    """One policy (SPEC §4): the Spark expressions the job classifies with give, for every
    combination of an earlier failure of the same bronze record and of the TransactionID,
    the attempt lakegate.attempts.attempt_for gives, and condemn exactly when
    is_exhausted says so."""
    levels = [None, *range(MAX_ATTEMPTS + 2)]
    grid = [(same, prior) for same in levels for prior in levels]
    history = _history(("r0", "TYPE_ERROR"))
    frame = spark.createDataFrame(
        [
            (i, "TYPE_ERROR", same, history if same is not None else None, prior,
             history if prior is not None else None)
            for i, (same, prior) in enumerate(grid)
        ],
        StructType(
            [
                StructField("case", IntegerType()),
                StructField("error_type", StringType()),
                StructField("_s_attempt", IntegerType()),
                StructField("_s_history", RETRY_HISTORY),
                StructField("_p_attempt", IntegerType()),
                StructField("_p_history", RETRY_HISTORY),
            ]
        ),
    )  # fmt: skip
    judged = (
        frame.transform(transforms.with_prior_attempts("r1", RUN_AT))
        .transform(transforms.with_outcome)
        .select("case", "attempt_count", "outcome")
        .collect()
    )
    found = {row.case: (row.attempt_count, row.outcome) for row in judged}
    expected = {}
    for i, (same, prior) in enumerate(grid):
        attempt = attempt_for(same, prior)
        expected[i] = (attempt, "condemned" if is_exhausted(attempt) else "quarantined")
    assert found == expected
