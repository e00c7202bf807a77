"""Gold month-end balances (SPEC §8) as DataFrame transformations.

Per account (CustomerID) and currency, for every month from the account's first
transaction to the last published month: the month's movement (sum of amounts), its
transaction count, and the balance at month end (all amounts up to and including that
month). A month without transactions carries the balance forward. Decimal throughout.
"""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from glue_jobs.schemas import BALANCE_TYPE, BALANCES_SCHEMA
from lakegate.ids import Month

ACCOUNT = ["CustomerID", "Currency"]


def _zero() -> Column:
    return F.lit(0).cast(BALANCE_TYPE)


def month_index(month: Month) -> int:
    """Months since year 0: consecutive months are consecutive integers."""
    return month.year * 12 + month.month - 1


def _partition_columns(index: Column) -> list[Column]:
    year = F.floor(index / 12).cast("int")
    month = (index % 12 + 1).cast("int")
    return [
        F.lpad(year.cast("string"), 4, "0").alias("year"),
        F.lpad(month.cast("string"), 2, "0").alias("month"),
    ]


def monthly_movements(silver: DataFrame) -> DataFrame:
    """Movement and count per account, currency and UTC month of the transaction."""
    ts = F.col("TransactionTimestamp")
    return silver.groupBy(*ACCOUNT, (F.year(ts) * 12 + F.month(ts) - 1).alias("month_index")).agg(
        F.sum("TransactionAmount").cast(BALANCE_TYPE).alias("movement"),
        F.count(F.lit(1)).alias("transaction_count"),
    )


def month_end_balances(last: Month, run_id: str) -> Callable[[DataFrame], DataFrame]:
    """movements -> one row per account, currency and month up to `last`, in
    BALANCES_SCHEMA order. `last` is the newest published month (from the pointer)."""

    def apply(movements: DataFrame) -> DataFrame:
        first = movements.groupBy(*ACCOUNT).agg(F.min("month_index").alias("first_index"))
        months = first.select(
            *ACCOUNT,
            F.explode(F.sequence("first_index", F.lit(month_index(last)))).alias("month_index"),
        )
        filled = months.join(movements, [*ACCOUNT, "month_index"], "left").select(
            *ACCOUNT,
            "month_index",
            F.coalesce("movement", _zero()).alias("movement"),
            F.coalesce("transaction_count", F.lit(0).cast("long")).alias("transaction_count"),
        )
        to_date = (
            Window.partitionBy(*ACCOUNT)
            .orderBy("month_index")
            .rowsBetween(Window.unboundedPreceding, Window.currentRow)
        )
        return filled.select(
            *ACCOUNT,
            F.sum("movement").over(to_date).cast(BALANCE_TYPE).alias("balance"),
            "movement",
            "transaction_count",
            F.lit(run_id).alias("run_id"),
            *_partition_columns(F.col("month_index")),
        ).select(*BALANCES_SCHEMA.fieldNames())

    return apply


def balance_counts(balances: DataFrame) -> DataFrame:
    """One aggregation: rows, accounts and transactions per month (for _SUCCESS)."""
    return balances.groupBy("year", "month").agg(
        F.count(F.lit(1)).alias("rows"),
        F.countDistinct(*ACCOUNT).alias("accounts"),
        F.sum("transaction_count").alias("transactions"),
    )
