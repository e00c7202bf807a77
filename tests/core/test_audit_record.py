"""The audit record as a typed document: its envelope, its subject, and one codec that
names the record it cannot read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from lakegate.audit_record import EVENTS, AuditRecord
from lakegate.errors import LakegateError
from lakegate.storage import Lake
from promotion import audit

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_a_record_reads_back_as_it_was_written():
    record = AuditRecord("promote", AT, "transactions", {"run_id": "r1", "approver": "ana"})
    assert AuditRecord.from_json(record.to_json()) == record
    assert json.loads(record.to_json()) == {
        "event": "promote",
        "at": "2026-03-02T09:30:00+00:00",
        "dataset": "transactions",
        "run_id": "r1",
        "approver": "ana",
    }


def test_the_time_is_written_in_utc():
    local = AT.astimezone(timezone(timedelta(hours=2)))
    assert AuditRecord("reject", local, "transactions").to_dict()["at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("body", "subject"),
    [({"run_id": "r1", "version": 3}, "r1"), ({"version": 3}, "v3"), ({}, "lake")],
)
def test_the_subject_is_the_run_then_the_version_then_the_lake(body, subject):
    assert AuditRecord("rollback", AT, "transactions", body).subject == subject


def test_what_a_record_cannot_be():
    with pytest.raises(ValueError, match="unknown audit event 'publish'"):
        AuditRecord("publish", AT, "transactions")
    with pytest.raises(ValueError, match="timezone-aware"):
        AuditRecord("promote", AT.replace(tzinfo=None), "transactions")
    with pytest.raises(ValueError, match="would hide the envelope"):
        AuditRecord("promote", AT, "transactions", {"event": "reject"})
    with pytest.raises(ValueError, match="dataset"):
        AuditRecord("promote", AT, "../x")


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (b"{", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"at": "2026-03-02T09:30:00+00:00", "dataset": "transactions"}', "field event"),
        (b'{"event": "promote", "at": 5, "dataset": "transactions"}', "field at"),
        (b'{"event": "promote", "at": "yesterday", "dataset": "transactions"}', "yesterday"),
        (b'{"event": "nope", "at": "2026-03-02T09:30:00+00:00", "dataset": "t"}', "'nope'"),
    ],
)
def test_a_damaged_record_is_named_in_one_line(document, problem):
    with pytest.raises(LakegateError, match=f"^s3://silver/audit/x.json: .*{problem}"):
        AuditRecord.from_json(document, "s3://silver/audit/x.json")


def test_the_log_writes_and_reads_typed_records(tmp_path):
    store = Lake.local(tmp_path / "lake")["silver"]
    key = audit.record(store, "transactions", "reject", AT, {"run_id": "r9", "reason": "late"})
    assert "reject" in key and "r9" in key
    (event,) = audit.events(store, "transactions")
    written = AuditRecord("reject", AT, "transactions", {"run_id": "r9", "reason": "late"})
    assert event == {"key": key, **written.to_dict()}
    assert set(EVENTS) >= {"promote", "reject", "rollback", "condemned-release"}
