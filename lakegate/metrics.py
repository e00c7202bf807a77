"""Run metrics: the _SUCCESS document, the structured log line, and CloudWatch metrics.

Everything here is plain Python on the small table of counts the job aggregates, so
the metrics are tested without Spark and the names are shared with the alarms.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

VALID, QUARANTINED, CONDEMNED = "valid", "quarantined", "condemned"
OUTCOMES = (VALID, QUARANTINED, CONDEMNED)

# Row-level error classes in the order the rules are applied (SPEC §3).
ERROR_TYPES = (
    "MALFORMED_ROW",
    "NULL_VALUE_ERROR",
    "TYPE_ERROR",
    "CURRENCY_ERROR",
    "PARTITION_MISMATCH",
    "EXACT_DUPLICATE",
    "DUPLICATE_IN_BATCH",
    "BUSINESS_DUPLICATE",
)
DUPLICATE_TYPES = ("EXACT_DUPLICATE", "DUPLICATE_IN_BATCH", "BUSINESS_DUPLICATE")
CRITICAL_TYPES = ("BUSINESS_DUPLICATE",)

# The fields of _SUCCESS that other parts read (promoter, state machine, alarms), with
# their JSON types: the state machine's intrinsic functions are checked against these
# (lakegate.intrinsics), and a real run's _SUCCESS is checked to have them.
SUCCESS_FIELD_TYPES = {
    "run_id": "string",
    "dataset": "string",
    "schema_v": "string",
    "run_type": "string",
    "input_window": "object",
    "input_files": "array",
    "code_version": "string",
    "started_at": "string",
    "ended_at": "string",
    "duration_seconds": "number",
    "input_rows": "number",
    "valid_rows_count": "number",
    "quarantined_rows_count": "number",
    "condemned_rows_count": "number",
    "quarantine_rate": "number",
    "error_type_distribution": "object",
    "critical_errors": "object",
    "duplicate_detection_rate": "number",
    "auto_condemnation_rate": "number",
    "avg_attempt_count": "number",
    "circuit_breaker_triggers": "number",
    "partitions": "array",
    "control_totals": "object",
    "execution_arn": "string|null",
    "retried_from": "object",
}
SUCCESS_FIELDS = tuple(SUCCESS_FIELD_TYPES)


def json_type(value: object) -> str:
    """The JSON type name of a decoded value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array"}[type(value)]


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


# CloudWatch: namespace, dimension and metric names. Terraform alarms use these names.
METRIC_NAMESPACE = "Lakegate"
METRIC_DIMENSION = "Dataset"
CLOUDWATCH_METRICS = {
    "InputRows": ("input_rows", "Count"),
    "ValidRows": ("valid_rows_count", "Count"),
    "QuarantinedRows": ("quarantined_rows_count", "Count"),
    "CondemnedRows": ("condemned_rows_count", "Count"),
    "QuarantineRate": ("quarantine_rate", "None"),
    "DuplicateDetectionRate": ("duplicate_detection_rate", "None"),
    "AutoCondemnationRate": ("auto_condemnation_rate", "None"),
    "AvgAttemptCount": ("avg_attempt_count", "None"),
    "CircuitBreakerTriggers": ("circuit_breaker_triggers", "Count"),
    "DurationSeconds": ("duration_seconds", "Seconds"),
}
# Derived from several summary fields (see missing_partitions).
MISSING_PARTITIONS_METRIC = "MissingPartitions"
# Published by the state machine when an execution fails.
FAILURE_METRIC = "PipelineFailures"
# Every metric name in the namespace: the Terraform alarms and dashboard use these only.
EMITTED_METRICS = (*CLOUDWATCH_METRICS, MISSING_PARTITIONS_METRIC, FAILURE_METRIC)


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
        if row.outcome == VALID:
            valid_by_partition[row.partition] = valid_by_partition.get(row.partition, 0) + row.rows
        else:
            distribution[row.error_type] = distribution.get(row.error_type, 0) + row.rows
            attempt_sum += row.attempt_sum
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
        "error_type_distribution": ordered,
        "critical_errors": {t: ordered[t] for t in CRITICAL_TYPES if t in ordered},
        "duplicate_detection_rate": _rate(
            sum(ordered.get(t, 0) for t in DUPLICATE_TYPES), input_rows
        ),
        "auto_condemnation_rate": _rate(by_outcome[CONDEMNED], input_rows),
        "avg_attempt_count": round(attempt_sum / failed, 6) if failed else 0.0,
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


def missing_partitions(summary: Mapping) -> int | None:
    """Months of a scheduled or backfill run's input window for which it wrote no silver
    partition (no file arrived, or every row failed). None for retry runs, which read
    chosen files rather than a window, and for summaries without a window."""
    window = summary.get("input_window")
    if summary.get("run_type") == "retry" or not window or summary.get("halted"):
        return None
    first, last = (tuple(map(int, window[end].split("-"))) for end in ("from", "to"))
    months = (last[0] * 12 + last[1]) - (first[0] * 12 + first[1]) + 1
    written = [p for p in summary.get("partitions") or [] if p.get("rows")]
    return max(months - len(written), 0)


def cloudwatch_metric_data(summary: Mapping) -> list[dict]:
    """PutMetricData entries for a run summary (dimension: the dataset)."""
    dimensions = [{"Name": METRIC_DIMENSION, "Value": summary["dataset"]}]
    data = [
        {"MetricName": name, "Value": float(summary[field]), "Unit": unit, "Dimensions": dimensions}
        for name, (field, unit) in CLOUDWATCH_METRICS.items()
        if summary.get(field) is not None
    ]
    missing = missing_partitions(summary)
    if missing is not None:
        data.append(
            {
                "MetricName": MISSING_PARTITIONS_METRIC,
                "Value": float(missing),
                "Unit": "Count",
                "Dimensions": dimensions,
            }
        )
    return data


def publish_cloudwatch(client, summary: Mapping) -> None:
    data = cloudwatch_metric_data(summary)
    for start in range(0, len(data), 20):
        client.put_metric_data(Namespace=METRIC_NAMESPACE, MetricData=data[start : start + 20])


def log_line(summary: Mapping, event: str = "run_summary") -> str:
    """The structured one-line JSON log of a run (one per run, for log queries)."""
    return json.dumps({"event": event, **summary}, sort_keys=True, default=str)


def emit_log(summary: Mapping, event: str = "run_summary") -> None:
    logging.getLogger("lakegate.metrics").info(log_line(summary, event))
