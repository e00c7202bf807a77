"""Pure transformations of the ingestion job: DataFrame in, DataFrame out.

classify() chains them: typed values -> first failing value rule -> duplicate classes ->
attempt carry-forward -> outcome. The output shapes (silver, quarantine, condemned) and
the single counting aggregation are projections of the classified frame.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from glue_jobs import rules as R
from glue_jobs.parsing import trimmed
from glue_jobs.schemas import (
    CONDEMNED_SCHEMA,
    HISTORY_ENTRY,
    QUARANTINE_SCHEMA,
    SILVER_SCHEMA,
    SILVER_SCHEMAS,
)
from lakegate.attempts import MAX_ATTEMPTS
from lakegate.metrics import CONDEMNED, CRITICAL_TYPES, QUARANTINED, VALID

TID = R.value("TransactionID")


def with_duplicates(published: DataFrame) -> Callable[[DataFrame], DataFrame]:
    """Duplicate classes among rows that passed the value rules (SPEC §3).

    `published`: (TransactionID, row_hash) of the already-accepted rows (the published
    version minus the partitions this run replaces). Against it: same hash ->
    EXACT_DUPLICATE, other content -> BUSINESS_DUPLICATE. Otherwise, within the run,
    ordered by (source_file, source_line): the first row of a TransactionID is accepted,
    a later one with the accepted row's hash is EXACT_DUPLICATE, any other
    DUPLICATE_IN_BATCH.
    """

    def apply(df: DataFrame) -> DataFrame:
        hashes = published.groupBy(F.col("TransactionID").alias("_pub_id")).agg(
            F.collect_set("row_hash").alias("_pub_hashes")
        )
        joined = df.join(hashes, df[TID] == hashes["_pub_id"], "left")
        passed = F.col("error_type").isNull()
        candidate = passed & F.col("_pub_hashes").isNull()
        batch = Window.partitionBy(TID, candidate).orderBy("source_file", "source_line")
        first = F.first(F.struct("row_hash", "source_file", "source_line")).over(batch)
        ranked = joined.select(
            "*",
            candidate.alias("_candidate"),
            F.row_number().over(batch).alias("_rank"),
            first.alias("_first"),
        )
        tid = R.shown(F.col(TID))
        where_first = F.format_string(
            "%s line %d", F.col("_first.source_file"), F.col("_first.source_line")
        )
        duplicate = (
            F.when(~passed, F.lit(None))
            .when(
                F.array_contains("_pub_hashes", F.col("row_hash")),
                F.struct(
                    F.lit("EXACT_DUPLICATE").alias("t"),
                    F.format_string("TransactionID %s is identical to a published row", tid).alias(
                        "m"
                    ),
                ),
            )
            .when(
                F.col("_pub_hashes").isNotNull(),
                F.struct(
                    F.lit("BUSINESS_DUPLICATE").alias("t"),
                    F.format_string(
                        "TransactionID %s is already published with different content", tid
                    ).alias("m"),
                ),
            )
            .when(F.col("_rank") == 1, F.lit(None))
            .when(
                F.col("row_hash") == F.col("_first.row_hash"),
                F.struct(
                    F.lit("EXACT_DUPLICATE").alias("t"),
                    F.format_string("TransactionID %s is identical to %s", tid, where_first).alias(
                        "m"
                    ),
                ),
            )
            .otherwise(
                F.struct(
                    F.lit("DUPLICATE_IN_BATCH").alias("t"),
                    F.format_string(
                        "TransactionID %s was already accepted from %s with different content",
                        tid,
                        where_first,
                    ).alias("m"),
                )
            )
        )
        return ranked.select(
            *[c for c in df.columns if c not in ("error_type", "error_message")],
            F.coalesce("error_type", duplicate["t"]).alias("error_type"),
            F.coalesce("error_message", duplicate["m"]).alias("error_message"),
        )

    return apply


def _latest_first() -> Column:
    """Ordering of prior failures: the highest attempt first; among equal attempts (the
    same record quarantined by two runs, e.g. a run and its backfill) the one whose
    history starts with the smaller run id, so the choice never depends on row order."""
    return F.struct(-F.col("attempt_count"), F.col("retry_history")[0]["run_id"])


def with_attempts(prior: DataFrame, run_id: str, at: datetime) -> Callable[[DataFrame], DataFrame]:
    """attempt_count and retry_history of failed rows (SPEC §4; lakegate.attempts).

    `prior`: earlier quarantine and condemned rows (PRIOR_FAILURES_SCHEMA) of completed
    runs. The same bronze record read again (same file, line and hash) keeps its attempt
    and history; a TransactionID seen before from another source is one attempt more,
    with this attempt appended to the history; otherwise attempt 0.
    """

    def apply(df: DataFrame) -> DataFrame:
        same = prior.groupBy(
            F.col("source_file").alias("_s_file"),
            F.col("source_line").alias("_s_line"),
            F.col("row_hash").alias("_s_hash"),
        ).agg(
            F.max("attempt_count").alias("_s_attempt"),
            F.min_by("retry_history", _latest_first()).alias("_s_history"),
        )
        by_id = (
            prior.where(F.col("TransactionID").isNotNull())
            .groupBy(F.col("TransactionID").alias("_p_id"))
            .agg(
                F.max("attempt_count").alias("_p_attempt"),
                F.min_by("retry_history", _latest_first()).alias("_p_history"),
            )
        )
        joined = df.join(
            F.broadcast(same),
            (df["source_file"] == same["_s_file"])
            & (df["source_line"] == same["_s_line"])
            & (df["row_hash"] == same["_s_hash"]),
            "left",
        ).join(F.broadcast(by_id), df[TID] == by_id["_p_id"], "left")
        this_attempt = F.array(
            F.struct(
                F.lit(run_id).alias("run_id"),
                F.lit(at).cast(HISTORY_ENTRY["at"].dataType).alias("at"),
                F.col("error_type").alias("error_type"),
            )
        )
        failed = F.col("error_type").isNotNull()
        attempt = (
            F.when(~failed, F.lit(None))
            .when(F.col("_s_attempt").isNotNull(), F.col("_s_attempt"))
            .when(F.col("_p_attempt").isNotNull(), F.col("_p_attempt") + 1)
            .otherwise(F.lit(0))
        )
        history = (
            F.when(~failed, F.lit(None))
            .when(F.col("_s_attempt").isNotNull(), F.col("_s_history"))
            .when(F.col("_p_attempt").isNotNull(), F.concat("_p_history", this_attempt))
            .otherwise(this_attempt)
        )
        # A re-submission from another source (a correction): the run whose quarantine
        # first held this TransactionID, whatever the outcome now (valid = fixed).
        retry_of = F.when(
            F.col("_s_attempt").isNull() & F.col("_p_attempt").isNotNull(),
            F.col("_p_history")[0]["run_id"],
        )
        return joined.select(
            *df.columns,
            attempt.cast("int").alias("attempt_count"),
            history.alias("retry_history"),
            retry_of.alias("retry_of"),
        )

    return apply


def with_outcome(df: DataFrame) -> DataFrame:
    """outcome (valid, quarantined, condemned), condemned_reason and critical."""
    failed = F.col("error_type").isNotNull()
    reason = F.when(F.col("error_type") == "EXACT_DUPLICATE", F.lit("EXACT_DUPLICATE")).when(
        failed & (F.col("attempt_count") >= MAX_ATTEMPTS), F.lit("MAX_ATTEMPTS")
    )
    return df.select(
        "*",
        F.when(~failed, F.lit(VALID))
        .when(reason.isNotNull(), F.lit(CONDEMNED))
        .otherwise(F.lit(QUARANTINED))
        .alias("outcome"),
        reason.alias("condemned_reason"),
        F.col("error_type").isin(*CRITICAL_TYPES).alias("critical"),
    )


def classify(
    currencies: tuple[str, ...],
    published: DataFrame,
    prior: DataFrame,
    run_id: str,
    at: datetime,
) -> Callable[[DataFrame], DataFrame]:
    """Bronze lines -> every line with its outcome. Nothing is filtered out."""

    def apply(lines: DataFrame) -> DataFrame:
        return (
            lines.transform(R.with_typed_values)
            .transform(R.with_first_error(R.value_rules(currencies)))
            .transform(with_duplicates(published))
            .transform(with_attempts(prior, run_id, at))
            .transform(with_outcome)
        )

    return apply


def _conform(df: DataFrame, schema) -> DataFrame:
    """Exactly the schema's columns, in order; one the frame lacks (a column of a newer
    schema version than the run reads) is null."""
    return df.select(
        *[
            (F.col(f.name) if f.name in df.columns else F.lit(None)).cast(f.dataType).alias(f.name)
            for f in schema.fields
        ]
    )


def silver_rows(run_id: str, schema_v: str = "v1") -> Callable[[DataFrame], DataFrame]:
    """Valid rows in the silver schema of `schema_v`; a column v1 lacks (v2's Channel) is
    trimmed, empty means null."""
    schema = SILVER_SCHEMAS[schema_v]

    def apply(classified: DataFrame) -> DataFrame:
        added = [
            F.nullif(trimmed(F.col(f.name)), F.lit("")).alias(f.name)
            for f in schema.fields
            if f.name not in SILVER_SCHEMA.fieldNames() and f.name in classified.columns
        ]
        rows = classified.where(F.col("outcome") == VALID).select(
            *added,
            F.col(TID).alias("TransactionID"),
            F.col(R.value("CustomerID")).alias("CustomerID"),
            F.col("amount").alias("TransactionAmount"),
            F.col(R.value("Currency")).alias("Currency"),
            F.col("event_ts").alias("TransactionTimestamp"),
            "source_file",
            "source_line",
            "row_hash",
            F.lit(run_id).alias("run_id"),
            "year",
            "month",
        )
        return _conform(rows, schema)

    return apply


def _failed_rows(classified: DataFrame, outcome: str, run_id: str, at: datetime) -> DataFrame:
    return classified.where(F.col("outcome") == outcome).select(
        "*",
        F.when(F.col("malformed").isNotNull(), F.col("line")).alias("raw_line"),
        F.lit(run_id).alias("run_id"),
        F.lit(at).alias("quarantined_at"),
    )


def quarantine_rows(run_id: str, at: datetime) -> Callable[[DataFrame], DataFrame]:
    def apply(classified: DataFrame) -> DataFrame:
        return _conform(_failed_rows(classified, QUARANTINED, run_id, at), QUARANTINE_SCHEMA)

    return apply


def condemned_rows(run_id: str, at: datetime) -> Callable[[DataFrame], DataFrame]:
    def apply(classified: DataFrame) -> DataFrame:
        return _conform(_failed_rows(classified, CONDEMNED, run_id, at), CONDEMNED_SCHEMA)

    return apply


def outcome_counts(classified: DataFrame) -> DataFrame:
    """The one aggregation: rows and attempt sums per outcome, error type, partition and
    the run a re-submitted row was first quarantined by."""
    return classified.groupBy("outcome", "error_type", "year", "month", "retry_of").agg(
        F.count(F.lit(1)).alias("rows"),
        F.coalesce(F.sum("attempt_count"), F.lit(0)).cast("long").alias("attempt_sum"),
    )
