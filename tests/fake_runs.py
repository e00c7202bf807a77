"""Completed runs made without Spark: a _SUCCESS document and stand-in data files.

Promotion reads only _SUCCESS and file keys, never the data, so these are faithful for
testing the promoter (and let its cost be measured against data size).
"""

from __future__ import annotations

from lakegate import layout
from lakegate.ids import Month
from lakegate.storage import Lake
from lakegate.summary import RunSummary


def make_run(
    lake: Lake,
    run_id: str,
    partitions: dict[str, int],
    run_type: str = "scheduled",
    dataset: str = "transactions",
    quarantine_rate: float = 0.01,
    critical: dict | None = None,
    breaker: int = 0,
    schema_v: str = "v1",
    file_bytes: int = 16,
    files_per_partition: int = 1,
    success: bool = True,
    totals: dict[str, list[dict]] | bool = True,
    execution_arn: str | None = None,
) -> RunSummary:
    """`totals`: the control totals per partition; True gives each partition's rows in
    EUR, 10.00 each; False leaves them out (a run from before control totals)."""
    files_by_partition = {}
    for partition in partitions:
        month = Month.from_partition(partition)
        prefix = layout.run_partition_prefix(dataset, schema_v, run_id, month)
        keys = [f"{prefix}part-{i:05d}.parquet" for i in range(files_per_partition)]
        for key in keys:
            lake["silver"].write_bytes(key, b"P" * file_bytes)
        files_by_partition[partition] = keys
    input_files = [f"{dataset}/{p}/input.csv" for p in partitions]
    valid = sum(partitions.values())
    entries = [
        {"partition": p, "rows": n, "files": files_by_partition[p]}
        for p, n in sorted(partitions.items())
    ]
    if totals is not False:
        for entry in entries:
            p, n = entry["partition"], entry["rows"]
            given = totals.get(p) if isinstance(totals, dict) else None
            entry["totals"] = (
                given if given is not None else [{"key": "EUR", "rows": n, "sum": f"{n * 10}.00"}]
            )
    summary = RunSummary(
        run_id=run_id,
        dataset=dataset,
        schema_v=schema_v,
        run_type=run_type,
        input_window={
            "from": min(partitions)[5:9] + "-" + min(partitions)[-2:],
            "to": max(partitions)[5:9] + "-" + max(partitions)[-2:],
        },
        input_files=input_files,
        code_version="test",
        started_at="2026-01-21T12:00:00Z",
        ended_at="2026-01-21T12:01:00Z",
        duration_seconds=60.0,
        input_rows=valid + 10,
        valid_rows_count=valid,
        quarantined_rows_count=10,
        condemned_rows_count=0,
        quarantine_rate=quarantine_rate,
        validation_failure_rate=10 / (valid + 10),
        error_type_distribution={"TYPE_ERROR": 10, **(critical or {})},
        critical_errors=critical or {},
        duplicate_detection_rate=0.0,
        auto_condemnation_rate=0.0,
        avg_attempt_count=0.0,
        circuit_breaker_triggers=breaker,
        rows_per_second=(valid + 10) / 60.0,
        missing_partitions=0,
        publication={},
        partitions=entries,
        control_totals=(
            {"by": "Currency", "sum_of": "TransactionAmount"} if totals is not False else None
        ),
        execution_arn=execution_arn,
    )
    if success:
        lake["silver"].write_bytes(
            layout.success_key(dataset, schema_v, run_id), summary.to_json(), if_none_match=True
        )
    return summary
