"""Version manifests and the plan of a publication, as plain values (SPEC §7, §11).

A published version is a list of data files per partition. Promoting a scheduled or
backfill run replaces the lists of the partitions it read; promoting a retry run
appends its files; every other partition keeps its list. A rollback publishes an
earlier version's lists as a new version.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from lakegate import layout
from lakegate.ids import RunType
from lakegate.manifest import PartitionContent, Version
from lakegate.metrics import key_metrics
from lakegate.schema_versions import newer


@dataclass(frozen=True)
class Approval:
    approved_by: str
    reason: str
    caller: str
    at: str


def run_partitions(summary: Mapping) -> dict[str, PartitionContent]:
    """What a run contributes, per partition. A scheduled or backfill run also covers
    every month it read input for, even one where no row was valid (an empty list)."""
    run_id = summary["run_id"]
    content = {
        p["partition"]: PartitionContent((run_id,), tuple(sorted(p["files"])), int(p["rows"]))
        for p in summary["partitions"]
    }
    if RunType(summary["run_type"]).reads_a_window:
        for key in summary["input_files"]:
            partition = layout.bronze_month(key).partition
            content.setdefault(partition, PartitionContent((run_id,), (), 0))
    return content


def plan_promotion(
    current: Version | None,
    current_manifest: str | None,
    summary: Mapping,
    approval: Approval,
    gate: dict,
) -> Version:
    partitions = dict(current.partitions) if current else {}
    for partition, added in run_partitions(summary).items():
        existing = partitions.get(partition)
        if not RunType(summary["run_type"]).replaces_partitions and existing is not None:
            partitions[partition] = PartitionContent(
                existing.runs + added.runs, existing.files + added.files, existing.rows + added.rows
            )
        else:
            partitions[partition] = added
    # The newest schema among what is served: readers read every older one with it.
    schema_v = summary["schema_v"]
    if current is not None:
        schema_v = newer(schema_v, current.schema_v, summary["dataset"])
    return Version(
        dataset=summary["dataset"],
        schema_v=schema_v,
        version=(current.version if current else 0) + 1,
        partitions=partitions,
        action="promote",
        run_id=summary["run_id"],
        run_type=summary["run_type"],
        approved_by=approval.approved_by,
        reason=approval.reason,
        caller=approval.caller,
        published_at=approval.at,
        previous_manifest=current_manifest,
        previous_version=current.version if current else None,
        run_metrics=key_metrics(summary),
        gate=gate,
    )


def plan_rollback(
    current: Version, current_manifest: str, target: Version, approval: Approval
) -> Version:
    return replace(
        target,
        version=current.version + 1,
        action="rollback",
        rollback_to=target.version,
        approved_by=approval.approved_by,
        reason=approval.reason,
        caller=approval.caller,
        published_at=approval.at,
        previous_manifest=current_manifest,
        previous_version=current.version,
        gate={},
        audit_event=None,
    )


def partition_diff(before: Version | None, after: Version) -> list[dict]:
    """Rows per partition now and after, and which partitions are added or removed."""
    old = before.partitions if before else {}
    rows = []
    for partition in sorted(set(old) | set(after.partitions)):
        was, will = old.get(partition), after.partitions.get(partition)
        if was is None or will is None:
            change = "added" if was is None else "removed"
        elif was == will:
            change = "unchanged"
        elif len(will.runs) > len(was.runs) and will.runs[: len(was.runs)] == was.runs:
            change = "appended"
        else:
            change = "replaced"
        rows.append(
            {
                "partition": partition,
                "rows_now": was.rows if was else 0,
                "rows_after": will.rows if will else 0,
                "runs_now": list(was.runs) if was else [],
                "runs_after": list(will.runs) if will else [],
                "change": change,
            }
        )
    return rows
