"""The append-only audit log: one object per event, created once, never rewritten (on S3
under Object Lock retention: Storage.write_once)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

from lakegate import catalog, layout, releases
from lakegate.storage import Storage

EVENTS = (
    "promote",
    "promote-refused",
    "promote-conflict",
    "reject",
    "rollback",
    "rollback-conflict",
    "purge-condemned",
    releases.EVENT,
)


def record(storage: Storage, dataset: str, event: str, at: datetime, body: dict) -> str:
    """Write one event; its key sorts by time and names the event and its subject."""
    if event not in EVENTS:
        raise ValueError(f"unknown audit event {event!r}")
    subject = body.get("run_id") or (f"v{body['version']}" if body.get("version") else "lake")
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = layout.audit_key(dataset, stamp, event, subject, secrets.token_hex(4))
    document = {"event": event, "at": at.astimezone(UTC).isoformat(), "dataset": dataset, **body}
    storage.write_once(key, (json.dumps(document, indent=2) + "\n").encode())
    return key


def keys(storage: Storage, dataset: str) -> list[str]:
    return [o.key for o in storage.list(layout.audit_prefix(dataset)) if o.key.endswith(".json")]


def events(storage: Storage, dataset: str) -> list[dict]:
    return [{"key": key, **json.loads(storage.read_bytes(key))} for key in keys(storage, dataset)]


parse_key = layout.parse_audit_key


def subjects(storage: Storage, dataset: str, event: str) -> set[str]:
    """The subjects (run ids) of every event of one kind, from the keys alone."""
    return catalog.audit_subjects(storage, dataset, event)
