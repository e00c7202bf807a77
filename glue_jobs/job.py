"""The ingestion job (SPEC §2-§6): wires the bronze listing, the pure transforms, the
writes and the run summary. Both the Glue entry script and `lakegate ingest` call
run_ingest(); nothing here parses arguments or creates clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession

from glue_jobs import parsing, sparkio, transforms
from glue_jobs.run import (
    Written,
    check_written,
    emit,
    execute,
    iso_utc,
    parquet_files,
    partitions_written,
    phase,
    refuse_existing,
    utc_now,
    write_success,
)
from glue_jobs.schemas import (
    FAILED_ROW_KEYS_SCHEMA,
    RELEASES_SCHEMA,
    condemned_schema,
    prior_failures_schema,
    published_keys_schema,
    quarantine_schema,
    silver_schemas,
)
from lakegate import (
    breaker,
    bronze,
    catalog,
    datasets,
    layout,
    metrics,
    pointer,
    releases,
    schema_versions,
)
from lakegate.config import DatasetConfig
from lakegate.errors import BadArgument, CircuitBreakerTripped, LakegateError
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


def _refuse_existing(lake: Lake, request: IngestRequest) -> None:
    ds, run_id = request.config.name, request.run_id
    refuse_existing(
        lake,
        run_id,
        [
            ("silver", layout.run_prefix(ds, request.config.schema_v, run_id)),
            ("quarantine", layout.quarantine_run_prefix(ds, run_id)),
            ("quarantine", layout.condemned_run_prefix(ds, run_id)),
        ],
    )


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
    bronze.check_headers(lake["bronze"], files, request.config.schema_v, ds)
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


@dataclass(frozen=True)
class IngestPlan:
    """What one ingestion run reads and where it writes, decided before Spark runs."""

    started: datetime
    files: list[bronze.BronzeFile]
    kind: RunType
    latest: pointer.Latest | None  # the published version when the run started
    published_uris: list[str]  # accepted rows within the look-back, minus replaced months
    refs: list[catalog.RunRef]  # every run so far, listed once
    prior_uris: list[str]  # earlier failures within the look-back
    silver: str  # the run's prefixes
    quarantine: str
    condemned: str


@dataclass(frozen=True)
class Frames:
    """The run's persisted frames: validated once, read by every count and write."""

    validated: DataFrame
    found: transforms.Lookups
    notable: DataFrame

    def unpersist(self) -> None:
        self.notable.unpersist()
        self.found.unpersist()
        self.validated.unpersist()


@dataclass(frozen=True)
class IngestOutcome:
    row_metrics: dict
    valid_by_partition: dict[str, int]
    tripped: dict[str, int]  # error types over the breaker's threshold; {} when not


@dataclass
class Ingestion:
    """The steps of one ingestion run (glue_jobs.run.execute gives their order)."""

    spark: SparkSession
    lake: Lake
    request: IngestRequest
    now: Callable[[], datetime] = utc_now
    cloudwatch: object = None
    files: list[bronze.BronzeFile] | None = None

    @property
    def dataset(self) -> datasets.Dataset:
        """The registry entry of the run's dataset: its key, columns and schemas."""
        return datasets.dataset(self.request.config.name)

    def plan(self) -> IngestPlan:
        """What is already accepted: the published version minus the partitions this
        run replaces, within the look-back (SPEC §6); and earlier failures, for attempt
        counts."""
        started = self.now()
        request, lake = self.request, self.lake
        cfg, ds = request.config, request.config.name
        files = prepare(lake, request) if self.files is None else self.files
        lookback = MonthWindow(request.window.first.plus(-cfg.lookback_months), request.window.last)
        kind = RunType(request.run_type)
        replaced = set(request.window.months()) if kind.replaces_partitions else set()
        latest = pointer.read_latest(lake["silver"], ds)
        published_months = [m for m in lookback.months() if m not in replaced]
        refs = catalog.silver_runs(lake, ds, cfg.known_schema_versions)
        return IngestPlan(
            started=started,
            files=files,
            kind=kind,
            latest=latest,
            published_uris=[
                lake["silver"].uri(key)
                for key in pointer.published_files(lake["silver"], latest, published_months)
            ],
            refs=refs,
            prior_uris=[
                lake["quarantine"].uri(k)
                for k in _prior_failure_files(lake, request, lookback.months(), refs)
            ],
            silver=layout.run_prefix(ds, cfg.schema_v, request.run_id),
            quarantine=layout.quarantine_run_prefix(ds, request.run_id),
            condemned=layout.condemned_run_prefix(ds, request.run_id),
        )

    def frames(self, plan: IngestPlan) -> Frames:
        """Bronze read once, parsed and validated once, persisted; the duplicate and
        attempt lookups; the rows that are not plainly valid (about 2%), classified once
        with their messages and histories."""
        spark, lake, request = self.spark, self.lake, self.request
        cfg = request.config
        dataset = self.dataset
        published = sparkio.read_parquet_files(
            spark, plan.published_uris, published_keys_schema(dataset)
        )
        prior = sparkio.read_parquet_files(spark, plan.prior_uris, prior_failures_schema(dataset))
        # The audited releases of condemned keys: a few small documents.
        released = spark.createDataFrame(
            releases.released_at(releases.read_releases(lake["silver"], cfg.name)),
            RELEASES_SCHEMA,
        )
        lines = parsing.bronze_lines(
            sparkio.read_bronze(spark, [lake["bronze"].uri(f.key) for f in plan.files]),
            schema_versions.columns(cfg.schema_v, cfg.name),
        )
        # On disk only: a month is one partition, and Spark reads a block kept
        # MEMORY_AND_DISK back into memory as one buffer. At 50M rows (a month 300 MB
        # serialised) that allocation ran an 8 GB heap out of memory; on disk the frame
        # is read as a stream, and costs no more (docs/performance.md, 50M rows).
        validated = lines.transform(transforms.validate(cfg)).persist(StorageLevel.DISK_ONLY)
        found = transforms.lookups(
            dataset, validated, published, prior, released, {f.key: f.modified for f in plan.files}
        ).persist()
        notable = validated.transform(
            transforms.notable_rows(cfg, found, request.run_id, plan.started)
        ).persist(StorageLevel.MEMORY_AND_DISK)
        return Frames(validated, found, notable)

    def count(self, plan: IngestPlan, frames: Frames) -> dict:
        """Rows read per partition and the failed rows per outcome and error type: the
        run's row metrics (lakegate.metrics). Each phase is materialised under its own
        name, so the Spark UI and the event log tell what the run spent its time on
        (bench.eventlog reads them)."""
        phase(self.spark, "read and validate bronze")
        rows_read = {
            f"year={r.year}/month={r.month}": r.rows
            for r in transforms.partition_rows(frames.validated).collect()
        }
        phase(self.spark, "duplicate checks and earlier failures")
        for frame in frames.found.frames():
            frame.count()
        phase(self.spark, "classify and count the failed rows")
        counted = [
            metrics.CountRow(
                r.outcome,
                r.error_type,
                f"year={r.year}/month={r.month}",
                r.rows,
                r.attempt_sum,
                r.retry_of,
            )
            for r in transforms.outcome_counts(frames.notable).collect()
        ]
        row_metrics = metrics.summarize_counts(metrics.with_plain_valid(counted, rows_read))
        if not plan.kind.resubmits:
            # Only a retry run re-submits corrected rows. In a backfill, a key seen in
            # quarantine before is usually the accepted original of a duplicate.
            row_metrics["retried_from"] = {}
        return row_metrics

    def write(self, plan: IngestPlan, frames: Frames, tripped: dict[str, int]) -> None:
        """Quarantine and condemned rows; silver unless the breaker tripped."""
        spark, lake, request = self.spark, self.lake, self.request
        dataset = self.dataset
        phase(spark, "write quarantine")
        sparkio.write_partitioned(
            frames.notable.transform(
                transforms.quarantine_rows(dataset, request.run_id, plan.started)
            ),
            lake["quarantine"].uri(plan.quarantine),
            ["source_file", "source_line"],
        )
        phase(spark, "write condemned")
        sparkio.write_partitioned(
            frames.notable.transform(
                transforms.condemned_rows(dataset, request.run_id, plan.started)
            ),
            lake["quarantine"].uri(plan.condemned),
            ["source_file", "source_line"],
        )
        crash_point("ingest:after_quarantine")
        if tripped:
            return
        phase(spark, "write silver")
        sparkio.write_partitioned(
            frames.validated.transform(transforms.valid_rows(frames.found)).transform(
                transforms.silver_rows(dataset, request.run_id, request.config.schema_v)
            ),
            lake["silver"].uri(plan.silver),
            # Rows stay in the order they were read (file, line): a sort by the key
            # cost a quarter of the write (docs/performance.md).
            [],
            # A one-column key differs in (nearly) every row, as the row hash does.
            unique=(*(dataset.key if len(dataset.key) == 1 else ()), "row_hash"),
        )

    def work(self, plan: IngestPlan) -> IngestOutcome:
        frames = self.frames(plan)
        try:
            row_metrics = self.count(plan, frames)
            crash_point("ingest:after_classify")
            tripped = _breaker(
                self.spark, self.lake, self.request, plan.started, self.now(), row_metrics,
                frames.notable,
            )  # fmt: skip
            self.write(plan, frames, tripped)
        finally:
            frames.unpersist()
        crash_point("ingest:after_silver")
        valid_by_partition = row_metrics.pop("valid_rows_by_partition")
        return IngestOutcome(row_metrics, valid_by_partition, tripped)

    def verify(self, plan: IngestPlan, outcome: IngestOutcome) -> Written:
        """Everything that was classified must be in storage: count what was written."""
        spark, lake, request = self.spark, self.lake, self.request
        dataset = self.dataset
        phase(spark, "check rows written")
        schema = silver_schemas(dataset)[request.config.schema_v]
        silver = check_written(spark, lake, "silver", plan.silver, schema, request.config)
        failed = [
            lake["quarantine"].uri(k) for k in parquet_files(lake, "quarantine", plan.quarantine)
        ]
        condemned = [
            lake["quarantine"].uri(k) for k in parquet_files(lake, "quarantine", plan.condemned)
        ]
        written = {
            "valid_rows_count": sum(silver.by_partition.values()),
            "quarantined_rows_count": sparkio.count_rows(spark, failed, quarantine_schema(dataset)),
            "condemned_rows_count": sparkio.count_rows(spark, condemned, condemned_schema(dataset)),
        }
        expected = {k: outcome.row_metrics[k] for k in written}
        by_partition = outcome.valid_by_partition
        if outcome.tripped:  # a halted run writes no silver
            expected["valid_rows_count"] = 0
            by_partition = {}
        if written != expected or silver.by_partition != {
            p: n for p, n in by_partition.items() if n
        }:
            raise LakegateError(
                f"run {request.run_id}: rows written {written} (per partition"
                f" {silver.by_partition}) differ from rows classified {expected} (per"
                f" partition {by_partition}); no _SUCCESS written"
            )
        spark.sparkContext.setJobDescription(None)  # type: ignore[arg-type]  # clears it
        return silver

    def summarize(self, plan: IngestPlan, outcome: IngestOutcome, written: Written) -> RunSummary:
        request, lake, cfg = self.request, self.lake, self.request.config
        ended = self.now()
        duration = (ended - plan.started).total_seconds()
        row_metrics = outcome.row_metrics
        summary = RunSummary(
            run_id=request.run_id,
            dataset=cfg.name,
            schema_v=cfg.schema_v,
            run_type=request.run_type,
            input_window=request.window.to_dict(),
            input_files=[f.key for f in plan.files],
            code_version=request.code_version,
            started_at=iso_utc(plan.started),
            ended_at=iso_utc(ended),
            duration_seconds=round(duration, 3),
            **row_metrics,
            circuit_breaker_triggers=len(outcome.tripped),
            rows_per_second=round(row_metrics["input_rows"] / duration, 3) if duration else 0.0,
            missing_partitions=None,
            publication=self.publication(plan, ended),
            partitions=(
                partitions_written(
                    written.keys, plan.silver, outcome.valid_by_partition, written.totals
                )
                if not outcome.tripped
                else []
            ),
            control_totals={"by": cfg.control_totals[0], "sum_of": cfg.control_totals[1]},
            execution_arn=request.execution_arn,
            quarantine_location=lake["quarantine"].uri(plan.quarantine),
            condemned_location=lake["quarantine"].uri(plan.condemned),
            thresholds={
                "breaker_threshold": cfg.breaker_threshold,
                "breaker_window_minutes": cfg.breaker_window_minutes,
                "max_quarantine_rate": cfg.max_quarantine_rate,
                "lookback_months": cfg.lookback_months,
            },
        )
        if outcome.tripped:
            summary = summary.but(
                halted={"tripped": outcome.tripped, "threshold": cfg.breaker_threshold}
            )
        # None for a halted run: it wrote no partition by design.
        return summary.but(
            missing_partitions=metrics.missing_partitions(summary, cfg.partition_grace_days)
        )

    def publication(self, plan: IngestPlan, ended: datetime) -> dict:
        """How old the published version is, and how long runs have waited for a
        decision (the freshness and unpromoted-data alarms)."""
        cfg, lake, latest = self.request.config, self.lake, plan.latest
        gold_latest = (
            pointer.read_latest(lake["gold"], cfg.gold_dataset) if cfg.gold_dataset else None
        )
        waiting = catalog.waiting_since(
            plan.refs,
            datetime.fromisoformat(latest.published_at) if latest else None,
            {r for runs in (latest.partitions.values() if latest else []) for r in runs},
            catalog.audit_subjects(lake["silver"], cfg.name, "reject"),
        )
        return metrics.publication_state(
            ended,
            latest.published_at if latest else None,
            latest.version if latest else None,
            gold_latest.published_at if gold_latest else None,
            has_gold=cfg.gold_dataset is not None,
            waiting_since=waiting,
        )

    def finish(self, summary: RunSummary) -> RunSummary:
        """A halted run records _HALTED.json and raises; any other writes _SUCCESS last."""
        cfg, lake, run_id = self.request.config, self.lake, self.request.run_id
        if summary.get("halted"):
            lake["quarantine"].write_bytes(
                layout.halted_key(cfg.name, run_id), summary.to_json(), if_none_match=True
            )
            emit(summary, self.cloudwatch, "run_halted", cfg.gold_dataset)
            details = ", ".join(f"{t} {n}" for t, n in summary["halted"]["tripped"].items())
            raise CircuitBreakerTripped(
                f"circuit breaker: run {run_id} halted, more than {cfg.breaker_threshold} rows"
                " (distinct file lines)"
                f" failed within {cfg.breaker_window_minutes} min ({details}); see"
                f" {lake['quarantine'].uri(layout.halted_key(cfg.name, run_id))}"
            )
        crash_point("ingest:before_success")
        return write_success(lake, "silver", summary, self.cloudwatch, "run_summary",
                             cfg.gold_dataset)  # fmt: skip


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
    return execute(Ingestion(spark, lake, request, now, cloudwatch, files))
