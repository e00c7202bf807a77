"""Run metrics: the _SUCCESS document, the structured log line, and CloudWatch metrics.

Everything here is plain Python on the small table of counts the job aggregates, so
the metrics are tested without Spark and the names are shared with the alarms.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from lakegate.ids import RUN_TYPES, RunType
from lakegate.releases import NOT_RELEASED_ERROR

VALID, QUARANTINED, CONDEMNED = "valid", "quarantined", "condemned"
OUTCOMES = (VALID, QUARANTINED, CONDEMNED)

# Row-level error classes in the order the rules are applied (SPEC §3).
ERROR_TYPES = (
    "MALFORMED_ROW",
    "NULL_VALUE_ERROR",
    "TYPE_ERROR",
    "CURRENCY_ERROR",
    "PARTITION_MISMATCH",
    NOT_RELEASED_ERROR,
    "EXACT_DUPLICATE",
    "DUPLICATE_IN_BATCH",
    "BUSINESS_DUPLICATE",
)
DUPLICATE_TYPES = ("EXACT_DUPLICATE", "DUPLICATE_IN_BATCH", "BUSINESS_DUPLICATE")
CRITICAL_TYPES = ("BUSINESS_DUPLICATE",)

# The metrics recorded with every decision on a run (audit events, version manifests).
KEY_METRICS = (
    "run_type",
    "input_window",
    "input_rows",
    "valid_rows_count",
    "quarantined_rows_count",
    "condemned_rows_count",
    "quarantine_rate",
    "error_type_distribution",
    "critical_errors",
    "circuit_breaker_triggers",
    "started_at",
    "ended_at",
    "code_version",
    "execution_arn",
)


def key_metrics(summary: Mapping | None) -> dict:
    return {field: summary.get(field) for field in KEY_METRICS} if summary else {}


# CloudWatch: namespace, dimension and metric names. The alarms (lakegate/alerts.json,
# read by Terraform) use these names.
METRIC_NAMESPACE = "Lakegate"
METRIC_DIMENSION = "Dataset"
RUN_TYPE_DIMENSION = "RunType"
ERROR_TYPE_DIMENSION = "ErrorType"
# Run metrics, from the run summary: volume, quality, loop prevention, performance.
CLOUDWATCH_METRICS = {
    "InputRows": ("input_rows", "Count"),
    "ValidRows": ("valid_rows_count", "Count"),
    "QuarantinedRows": ("quarantined_rows_count", "Count"),
    "CondemnedRows": ("condemned_rows_count", "Count"),
    "QuarantineRate": ("quarantine_rate", "None"),
    "ValidationFailureRate": ("validation_failure_rate", "None"),
    "DuplicateDetectionRate": ("duplicate_detection_rate", "None"),
    "AutoCondemnationRate": ("auto_condemnation_rate", "None"),
    "AvgAttemptCount": ("avg_attempt_count", "None"),
    "CircuitBreakerTriggers": ("circuit_breaker_triggers", "Count"),
    "MissingPartitions": ("missing_partitions", "Count"),
    "DurationSeconds": ("duration_seconds", "Seconds"),
    "RowsPerSecond": ("rows_per_second", "Count/Second"),
}
# error_type_distribution, one datapoint per error type (dimension ErrorType).
ERROR_ROWS_METRIC = "ErrorRows"
ERROR_RATE_METRIC = "ErrorTypeRate"
# The publication's state when the run ended (summary "publication"): hours since the
# dataset was last published, and how far its gold dataset lags behind it.
PUBLISHED_AGE_METRIC = "PublishedAgeHours"
AWAITING_DECISION_METRIC = "AwaitingDecisionHours"
GOLD_LAG_METRIC = "GoldLagHours"
# Published by the state machine: a failed execution, a run that fails the gate, a run
# whose _SUCCESS never appeared. The gold job publishes PipelineFailures when it fails.
FAILURE_METRIC = "PipelineFailures"
GATE_FAILURE_METRIC = "GateFailures"
MISSING_SUCCESS_METRIC = "MissingSuccess"
# Every metric name in the namespace: the alarms and dashboard use these only.
EMITTED_METRICS = (
    *CLOUDWATCH_METRICS,
    ERROR_ROWS_METRIC,
    ERROR_RATE_METRIC,
    PUBLISHED_AGE_METRIC,
    AWAITING_DECISION_METRIC,
    GOLD_LAG_METRIC,
    FAILURE_METRIC,
    GATE_FAILURE_METRIC,
    MISSING_SUCCESS_METRIC,
)


@dataclass(frozen=True)
class CountRow:
    """One row of the job's single aggregation."""

    outcome: str
    error_type: str | None
    partition: str  # year=YYYY/month=MM of the bronze month
    rows: int
    attempt_sum: int
    retry_of: str | None = None  # re-submitted rows: the run that first quarantined them


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def with_plain_valid(counts: Iterable[CountRow], rows_read: Mapping[str, int]) -> list[CountRow]:
    """The job aggregates only the rows that are not plainly valid (failed rows, and
    valid ones with something to record); every other row it read is valid. Adds, per
    partition, those rows: what `rows_read` (every line read, by partition) leaves.
    Raises when the counted rows of a partition exceed the rows read from it."""
    counts = list(counts)
    counted: dict[str, int] = {}
    for row in counts:
        counted[row.partition] = counted.get(row.partition, 0) + row.rows
    unknown = sorted(set(counted) - set(rows_read))
    if unknown:
        raise ValueError(f"rows counted in partition {unknown[0]}, which no line was read from")
    plain = []
    for partition, read in sorted(rows_read.items()):
        remainder = read - counted.get(partition, 0)
        if remainder < 0:
            raise ValueError(f"{partition}: {counted[partition]} rows counted, {read} rows read")
        if remainder:
            plain.append(CountRow(VALID, None, partition, remainder, 0))
    return counts + plain


def summarize_counts(counts: Iterable[CountRow]) -> dict:
    """Row metrics from the aggregated counts; the invariant holds by construction here
    and is checked against an independent total by the job."""
    counts = list(counts)
    by_outcome = {outcome: 0 for outcome in OUTCOMES}
    distribution: dict[str, int] = {}
    valid_by_partition: dict[str, int] = {}
    retried: dict[str, dict[str, int]] = {}
    attempt_sum = 0
    for row in counts:
        if row.retry_of is not None:
            outcomes = retried.setdefault(row.retry_of, {o: 0 for o in OUTCOMES})
            outcomes[row.outcome] += row.rows
        if row.outcome not in by_outcome:
            raise ValueError(f"unknown outcome {row.outcome!r}")
        by_outcome[row.outcome] += row.rows
        attempt_sum += row.attempt_sum
        if row.outcome == VALID:
            valid_by_partition[row.partition] = valid_by_partition.get(row.partition, 0) + row.rows
        elif row.error_type is None:
            raise ValueError(f"{row.rows} {row.outcome} rows of {row.partition} have no error type")
        else:
            distribution[row.error_type] = distribution.get(row.error_type, 0) + row.rows
    input_rows = sum(by_outcome.values())
    failed = by_outcome[QUARANTINED] + by_outcome[CONDEMNED]
    ordered = {t: distribution[t] for t in ERROR_TYPES if t in distribution}
    ordered.update({t: n for t, n in sorted(distribution.items()) if t not in ordered})
    return {
        "input_rows": input_rows,
        "valid_rows_count": by_outcome[VALID],
        "quarantined_rows_count": by_outcome[QUARANTINED],
        "condemned_rows_count": by_outcome[CONDEMNED],
        "quarantine_rate": _rate(by_outcome[QUARANTINED], input_rows),
        "validation_failure_rate": _rate(failed, input_rows),
        "error_type_distribution": ordered,
        "critical_errors": {t: ordered[t] for t in CRITICAL_TYPES if t in ordered},
        "duplicate_detection_rate": _rate(
            sum(ordered.get(t, 0) for t in DUPLICATE_TYPES), input_rows
        ),
        "auto_condemnation_rate": _rate(by_outcome[CONDEMNED], input_rows),
        # Over every row processed (a first-time row counts 0): above 1.5 means most rows
        # are corrections that have failed before.
        "avg_attempt_count": _rate(attempt_sum, input_rows),
        "valid_rows_by_partition": dict(sorted(valid_by_partition.items())),
        "retried_from": dict(sorted(retried.items())),
    }


def control_totals(found: Iterable[tuple[str, str | None, int, Decimal]]) -> dict[str, list[dict]]:
    """Per partition, the control totals of written rows: for each value (a currency),
    the rows and the exact sum of amounts as decimal text, sorted by value."""
    by_partition: dict[str, list[dict]] = {}
    for partition, value, rows, total in found:
        by_partition.setdefault(partition, []).append(
            {"key": value if value is not None else "", "rows": int(rows), "sum": str(total)}
        )
    return {p: sorted(ts, key=lambda t: t["key"]) for p, ts in sorted(by_partition.items())}


def add_totals(*lists: Iterable[Mapping]) -> list[dict]:
    """Control totals of several runs' files in one partition, added up per value."""
    added: dict[str, tuple[int, Decimal]] = {}
    for totals in lists:
        for t in totals:
            rows, amount = added.get(t["key"], (0, Decimal(0)))
            added[t["key"]] = (rows + int(t["rows"]), amount + Decimal(t["sum"]))
    return [{"key": k, "rows": r, "sum": str(a)} for k, (r, a) in sorted(added.items())]


def missing_partitions(summary: Mapping, grace_days: int = 3) -> int | None:
    """Months of a scheduled or backfill run's input window for which it wrote no silver
    partition (no file arrived, or every row failed). The month the run ended in is not
    missing during its first `grace_days` days: its file may not have arrived yet. None
    for retry runs, which read chosen files rather than a window, for halted runs and
    for summaries without a window."""
    window = summary.get("input_window")
    kind = summary.get("run_type")
    if not window or summary.get("halted") or (kind and not RunType(kind).reads_a_window):
        return None
    first, last = (tuple(map(int, window[end].split("-"))) for end in ("from", "to"))
    written = {p["partition"] for p in summary.get("partitions") or [] if p.get("rows")}
    ended = summary.get("ended_at")
    early = None
    if ended:
        moment = datetime.fromisoformat(ended.replace("Z", "+00:00"))
        if moment.day <= grace_days:
            early = (moment.year, moment.month)
    missing = 0
    for index in range(first[0] * 12 + first[1] - 1, last[0] * 12 + last[1]):
        year, month = divmod(index, 12)
        month += 1
        if f"year={year:04d}/month={month:02d}" not in written and (year, month) != early:
            missing += 1
    return missing


def publication_state(
    ended: datetime,
    published_at: str | None,
    version: int | None,
    gold_published_at: str | None = None,
    has_gold: bool = False,
    waiting_since: datetime | None = None,
) -> dict:
    """The publication as a run saw it when it ended: the published version, its age in
    hours, how long the oldest run finished since then has waited for a decision (0 when
    none waits), and, for a dataset gold is built from, how many hours gold's
    publication lags behind it (0 when gold is newer; None before either is published)."""

    def moment(text: str | None) -> datetime | None:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

    def hours(later: datetime, earlier: datetime) -> float:
        return round(max((later - earlier).total_seconds(), 0) / 3600, 3)

    published, gold = moment(published_at), moment(gold_published_at)
    lag = None
    if has_gold and published is not None:
        # Gold never published: it lags by the publication's whole age.
        lag = hours(published, gold) if gold is not None else hours(ended, published)
    return {
        "version": version,
        "age_hours": hours(ended, published) if published else None,
        "waiting_hours": hours(ended, waiting_since) if waiting_since else 0.0,
        "gold_lag_hours": lag,
    }


def cloudwatch_metric_data(summary: Mapping, gold_dataset: str | None = None) -> list[dict]:
    """PutMetricData entries for a run summary. Every metric is published twice: with
    the dataset alone (what alarms over all runs watch) and with the run type too; error
    counts and rates once per error type, also with an ErrorType dimension.
    `gold_dataset`: the dataset the summary's gold lag is published for."""
    dataset, run_type = summary["dataset"], summary.get("run_type")
    if run_type not in RUN_TYPES:
        raise ValueError(f"run summary of {dataset}: run_type {run_type!r} is not a run type")
    by_dataset = [{"Name": METRIC_DIMENSION, "Value": dataset}]
    by_run_type = [*by_dataset, {"Name": RUN_TYPE_DIMENSION, "Value": run_type}]
    values: list[tuple[str, float, str, list[dict]]] = []
    for name, (field, unit) in CLOUDWATCH_METRICS.items():
        if summary.get(field) is not None:
            values.append((name, float(summary[field]), unit, []))
    input_rows = summary.get("input_rows") or 0
    # Every error type, 0 when absent: a series per type that says when it is clean again.
    distribution = summary.get("error_type_distribution") or {}
    for error_type in (*ERROR_TYPES, *sorted(set(distribution) - set(ERROR_TYPES))):
        rows = distribution.get(error_type, 0)
        extra = [{"Name": ERROR_TYPE_DIMENSION, "Value": error_type}]
        values.append((ERROR_ROWS_METRIC, float(rows), "Count", extra))
        values.append((ERROR_RATE_METRIC, _rate(rows, input_rows), "None", extra))
    publication = summary.get("publication") or {}
    if publication.get("age_hours") is not None:
        values.append((PUBLISHED_AGE_METRIC, float(publication["age_hours"]), "None", []))
    if publication.get("waiting_hours") is not None:
        values.append((AWAITING_DECISION_METRIC, float(publication["waiting_hours"]), "None", []))
    data = [
        {"MetricName": name, "Value": value, "Unit": unit, "Dimensions": dims + extra}
        for name, value, unit, extra in values
        for dims in (by_dataset, by_run_type)
    ]
    if gold_dataset and publication.get("gold_lag_hours") is not None:
        gold = [{"Name": METRIC_DIMENSION, "Value": gold_dataset}]
        data += [
            {
                "MetricName": GOLD_LAG_METRIC,
                "Value": float(publication["gold_lag_hours"]),
                "Unit": "None",
                "Dimensions": dims,
            }
            for dims in (gold, [*gold, {"Name": RUN_TYPE_DIMENSION, "Value": run_type}])
        ]
    return data


def publish_cloudwatch(client, summary: Mapping, gold_dataset: str | None = None) -> None:
    data = cloudwatch_metric_data(summary, gold_dataset)
    for start in range(0, len(data), 20):
        client.put_metric_data(Namespace=METRIC_NAMESPACE, MetricData=data[start : start + 20])


def publish_failure(client, dataset: str, run_type: str) -> None:
    """Count one failed run (FAILURE_METRIC), as the state machine does for ingestion."""
    dimensions = [{"Name": METRIC_DIMENSION, "Value": dataset}]
    client.put_metric_data(
        Namespace=METRIC_NAMESPACE,
        MetricData=[
            {"MetricName": FAILURE_METRIC, "Value": 1.0, "Unit": "Count", "Dimensions": dims}
            for dims in (
                dimensions,
                [*dimensions, {"Name": RUN_TYPE_DIMENSION, "Value": run_type}],
            )
        ],
    )


def log_line(summary: Mapping, event: str = "run_summary") -> str:
    """The structured one-line JSON log of a run (one per run, for log queries)."""
    return json.dumps({"event": event, **summary}, sort_keys=True, default=str)


def emit_log(summary: Mapping, event: str = "run_summary") -> None:
    logging.getLogger("lakegate.metrics").info(log_line(summary, event))
