"""Hostile input: a corpus of bad files, each with its documented outcome (rows
quarantined with which class, or the run refused with SCHEMA_ERROR and a clear message),
and a property-based test that every row ends in exactly one place."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from decimal import Decimal

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from glue_jobs.job import prepare, run_ingest
from lakegate import layout
from lakegate.errors import SchemaError
from lakegate.ids import Month
from lakegate.storage import Lake
from tests.helpers import HEADER, job_outputs
from tests.spark.test_job import Clock, request

FEB, MAR = Month(2024, 2), Month(2024, 3)
H = HEADER


def row(tid="T", customer="C1", amount="10.00", currency="EUR", ts="2024-03-05T10:00:00Z"):
    return f"{tid},{customer},{amount},{currency},{ts}"


def text(*lines, header=H, newline="\n") -> bytes:
    return (newline.join([header, *lines]) + newline).encode()


# name -> (bytes, {outcome or error type: rows}); every file is in March unless named feb/
ROW_LEVEL = {
    "header_only.csv": (text(), {}),
    "bom.csv": (b"\xef\xbb\xbf" + text(row("BOM1")), {"valid": 1}),
    "crlf.csv": (text(row("CR1"), row("CR2"), newline="\r\n"), {"valid": 2}),
    "extra_column.csv": (text(row("X1") + ",EXTRA"), {"MALFORMED_ROW": 1}),
    "missing_column.csv": (text("X2,C1,10.00,EUR"), {"MALFORMED_ROW": 1}),
    "quoted_comma.csv": (text('Q1,"C,1",10.00,EUR,2024-03-05T10:00:00Z'), {"valid": 1}),
    "quoted_newline.csv": (
        text('Q2,"C\n1",10.00,EUR,2024-03-05T10:00:00Z'),
        {"MALFORMED_ROW": 2},  # a record is one physical line (decision 0001)
    ),
    "unterminated_quote.csv": (text('Q3,"C1,10.00,EUR,2024-03-05T10:00:00Z'), {"MALFORMED_ROW": 1}),
    "not_utf8.csv": (
        text(row("U1")) + b"U2,C\xff\xfe,10.00,EUR,2024-03-05T10:00:00Z\n",
        {"valid": 1, "MALFORMED_ROW": 1},
    ),
    "long_fields.csv": (
        text(row("L1", customer="C" * 10_000), row("L2", amount="9" * 10_000)),
        {"valid": 1, "TYPE_ERROR": 1},
    ),
    "amounts.csv": (
        text(
            row("A1", amount="1e5"),
            row("A2", amount='"1,000.00"'),
            row("A3", amount="-0"),
            row("A4", amount="NaN"),
            row("A5", amount="Infinity"),
            row("A6", amount="1" * 25),
            row("A7", amount="12.345"),
            row("A8", amount=" 5.50 "),
        ),
        {"TYPE_ERROR": 6, "valid": 2},
    ),
    "timestamps.csv": (
        text(
            row("S1", ts="2024-03-05T12:00:00+02:00"),  # offset: 10:00 UTC
            row("S2", ts="2024-03-31T03:30:00+02:00"),  # the night clocks changed in Europe
            row("S3", ts="2024-03-01T00:30:00+01:00"),  # 23:30 UTC on 29 February
            row("S4", ts="0000-00-00"),
            row("S5", ts="9999-12-31T23:59:59Z"),
            row("S6", ts="2024-02-30T10:00:00Z"),
        ),
        {"valid": 2, "PARTITION_MISMATCH": 2, "TYPE_ERROR": 2},
    ),
    "currency_and_padding.csv": (
        text(row("P1", currency="eur"), row("  P2  ", currency=" EUR "), row("P3", currency="XBT")),
        {"CURRENCY_ERROR": 2, "valid": 1},
    ),
    "good.csv.gz": (gzip.compress(text(row("G1"), row("G2"))), {"valid": 2}),
    "feb/leap_day.csv": (text(row("F1", ts="2024-02-29T23:59:59.999999Z")), {"valid": 1}),
}

# name -> (bytes, words the one-line SCHEMA_ERROR must contain)
REFUSED = {
    "empty.csv": (b"", "empty file"),
    "missing_header.csv": (text(row("N1"), header=row("N0")), "missing TransactionID"),
    "semicolons.csv": (H.replace(",", ";").encode() + b"\n", "missing TransactionID"),
    "binary.csv": (bytes(range(256)) * 4, "SCHEMA_ERROR"),
    "duplicate_header.csv": (text(header=H + ",Currency"), "repeated Currency"),
    "gzip_named_csv.csv": (gzip.compress(text(row("Z1"))), "SCHEMA_ERROR"),
    "notes.txt": (b"hello\n", "not a .csv or .csv.gz file"),
}


def bronze_key(name: str) -> str:
    month = FEB if name.startswith("feb/") else MAR
    return f"transactions/{month.partition}/{name.removeprefix('feb/')}"


def outcomes_by_file(lake: Lake, run_id: str) -> dict[str, Counter]:
    found: dict[str, Counter] = {}
    prefixes = [
        ("silver", layout.run_prefix("transactions", "v1", run_id), None),
        ("quarantine", layout.quarantine_run_prefix("transactions", run_id), "error_type"),
        ("quarantine", layout.condemned_run_prefix("transactions", run_id), "error_type"),
    ]
    for bucket, prefix, column in prefixes:
        for item in lake[bucket].list(prefix):
            if not item.key.endswith(".parquet"):
                continue
            table = pq.read_table(io.BytesIO(lake[bucket].read_bytes(item.key)))
            for r in table.to_pylist():
                found.setdefault(r["source_file"], Counter())[r[column] if column else "valid"] += 1
    return found


@pytest.fixture(scope="module")
def corpus_run(spark, tmp_path_factory):
    lake = Lake.local(tmp_path_factory.mktemp("hostile") / "lake")
    for name, (data, _) in ROW_LEVEL.items():
        lake["bronze"].write_bytes(bronze_key(name), data)
    summary = run_ingest(
        spark, lake, request("hostile", FEB, MAR, max_quarantine_rate=1.0), now=Clock()
    )
    return lake, summary


@pytest.mark.parametrize("name", sorted(ROW_LEVEL))
def test_each_hostile_file_has_its_documented_outcome(corpus_run, name):
    lake, _ = corpus_run
    expected = ROW_LEVEL[name][1]
    assert dict(outcomes_by_file(lake, "hostile").get(bronze_key(name), Counter())) == expected


def test_the_corpus_run_accounts_for_every_line(corpus_run):
    lake, summary = corpus_run
    lines = sum(sum(expected.values()) for _, expected in ROW_LEVEL.values())
    assert summary["input_rows"] == lines
    assert summary["input_rows"] == (
        summary["valid_rows_count"]
        + summary["quarantined_rows_count"]
        + summary["condemned_rows_count"]
    )
    found = outcomes_by_file(lake, "hostile")
    assert sum(sum(c.values()) for c in found.values()) == lines


def test_long_values_are_cut_in_messages_but_kept_whole_in_quarantine(corpus_run):
    lake, _ = corpus_run
    prefix = layout.quarantine_run_prefix("transactions", "hostile")
    rows = []
    for item in lake["quarantine"].list(prefix):
        if item.key.endswith(".parquet"):
            rows += pq.read_table(io.BytesIO(lake["quarantine"].read_bytes(item.key))).to_pylist()
    (long_amount,) = [r for r in rows if r["TransactionID"] == "L2"]
    assert len(long_amount["TransactionAmount"]) == 10_000
    assert (
        len(long_amount["error_message"]) < 300
        and "TransactionAmount" in long_amount["error_message"]
    )


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_hostile_file_refuses_the_run_with_one_clear_line(lake, name):
    data, words = REFUSED[name]
    key = bronze_key(name)
    lake["bronze"].write_bytes(key, data)
    with pytest.raises(SchemaError) as refused:
        prepare(lake, request("refused", MAR))
    message = str(refused.value)
    assert message.startswith(f"SCHEMA_ERROR {key}") and words in message, message
    assert "\n" not in message
    assert list(lake["silver"].list("")) == [] and list(lake["quarantine"].list("")) == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(lake, lake_root):
    path = lake_root / "bronze" / bronze_key("huge.csv")
    path.parent.mkdir(parents=True)
    with path.open("wb") as handle:  # sparse: the size is real, the disk is not used
        handle.truncate(1024**3 + 1)
    with pytest.raises(SchemaError, match="over the 1 GiB per-file limit"):
        prepare(lake, request("huge", MAR))


def test_a_nested_folder_is_refused(lake):
    lake["bronze"].write_bytes(f"transactions/{MAR.partition}/sub/a.csv", text(row("N1")))
    with pytest.raises(SchemaError, match="nested folders"):
        prepare(lake, request("nested", MAR))


# --- property: every row in exactly one place -----------------------------------------
values = st.one_of(
    st.sampled_from(["", " ", "x", "EUR", "eur", "1.00", "-0", "1e5", "NaN", '"a,b"', '"']),
    st.text(alphabet=st.characters(blacklist_characters="\n\r\x00", codec="utf-8"), max_size=12),
)
good_rows = st.builds(
    lambda tid, cust, cents, cur, day: (
        f"T{tid}",
        f"C{cust}",
        f"{Decimal(cents) / 100:.2f}",
        cur,
        f"2024-03-{day:02d}T10:00:00Z",
    ),
    st.integers(0, 40), st.integers(0, 9), st.integers(-10**9, 10**9),
    st.sampled_from(["EUR", "USD", "GBP"]), st.integers(1, 31),
)  # fmt: skip
any_row = st.one_of(good_rows, st.tuples(values, values, values, values, values))


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(any_row, min_size=1, max_size=25), min_size=1, max_size=8))
def test_every_row_ends_in_exactly_one_place_and_valid_rows_round_trip(spark, files):
    """Each example is up to 8 files of the month, so that one Spark run checks the rows
    of as many single-file examples (a Spark run costs seconds, a row nothing)."""
    texts = {
        f"transactions/year=2024/month=03/f{i}.csv": [",".join(r) for r in rows]
        for i, rows in enumerate(files)
    }
    silver, quarantined, condemned = job_outputs(
        spark, {key: "\n".join([H, *lines]) + "\n" for key, lines in texts.items()}, run_id="p"
    )

    non_blank = sorted(
        (key, i + 2)
        for key, lines in texts.items()
        for i, line in enumerate(lines)
        if line.strip(" \t\x0b\x0c")
    )
    places = sorted((r.source_file, r.source_line) for r in [*silver, *quarantined, *condemned])
    assert places == non_blank  # each data line once, in exactly one of the three
    whitespace = " \t\r\n\x0b\x0c"
    for r in silver:
        line = texts[r.source_file][r.source_line - 2]
        fields = [v.strip(whitespace) for v in next(csv.reader([line]))]
        tid, customer, amount, currency, _ = fields
        assert (r.TransactionID, r.CustomerID, r.Currency) == (tid, customer, currency)
        assert r.TransactionAmount == Decimal(amount)


@pytest.mark.chaos
def test_a_file_of_several_hundred_megabytes_is_ingested_completely(tmp_path):
    from tests.cli import lakegate

    root = tmp_path / "lake"
    path = root / "bronze" / bronze_key("big.csv")
    path.parent.mkdir(parents=True)
    rows = 5_000_000
    with path.open("w") as out:
        out.write(H + "\n")
        for i in range(rows):
            out.write(
                f"B{i:09d},C{i % 5000:05d},{i % 100000}.{i % 100:02d},EUR,2024-03-15T10:00:00Z\n"
            )
    assert path.stat().st_size > 250 * 10**6
    args = ["ingest", "--lake", str(root), "--year", "2024", "--month", "3", "--run-id", "big"]
    result = lakegate(*args, "--json", timeout=1800)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["input_rows"] == rows == summary["valid_rows_count"]
