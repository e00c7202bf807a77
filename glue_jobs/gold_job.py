"""The gold job: month-end balances from published silver (SPEC §8).

It reads only what `_LATEST.json` publishes (the files of its version manifest, never an
unpromoted run), recomputes every month, and writes an isolated run folder
`gold/account_balances/schema_v=v1/run_id=<id>/year=/month=/` with `_SUCCESS` last, to
be promoted like an ingestion run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pyspark import StorageLevel
from pyspark.sql import SparkSession

from glue_jobs import gold, sparkio
from glue_jobs.run import (
    Written,
    check_written,
    execute,
    iso_utc,
    partitions_written,
    refuse_existing,
    utc_now,
    write_success,
)
from glue_jobs.schemas import BALANCES_SCHEMA, GOLD_SOURCE_SCHEMA
from lakegate import layout, metrics, pointer
from lakegate.config import GOLD_DATASET, dataset_config
from lakegate.errors import LakegateError, Refused
from lakegate.ids import Month, validate_dataset, validate_run_id
from lakegate.manifest import Version
from lakegate.storage import Lake
from lakegate.summary import RunSummary, no_failed_rows

GOLD_SCHEMA_V = "v1"


@dataclass(frozen=True)
class GoldRequest:
    run_id: str
    source: str = "transactions"
    code_version: str = "unknown"
    execution_arn: str | None = None

    def __post_init__(self) -> None:
        validate_run_id(self.run_id)
        validate_dataset(self.source)


def published_silver(lake: Lake, source: str) -> tuple[pointer.Latest, Version]:
    latest = pointer.read_latest(lake["silver"], source)
    if latest is None:
        raise Refused(
            f"nothing of {source} is published in silver yet: promote an ingestion run first"
        )
    return latest, Version.from_json(lake["silver"].read_bytes(latest.manifest))


@dataclass(frozen=True)
class GoldPlan:
    started: datetime
    prefix: str  # the run's folder in gold
    latest: pointer.Latest  # the published silver version it reads
    months: list[Month]
    files: list[str]
    published_rows: int


@dataclass(frozen=True)
class GoldOutcome:
    per_month: list  # rows of gold.balance_counts: one per month
    rows_by_partition: dict[str, int]
    input_rows: int


@dataclass
class GoldBuild:
    """The steps of one gold run (glue_jobs.run.execute gives their order)."""

    spark: SparkSession
    lake: Lake
    request: GoldRequest
    now: Callable[[], datetime] = utc_now
    cloudwatch: object = None

    def plan(self) -> GoldPlan:
        started = self.now()
        prefix = layout.run_prefix(GOLD_DATASET, GOLD_SCHEMA_V, self.request.run_id)
        refuse_existing(self.lake, self.request.run_id, [("gold", prefix)])
        latest, version = published_silver(self.lake, self.request.source)
        return GoldPlan(
            started=started,
            prefix=prefix,
            latest=latest,
            months=sorted(Month.from_partition(p) for p in version.partitions),
            files=[key for p in sorted(version.partitions) for key in version.partitions[p].files],
            published_rows=sum(content.rows for content in version.partitions.values()),
        )

    def work(self, plan: GoldPlan) -> GoldOutcome:
        silver = sparkio.read_parquet_files(
            self.spark, [self.lake["silver"].uri(k) for k in plan.files], GOLD_SOURCE_SCHEMA
        )
        balances = (
            silver.transform(gold.monthly_movements)
            .transform(gold.month_end_balances(plan.months[-1], self.request.run_id))
            .persist(StorageLevel.MEMORY_AND_DISK)
        )
        try:
            per_month = gold.balance_counts(balances).collect()  # one row per month
            sparkio.write_partitioned(
                balances, self.lake["gold"].uri(plan.prefix), ["CustomerID", "Currency"]
            )
        finally:
            balances.unpersist()
        return GoldOutcome(
            per_month=per_month,
            rows_by_partition={f"year={r.year}/month={r.month}": r.rows for r in per_month},
            input_rows=sum(r.transactions for r in per_month),
        )

    def verify(self, plan: GoldPlan, outcome: GoldOutcome) -> Written:
        run_id = self.request.run_id
        if outcome.input_rows != plan.published_rows:
            raise LakegateError(
                f"gold run {run_id}: counted {outcome.input_rows} silver rows, the published"
                f" version {plan.latest.version} has {plan.published_rows}; no _SUCCESS written"
            )
        config = dataset_config(GOLD_DATASET)
        written = check_written(self.spark, self.lake, "gold", plan.prefix, BALANCES_SCHEMA, config)
        computed = sum(outcome.rows_by_partition.values())
        if sum(written.by_partition.values()) != computed:
            raise LakegateError(
                f"gold run {run_id}: {sum(written.by_partition.values())} rows written,"
                f" {computed} computed; no _SUCCESS written"
            )
        return written

    def summarize(self, plan: GoldPlan, outcome: GoldOutcome, written: Written) -> RunSummary:
        request, config = self.request, dataset_config(GOLD_DATASET)
        ended = self.now()
        seconds = (ended - plan.started).total_seconds()
        gold_latest = pointer.read_latest(self.lake["gold"], GOLD_DATASET)
        return RunSummary(
            run_id=request.run_id,
            dataset=GOLD_DATASET,
            schema_v=GOLD_SCHEMA_V,
            run_type="scheduled",
            input_window={"from": plan.months[0].label, "to": plan.months[-1].label},
            # No bronze input: every month the run covers is in "partitions" (accounts
            # carry their balance forward, so no month between the first and the last is
            # empty).
            input_files=[],
            source_files=plan.files,
            source={
                "dataset": request.source,
                "version": plan.latest.version,
                "manifest": plan.latest.manifest,
                "rows": plan.published_rows,
            },
            code_version=request.code_version,
            started_at=iso_utc(plan.started),
            ended_at=iso_utc(ended),
            duration_seconds=round(seconds, 3),
            input_rows=outcome.input_rows,
            valid_rows_count=sum(written.by_partition.values()),
            **no_failed_rows(),
            circuit_breaker_triggers=0,
            rows_per_second=round(outcome.input_rows / seconds, 3) if seconds > 0 else 0.0,
            missing_partitions=0,
            publication=metrics.publication_state(
                ended,
                gold_latest.published_at if gold_latest else None,
                gold_latest.version if gold_latest else None,
            ),
            accounts_by_partition={
                f"year={r.year}/month={r.month}": r.accounts for r in outcome.per_month
            },
            partitions=partitions_written(
                written.keys, plan.prefix, outcome.rows_by_partition, written.totals
            ),
            control_totals={"by": config.control_totals[0], "sum_of": config.control_totals[1]},
            execution_arn=request.execution_arn,
        )

    def finish(self, summary: RunSummary) -> RunSummary:
        return write_success(self.lake, "gold", summary, self.cloudwatch, "gold_summary")


def run_gold(
    spark: SparkSession,
    lake: Lake,
    request: GoldRequest,
    now: Callable[[], datetime] = utc_now,
    cloudwatch=None,
) -> RunSummary:
    """Build month-end balances from the published silver version; returns _SUCCESS."""
    return execute(GoldBuild(spark, lake, request, now, cloudwatch))
