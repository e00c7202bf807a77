"""The ingestion job (SPEC §2-§6): wires the bronze listing, the pure transforms, the
writes and the run summary. Both the Glue entry script and `lakegate ingest` call
run_ingest(); nothing here parses arguments or creates clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pyspark import StorageLevel
from pyspark.sql import SparkSession

from glue_jobs import parsing, sparkio, transforms
from glue_jobs.schemas import (
    CONDEMNED_SCHEMA,
    FAILED_ROW_KEYS_SCHEMA,
    PRIOR_FAILURES_SCHEMA,
    PUBLISHED_KEYS_SCHEMA,
    QUARANTINE_SCHEMA,
    RELEASES_SCHEMA,
    SILVER_SCHEMAS,
)
from lakegate import (
    breaker,
    bronze,
    catalog,
    layout,
    metrics,
    pointer,
    releases,
    schema_versions,
)
from lakegate.config import DatasetConfig
from lakegate.errors import BadArgument, CircuitBreakerTripped, LakegateError, Refused
from lakegate.faults import crash_point
from lakegate.ids import Month, MonthWindow, RunType, validate_run_id, validate_run_type
from lakegate.storage import Lake
from lakegate.summary import RunSummary


@dataclass(frozen=True)
class IngestRequest:
    config: DatasetConfig
    window: MonthWindow
    run_id: str
    run_type: str = "scheduled"
    execution_arn: str | None = None
    code_version: str = "unknown"
    # A retry run reads only these bronze keys (corrections filed in their month's
    # folder); scheduled and backfill runs read every file of their months.
    input_files: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        validate_run_id(self.run_id)
        kind = validate_run_type(self.run_type)
        if kind is RunType.BACKFILL and self.window.first != self.window.last:
            raise BadArgument("a backfill reads exactly one month: give --year and --month only")
        if bool(self.input_files) == kind.reads_a_window:
            raise BadArgument("a retry run names its input files (--input-file), other runs do not")


def select_files(files: list[bronze.BronzeFile], request: IngestRequest) -> list[bronze.BronzeFile]:
    """The window's files, or for a retry run the named ones (each must be in the window)."""
    if not request.input_files:
        return files
    by_key = {f.key: f for f in files}
    unknown = [key for key in request.input_files if key not in by_key]
    if unknown:
        raise BadArgument(
            f"input file {unknown[0]!r} is not a bronze file of {request.config.name} in"
            f" {request.window.first.label}..{request.window.last.label}"
        )
    return [by_key[key] for key in sorted(set(request.input_files))]


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _refuse_existing(lake: Lake, request: IngestRequest) -> None:
    ds, run_id = request.config.name, request.run_id
    prefixes = [
        ("silver", layout.run_prefix(ds, request.config.schema_v, run_id)),
        ("quarantine", layout.quarantine_run_prefix(ds, run_id)),
        ("quarantine", layout.condemned_run_prefix(ds, run_id)),
    ]
    for bucket, prefix in prefixes:
        if next(iter(lake[bucket].list(prefix)), None) is not None:
            raise Refused(
                f"run_id {run_id} already has output at {lake[bucket].uri(prefix)}:"
                " a rerun needs a new run_id"
            )


def parquet_files(lake: Lake, bucket: str, prefix: str) -> list[str]:
    return [o.key for o in lake[bucket].list(prefix) if o.key.endswith(".parquet")]


def _prior_failure_files(
    lake: Lake, request: IngestRequest, months: list[Month], refs: list[catalog.RunRef]
) -> list[str]:
    """Quarantine and condemned files of completed runs, in the look-back months."""
    ds = request.config.name
    wanted = {m.partition for m in months}
    keys = []
    for ref in refs:
        if ref.success_key is None:
            continue
        for prefix in (
            layout.quarantine_run_prefix(ds, ref.run_id),
            layout.condemned_run_prefix(ds, ref.run_id),
        ):
            for key in parquet_files(lake, "quarantine", prefix):
                if layout.partition_under(key, prefix) in wanted:
                    keys.append(key)
    return keys


def partitions_written(
    silver_keys: list[str],
    prefix: str,
    rows_by_partition: dict[str, int],
    totals: dict[str, list[dict]] | None = None,
) -> list[dict]:
    """Each written partition with its rows, files and (when given) control totals."""
    files: dict[str, list[str]] = {}
    for key in silver_keys:
        files.setdefault(layout.partition_under(key, prefix), []).append(key)
    written = []
    for p in sorted(set(files) | set(rows_by_partition)):
        entry = {
            "partition": p,
            "rows": rows_by_partition.get(p, 0),
            "files": sorted(files.get(p, [])),
        }
        if totals is not None:
            entry["totals"] = totals.get(p, [])
        written.append(entry)
    return written


def written_totals(
    spark: SparkSession, lake: Lake, bucket: str, keys: list[str], schema, config: DatasetConfig
) -> dict[str, list[dict]]:
    """The control totals of written files, per partition (metrics.control_totals)."""
    by, amount = config.control_totals
    found = sparkio.control_totals(spark, [lake[bucket].uri(k) for k in keys], schema, by, amount)
    return metrics.control_totals(found)


def prepare(lake: Lake, request: IngestRequest) -> list[bronze.BronzeFile]:
    """The checks that need no Spark, so they fail fast: the run id is new, the window
    has input, and every file's header is right (SCHEMA_ERROR before any write)."""
    ds = request.config.name
    _refuse_existing(lake, request)
    files = select_files(bronze.list_window_files(lake["bronze"], ds, request.window), request)
    if not files:
        first = layout.bronze_month_prefix(ds, request.window.first)
        raise LakegateError(
            f"no bronze files for {ds} in {request.window.first.label}..{request.window.last.label}"
            f" (looked under {lake['bronze'].uri(first)} and the window's other months)"
        )
    bronze.check_headers(lake["bronze"], files, request.config.schema_v)
    return files


def _breaker(
    spark: SparkSession,
    lake: Lake,
    request: IngestRequest,
    started: datetime,
    at: datetime,
    row_metrics: dict,
    notable,
) -> dict[str, int]:
    """Error types over the breaker's threshold: this run's failed rows and those of the
    runs that finished within the window, each row (file, line) counted once. The rows
    are read and counted only when the plain sum of the runs' counts is over."""
    cfg, ds = request.config, request.config.name
    window = timedelta(minutes=cfg.breaker_window_minutes)
    current = row_metrics["error_type_distribution"]
    runs = breaker.counted_runs(
        catalog.recently_finished(lake, ds, cfg.known_schema_versions, started - window),
        at,
        window,
    )
    if not breaker.needs_distinct_count(current, runs, cfg.breaker_threshold):
        return breaker.over_threshold(current, cfg.breaker_threshold)
    keys = [
        lake["quarantine"].uri(key)
        for run in runs
        for prefix in (
            layout.quarantine_run_prefix(ds, run.run_id),
            layout.condemned_run_prefix(ds, run.run_id),
        )
        for key in parquet_files(lake, "quarantine", prefix)
    ]
    earlier = sparkio.read_parquet_files(spark, keys, FAILED_ROW_KEYS_SCHEMA)
    phase(spark, "circuit breaker: distinct failed rows within the window")
    distinct = {
        r.error_type: r.rows for r in transforms.distinct_failed_rows(notable, earlier).collect()
    }
    return breaker.over_threshold(distinct, cfg.breaker_threshold)


def run_ingest(
    spark: SparkSession,
    lake: Lake,
    request: IngestRequest,
    now: Callable[[], datetime] = utc_now,
    cloudwatch=None,
    files: list[bronze.BronzeFile] | None = None,
) -> RunSummary:
    """Run one ingestion. Returns the run summary written to _SUCCESS.

    `files`: the result of prepare() when the caller ran it already. Raises SchemaError
    before anything is written when a header is wrong, and CircuitBreakerTripped (after
    recording the halt) when the breaker trips."""
    started = now()
    cfg, ds = request.config, request.config.name
    files = prepare(lake, request) if files is None else files

    # What is already accepted: the published version minus the partitions this run
    # replaces, within the look-back (SPEC §6); and earlier failures for attempt counts.
    lookback = MonthWindow(request.window.first.plus(-cfg.lookback_months), request.window.last)
    kind = RunType(request.run_type)
    replaced = set(request.window.months()) if kind.replaces_partitions else set()
    latest = pointer.read_latest(lake["silver"], ds)
    published_months = [m for m in lookback.months() if m not in replaced]
    published_uris = [
        lake["silver"].uri(key)
        for key in pointer.published_files(lake["silver"], latest, published_months)
    ]
    published = sparkio.read_parquet_files(spark, published_uris, PUBLISHED_KEYS_SCHEMA)
    # Every run so far, listed once: earlier failures, and the runs awaiting a decision.
    refs = catalog.silver_runs(lake, ds, cfg.known_schema_versions)
    prior_uris = [
        lake["quarantine"].uri(k)
        for k in _prior_failure_files(lake, request, lookback.months(), refs)
    ]
    prior = sparkio.read_parquet_files(spark, prior_uris, PRIOR_FAILURES_SCHEMA)
    # The audited releases of condemned TransactionIDs: a few small documents.
    released = spark.createDataFrame(
        releases.released_at(releases.read_releases(lake["silver"], ds)), RELEASES_SCHEMA
    )

    lines = parsing.bronze_lines(
        sparkio.read_bronze(spark, [lake["bronze"].uri(f.key) for f in files]),
        schema_versions.columns(cfg.schema_v),
    )
    # The one persisted frame: parsed and validated once, then read by the duplicate
    # checks, the counts and the three writes.
    validated = lines.transform(transforms.validate(cfg.currencies)).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    found = transforms.lookups(
        validated, published, prior, released, {f.key: f.modified for f in files}
    ).persist()
    # The rows that are not plainly valid (about 2%): classified once with their
    # messages and histories, persisted, counted, and read by both failure writes.
    notable = validated.transform(
        transforms.notable_rows(cfg.currencies, found, request.run_id, started)
    ).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        # Each phase is materialised under its own name, so the Spark UI and the event
        # log tell what the run spent its time on (bench.eventlog reads them).
        phase(spark, "read and validate bronze")
        rows_read = {
            f"year={r.year}/month={r.month}": r.rows
            for r in transforms.partition_rows(validated).collect()
        }
        phase(spark, "duplicate checks and earlier failures")
        for frame in found.frames():
            frame.count()
        phase(spark, "classify and count the failed rows")
        counted = [
            metrics.CountRow(
                r.outcome,
                r.error_type,
                f"year={r.year}/month={r.month}",
                r.rows,
                r.attempt_sum,
                r.retry_of,
            )
            for r in transforms.outcome_counts(notable).collect()
        ]
        row_metrics = metrics.summarize_counts(metrics.with_plain_valid(counted, rows_read))
        if not kind.resubmits:
            # Only a retry run re-submits corrected rows. In a backfill, a TransactionID
            # seen in quarantine before is usually the accepted original of a duplicate.
            row_metrics["retried_from"] = {}
        crash_point("ingest:after_classify")
        tripped = _breaker(spark, lake, request, started, now(), row_metrics, notable)

        q_prefix = layout.quarantine_run_prefix(ds, request.run_id)
        c_prefix = layout.condemned_run_prefix(ds, request.run_id)
        s_prefix = layout.run_prefix(ds, cfg.schema_v, request.run_id)
        phase(spark, "write quarantine")
        sparkio.write_partitioned(
            notable.transform(transforms.quarantine_rows(request.run_id, started)),
            lake["quarantine"].uri(q_prefix),
            ["source_file", "source_line"],
        )
        phase(spark, "write condemned")
        sparkio.write_partitioned(
            notable.transform(transforms.condemned_rows(request.run_id, started)),
            lake["quarantine"].uri(c_prefix),
            ["source_file", "source_line"],
        )
        crash_point("ingest:after_quarantine")
        if not tripped:
            phase(spark, "write silver")
            sparkio.write_partitioned(
                validated.transform(transforms.valid_rows(found)).transform(
                    transforms.silver_rows(request.run_id, cfg.schema_v)
                ),
                lake["silver"].uri(s_prefix),
                # Rows stay in the order they were read (file, line): a sort by
                # TransactionID cost a quarter of the write (docs/performance.md).
                [],
                unique=("TransactionID", "row_hash"),
            )
    finally:
        notable.unpersist()
        found.unpersist()
        validated.unpersist()

    crash_point("ingest:after_silver")
    # Everything that was classified must be in storage: count what was written.
    phase(spark, "check rows written")
    silver_keys = parquet_files(lake, "silver", s_prefix)
    totals = written_totals(spark, lake, "silver", silver_keys, SILVER_SCHEMAS[cfg.schema_v], cfg)
    written_by_partition = {p: sum(t["rows"] for t in ts) for p, ts in totals.items()}
    written = {
        "valid_rows_count": sum(written_by_partition.values()),
        "quarantined_rows_count": sparkio.count_rows(
            spark,
            [lake["quarantine"].uri(k) for k in parquet_files(lake, "quarantine", q_prefix)],
            QUARANTINE_SCHEMA,
        ),
        "condemned_rows_count": sparkio.count_rows(
            spark,
            [lake["quarantine"].uri(k) for k in parquet_files(lake, "quarantine", c_prefix)],
            CONDEMNED_SCHEMA,
        ),
    }
    expected_written = {k: row_metrics[k] for k in written}
    valid_by_partition = row_metrics.pop("valid_rows_by_partition")
    if tripped:  # a halted run writes no silver
        expected_written["valid_rows_count"] = 0
        valid_by_partition = {}
    if written != expected_written or written_by_partition != {
        p: n for p, n in valid_by_partition.items() if n
    }:
        raise LakegateError(
            f"run {request.run_id}: rows written {written} (per partition"
            f" {written_by_partition}) differ from rows classified {expected_written} (per"
            f" partition {valid_by_partition}); no _SUCCESS written"
        )

    spark.sparkContext.setJobDescription(None)  # type: ignore[arg-type]  # clears it
    ended = now()
    gold_latest = pointer.read_latest(lake["gold"], cfg.gold_dataset) if cfg.gold_dataset else None
    waiting = catalog.waiting_since(
        refs,
        datetime.fromisoformat(latest.published_at) if latest else None,
        {r for runs in (latest.partitions.values() if latest else []) for r in runs},
        catalog.audit_subjects(lake["silver"], ds, "reject"),
    )
    duration = (ended - started).total_seconds()
    summary = RunSummary(
        run_id=request.run_id,
        dataset=ds,
        schema_v=cfg.schema_v,
        run_type=request.run_type,
        input_window=request.window.to_dict(),
        input_files=[f.key for f in files],
        code_version=request.code_version,
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        duration_seconds=round(duration, 3),
        **row_metrics,
        circuit_breaker_triggers=len(tripped),
        rows_per_second=round(row_metrics["input_rows"] / duration, 3) if duration else 0.0,
        missing_partitions=None,
        publication=metrics.publication_state(
            ended,
            latest.published_at if latest else None,
            latest.version if latest else None,
            gold_latest.published_at if gold_latest else None,
            has_gold=cfg.gold_dataset is not None,
            waiting_since=waiting,
        ),
        partitions=(
            partitions_written(silver_keys, s_prefix, valid_by_partition, totals)
            if not tripped
            else []
        ),
        control_totals={"by": cfg.control_totals[0], "sum_of": cfg.control_totals[1]},
        execution_arn=request.execution_arn,
        quarantine_location=lake["quarantine"].uri(q_prefix),
        condemned_location=lake["quarantine"].uri(c_prefix),
        thresholds={
            "breaker_threshold": cfg.breaker_threshold,
            "breaker_window_minutes": cfg.breaker_window_minutes,
            "max_quarantine_rate": cfg.max_quarantine_rate,
            "lookback_months": cfg.lookback_months,
        },
    )
    if tripped:
        summary = summary.but(halted={"tripped": tripped, "threshold": cfg.breaker_threshold})
    # None for a halted run: it wrote no partition by design.
    summary = summary.but(
        missing_partitions=metrics.missing_partitions(summary, cfg.partition_grace_days)
    )
    body = summary.to_json()
    if tripped:
        lake["quarantine"].write_bytes(
            layout.halted_key(ds, request.run_id), body, if_none_match=True
        )
        emit(summary, cloudwatch, "run_halted", cfg.gold_dataset)
        details = ", ".join(f"{t} {n}" for t, n in tripped.items())
        raise CircuitBreakerTripped(
            f"circuit breaker: run {request.run_id} halted, more than {cfg.breaker_threshold} rows"
            " (distinct file lines)"
            f" failed within {cfg.breaker_window_minutes} min ({details}); see"
            f" {lake['quarantine'].uri(layout.halted_key(ds, request.run_id))}"
        )
    crash_point("ingest:before_success")
    # _SUCCESS last: its presence is what makes the run visible to promotion.
    lake["silver"].write_bytes(
        layout.success_key(ds, cfg.schema_v, request.run_id), body, if_none_match=True
    )
    emit(summary, cloudwatch, "run_summary", cfg.gold_dataset)
    return summary


def phase(spark: SparkSession, name: str) -> None:
    """Name the Spark jobs that follow (the Spark UI's description column)."""
    spark.sparkContext.setJobDescription(f"lakegate: {name}")


def emit(summary: RunSummary, cloudwatch, event: str, gold_dataset: str | None = None) -> None:
    metrics.emit_log(summary, event)
    if cloudwatch is not None:
        metrics.publish_cloudwatch(cloudwatch, summary, gold_dataset)
