"""Deleting condemned data: only by an explicit command that records a human approval."""

from __future__ import annotations

from datetime import datetime, timedelta

from lakegate import layout
from lakegate.errors import BadArgument
from lakegate.storage import Lake
from promotion import audit
from promotion.publisher import validate_person


def past_retention(lake: Lake, dataset: str, now: datetime, older_than_days: int = 0) -> list:
    """The condemned objects written more than `older_than_days` ago (ObjectInfo)."""
    if older_than_days < 0:
        raise BadArgument("--older-than days must be 0 or more")
    cutoff = now - timedelta(days=older_than_days)
    return [
        o for o in lake["quarantine"].list(layout.condemned_root(dataset)) if o.modified <= cutoff
    ]


def purge_condemned(
    lake: Lake,
    dataset: str,
    approver: str,
    reason: str,
    caller: str,
    now: datetime,
    older_than_days: int = 0,
) -> dict:
    """Delete the condemned objects past_retention() lists, every version of each (on S3
    a plain delete would keep the rows as a noncurrent version). The audit event
    (listing every key) is written before anything is deleted."""
    body = {
        "approver": validate_person(approver, "approver", 200),
        "reason": validate_person(reason, "reason", 2000),
        "caller": caller,
        "older_than_days": older_than_days,
    }
    doomed = past_retention(lake, dataset, now, older_than_days)
    body["deleted"] = [o.key for o in doomed]
    body["deleted_bytes"] = sum(o.size for o in doomed)
    key = audit.record(lake["silver"], dataset, "purge-condemned", now, body)
    for item in doomed:
        lake["quarantine"].purge(item.key)
    return {"audit_event": key, "deleted": len(doomed), "bytes": body["deleted_bytes"]}
