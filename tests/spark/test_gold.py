"""Gold month-end balances: the transformations (chispa), the job over a local lake
after real ingestion and promotion, and the analysts' SQL through DuckDB compared with
an independent computation from published silver."""

from __future__ import annotations

import copy
import json
import shutil
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from chispa import assert_df_equality

from glue_jobs import gold
from glue_jobs.gold_job import GoldRequest, run_gold
from glue_jobs.job import run_ingest
from glue_jobs.schemas import BALANCES_SCHEMA
from lakegate import layout
from lakegate.config import GOLD_DATASET, dataset_config
from lakegate.errors import Refused
from lakegate.ids import Month
from lakegate.manifest import Version
from lakegate.storage import Lake
from promotion.publisher import Promoter
from tests.helpers import csv_file
from tests.spark.test_job import Clock, request

ROOT = Path(__file__).resolve().parents[2]
SQL = (ROOT / "sql/month_end_balances.sql").read_text()
DEC, JAN, FEB, MAR = Month(2023, 12), Month(2024, 1), Month(2024, 2), Month(2024, 3)
D = Decimal
# One bad row in eight: above the default 5% gate, so these tests allow 20%.
SILVER_CONFIG = dataset_config("transactions", max_quarantine_rate=0.2)


def movements_frame(spark, rows):
    return spark.createDataFrame(
        [(c, cur, m.year * 12 + m.month - 1, D(amount), n) for c, cur, m, amount, n in rows],
        "CustomerID string, Currency string, month_index int, movement decimal(38,2),"
        " transaction_count long",
    )


def expected_frame(spark, rows):
    return spark.createDataFrame(
        [
            (c, cur, D(balance), D(movement), n, "g1", f"{m.year:04d}", f"{m.month:02d}")
            for c, cur, m, balance, movement, n in rows
        ],
        BALANCES_SCHEMA,
    )


def test_balances_carry_forward_through_months_without_transactions(spark):
    movements = movements_frame(
        spark, [("C1", "EUR", JAN, "100.00", 2), ("C1", "EUR", MAR, "-30.50", 1)]
    )
    got = movements.transform(gold.month_end_balances(MAR, "g1"))
    expected = expected_frame(
        spark,
        [
            ("C1", "EUR", JAN, "100.00", "100.00", 2),
            ("C1", "EUR", FEB, "100.00", "0.00", 0),
            ("C1", "EUR", MAR, "69.50", "-30.50", 1),
        ],
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_each_currency_is_its_own_account_and_balances_may_go_negative(spark):
    movements = movements_frame(
        spark,
        [
            ("C1", "EUR", FEB, "10.00", 1),
            ("C1", "USD", JAN, "-500.00", 1),
            ("C1", "USD", MAR, "0.01", 1),
        ],
    )
    got = movements.transform(gold.month_end_balances(MAR, "g1"))
    expected = expected_frame(
        spark,
        [
            ("C1", "EUR", FEB, "10.00", "10.00", 1),
            ("C1", "EUR", MAR, "10.00", "0.00", 0),
            ("C1", "USD", JAN, "-500.00", "-500.00", 1),
            ("C1", "USD", FEB, "-500.00", "0.00", 0),
            ("C1", "USD", MAR, "-499.99", "0.01", 1),
        ],
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_months_run_across_the_year_boundary(spark):
    movements = movements_frame(
        spark, [("C3", "GBP", DEC, "1.00", 1), ("C3", "GBP", FEB, "2.00", 1)]
    )
    got = movements.transform(gold.month_end_balances(FEB, "g1"))
    expected = expected_frame(
        spark,
        [
            ("C3", "GBP", DEC, "1.00", "1.00", 1),
            ("C3", "GBP", JAN, "1.00", "0.00", 0),
            ("C3", "GBP", FEB, "3.00", "2.00", 1),
        ],
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


def test_movements_use_the_utc_month_of_the_transaction(spark):
    silver = spark.createDataFrame(
        [
            ("C3", "EUR", D("1.00"), datetime(2023, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)),
            ("C3", "EUR", D("2.00"), datetime(2024, 1, 1, 0, 0, 0, tzinfo=UTC)),
            ("C3", "EUR", D("0.10"), datetime(2024, 1, 31, 12, 0, 0, tzinfo=UTC)),
        ],
        "CustomerID string, Currency string, TransactionAmount decimal(18,2),"
        " TransactionTimestamp timestamp",
    )
    got = silver.transform(gold.monthly_movements)
    expected = movements_frame(
        spark, [("C3", "EUR", DEC, "1.00", 1), ("C3", "EUR", JAN, "2.10", 2)]
    )
    assert_df_equality(got, expected, ignore_row_order=True, ignore_nullable=True)


# --- end to end: ingest, promote, gold, promote gold, SQL ------------------------------
def bronze_month(lake_root: Path, month: Month, name: str, *lines: str) -> None:
    folder = lake_root / "bronze" / "transactions" / month.partition
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(csv_file(*lines))


def row(tid, customer, amount, currency, timestamp):
    return f"{tid},{customer},{amount},{currency},{timestamp}"


FIRST_LOAD = {
    DEC: [
        row("T1", "C1", "100.00", "EUR", "2023-12-31T23:59:59Z"),
        row("T2", "C2", "-500.00", "GBP", "2023-12-05T10:00:00Z"),
    ],
    JAN: [
        row("T3", "C1", "-30.50", "EUR", "2024-01-01T00:00:00Z"),
        row("T4", "C1", "7.25", "USD", "2024-01-20T08:00:00Z"),
    ],
    FEB: [
        row("T5", "C2", "20.00", "GBP", "2024-02-29T23:00:00Z"),
        row("T6", "C3", "1.00", "CHF", "2024-02-10T00:00:00Z"),
    ],
    MAR: [
        row("T7", "C1", "0.50", "EUR", "2024-03-15T00:00:00Z"),
        row("BAD", "C9", "x", "EUR", "2024-03-15T00:00:00Z"),
    ],
}


@pytest.fixture(scope="module")
def published_once(spark, tmp_path_factory):
    """Four months ingested and promoted, then gold built and promoted: built once."""
    lake_root = tmp_path_factory.mktemp("published") / "lake"
    lake = Lake.local(lake_root)
    for month, lines in FIRST_LOAD.items():
        bronze_month(lake_root, month, "day.csv", *lines)
    clock = Clock()
    run_ingest(spark, lake, request("load", DEC, MAR), now=clock)
    silver = Promoter(lake, SILVER_CONFIG, lambda: "test", now=clock)
    silver.promote("load", "Ana", "first load")
    gold_run = run_gold(spark, lake, GoldRequest("gold1"), now=clock)
    promoter = Promoter(
        lake, dataset_config(GOLD_DATASET), lambda: "test", bucket="gold", now=clock
    )
    promoter.promote("gold1", "Ana", "balances of the first load")
    return lake_root, clock, gold_run


@pytest.fixture
def published(published_once, lake_root):
    """The published lake of `published_once`, copied to the test's own lake_root, with
    its own copy of the clock."""
    root, clock, gold_run = published_once
    shutil.copytree(root, lake_root)
    return Lake.local(lake_root), copy.copy(clock), gold_run


def published_files(lake: Lake, bucket: str, dataset: str) -> list[str]:
    latest = json.loads(lake[bucket].read_bytes(layout.latest_key(dataset)))
    version = Version.from_json(lake[bucket].read_bytes(latest["manifest"]))
    return [
        lake[bucket].uri(k).removeprefix("file://")
        for p in version.partitions.values()
        for k in p.files
    ]


def independent_balances(lake: Lake) -> dict[tuple, tuple[Decimal, Decimal, int]]:
    """From published silver with pyarrow and Decimal, not Spark."""
    moves: dict[tuple, Decimal] = defaultdict(Decimal)
    counts: dict[tuple, int] = defaultdict(int)
    months = set()
    for path in published_files(lake, "silver", "transactions"):
        for r in pq.read_table(path).to_pylist():
            ts = r["TransactionTimestamp"].astimezone(UTC)
            key = (r["CustomerID"], r["Currency"], Month(ts.year, ts.month))
            moves[key] += r["TransactionAmount"]
            counts[key] += 1
    latest = json.loads(lake["silver"].read_bytes(layout.latest_key("transactions")))
    months = sorted(Month.from_partition(p) for p in latest["partitions"])
    out = {}
    for account in {(c, cur) for c, cur, _ in moves}:
        first = min(m for c, cur, m in moves if (c, cur) == account)
        balance, month = Decimal("0.00"), first
        while month <= months[-1]:
            movement = moves.get((*account, month), Decimal("0.00"))
            balance += movement
            out[(*account, f"{month.year:04d}", f"{month.month:02d}")] = (
                balance,
                movement,
                counts.get((*account, month), 0),
            )
            month = month.plus(1)
    return out


def gold_query(lake: Lake, year: str, quarter: int) -> dict[tuple, tuple]:
    files = published_files(lake, "gold", GOLD_DATASET)
    con = duckdb.connect()
    assert not any("'" in f for f in files)
    listed = ", ".join(f"'{f}'" for f in files)
    con.execute(  # partitions stay strings, as in the Glue table
        f"CREATE VIEW account_balances AS SELECT * FROM read_parquet([{listed}],"
        " hive_partitioning = true, hive_types_autocast = false)"
    )
    rows = con.execute(SQL, [year, quarter]).fetchall()
    return {(c, cur, y, m): (bal, mov, n) for c, cur, y, m, bal, mov, n in rows}


def test_gold_equals_an_independent_computation_from_silver(published):
    lake, _, summary = published
    expected = independent_balances(lake)
    assert summary["input_rows"] == 7  # the bad row stayed in quarantine
    q1 = gold_query(lake, "2024", 1)
    q4 = gold_query(lake, "2023", 4)
    assert {**q1, **q4} == expected
    assert q1[("C1", "EUR", "2024", "02")] == (D("69.50"), D("0.00"), 0)  # carried forward
    assert q1[("C2", "GBP", "2024", "01")] == (D("-500.00"), D("0.00"), 0)  # negative
    assert set(q4) == {("C1", "EUR", "2023", "12"), ("C2", "GBP", "2023", "12")}
    # The control totals in _SUCCESS: rows and summed balances per month and currency.
    totals: dict[str, dict[str, list]] = defaultdict(dict)
    for (_, currency, year, month), (balance, _, _) in sorted(expected.items()):
        entry = totals[f"year={year}/month={month}"].setdefault(currency, [0, D("0.00")])
        entry[0] += 1
        entry[1] += balance
    assert {p["partition"]: p["totals"] for p in summary["partitions"]} == {
        partition: [{"key": c, "rows": n, "sum": str(s)} for c, (n, s) in sorted(by.items())]
        for partition, by in totals.items()
    }


def test_a_backfilled_month_changes_every_later_balance(spark, lake_root, published):
    lake, clock, _ = published
    before = gold_query(lake, "2024", 1)
    (lake_root / "bronze/transactions/year=2024/month=01/day.csv").unlink()
    bronze_month(
        lake_root, JAN, "day-corrected.csv",
        row("T3", "C1", "-40.50", "EUR", "2024-01-01T00:00:00Z"),
        row("T4", "C1", "7.25", "USD", "2024-01-20T08:00:00Z"),
    )  # fmt: skip
    run_ingest(spark, lake, request("jan_BACKFILL", JAN, run_type="backfill"), now=clock)
    Promoter(lake, SILVER_CONFIG, lambda: "t", now=clock).promote(
        "jan_BACKFILL", "Ana", "January corrected"
    )
    run_gold(spark, lake, GoldRequest("gold2"), now=clock)
    Promoter(lake, dataset_config(GOLD_DATASET), lambda: "t", bucket="gold", now=clock).promote(
        "gold2", "Ana", "balances after the January backfill"
    )
    after = gold_query(lake, "2024", 1)
    assert after == {k: v for k, v in independent_balances(lake).items() if k[2] == "2024"}
    for month in ("01", "02", "03"):
        assert (
            after[("C1", "EUR", "2024", month)][0] == before[("C1", "EUR", "2024", month)][0] - 10
        )
    assert after[("C2", "GBP", "2024", "02")] == before[("C2", "GBP", "2024", "02")]


def test_gold_reads_only_published_silver(spark, lake_root, published):
    lake, clock, _ = published
    bronze_month(
        lake_root, MAR, "late.csv", row("T8", "C1", "1000.00", "EUR", "2024-03-20T00:00:00Z")
    )
    run_ingest(spark, lake, request("unpromoted", MAR, run_type="backfill"), now=clock)
    summary = run_gold(spark, lake, GoldRequest("gold3"), now=clock)
    assert summary["input_rows"] == 7
    assert "unpromoted" not in json.dumps(summary["source_files"])


def test_gold_refuses_when_nothing_is_published(spark, lake):
    with pytest.raises(Refused, match="nothing of transactions is published"):
        run_gold(spark, lake, GoldRequest("gold0"))


def test_gold_summary_is_promotable_and_written_last(published):
    lake, _, summary = published
    success = lake["gold"].read_bytes(layout.success_key(GOLD_DATASET, "v1", "gold1"))
    assert json.loads(success) == summary
    assert summary["source"]["version"] == 1
    latest = json.loads(lake["gold"].read_bytes(layout.latest_key(GOLD_DATASET)))
    assert latest["partitions"]["year=2024/month=03"] == ["gold1"]
    assert not lake["silver"].exists(layout.latest_key(GOLD_DATASET))


def test_the_review_of_a_gold_run_speaks_of_balances(spark, lake_root, published):
    from promotion.review import review_data, review_text

    lake, clock, _ = published
    run_gold(spark, lake, GoldRequest("gold9"), now=clock)
    promoter = Promoter(lake, dataset_config(GOLD_DATASET), lambda: "t", bucket="gold", now=clock)
    text = review_text(review_data(promoter, "gold9"))
    rows = [line.split() for line in text.splitlines()]
    assert ["source", "rows", "(transactions", "version", "1)", "7"] in rows
    assert "Rows and the sum of balance per Currency" in text
    assert "=> PROMOTABLE" in text
