"""The publication pointer `_LATEST.json` (SPEC §11): its document and how it is read.

The promoter is its only writer; the ingestion job reads it to know what is already
accepted. Everything here is plain JSON over a Storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lakegate import layout
from lakegate.ids import Month, validate_run_id
from lakegate.jsondoc import encode
from lakegate.storage import ObjectNotFound, Storage


@dataclass(frozen=True)
class Latest:
    dataset: str
    schema_v: str
    version: int
    partitions: dict[str, list[str]]  # "year=YYYY/month=MM" -> run ids serving it
    manifest: str
    published_at: str
    approved_by: str
    extra: dict = field(default_factory=dict)
    etag: str | None = None  # of the object as read: the compare-and-swap token

    def to_json(self) -> bytes:
        body = {
            "dataset": self.dataset,
            "schema_v": self.schema_v,
            "version": self.version,
            "partitions": {p: list(runs) for p, runs in sorted(self.partitions.items())},
            "manifest": self.manifest,
            "published_at": self.published_at,
            "approved_by": self.approved_by,
            **self.extra,
        }
        return encode(body)

    @classmethod
    def from_json(cls, data: bytes, etag: str | None = None) -> Latest:
        body = json.loads(data)
        known = (
            "dataset",
            "schema_v",
            "version",
            "partitions",
            "manifest",
            "published_at",
            "approved_by",
        )
        partitions = {}
        for partition, runs in body["partitions"].items():
            Month.from_partition(partition)
            partitions[partition] = [validate_run_id(r) for r in runs]
        return cls(
            dataset=body["dataset"],
            schema_v=body["schema_v"],
            version=int(body["version"]),
            partitions=partitions,
            manifest=body["manifest"],
            published_at=body["published_at"],
            approved_by=body["approved_by"],
            extra={k: v for k, v in body.items() if k not in known},
            etag=etag,
        )


def read_latest(storage: Storage, dataset: str) -> Latest | None:
    """The published pointer, or None before the first promotion."""
    try:
        data, etag = storage.read_with_etag(layout.latest_key(dataset))
    except ObjectNotFound:
        return None
    return Latest.from_json(data, etag=etag)


def published_files(
    storage: Storage, latest: Latest | None, months: list[Month] | None = None
) -> list[str]:
    """Keys of the data files the published version serves (for `months`, or all),
    read from its version manifest, so runs of every schema version are found."""
    if latest is None:
        return []
    manifest = json.loads(storage.read_bytes(latest.manifest))
    wanted = None if months is None else {m.partition for m in months}
    return [
        key
        for partition, content in sorted(manifest["partitions"].items())
        if wanted is None or partition in wanted
        for key in content["files"]
    ]
