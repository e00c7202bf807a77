"""The append-only audit log: one object per event, created once, never rewritten (on S3
under Object Lock retention: Storage.write_once). Each is an AuditRecord
(lakegate.audit_record), of one of its EVENTS."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from lakegate import catalog, layout
from lakegate.audit_record import AuditRecord
from lakegate.storage import Storage


def record(storage: Storage, dataset: str, event: str, at: datetime, body: dict) -> str:
    """Write one event; its key sorts by time and names the event and its subject."""
    document = AuditRecord(event, at, dataset, body)
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    key = layout.audit_key(dataset, stamp, event, document.subject, secrets.token_hex(4))
    storage.write_once(key, document.to_json())
    return key


def keys(storage: Storage, dataset: str) -> list[str]:
    return [o.key for o in storage.list(layout.audit_prefix(dataset)) if o.key.endswith(".json")]


def events(storage: Storage, dataset: str) -> list[dict]:
    """Every record, oldest first, as its JSON object with its key."""
    return [
        {"key": key, **AuditRecord.from_json(storage.read_bytes(key), storage.uri(key)).to_dict()}
        for key in keys(storage, dataset)
    ]


parse_key = layout.parse_audit_key


def subjects(storage: Storage, dataset: str, event: str) -> set[str]:
    """The subjects (run ids) of every event of one kind, from the keys alone."""
    return catalog.audit_subjects(storage, dataset, event)
