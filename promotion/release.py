"""Releasing condemned rows for re-submission, with a recorded approval (SPEC §4).

A key (a TransactionID for transactions) condemned after its attempts ran out stays
condemned whatever is
re-submitted for it (lakegate.releases) until a person releases it here. The release is
an audit event, written once; the next run reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from lakegate import datasets, layout, releases
from lakegate.errors import BadArgument, Refused
from lakegate.storage import Lake
from promotion import audit
from promotion.publisher import validate_person

CONDEMNED_COLUMNS = (
    "run_id",
    "condemned_reason",
    "attempt_count",
    "quarantined_at",
)


@dataclass(frozen=True)
class CondemnedRow:
    transaction_id: str
    run_id: str
    reason: str
    attempt_count: int
    quarantined_at: datetime | None


def condemned_rows(lake: Lake, dataset: str) -> list[CondemnedRow]:
    """Every condemned row's key, run, reason and attempt (pyarrow: the key columns and
    four more read)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    entry = datasets.dataset(dataset)
    store = lake["quarantine"]
    found = []
    for item in store.list(layout.condemned_root(dataset)):
        if not item.key.endswith(".parquet"):
            continue
        # ParquetFile without threads: see promotion.review.failed_row_sample.
        table = pq.ParquetFile(pa.BufferReader(store.read_bytes(item.key))).read(
            columns=[*entry.key, *CONDEMNED_COLUMNS], use_threads=False
        )
        for row in table.to_pylist():
            key = entry.key_value([row[c] for c in entry.key])
            if key is not None:
                found.append(
                    CondemnedRow(
                        key,
                        row["run_id"],
                        row["condemned_reason"],
                        row["attempt_count"],
                        row["quarantined_at"],
                    )
                )
    return sorted(found, key=lambda r: (r.transaction_id, r.run_id))


def releasable(rows: list[CondemnedRow]) -> dict[str, list[str]]:
    """The TransactionIDs a release may name: condemned for a locking reason, with the
    runs that condemned them (released before or not: a condemnation after a release
    locks the id again)."""
    by_id: dict[str, list[str]] = {}
    for row in rows:
        if row.reason in releases.LOCKING_REASONS:
            by_id.setdefault(row.transaction_id, [])
            if row.run_id not in by_id[row.transaction_id]:
                by_id[row.transaction_id].append(row.run_id)
    return by_id


def release_condemned(
    lake: Lake,
    dataset: str,
    transaction_ids: list[str],
    approver: str,
    reason: str,
    caller: str,
    now: datetime,
) -> tuple[str, releases.Release]:
    """Release condemned TransactionIDs for re-submission: refused, naming them, when an
    id is not condemned for a locking reason (an EXACT_DUPLICATE locks nothing). Returns
    the audit event's key and the release."""
    ids = tuple(dict.fromkeys(releases.validate_transaction_id(t) for t in transaction_ids))
    if not ids:
        raise BadArgument("name at least one TransactionID to release")
    if len(ids) > releases.MAX_IDS:
        raise BadArgument(f"{len(ids)} TransactionIDs: a release names at most {releases.MAX_IDS}")
    approver = validate_person(approver, "approver", 200)
    reason = validate_person(reason, "reason", 2000)
    condemned = releasable(condemned_rows(lake, dataset))
    unknown = [t for t in ids if t not in condemned]
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        )
        raise Refused(
            f"not condemned after its attempts in {dataset}, nothing to release: {shown}"
            " (`lakegate condemned list` shows what is)"
        )
    release = releases.Release(ids, now, approver, reason, caller, {t: condemned[t] for t in ids})
    key = audit.record(lake["silver"], dataset, releases.EVENT, now, release.body())
    return key, release


def condemned_listing(lake: Lake, dataset: str) -> list[dict]:
    """Each condemned row with whether a re-submission of its id is locked now: a
    locking reason and no release since its condemnation."""
    last_release = dict(releases.released_at(releases.read_releases(lake["silver"], dataset)))
    listing = []
    for row in condemned_rows(lake, dataset):
        released = last_release.get(row.transaction_id)
        locks = row.reason in releases.LOCKING_REASONS
        lifted = (
            released is not None
            and row.quarantined_at is not None
            and released >= _utc(row.quarantined_at)
        )
        listing.append(
            {
                "transaction_id": row.transaction_id,
                "run_id": row.run_id,
                "condemned_reason": row.reason,
                "attempt_count": row.attempt_count,
                "locked": locks and not lifted,
                "released_at": released.isoformat() if released and locks else None,
            }
        )
    return listing


def _utc(moment: datetime) -> datetime:
    """pyarrow gives Spark's timestamps without a zone; they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
