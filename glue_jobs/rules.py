"""Validation rules as data (SPEC §3): a name, an error class, a predicate, a message.

A row's error is the first rule that fails, in the order of `value_rules`; the duplicate
classes come after, judged in transforms.with_duplicate_classes among rows that pass these.
Columns are built lazily (a SparkSession must be active), so rules hold factories.

Rule order:
 1. MALFORMED_ROW       the line is not a record (quoting, field count, encoding)
 2. NULL_VALUE_ERROR    a required value is missing (in column order)
 3. TYPE_ERROR          TransactionAmount is not a decimal(18,2) literal
 4. TYPE_ERROR          TransactionTimestamp is not an ISO-8601 time
 5. CURRENCY_ERROR      Currency is not in the dataset's allow-list
 6. PARTITION_MISMATCH  the UTC timestamp is outside the file's bronze month
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_jobs.parsing import trimmed
from glue_jobs.schemas import AMOUNT_TYPE
from lakegate.bronze import INPUT_COLUMNS

# Optional sign, 1-16 integer digits, optionally a point and one or two decimals.
AMOUNT_PATTERN = r"^[+-]?[0-9]{1,16}(\.[0-9]{1,2})?$"
# Date, 'T' or space, time, optional fraction (at most microseconds), optional Z or offset.
TIMESTAMP_PATTERN = (
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([0-9]{2}:[0-9]{2}:[0-9]{2})"
    r"(?:\.([0-9]{1,6}))?(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
SHOWN_CHARS = 80


def value(name: str) -> str:
    """The trimmed value of an input column."""
    return f"v_{name}"


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


def with_typed_values(df: DataFrame) -> DataFrame:
    """Trimmed values, the amount as decimal(18,2) and the timestamp in UTC (null when
    the text is not of the documented form), and the row hash over the trimmed values."""
    step = df.select("*", *[trimmed(F.col(n)).alias(value(n)) for n in INPUT_COLUMNS])
    amount_text = F.col(value("TransactionAmount"))
    ts_text = F.col(value("TransactionTimestamp"))
    step = step.select("*", _zone_at(ts_text).alias("_ts_at"))
    at = F.col("_ts_at")
    step = step.select(
        "*",
        F.when(at > 0, ts_text.substr(F.lit(1), at - 1)).otherwise(ts_text).alias("_ts_local"),
        _offset_hhmm(ts_text, at).alias("_ts_hhmm"),
    )
    hash_input = F.concat_ws(
        "\x1f", *[F.coalesce(F.col(value(n)), F.lit("")) for n in INPUT_COLUMNS]
    )
    return step.select(
        *[c for c in step.columns if not c.startswith("_ts_")],
        F.when(amount_text.rlike(AMOUNT_PATTERN), amount_text.cast(AMOUNT_TYPE)).alias("amount"),
        # The pattern decides what is accepted; Spark's own string-to-timestamp cast
        # (a hand-written parser, no formatter) reads the local date and time of every
        # text the pattern accepts, and _utc() applies the offset.
        F.when(ts_text.rlike(TIMESTAMP_PATTERN), _utc("_ts_local", "_ts_hhmm")).alias("event_ts"),
        F.sha2(F.when(F.col("malformed").isNull(), hash_input).otherwise(F.col("line")), 256).alias(
            "row_hash"
        ),
    )


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


def value_rules(currencies: tuple[str, ...]) -> list[Rule]:
    allowed = ", ".join(currencies)
    return [
        Rule(
            "well_formed_line",
            "MALFORMED_ROW",
            lambda: F.col("malformed").isNotNull(),
            lambda: F.format_string("line is not a record: %s", F.col("malformed")),
        ),
        *[_missing(name) for name in INPUT_COLUMNS],
        Rule(
            "amount_is_decimal",
            "TYPE_ERROR",
            lambda: F.col("amount").isNull(),
            lambda: F.format_string(
                "TransactionAmount %s is not a decimal with at most 16 integer digits and"
                " 2 decimals",
                shown(F.col(value("TransactionAmount"))),
            ),
        ),
        Rule(
            "timestamp_is_iso8601",
            "TYPE_ERROR",
            lambda: F.col("event_ts").isNull(),
            lambda: F.format_string(
                "TransactionTimestamp %s is not an ISO-8601 date and time",
                shown(F.col(value("TransactionTimestamp"))),
            ),
        ),
        Rule(
            "currency_allowed",
            "CURRENCY_ERROR",
            lambda: ~F.col(value("Currency")).isin(*currencies),
            lambda: F.format_string(
                f"Currency %s is not one of {allowed}", shown(F.col(value("Currency")))
            ),
        ),
        Rule(
            "in_bronze_month",
            "PARTITION_MISMATCH",
            lambda: (
                (F.year("event_ts") != F.col("year").cast("int"))
                | (F.month("event_ts") != F.col("month").cast("int"))
            ),
            lambda: F.format_string(
                "TransactionTimestamp %s is %s in UTC, outside the file's month %s-%s",
                shown(F.col(value("TransactionTimestamp"))),
                F.date_format("event_ts", "yyyy-MM"),
                F.col("year"),
                F.col("month"),
            ),
        ),
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
