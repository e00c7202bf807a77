"""The audit record (SPEC §7, §11): one event of the append-only audit log, typed.

Every record has the same envelope, `event`, `at` (an ISO-8601 UTC instant) and
`dataset`, beside the event's own fields (the run, the approver and reason, the gate,
the ids released...), which sit at the top level of the JSON object. The promoter writes
records (promotion/audit.py); the audit view, the review, the release lookups and the
job read them. `to_json` and `from_json` are the one codec; `from_json` names the record
and the field it cannot read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lakegate import releases
from lakegate.errors import LakegateError
from lakegate.ids import validate_dataset
from lakegate.jsondoc import decode_object, encode

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
ENVELOPE = ("event", "at", "dataset")


@dataclass(frozen=True)
class AuditRecord:
    event: str
    at: datetime
    dataset: str
    # The event's own fields, at the top level of the JSON object.
    body: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.event not in EVENTS:
            raise ValueError(f"unknown audit event {self.event!r}")
        if self.at.tzinfo is None:
            raise ValueError("an audit record's time must be timezone-aware")
        validate_dataset(self.dataset)
        clash = sorted(set(self.body) & set(ENVELOPE))
        if clash:
            raise ValueError(f"audit event fields {', '.join(clash)} would hide the envelope")

    @property
    def subject(self) -> str:
        """What the event is about, as its key names it: a run, a version, or the lake."""
        if self.body.get("run_id"):
            return str(self.body["run_id"])
        return f"v{self.body['version']}" if self.body.get("version") else "lake"

    def to_dict(self) -> dict[str, Any]:
        at = self.at.astimezone(UTC).isoformat()
        return {"event": self.event, "at": at, "dataset": self.dataset, **self.body}

    def to_json(self) -> bytes:
        return encode(self.to_dict())

    @classmethod
    def from_json(cls, data: bytes | str, where: str = "audit record") -> AuditRecord:
        document = decode_object(data, where)
        for name in ENVELOPE:
            if not isinstance(document.get(name), str):
                raise LakegateError(f"{where}: field {name} is missing or not a string")
        try:
            at = datetime.fromisoformat(document["at"])
            body = {k: v for k, v in document.items() if k not in ENVELOPE}
            return cls(document["event"], at, document["dataset"], body)
        except ValueError as error:
            raise LakegateError(f"{where}: {error}") from error
