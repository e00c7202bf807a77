"""The version manifest (SPEC §11): one published version of a dataset, as a typed document.

A version lists the data files of every partition it publishes. The promoter writes it
(promotion/publisher.py) next to `_LATEST.json`, which points at it; the gold job reads
the files it lists; the review compares two of them. Its one JSON codec is here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lakegate.jsondoc import encode


@dataclass(frozen=True)
class PartitionContent:
    runs: tuple[str, ...]
    files: tuple[str, ...]
    rows: int

    def to_dict(self) -> dict:
        return {"runs": list(self.runs), "files": list(self.files), "rows": self.rows}

    @classmethod
    def from_dict(cls, body: dict) -> PartitionContent:
        return cls(tuple(body["runs"]), tuple(body["files"]), int(body["rows"]))


@dataclass(frozen=True)
class Version:
    """One immutable version manifest."""

    dataset: str
    schema_v: str
    version: int
    partitions: dict[str, PartitionContent]
    action: str  # promote | rollback
    run_id: str | None
    run_type: str | None
    approved_by: str
    reason: str
    caller: str
    published_at: str
    previous_manifest: str | None
    previous_version: int | None
    rollback_to: int | None = None
    run_metrics: dict = field(default_factory=dict)
    gate: dict = field(default_factory=dict)
    audit_event: str | None = None

    def to_json(self) -> bytes:
        body = {
            "dataset": self.dataset,
            "schema_v": self.schema_v,
            "version": self.version,
            "action": self.action,
            "run_id": self.run_id,
            "run_type": self.run_type,
            "rollback_to": self.rollback_to,
            "approved_by": self.approved_by,
            "reason": self.reason,
            "caller": self.caller,
            "published_at": self.published_at,
            "previous_version": self.previous_version,
            "previous_manifest": self.previous_manifest,
            "audit_event": self.audit_event,
            "partitions": {p: c.to_dict() for p, c in sorted(self.partitions.items())},
            "run_metrics": self.run_metrics,
            "gate": self.gate,
        }
        return encode(body)

    @classmethod
    def from_json(cls, data: bytes) -> Version:
        body = json.loads(data)
        body["partitions"] = {
            p: PartitionContent.from_dict(c) for p, c in body["partitions"].items()
        }
        return cls(**body)

    def runs_by_partition(self) -> dict[str, list[str]]:
        return {p: list(c.runs) for p, c in sorted(self.partitions.items())}
