"""Validation rules as data (SPEC §3): a name, an error class, a predicate, a message.

The rules follow from a dataset's registry entry (lakegate/datasets.json): its columns,
their types, the allow-list a column names and the column that must fall in the file's
bronze month. A row's error is the first rule that fails, in the order of
`value_rules`; the duplicate classes come after, judged in
transforms.with_duplicate_classes among rows that pass these. Columns are built lazily
(a SparkSession must be active), so rules hold factories.

Rule order (for transactions, in brackets):
 1. MALFORMED_ROW       the line is not a record (quoting, field count, encoding)
 2. NULL_VALUE_ERROR    a required value (the first schema version's) is missing, in
                        column order
 3. TYPE_ERROR          a typed value is not of its type's documented form (a
                        positive column's not above zero), in column order
                        [TransactionAmount a decimal(18,2) literal, then
                        TransactionTimestamp an ISO-8601 time]
 4. CURRENCY_ERROR      a value is not in the allow-list its column names [Currency],
                        then a value equals the column it must differ from
 5. PARTITION_MISMATCH  the month_of column, in UTC, is outside the file's bronze month
                        [TransactionTimestamp]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_jobs.parsing import trimmed
from glue_jobs.schemas import spark_type
from lakegate import datasets
from lakegate.config import DatasetConfig
from lakegate.datasets import Dataset


def decimal_pattern(precision: int, scale: int) -> str:
    """A decimal(p,s) literal: optional sign, 1 to p-s integer digits, optionally a point
    and 1 to s decimals."""
    fraction = rf"(\.[0-9]{{1,{scale}}})?" if scale else ""
    return rf"^[+-]?[0-9]{{1,{precision - scale}}}{fraction}$"


# The transactions amount, decimal(18,2) (the benchmark's reference engines use it).
AMOUNT_PATTERN = decimal_pattern(18, 2)
# Date, 'T' or space, time, optional fraction (at most microseconds), optional Z or offset.
TIMESTAMP_PATTERN = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]{1,6}))?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
# A date: yyyy-MM-dd, nothing else (a key column compares as this text).
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
SHOWN_CHARS = 80


def value(name: str) -> str:
    """The trimmed value of an input column."""
    return f"v_{name}"


def typed(name: str) -> str:
    """The typed value of an input column (null where the text is not of its form)."""
    return f"t_{name}"


def shown(column: Column) -> Column:
    """A value as it appears in a message: quoted, cut at 80 characters."""
    cut = F.when(
        F.length(column) > SHOWN_CHARS, F.concat(column.substr(1, SHOWN_CHARS), F.lit("..."))
    ).otherwise(column)
    return F.concat(F.lit("'"), F.coalesce(cut, F.lit("")), F.lit("'"))


def _zone_at(text: Column) -> Column:
    """Where a timestamp text's zone (Z, +hh, +hhmm, +hh:mm or the same with -) starts,
    or 0: after the seconds, from character 20 on (the date's hyphens come before)."""
    return F.greatest(*[F.locate(c, text, 20) for c in ("Z", "+", "-")])


def _offset_hhmm(text: Column, at: Column) -> Column:
    """The zone's offset as a signed number hhmm (Z and no zone: 0)."""
    return F.when(
        at > 0, F.rpad(F.translate(text.substr(at, F.lit(7)), ":Z", ""), 5, "0").cast("int")
    ).otherwise(F.lit(0))


def _utc(local: str, hhmm: str) -> Column:
    """The UTC timestamp of the local date and time in column `local` (Spark's cast,
    which gives null for an impossible date or time) at an offset of _offset_hhmm(), or
    null for an offset beyond +-18:00 or with minutes past 59, as Java's ZoneOffset
    refuses. The offset is arithmetic here: Spark's cast of a text with an offset
    compiles two regular expressions per row to read it."""
    minutes = F.expr(f"`{hhmm}` div 100") * 60 + F.col(hhmm) % 100
    cast = F.expr(f"try_cast(`{local}` AS TIMESTAMP)")
    return F.when(
        (F.abs(F.col(hhmm) % 100) <= 59) & (F.abs(minutes) <= 18 * 60),
        F.timestamp_micros(F.unix_micros(cast) - minutes.cast("long") * 60_000_000),
    )


def _decimal(text: Column, type_name: str) -> Column:
    decimal = datasets.decimal_of(type_name)
    assert decimal is not None
    pattern = decimal_pattern(*decimal)
    return F.when(text.rlike(pattern), text.cast(spark_type(type_name)))


def with_typed_values(dataset: Dataset) -> Callable[[DataFrame], DataFrame]:
    """Trimmed values of the required columns, each typed one typed (decimals exact,
    timestamps in UTC; null when the text is not of the documented form), and the row
    hash over the trimmed values."""
    names = [c.name for c in dataset.required]
    times = [c.name for c in dataset.required if c.type == "timestamp"]

    def apply(df: DataFrame) -> DataFrame:
        step = df.select("*", *[trimmed(F.col(n)).alias(value(n)) for n in names])
        step = step.select("*", *[_zone_at(F.col(value(n))).alias(f"_ts_at_{n}") for n in times])
        step = step.select(
            "*",
            *[
                part
                for n in times
                for part in (
                    F.when(
                        F.col(f"_ts_at_{n}") > 0,
                        F.col(value(n)).substr(F.lit(1), F.col(f"_ts_at_{n}") - 1),
                    )
                    .otherwise(F.col(value(n)))
                    .alias(f"_ts_local_{n}"),
                    _offset_hhmm(F.col(value(n)), F.col(f"_ts_at_{n}")).alias(f"_ts_hhmm_{n}"),
                )
            ],
        )
        hash_input = F.concat_ws("\x1f", *[F.coalesce(F.col(value(n)), F.lit("")) for n in names])
        typed_values = []
        for c in dataset.required:
            text = F.col(value(c.name))
            if c.type.startswith("decimal"):
                typed_values.append(_decimal(text, c.type).alias(typed(c.name)))
            elif c.type == "date":
                typed_values.append(
                    F.when(
                        text.rlike(DATE_PATTERN),
                        F.expr(f"try_cast(`{value(c.name)}` AS DATE)"),
                    ).alias(typed(c.name))
                )
            elif c.type == "timestamp":
                # The pattern decides what is accepted; Spark's own string-to-timestamp
                # cast (a hand-written parser, no formatter) reads the local date and
                # time of every text the pattern accepts, and _utc() applies the offset.
                typed_values.append(
                    F.when(
                        text.rlike(TIMESTAMP_PATTERN),
                        _utc(f"_ts_local_{c.name}", f"_ts_hhmm_{c.name}"),
                    ).alias(typed(c.name))
                )
        return step.select(
            *[c for c in step.columns if not c.startswith("_ts_")],
            *typed_values,
            F.sha2(
                F.when(F.col("malformed").isNull(), hash_input).otherwise(F.col("line")), 256
            ).alias("row_hash"),
        )

    return apply


@dataclass(frozen=True)
class Rule:
    name: str
    error_type: str
    fails: Callable[[], Column]
    message: Callable[[], Column]


def _missing(name: str) -> Rule:
    return Rule(
        f"{name}_required",
        "NULL_VALUE_ERROR",
        lambda: F.coalesce(F.col(value(name)), F.lit("")) == "",
        lambda: F.format_string(f"{name} is missing (value %s)", shown(F.col(name))),
    )


def _of_type(column: datasets.Column) -> Rule:
    name = column.name

    def fails() -> Column:
        missing = F.col(typed(name)).isNull()
        return missing | (F.col(typed(name)) <= 0) if column.positive else missing

    if column.type == "timestamp":
        form = "an ISO-8601 date and time"
    elif column.type == "date":
        form = "a date (yyyy-MM-dd)"
    else:
        decimal = datasets.decimal_of(column.type)
        assert decimal is not None
        precision, scale = decimal
        sign = "positive " if column.positive else ""
        form = (
            f"a {sign}decimal with at most {precision - scale} integer digits and {scale} decimals"
        )
    return Rule(
        f"{name}_is_{column.type.split('(')[0]}",
        "TYPE_ERROR",
        fails,
        lambda: F.format_string(f"{name} %s is not {form}", shown(F.col(value(name)))),
    )


def _allowed(name: str, values: tuple[str, ...]) -> Rule:
    listed = ", ".join(values)
    return Rule(
        f"{name}_allowed",
        "CURRENCY_ERROR",
        lambda: ~F.col(value(name)).isin(*values),
        lambda: F.format_string(f"{name} %s is not one of {listed}", shown(F.col(value(name)))),
    )


def _differs(name: str, other: str) -> Rule:
    return Rule(
        f"{name}_differs_from_{other}",
        "CURRENCY_ERROR",
        lambda: F.col(value(name)) == F.col(value(other)),
        lambda: F.format_string(f"{name} %s is the same as {other}", shown(F.col(value(name)))),
    )


def _in_bronze_month(name: str, type_name: str) -> Rule:
    zone = " in UTC" if type_name == "timestamp" else ""
    return Rule(
        "in_bronze_month",
        "PARTITION_MISMATCH",
        lambda: (
            (F.year(typed(name)) != F.col("year").cast("int"))
            | (F.month(typed(name)) != F.col("month").cast("int"))
        ),
        lambda: F.format_string(
            f"{name} %s is %s{zone}, outside the file's month %s-%s",
            shown(F.col(value(name))),
            F.date_format(typed(name), "yyyy-MM"),
            F.col("year"),
            F.col("month"),
        ),
    )


def value_rules(config: DatasetConfig) -> list[Rule]:
    """The dataset's value rules in order, its allow-lists from `config`."""
    dataset = datasets.dataset(config.name)
    required = dataset.required
    return [
        Rule(
            "well_formed_line",
            "MALFORMED_ROW",
            lambda: F.col("malformed").isNotNull(),
            lambda: F.format_string("line is not a record: %s", F.col("malformed")),
        ),
        *[_missing(c.name) for c in required],
        *[_of_type(c) for c in required if c.type != "string"],
        *[_allowed(c.name, getattr(config, c.allowed)) for c in required if c.allowed],
        *[_differs(c.name, c.differs_from) for c in required if c.differs_from],
        *[_in_bronze_month(c.name, c.type) for c in required if c.name == dataset.month_of],
    ]


def with_error_type(rules: list[Rule]) -> Callable[[DataFrame], DataFrame]:
    """Adds error_type and _rule (the index of the first failing rule), or nulls.

    The messages come apart (with_error_message): the job persists the frame this
    gives, and a message is needed only for the few rows that fail, when they are
    written. Kept out of the per-row stage, their code also keeps that stage's compiled
    method small enough for the JIT."""

    def apply(df: DataFrame) -> DataFrame:
        first = F.coalesce(
            *[F.when(rule.fails(), F.lit(index)) for index, rule in enumerate(rules)]
        )
        types = F.element_at(F.array(*[F.lit(rule.error_type) for rule in rules]), first + 1)
        return df.select("*", first.alias("_rule")).select(
            "*", F.when(F.col("_rule").isNotNull(), types).alias("error_type")
        )

    return apply


def with_error_message(rules: list[Rule]) -> Callable[[DataFrame], DataFrame]:
    """Adds error_message, the message of the rule with_error_type() found; drops _rule."""

    def apply(df: DataFrame) -> DataFrame:
        message = F.coalesce(
            *[F.when(F.col("_rule") == index, rule.message()) for index, rule in enumerate(rules)]
        )
        return df.select(*[c for c in df.columns if c != "_rule"], message.alias("error_message"))

    return apply
