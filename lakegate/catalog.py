"""What runs exist for a dataset, read from the lake itself (no separate database).

A run is complete when its `_SUCCESS` exists; a halted run has a halt record in
quarantine; any other run folder is failed or partial.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lakegate import layout
from lakegate.breaker import RecentRun
from lakegate.storage import Lake, Storage
from lakegate.summary import RunSummary


@dataclass(frozen=True)
class RunRef:
    run_id: str
    schema_v: str
    success_key: str | None  # None: failed or partial
    finished: datetime | None = None  # when _SUCCESS was written


def silver_runs(
    lake: Lake, dataset: str, schema_versions: tuple[str, ...], bucket: str = "silver"
) -> list[RunRef]:
    """Every run folder of a dataset (in silver, or in `bucket` for a gold dataset)."""
    store = lake[bucket]
    refs = []
    for schema_v in schema_versions:
        for folder in store.list_dirs(layout.schema_prefix(dataset, schema_v)):
            run_id = layout.run_id_from_dir(folder)
            if run_id is None:
                continue
            key = layout.success_key(dataset, schema_v, run_id)
            info = store.info(key)
            refs.append(
                RunRef(run_id, schema_v, key if info else None, info.modified if info else None)
            )
    return refs


def audit_event_keys(storage: Storage, dataset: str, event: str) -> list[str]:
    """The keys of every audit event of one kind, oldest first, from the listing alone
    (the key names its event)."""
    return [
        o.key
        for o in storage.list(layout.audit_prefix(dataset))
        if o.key.endswith(".json") and layout.parse_audit_key(o.key)[1] == event
    ]


def audit_subjects(storage: Storage, dataset: str, event: str) -> set[str]:
    """The subjects (run ids) of every audit event of one kind, from the keys alone."""
    return {layout.parse_audit_key(key)[2] for key in audit_event_keys(storage, dataset, event)}


def waiting_since(
    refs: list[RunRef], published_at: datetime | None, served: set[str], rejected: set[str]
) -> datetime | None:
    """When the oldest run still waiting for a decision finished: a run with _SUCCESS,
    finished after the current publication (a run finished before it was passed over by
    the approver), neither serving nor rejected. None when no run waits."""
    waiting = [
        ref.finished
        for ref in refs
        if ref.finished is not None
        and (published_at is None or ref.finished > published_at)
        and ref.run_id not in served
        and ref.run_id not in rejected
    ]
    return min(waiting) if waiting else None


def halted_run_ids(lake: Lake, dataset: str) -> list[str]:
    found = []
    for folder in lake["quarantine"].list_dirs(layout.quarantine_root(dataset)):
        run_id = layout.run_id_from_dir(folder)
        if run_id and lake["quarantine"].exists(layout.halted_key(dataset, run_id)):
            found.append(run_id)
    return found


def read_summary(lake: Lake, key: str, bucket: str = "silver") -> RunSummary:
    return RunSummary.from_json(lake[bucket].read_bytes(key), lake[bucket].uri(key))


def recently_finished(
    lake: Lake, dataset: str, schema_versions: tuple[str, ...], since: datetime
) -> list[RecentRun]:
    """Runs (completed or halted) whose summary was written at or after `since`."""
    keys: list[tuple[str, str]] = [
        ("silver", ref.success_key)
        for ref in silver_runs(lake, dataset, schema_versions)
        if ref.success_key
    ]
    keys += [("quarantine", layout.halted_key(dataset, r)) for r in halted_run_ids(lake, dataset)]
    recent = []
    for bucket, key in keys:
        info = lake[bucket].info(key)
        if info is None or info.modified < since:
            continue
        summary = read_summary(lake, key, bucket)
        recent.append(
            RecentRun(
                run_id=summary["run_id"],
                ended_at=datetime.fromisoformat(summary["ended_at"]),
                error_type_distribution=summary.get("error_type_distribution", {}),
            )
        )
    return recent
