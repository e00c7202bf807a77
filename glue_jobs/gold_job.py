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
from glue_jobs.job import (
    emit,
    iso_utc,
    parquet_files,
    partitions_written,
    utc_now,
    written_totals,
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


def run_gold(
    spark: SparkSession,
    lake: Lake,
    request: GoldRequest,
    now: Callable[[], datetime] = utc_now,
    cloudwatch=None,
) -> RunSummary:
    """Build month-end balances from the published silver version; returns _SUCCESS."""
    started = now()
    config = dataset_config(GOLD_DATASET)
    prefix = layout.run_prefix(GOLD_DATASET, GOLD_SCHEMA_V, request.run_id)
    if next(iter(lake["gold"].list(prefix)), None) is not None:
        raise Refused(f"run_id {request.run_id} already has output at {lake['gold'].uri(prefix)}")
    latest, version = published_silver(lake, request.source)
    months = sorted(Month.from_partition(p) for p in version.partitions)
    files = [key for p in sorted(version.partitions) for key in version.partitions[p].files]
    published_rows = sum(content.rows for content in version.partitions.values())

    silver = sparkio.read_parquet_files(
        spark, [lake["silver"].uri(k) for k in files], GOLD_SOURCE_SCHEMA
    )
    balances = (
        silver.transform(gold.monthly_movements)
        .transform(gold.month_end_balances(months[-1], request.run_id))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    try:
        per_month = gold.balance_counts(balances).collect()  # one row per month
        sparkio.write_partitioned(balances, lake["gold"].uri(prefix), ["CustomerID", "Currency"])
    finally:
        balances.unpersist()

    rows_by_partition = {f"year={r.year}/month={r.month}": r.rows for r in per_month}
    input_rows = sum(r.transactions for r in per_month)
    if input_rows != published_rows:
        raise LakegateError(
            f"gold run {request.run_id}: counted {input_rows} silver rows, the published"
            f" version {latest.version} has {published_rows}; no _SUCCESS written"
        )
    keys = parquet_files(lake, "gold", prefix)
    totals = written_totals(spark, lake, "gold", keys, BALANCES_SCHEMA, config)
    written = sum(t["rows"] for ts in totals.values() for t in ts)
    if written != sum(rows_by_partition.values()):
        raise LakegateError(
            f"gold run {request.run_id}: {written} rows written, {sum(rows_by_partition.values())}"
            " computed; no _SUCCESS written"
        )
    ended = now()
    gold_latest = pointer.read_latest(lake["gold"], GOLD_DATASET)
    summary = RunSummary(
        run_id=request.run_id,
        dataset=GOLD_DATASET,
        schema_v=GOLD_SCHEMA_V,
        run_type="scheduled",
        input_window={"from": months[0].label, "to": months[-1].label},
        # No bronze input: every month the run covers is in "partitions" (accounts carry
        # their balance forward, so no month between the first and the last is empty).
        input_files=[],
        source_files=files,
        source={
            "dataset": request.source,
            "version": latest.version,
            "manifest": latest.manifest,
            "rows": published_rows,
        },
        code_version=request.code_version,
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        duration_seconds=round((ended - started).total_seconds(), 3),
        input_rows=input_rows,
        valid_rows_count=written,
        **no_failed_rows(),
        circuit_breaker_triggers=0,
        rows_per_second=(
            round(input_rows / (ended - started).total_seconds(), 3) if ended > started else 0.0
        ),
        missing_partitions=0,
        publication=metrics.publication_state(
            ended,
            gold_latest.published_at if gold_latest else None,
            gold_latest.version if gold_latest else None,
        ),
        accounts_by_partition={f"year={r.year}/month={r.month}": r.accounts for r in per_month},
        partitions=partitions_written(keys, prefix, rows_by_partition, totals),
        control_totals={"by": config.control_totals[0], "sum_of": config.control_totals[1]},
        execution_arn=request.execution_arn,
    )
    body = summary.to_json()
    lake["gold"].write_bytes(
        layout.success_key(GOLD_DATASET, GOLD_SCHEMA_V, request.run_id), body, if_none_match=True
    )
    emit(summary, cloudwatch, "gold_summary")
    return summary
