"""Releases of condemned rows (SPEC §4), as plain values.

A row condemned after its attempts ran out (condemned_reason MAX_ATTEMPTS, or
NOT_RELEASED: a re-submission refused by this rule) locks its TransactionID: a row of
that id which arrives later (a bronze file that landed after the condemnation; not
the same bronze record read again) is condemned as CONDEMNED_NOT_RELEASED, until a
person releases the id with `lakegate condemned release`. The release is an audit
event (write-once), and the job reads every release to know which locks are lifted:
a release lifts the condemnations before it, not one that comes after it.

An EXACT_DUPLICATE is condemned too, but locks nothing: its TransactionID is already
accepted, and the duplicate rules judge any row of it that comes again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from lakegate.catalog import audit_event_keys
from lakegate.errors import BadArgument, LakegateError
from lakegate.storage import Storage

EVENT = "condemned-release"
# The condemned reasons that lock a TransactionID, and the error type and condemned
# reason of a row refused by the lock.
LOCKING_REASONS = ("MAX_ATTEMPTS", "NOT_RELEASED")
NOT_RELEASED_ERROR = "CONDEMNED_NOT_RELEASED"
NOT_RELEASED_REASON = "NOT_RELEASED"
# A release names at most this many TransactionIDs (one audit event stays readable).
MAX_IDS = 10_000
MAX_ID_LENGTH = 200


def validate_transaction_id(value: str) -> str:
    """A TransactionID as a release names it: the trimmed value the rules compare, one
    line of printable characters."""
    text = (value or "").strip()
    if not text or len(text) > MAX_ID_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadArgument(
            f"TransactionID {value!r} must be 1 to {MAX_ID_LENGTH} printable characters"
        )
    return text


@dataclass(frozen=True)
class Release:
    """One release: the TransactionIDs it lifts the lock of, when, who approved and why,
    who ran it, and the runs that had condemned each id."""

    transaction_ids: tuple[str, ...]
    released_at: datetime
    approver: str
    reason: str
    caller: str
    condemned_by: dict[str, list[str]]

    def body(self) -> dict:
        """The audit event's body (the audit log adds event, at and dataset)."""
        return {
            "approver": self.approver,
            "reason": self.reason,
            "caller": self.caller,
            "transaction_ids": list(self.transaction_ids),
            "condemned_by": self.condemned_by,
        }

    @classmethod
    def from_event(cls, key: str, document: dict) -> Release:
        """The release an audit event records; one line naming the key when it is not one."""
        try:
            if document["event"] != EVENT:
                raise ValueError(f"event is {document['event']!r}")
            ids = tuple(validate_transaction_id(i) for i in document["transaction_ids"])
            at = datetime.fromisoformat(document["at"])
            if at.tzinfo is None:
                raise ValueError("at has no time zone")
            return cls(
                ids,
                at.astimezone(UTC),
                str(document["approver"]),
                str(document["reason"]),
                str(document.get("caller", "")),
                {str(k): [str(r) for r in v] for k, v in document["condemned_by"].items()},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise LakegateError(f"{key}: not a condemned-release event ({error})") from error


def read_releases(storage: Storage, dataset: str) -> list[Release]:
    """Every release of the dataset, oldest first."""
    return [
        Release.from_event(key, json.loads(storage.read_bytes(key)))
        for key in audit_event_keys(storage, dataset, EVENT)
    ]


def released_at(releases: list[Release]) -> list[tuple[str, datetime]]:
    """(TransactionID, latest release time) per released id, sorted: what the job joins."""
    latest: dict[str, datetime] = {}
    for release in releases:
        for tid in release.transaction_ids:
            latest[tid] = max(latest.get(tid, release.released_at), release.released_at)
    return sorted(latest.items())
