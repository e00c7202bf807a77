import gzip

import pytest

from lakegate.bronze import INPUT_COLUMNS, list_window_files, parse_header
from lakegate.errors import SchemaError
from lakegate.ids import Month, MonthWindow

KEY = "transactions/year=2024/month=03/a.csv"
GOOD = ",".join(INPUT_COLUMNS)


@pytest.mark.parametrize(
    "head",
    [
        GOOD + "\n",
        GOOD + "\r\nT1,C1,1.00,EUR,2024-03-01\r\n",
        "\ufeff" + GOOD + "\n",
        "CustomerID,TransactionID,TransactionTimestamp,TransactionAmount,Currency\n",
        " TransactionID , CustomerID,TransactionAmount,Currency,TransactionTimestamp\n",
        '"TransactionID",CustomerID,TransactionAmount,Currency,TransactionTimestamp\n',
        GOOD,  # header only, no newline
    ],
)
def test_headers_with_the_five_columns_in_any_order_are_accepted(head):
    assert sorted(parse_header(KEY, head.encode(), "v1", "transactions")) == sorted(INPUT_COLUMNS)


@pytest.mark.parametrize(
    ("head", "named"),
    [
        (
            "TransactionID,CustomerID,Amount,Currency,TransactionTimestamp\n",
            "missing TransactionAmount; unexpected 'Amount'",
        ),
        (GOOD + ",Channel\n", "the header has Channel (schema v2), but v1 is configured"),
        (GOOD + ",Region\n", "unexpected 'Region' (header: "),
        ("TransactionID,CustomerID,TransactionAmount,Currency\n", "missing TransactionTimestamp"),
        (GOOD + ",Currency\n", "repeated Currency"),
        ("TransactionID;CustomerID;TransactionAmount;Currency;TransactionTimestamp\n", "missing"),
        ("T1,C1,1.00,EUR,2024-03-01\n", "missing TransactionID"),
        ("", "empty file"),
    ],
)
def test_schema_drift_is_a_schema_error_naming_file_and_columns(head, named):
    with pytest.raises(SchemaError) as caught:
        parse_header(KEY, head.encode(), "v1", "transactions")
    message = str(caught.value)
    assert message.startswith(f"SCHEMA_ERROR {KEY}: ")
    assert named in message
    assert "\n" not in message


def test_non_utf8_header_is_a_schema_error():
    with pytest.raises(SchemaError, match="not UTF-8"):
        parse_header(KEY, b"\xff\xfeT\x00r\x00", "v1", "transactions")


def test_gzip_file_header_is_read_through_the_compression():
    assert (
        len(
            parse_header(
                KEY + ".gz",
                gzip.compress((GOOD + "\nT1,C1,1,EUR,x\n").encode()),
                "v1",
                "transactions",
            )
        )
        == 5
    )


def test_gzip_bytes_under_a_csv_name_are_refused():
    with pytest.raises(SchemaError):
        parse_header(KEY, gzip.compress((GOOD + "\n").encode()), "v1", "transactions")


def test_window_listing_skips_markers_and_refuses_unknown_files(lake):
    bronze = lake["bronze"]
    bronze.write_bytes("transactions/year=2024/month=03/b.csv", b"x")
    bronze.write_bytes("transactions/year=2024/month=03/a.csv.gz", b"x")
    bronze.write_bytes("transactions/year=2024/month=03/_manifest", b"x")
    bronze.write_bytes("transactions/year=2024/month=04/c.csv", b"x")
    bronze.write_bytes("transactions/year=2024/month=05/d.csv", b"x")
    files = list_window_files(bronze, "transactions", MonthWindow(Month(2024, 3), Month(2024, 4)))
    assert [f.key for f in files] == [
        "transactions/year=2024/month=03/a.csv.gz",
        "transactions/year=2024/month=03/b.csv",
        "transactions/year=2024/month=04/c.csv",
    ]
    bronze.write_bytes("transactions/year=2024/month=03/notes.txt", b"x")
    with pytest.raises(SchemaError, match=r"notes\.txt: not a \.csv"):
        list_window_files(bronze, "transactions", MonthWindow(Month(2024, 3), Month(2024, 3)))


def test_an_older_header_is_read_by_a_newer_schema_and_v2_headers_by_v2():
    assert parse_header(KEY, (GOOD + "\n").encode(), "v2", "transactions") == tuple(GOOD.split(","))
    v2 = "Channel," + GOOD
    assert parse_header(KEY, (v2 + "\n").encode(), "v2", "transactions")[0] == "Channel"
    with pytest.raises(SchemaError, match="unexpected 'Region'"):
        parse_header(KEY, (v2 + ",Region\n").encode(), "v2", "transactions")


def test_the_registry_refuses_a_non_additive_version():
    from lakegate.schema_versions import SCHEMA_VERSIONS, V1, check_additive

    check_additive(SCHEMA_VERSIONS)
    retyped = {"v1": V1, "v2": (*V1[:2], ("TransactionAmount", "string"), *V1[3:])}
    with pytest.raises(SchemaError, match=r"TransactionAmount decimal\(18,2\) -> string"):
        check_additive(retyped)
    dropped = {"v1": V1, "v2": V1[:4]}
    with pytest.raises(SchemaError, match="TransactionTimestamp dropped or renamed"):
        check_additive(dropped)
    renamed = {"v1": V1, "v2": (*V1[:3], ("Ccy", "string"), V1[4])}
    with pytest.raises(SchemaError, match="Currency dropped or renamed"):
        check_additive(renamed)
