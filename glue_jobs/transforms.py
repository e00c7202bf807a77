"""Pure transformations of the ingestion job: DataFrame in, DataFrame out.

validate() gives typed values and the first failing value rule (the frame the job
persists). From it the job takes two paths (decision 0009): notable_rows(), the rows
that are not plainly valid, classified with messages, duplicate classes, attempt
carry-forward and their outcome (quarantine, condemned and the outcome counts read
them), and valid_rows(), what silver_rows() writes; partition_rows() counts every line
read. The rule tests go through the same two paths (tests/helpers.classify_files).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from glue_jobs import rules as R
from glue_jobs.keys import Key
from glue_jobs.parsing import trimmed
from glue_jobs.schemas import (
    HISTORY_ENTRY,
    condemned_schema,
    quarantine_schema,
    silver_schemas,
)
from lakegate import datasets
from lakegate.attempts import MAX_ATTEMPTS
from lakegate.config import DatasetConfig
from lakegate.datasets import Dataset
from lakegate.metrics import CONDEMNED, CRITICAL_TYPES, QUARANTINED, VALID
from lakegate.releases import LOCKING_REASONS, NOT_RELEASED_ERROR, NOT_RELEASED_REASON


def duplicate_suspects(key: Key, validated: DataFrame, published: DataFrame) -> DataFrame:
    """64-bit hashes (column _k) of the keys that a passing row of `validated` may share
    with another passing row or with `published` (its _key: keyed()): a count per hash,
    one narrow aggregation instead of a sort of every row. Small in practice."""
    passed = validated.where(F.col("error_type").isNull())
    keys = passed.select(
        F.xxhash64(key.of_validated()).alias("_k"), F.lit(1).alias("_n")
    ).unionByName(published.select(F.xxhash64("_key").alias("_k"), F.lit(0).alias("_n")))
    return (
        keys.groupBy("_k")
        .agg(F.sum("_n").alias("_batch"), F.count(F.lit(1)).alias("_all"))
        .where((F.col("_all") > 1) & (F.col("_batch") >= 1))
        .select("_k")
    )


def duplicate_conflicts(
    key: Key, validated: DataFrame, published: DataFrame, suspects: DataFrame
) -> DataFrame:
    """The keys whose rows need a duplicate class, with what decides it.

    One row per key that a passing row of `validated` shares with another
    passing row or with `published`: _id, _pub_hashes (the published row hashes, or
    null) and _first (source_file, source_line, row_hash of its first passing row by
    file and line). Only the rows of duplicate_suspects() are grouped, by the key itself,
    so a hash collision costs a few extra rows, never a wrong class. Broadcast it back.
    """
    passed = validated.where(F.col("error_type").isNull())
    tid = key.of_validated()
    batch = (
        passed.join(F.broadcast(suspects), F.xxhash64(tid) == suspects["_k"], "left_semi")
        .groupBy(tid.alias("_id"))
        .agg(
            F.count(F.lit(1)).alias("_batch"),
            F.min(F.struct("source_file", "source_line", "row_hash")).alias("_first"),
        )
    )
    pub = (
        published.join(F.broadcast(suspects), F.xxhash64("_key") == suspects["_k"], "left_semi")
        .groupBy(F.col("_key").alias("_id"))
        .agg(F.collect_set("row_hash").alias("_pub_hashes"))
    )
    return (
        batch.join(pub, "_id", "left")
        .where(F.col("_pub_hashes").isNotNull() | (F.col("_batch") > 1))
        .select("_id", "_pub_hashes", "_first")
    )


# Columns the lookups add (by key and by record) and the classes drop once judged.
_CONFLICT_COLUMNS = ("_id", "_pub_hashes", "_first")
_PRIOR_COLUMNS = (
    "_s_file",
    "_s_line",
    "_s_hash",
    "_s_attempt",
    "_s_history",
    "_p_id",
    "_p_attempt",
    "_p_history",
)


def _with_conflicts(found: Lookups) -> Callable[[DataFrame], DataFrame]:
    """The duplicate conflict of each row's key (_id, _pub_hashes, _first).
    Broadcast joins here and below have one row per key: no row repeats."""

    def apply(df: DataFrame) -> DataFrame:
        conflicts = F.broadcast(found.conflicts)
        return df.join(conflicts, found.key.of_validated() == conflicts["_id"], "left")

    return apply


def _with_lock(found: Lookups) -> Callable[[DataFrame], DataFrame]:
    """The unreleased condemnation of each row's key (_l_*; locked_ids())."""

    def apply(df: DataFrame) -> DataFrame:
        locked = F.broadcast(found.locked)
        return df.join(locked, found.key.of_validated() == locked["_l_id"], "left")

    return apply


def _with_id_lookups(found: Lookups) -> Callable[[DataFrame], DataFrame]:
    """The lookups by key: its duplicate conflict, its earlier failures (_p_*) and its
    unreleased condemnation (_l_*)."""

    def apply(df: DataFrame) -> DataFrame:
        by_id = F.broadcast(found.prior_by_id)
        joined = df.transform(_with_conflicts(found))
        joined = joined.join(by_id, found.key.of_validated() == by_id["_p_id"], "left")
        return joined.transform(_with_lock(found))

    return apply


def _with_record_lookup(found: Lookups) -> Callable[[DataFrame], DataFrame]:
    """The earlier failures of the same bronze record (file, line and hash: _s_*)."""

    def apply(df: DataFrame) -> DataFrame:
        same = F.broadcast(found.prior_by_record)
        return df.join(
            same,
            (df["source_file"] == same["_s_file"])
            & (df["source_line"] == same["_s_line"])
            & (df["row_hash"] == same["_s_hash"]),
            "left",
        )

    return apply


def is_notable() -> Column:
    """After the lookups by key: the rows whose outcome is not plainly valid.
    A value rule failed, or the lookups know the key (a duplicate, or a
    re-submission of an earlier failure); every other row is valid with nothing more to
    record."""
    return F.col("error_type").isNotNull() | F.col("_id").isNotNull() | F.col("_p_id").isNotNull()


def locked_ids(prior: DataFrame, released: DataFrame) -> DataFrame:
    """The keys an earlier condemnation locks (lakegate.releases): condemned for a
    locking reason after the key's last release (or ever, if never released); `prior`
    and `released` with their _key (keyed()). One row per key (small; broadcast): _l_id,
    _l_since and _l_run (when and by which run the lock began: the first such
    condemnation) and _l_records (the key's earlier failed records, but for refused
    re-submissions: reading one of them again is not a new re-submission; reading a
    refused one again is refused again)."""
    last_release = released.groupBy(F.col("_key").alias("_r_id")).agg(
        F.max("released_at").alias("_r_at")
    )
    rows = prior.where(F.col("_key").isNotNull())
    rows = rows.join(F.broadcast(last_release), rows["_key"] == last_release["_r_id"], "left")
    locking = F.col("condemned_reason").isin(*LOCKING_REASONS) & (
        F.col("_r_at").isNull() | (F.col("quarantined_at") > F.col("_r_at"))
    )
    record = F.struct("source_file", "source_line", "row_hash")
    return (
        rows.groupBy(F.col("_key").alias("_l_id"))
        .agg(
            F.min(F.when(locking, F.col("quarantined_at"))).alias("_l_since"),
            F.min_by(F.col("run_id"), F.when(locking, F.struct("quarantined_at", "run_id"))).alias(
                "_l_run"
            ),
            F.collect_set(
                F.when(~F.col("condemned_reason").eqNullSafe(NOT_RELEASED_REASON), record)
            ).alias("_l_records"),
        )
        .where(F.col("_l_since").isNotNull())
    )


def is_locked(landed: dict[str, datetime]) -> Column:
    """After the lock lookup: the row re-submits a key whose condemnation was
    not released. Its file landed after the condemnation (`landed`: bronze key -> time;
    an unknown file counts as later) and it is not an earlier failed record read again.
    Older files of a locked id (the accepted original, read by a backfill) are judged
    as before."""
    times = F.create_map(
        *[part for key, at in sorted(landed.items()) for part in (F.lit(key), F.lit(at))]
    )
    arrived_after = (
        F.coalesce(F.element_at(times, F.col("source_file")) > F.col("_l_since"), F.lit(True))
        if landed
        else F.lit(True)
    )
    record = F.struct("source_file", "source_line", "row_hash")
    return (
        F.col("_l_id").isNotNull() & ~F.array_contains(F.col("_l_records"), record) & arrived_after
    )


_LOCK_COLUMNS = ("_l_id", "_l_run", "_l_since", "_l_records")


def with_release_lock(key: Key, landed: dict[str, datetime]) -> Callable[[DataFrame], DataFrame]:
    """CONDEMNED_NOT_RELEASED for a row that passed the value rules and is_locked(), from
    the lock columns the lookups added (and drops them). A locked row that failed a
    value rule keeps its class: its attempts are spent, so it is condemned anyway."""

    def apply(df: DataFrame) -> DataFrame:
        refused = F.col("error_type").isNull() & is_locked(landed)
        message = F.format_string(
            f"{key.label} %s was condemned by run %s and is not released: a data-quality"
            " approver runs `lakegate condemned release` before it is re-submitted",
            R.shown(key.of_validated()),
            F.col("_l_run"),
        )
        dropped = {"error_type", "error_message", *_LOCK_COLUMNS}
        return df.select(
            *[c for c in df.columns if c not in dropped],
            F.when(refused, F.lit(NOT_RELEASED_ERROR))
            .otherwise(F.col("error_type"))
            .alias("error_type"),
            F.when(refused, message).otherwise(F.col("error_message")).alias("error_message"),
        )

    return apply


def with_duplicate_classes(key: Key) -> Callable[[DataFrame], DataFrame]:
    """Duplicate classes among rows that passed the value rules (SPEC §3), from the
    conflict columns the lookups added (and drops them).

    The conflicts are duplicate_conflicts() of these rows against the published keys
    (the published version minus the partitions this run replaces). Against those: same
    hash -> EXACT_DUPLICATE, other content -> BUSINESS_DUPLICATE. Otherwise, within the
    run, ordered by (source_file, source_line): the first row of a key is accepted, a
    later one with the accepted row's hash is EXACT_DUPLICATE, any other
    DUPLICATE_IN_BATCH.
    """

    def apply(df: DataFrame) -> DataFrame:
        duplicate = _duplicate_class(key)
        dropped = {"error_type", "error_message", *_CONFLICT_COLUMNS}
        return df.select(
            *[c for c in df.columns if c not in dropped],
            F.coalesce("error_type", duplicate["t"]).alias("error_type"),
            F.coalesce("error_message", duplicate["m"]).alias("error_message"),
        )

    return apply


def _duplicate_class(key: Key) -> Column:
    """After the conflicts are joined: a row's duplicate class and message as a struct
    (t, m), or null (a failed row, no conflict, or the accepted first occurrence)."""
    passed = F.col("error_type").isNull()
    is_first = (F.col("source_file") == F.col("_first.source_file")) & (
        F.col("source_line") == F.col("_first.source_line")
    )
    tid = R.shown(key.of_validated())
    label = key.label
    where_first = F.format_string(
        "%s line %d", F.col("_first.source_file"), F.col("_first.source_line")
    )
    return (
        F.when(~passed | F.col("_id").isNull(), F.lit(None))
        .when(
            F.array_contains("_pub_hashes", F.col("row_hash")),
            F.struct(
                F.lit("EXACT_DUPLICATE").alias("t"),
                F.format_string(f"{label} %s is identical to a published row", tid).alias("m"),
            ),
        )
        .when(
            F.col("_pub_hashes").isNotNull(),
            F.struct(
                F.lit("BUSINESS_DUPLICATE").alias("t"),
                F.format_string(
                    f"{label} %s is already published with different content", tid
                ).alias("m"),
            ),
        )
        .when(is_first, F.lit(None))
        .when(
            F.col("row_hash") == F.col("_first.row_hash"),
            F.struct(
                F.lit("EXACT_DUPLICATE").alias("t"),
                F.format_string(f"{label} %s is identical to %s", tid, where_first).alias("m"),
            ),
        )
        .otherwise(
            F.struct(
                F.lit("DUPLICATE_IN_BATCH").alias("t"),
                F.format_string(
                    f"{label} %s was already accepted from %s with different content",
                    tid,
                    where_first,
                ).alias("m"),
            )
        )
    )


def _latest_first() -> Column:
    """Ordering of prior failures: the highest attempt first; among equal attempts (the
    same record quarantined by two runs, e.g. a run and its backfill) the one whose
    history starts with the smaller run id, so the choice never depends on row order."""
    return F.struct(-F.col("attempt_count"), F.col("retry_history")[0]["run_id"])


def prior_attempts(prior: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Earlier failures by bronze record (file, line, hash) and by key (`prior` with its
    _key, keyed()): the highest attempt and the history that goes with it (small;
    broadcast)."""
    same = prior.groupBy(
        F.col("source_file").alias("_s_file"),
        F.col("source_line").alias("_s_line"),
        F.col("row_hash").alias("_s_hash"),
    ).agg(
        F.max("attempt_count").alias("_s_attempt"),
        F.min_by("retry_history", _latest_first()).alias("_s_history"),
    )
    by_id = (
        prior.where(F.col("_key").isNotNull())
        .groupBy(F.col("_key").alias("_p_id"))
        .agg(
            F.max("attempt_count").alias("_p_attempt"),
            F.min_by("retry_history", _latest_first()).alias("_p_history"),
        )
    )
    return same, by_id


def with_prior_attempts(run_id: str, at: datetime) -> Callable[[DataFrame], DataFrame]:
    """attempt_count and retry_history of failed rows (SPEC §4; lakegate.attempts), from
    the earlier-failure columns the lookups added (and drops them).

    Those come from prior_attempts() of the earlier quarantine and condemned rows of
    completed runs. The same bronze record read again (same file, line and hash) keeps
    its attempt and history; a key seen before from another source is one
    attempt more, with this attempt appended to the history; otherwise attempt 0.
    """

    def apply(df: DataFrame) -> DataFrame:
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
        # first held this key, whatever the outcome now (valid = fixed).
        retry_of = F.when(
            F.col("_s_attempt").isNull() & F.col("_p_attempt").isNotNull(),
            F.col("_p_history")[0]["run_id"],
        )
        return df.select(
            *[c for c in df.columns if c not in _PRIOR_COLUMNS],
            attempt.cast("int").alias("attempt_count"),
            history.alias("retry_history"),
            retry_of.alias("retry_of"),
        )

    return apply


def with_outcome(df: DataFrame) -> DataFrame:
    """outcome (valid, quarantined, condemned), condemned_reason and critical."""
    failed = F.col("error_type").isNotNull()
    reason = (
        F.when(F.col("error_type") == "EXACT_DUPLICATE", F.lit("EXACT_DUPLICATE"))
        .when(F.col("error_type") == NOT_RELEASED_ERROR, F.lit(NOT_RELEASED_REASON))
        .when(failed & (F.col("attempt_count") >= MAX_ATTEMPTS), F.lit("MAX_ATTEMPTS"))
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


def _raw(name: str) -> str:
    """The persisted column holding an input value as received, where it differs from
    the trimmed value (null where they are equal: most rows store it once)."""
    return f"_raw_{name}"


def validate(config: DatasetConfig) -> Callable[[DataFrame], DataFrame]:
    """Bronze lines -> every line with its typed values, row hash and the first failing
    value rule: the frame the job persists, kept narrow. The line text is kept only
    where it is not a record (raw_line); a received value only where trimming changed
    it. with_received_values() restores the columns as received."""

    dataset = datasets.dataset(config.name)
    names = [c.name for c in dataset.required]

    def apply(lines: DataFrame) -> DataFrame:
        checked = lines.transform(R.with_typed_values(dataset)).transform(
            R.with_error_type(R.value_rules(config))
        )
        dropped = {"line", *names}
        return checked.select(
            *[c for c in checked.columns if c not in dropped],
            *[F.when(F.col(n) != F.col(R.value(n)), F.col(n)).alias(_raw(n)) for n in names],
            F.when(F.col("malformed").isNotNull(), F.col("line")).alias("raw_line"),
        )

    return apply


def with_received_values(validated: DataFrame) -> DataFrame:
    """The input columns as received, from validate()'s narrow form (each has its
    _raw_ column there)."""
    names = [c.removeprefix(_raw("")) for c in validated.columns if c.startswith(_raw(""))]
    return validated.select(
        *[c for c in validated.columns if not c.startswith(_raw(""))],
        *[F.coalesce(F.col(_raw(n)), F.col(R.value(n))).alias(n) for n in names],
    )


@dataclass(frozen=True)
class Lookups:
    """The small frames every output of a run joins (broadcast): duplicate suspects and
    conflicts, earlier failures and unreleased condemnations; and when each bronze file
    landed (is_locked). The job persists the frames once instead of recomputing them for
    the counts and each write; frames() is their order of computation."""

    suspects: DataFrame
    conflicts: DataFrame
    prior_by_record: DataFrame
    prior_by_id: DataFrame
    locked: DataFrame
    landed: dict[str, datetime]
    key: Key

    def persist(self) -> Lookups:
        suspects, conflicts, by_record, by_id, locked = (f.persist() for f in self.frames())
        return Lookups(suspects, conflicts, by_record, by_id, locked, self.landed, self.key)

    def unpersist(self) -> None:
        for frame in self.frames():
            frame.unpersist()

    def frames(self) -> tuple[DataFrame, ...]:
        return self.suspects, self.conflicts, self.prior_by_record, self.prior_by_id, self.locked


def keyed(key: Key, published: DataFrame, prior: DataFrame, released: DataFrame):
    """The stored frames with their business key as _key: published silver's from its
    typed columns, earlier failures' from the values as received, the releases' as
    named."""
    return (
        published.select(key.of_published().alias("_key"), "row_hash"),
        prior.select("*", key.of_received().alias("_key")),
        released.select(F.col("key").alias("_key"), "released_at"),
    )


def lookups(
    dataset: Dataset,
    validated: DataFrame,
    published: DataFrame,
    prior: DataFrame,
    released: DataFrame,
    landed: dict[str, datetime],
) -> Lookups:
    """`published`: the published key columns (schemas.published_keys_schema); `prior`:
    earlier quarantine and condemned rows (schemas.prior_failures_schema); `released`:
    the releases (RELEASES_SCHEMA); `landed`: bronze key -> landing time."""
    key = Key(dataset)
    published, prior, released = keyed(key, published, prior, released)
    suspects = duplicate_suspects(key, validated, published)
    return Lookups(
        suspects,
        duplicate_conflicts(key, validated, published, suspects),
        *prior_attempts(prior),
        locked_ids(prior, released),
        landed,
        key,
    )


def _classes(
    config: DatasetConfig, found: Lookups, run_id: str, at: datetime
) -> Callable[[DataFrame], DataFrame]:
    """After the lookups (by key, then by bronze record): the value rules'
    messages, the release lock, duplicate classes, attempt carry-forward and the
    outcome."""

    def apply(joined: DataFrame) -> DataFrame:
        return (
            joined.transform(with_received_values)
            .transform(R.with_error_message(R.value_rules(config)))
            .transform(with_release_lock(found.key, found.landed))
            .transform(with_duplicate_classes(found.key))
            .transform(with_prior_attempts(run_id, at))
            .transform(with_outcome)
        )

    return apply


def notable_rows(
    config: DatasetConfig, found: Lookups, run_id: str, at: datetime
) -> Callable[[DataFrame], DataFrame]:
    """Validated lines -> the classified rows that are not plainly valid (is_notable):
    every failed row, and the valid rows that are duplicates' first occurrences or
    re-submissions. The rows are chosen first (the lookups by bronze record only for
    them), so messages, received values and histories are built for these rows only;
    the rest of a run's rows are valid, and their count is what remains of the input."""

    def apply(validated: DataFrame) -> DataFrame:
        return (
            validated.transform(_with_id_lookups(found))
            .where(is_notable())
            .transform(_with_record_lookup(found))
            .transform(_classes(config, found, run_id, at))
        )

    return apply


def valid_rows(found: Lookups) -> Callable[[DataFrame], DataFrame]:
    """Validated lines -> the valid rows (what silver_rows() takes): they passed the
    value rules, are not locked and have no duplicate class. Only the duplicate
    conflicts and the locks are joined: attempt counts change no valid row's outcome."""

    def apply(validated: DataFrame) -> DataFrame:
        joined = validated.transform(_with_conflicts(found)).transform(_with_lock(found))
        return joined.where(
            F.col("error_type").isNull()
            & ~is_locked(found.landed)
            & _duplicate_class(found.key)["t"].isNull()
        ).select(*validated.columns)

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


def silver_rows(dataset: Dataset, run_id: str, schema_v: str) -> Callable[[DataFrame], DataFrame]:
    """The rows valid_rows() gives, in the silver schema of `schema_v` (nothing is
    filtered here); a column the first version lacks (transactions v2's Channel) is
    trimmed, empty means null."""
    schema = silver_schemas(dataset)[schema_v]
    required = {c.name for c in dataset.required}

    def apply(valid: DataFrame) -> DataFrame:
        added = [
            F.nullif(trimmed(F.col(f.name)), F.lit("")).alias(f.name)
            for f in schema.fields
            if f.name in dataset.column_names and f.name not in required and f.name in valid.columns
        ]
        rows = valid.select(
            *added,
            *[
                F.col(R.value(c.name) if c.type == "string" else R.typed(c.name)).alias(c.name)
                for c in dataset.required
            ],
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
        F.lit(run_id).alias("run_id"),
        F.lit(at).alias("quarantined_at"),
    )


def quarantine_rows(
    dataset: Dataset, run_id: str, at: datetime
) -> Callable[[DataFrame], DataFrame]:
    schema = quarantine_schema(dataset)

    def apply(classified: DataFrame) -> DataFrame:
        return _conform(_failed_rows(classified, QUARANTINED, run_id, at), schema)

    return apply


def condemned_rows(dataset: Dataset, run_id: str, at: datetime) -> Callable[[DataFrame], DataFrame]:
    schema = condemned_schema(dataset)

    def apply(classified: DataFrame) -> DataFrame:
        return _conform(_failed_rows(classified, CONDEMNED, run_id, at), schema)

    return apply


def outcome_counts(classified: DataFrame) -> DataFrame:
    """The one aggregation: rows and attempt sums per outcome, error type, partition and
    the run a re-submitted row was first quarantined by."""
    return classified.groupBy("outcome", "error_type", "year", "month", "retry_of").agg(
        F.count(F.lit(1)).alias("rows"),
        F.coalesce(F.sum("attempt_count"), F.lit(0)).cast("long").alias("attempt_sum"),
    )


def distinct_failed_rows(notable: DataFrame, earlier: DataFrame) -> DataFrame:
    """Per error type, the distinct failed rows (source file, line) of this run's notable
    rows and of earlier runs' failed rows (FAILED_ROW_KEYS_SCHEMA): error_type, rows."""
    keys = ["error_type", "source_file", "source_line"]
    failed = notable.where(F.col("outcome") != VALID).select(*keys)
    return (
        failed.unionByName(earlier.select(*keys))
        .groupBy("error_type")
        .agg(F.countDistinct("source_file", "source_line").alias("rows"))
    )


def partition_rows(validated: DataFrame) -> DataFrame:
    """Every line read, per bronze partition (year, month, rows): the input the outcome
    counts must add up to."""
    return validated.groupBy("year", "month").agg(F.count(F.lit(1)).alias("rows"))
