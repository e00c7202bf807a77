"""Bronze text -> lines and fields (glue_jobs.parsing), compared with chispa."""

from chispa import assert_df_equality

from glue_jobs import parsing
from lakegate.bronze import INPUT_COLUMNS
from tests.helpers import HEADER, MARCH, csv_file, files_frame

COLUMNS = [
    "source_file",
    "source_line",
    "year",
    "month",
    "malformed",
    "TransactionID",
    "CustomerID",
    "TransactionAmount",
    "Currency",
    "TransactionTimestamp",
]
SCHEMA = (
    "source_file string, source_line int, year string, month string, malformed string,"
    " TransactionID string, CustomerID string, TransactionAmount string, Currency string,"
    " TransactionTimestamp string"
)


def lines_of(spark, files):
    return parsing.bronze_lines(files_frame(spark, files), INPUT_COLUMNS).select(*COLUMNS)


def test_fields_are_mapped_by_header_name_in_any_order(spark):
    text = csv_file(
        "C1,T1,2024-03-01 10:00:00,12.50,EUR",
        header="CustomerID,TransactionID,TransactionTimestamp,TransactionAmount,Currency",
    )
    expected = spark.createDataFrame(
        [(MARCH, 2, "2024", "03", None, "T1", "C1", "12.50", "EUR", "2024-03-01 10:00:00")], SCHEMA
    )
    assert_df_equality(lines_of(spark, {MARCH: text}), expected, ignore_nullable=True)


def test_quoted_fields_keep_commas_and_doubled_quotes(spark):
    text = csv_file('"T,1"," C ""x"" ",1.00,EUR,2024-03-01', 'T2,"",2.00,"EUR",2024-03-02')
    expected = spark.createDataFrame(
        [
            (MARCH, 2, "2024", "03", None, "T,1", ' C "x" ', "1.00", "EUR", "2024-03-01"),
            (MARCH, 3, "2024", "03", None, "T2", "", "2.00", "EUR", "2024-03-02"),
        ],
        SCHEMA,
    )
    assert_df_equality(
        lines_of(spark, {MARCH: text}), expected, ignore_nullable=True, ignore_row_order=True
    )


def test_line_numbers_are_physical_and_blank_lines_are_not_records(spark):
    text = (
        "\ufeff"
        + HEADER
        + "\r\n\r\nT1,C1,1.00,EUR,2024-03-01\r\n   \r\nT2,C2,2.00,EUR,2024-03-02\r\n"
        + "\t\x0b \x0c\r\n \tT3,C3,3.00,EUR,2024-03-03\r\n"
    )
    result = lines_of(spark, {MARCH: text}).select("source_line", "TransactionID")
    expected = spark.createDataFrame(
        [(3, "T1"), (5, "T2"), (7, " \tT3")], "source_line int, TransactionID string"
    )
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)


def test_malformed_lines_are_kept_whole_with_the_reason(spark):
    text = csv_file(
        "T1,C1,1.00,EUR,2024-03-01,extra",
        "T2,C2,1.00,EUR",
        'T3,"C3,1.00,EUR,2024-03-01',
        'T4,C"4,1.00,EUR,2024-03-01',
        "T5,C\ufffd5,1.00,EUR,2024-03-01",
    )
    result = parsing.bronze_lines(files_frame(spark, {MARCH: text}), INPUT_COLUMNS).select(
        "source_line", "line", "malformed", "TransactionID"
    )
    expected = spark.createDataFrame(
        [
            (2, "T1,C1,1.00,EUR,2024-03-01,extra", "6 fields, expected 5", None),
            (3, "T2,C2,1.00,EUR", "4 fields, expected 5", None),
            (4, 'T3,"C3,1.00,EUR,2024-03-01', "broken quoting", None),
            (5, 'T4,C"4,1.00,EUR,2024-03-01', "broken quoting", None),
            (6, "T5,C\ufffd5,1.00,EUR,2024-03-01", "bytes that are not valid UTF-8", None),
        ],
        "source_line int, line string, malformed string, TransactionID string",
    )
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)


def test_a_quoted_line_break_makes_both_pieces_malformed(spark):
    text = csv_file('T1,C1,"1.00', '",EUR,2024-03-01')
    result = lines_of(spark, {MARCH: text}).select("source_line", "malformed")
    expected = spark.createDataFrame(
        [(2, "broken quoting"), (3, "broken quoting")], "source_line int, malformed string"
    )
    assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)


def test_long_quoted_fields_do_not_overflow_the_regex_engine(spark):
    long_value = "x" * 20000
    text = csv_file(f'T1,"{long_value}",1.00,EUR,2024-03-01')
    row = lines_of(spark, {MARCH: text}).collect()[0]
    assert row["malformed"] is None and row["CustomerID"] == long_value
