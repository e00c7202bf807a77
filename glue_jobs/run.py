"""One run of a Spark job, in the order both jobs keep (SPEC §2-§8):

    plan (refuse a run id that has output; what to read) -> work (the job's phases:
    read, compute, write) -> verify (count what was written, against what was counted)
    -> summarize -> finish (_SUCCESS last, then the metrics)

Ingestion (glue_jobs.job) and gold (glue_jobs.gold_job) each supply the steps;
`execute` holds their order, which is the contract: nothing becomes visible to
promotion until every row the run counted is in storage. The helpers below are the
parts both jobs share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from pyspark.sql import SparkSession
from pyspark.sql.types import StructType

from glue_jobs import sparkio
from lakegate import layout, metrics
from lakegate.config import DatasetConfig
from lakegate.errors import Refused
from lakegate.storage import Lake
from lakegate.summary import RunSummary

PlanT = TypeVar("PlanT")
OutcomeT = TypeVar("OutcomeT")


@dataclass(frozen=True)
class Written:
    """What the check after the writes found in storage."""

    keys: list[str]  # the run's data files
    totals: dict[str, list[dict]]  # control totals per partition
    by_partition: dict[str, int]  # rows per partition


class Steps(Protocol[PlanT, OutcomeT]):
    def plan(self) -> PlanT: ...

    def work(self, plan: PlanT) -> OutcomeT: ...

    def verify(self, plan: PlanT, outcome: OutcomeT) -> Written: ...

    def summarize(self, plan: PlanT, outcome: OutcomeT, written: Written) -> RunSummary: ...

    def finish(self, summary: RunSummary) -> RunSummary: ...


def execute(steps: Steps[PlanT, OutcomeT]) -> RunSummary:
    """Run the steps in the contract's order; returns the summary written to _SUCCESS."""
    plan = steps.plan()
    outcome = steps.work(plan)
    written = steps.verify(plan, outcome)
    return steps.finish(steps.summarize(plan, outcome, written))


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def refuse_existing(lake: Lake, run_id: str, outputs: list[tuple[str, str]]) -> None:
    """A run id names one run: refused when any of its output folders has an object."""
    for bucket, prefix in outputs:
        if next(iter(lake[bucket].list(prefix)), None) is not None:
            raise Refused(
                f"run_id {run_id} already has output at {lake[bucket].uri(prefix)}:"
                " a rerun needs a new run_id"
            )


def parquet_files(lake: Lake, bucket: str, prefix: str) -> list[str]:
    return [o.key for o in lake[bucket].list(prefix) if o.key.endswith(".parquet")]


def check_written(
    spark: SparkSession, lake: Lake, bucket: str, prefix: str, schema: StructType,
    config: DatasetConfig,
) -> Written:  # fmt: skip
    """The run's files under `prefix`, read back: rows and control totals per partition."""
    keys = parquet_files(lake, bucket, prefix)
    totals = written_totals(spark, lake, bucket, keys, schema, config)
    by_partition = {p: sum(t["rows"] for t in ts) for p, ts in totals.items()}
    return Written(keys, totals, by_partition)


def written_totals(
    spark: SparkSession, lake: Lake, bucket: str, keys: list[str], schema, config: DatasetConfig
) -> dict[str, list[dict]]:
    """The control totals of written files, per partition (metrics.control_totals)."""
    by, amount = config.control_totals
    found = sparkio.control_totals(spark, [lake[bucket].uri(k) for k in keys], schema, by, amount)
    return metrics.control_totals(found)


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


def write_success(
    lake: Lake, bucket: str, summary: RunSummary, cloudwatch, event: str,
    gold_dataset: str | None = None,
) -> RunSummary:  # fmt: skip
    """_SUCCESS last: its presence is what makes the run visible to promotion. Then the
    summary is logged and its metrics published."""
    key = layout.success_key(summary.dataset, summary.schema_v, summary.run_id)
    lake[bucket].write_bytes(key, summary.to_json(), if_none_match=True)
    emit(summary, cloudwatch, event, gold_dataset)
    return summary


def phase(spark: SparkSession, name: str) -> None:
    """Name the Spark jobs that follow (the Spark UI's description column)."""
    spark.sparkContext.setJobDescription(f"lakegate: {name}")


def emit(summary: RunSummary, cloudwatch, event: str, gold_dataset: str | None = None) -> None:
    metrics.emit_log(summary, event)
    if cloudwatch is not None:
        metrics.publish_cloudwatch(cloudwatch, summary, gold_dataset)
