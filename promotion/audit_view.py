"""What auditors read: every decision in a dataset's audit log, as text, JSON or a page.

Each entry says what happened, who decided it (the named approver, the approvers an
approval system recorded, and the identity that made the call), when, why, about
which run, with the run's metrics at the time, and which version it produced.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lakegate.errors import BadArgument
from promotion import audit
from promotion import present as P
from promotion.publisher import Promoter

LABELS = {
    "promote": "published",
    "promote-refused": "promotion refused by the gate",
    "promote-conflict": "promotion lost to a concurrent one",
    "reject": "rejected",
    "rollback": "rolled back",
    "rollback-conflict": "rollback lost to a concurrent publication",
    "purge-condemned": "condemned rows deleted",
    "condemned-release": "condemned rows released for re-submission",
}
INCOMPLETE = {"promote": "publication not completed", "rollback": "rollback not completed"}


def parse_moment(text: str | None, what: str) -> datetime | None:
    """A filter bound: a date (2026-12-01, the start of that day, UTC) or a time."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadArgument(
            f"{what} {text!r} is not a date (2026-12-01) or an ISO-8601 time"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _approvers(event: dict) -> list[str]:
    """The people who approved: those an approval system recorded, else the named one."""
    recorded = [a.get("login", a) if isinstance(a, dict) else a for a in event.get("approvers", [])]
    return [str(a) for a in recorded] or ([event["approver"]] if event.get("approver") else [])


def audit_entries(
    promoter: Promoter, since: datetime | None = None, until: datetime | None = None
) -> list[dict]:
    """Every audit event of the dataset in [since, until), oldest first, with the version
    each publication produced (from the version manifests that name the event)."""
    produced = {v.audit_event: v.version for _, v in promoter.history() if v.audit_event}
    entries = []
    for event in audit.events(promoter.store, promoter.dataset):
        at = datetime.fromisoformat(event["at"])
        if (since and at < since) or (until and at >= until):
            continue
        metrics = event.get("run_metrics") or {}
        gate = event.get("gate") or {}
        entries.append(
            {
                "at": event["at"],
                "event": event["event"],
                "what": LABELS.get(event["event"], event["event"]),
                "dataset": event.get("dataset", promoter.dataset),
                "run_id": event.get("run_id"),
                "run_type": metrics.get("run_type"),
                "approver": event.get("approver"),
                "approvers": _approvers(event),
                "caller": event.get("caller"),
                "reason": event.get("reason"),
                "gate_passed": gate.get("passed"),
                "gate_failures": [c["detail"] for c in gate.get("checks", []) if not c["passed"]],
                "input_rows": metrics.get("input_rows"),
                "valid_rows_count": metrics.get("valid_rows_count"),
                "quarantined_rows_count": metrics.get("quarantined_rows_count"),
                "quarantine_rate": metrics.get("quarantine_rate"),
                "execution_arn": metrics.get("execution_arn"),
                "version_before": event.get("published_version"),
                "version_produced": produced.get(event["key"]),
                "rollback_to": event.get("rollback_to"),
                "deleted_objects": (
                    len(event["deleted"]) if isinstance(event.get("deleted"), list) else None
                ),
                "deleted_bytes": event.get("deleted_bytes"),
                "released_ids": event.get("transaction_ids"),
                "key": event["key"],
            }
        )
    for entry in entries:
        # The decision is recorded before the version it leads to; when no version names
        # the record, the publication stopped between the two (an error, a crash), and
        # the next attempt's record is the one that published.
        if entry["event"] in INCOMPLETE and not entry["version_produced"]:
            entry["what"] = INCOMPLETE[entry["event"]]
    return sorted(entries, key=lambda e: (e["at"], e["key"]))


def _subject(entry: dict) -> str:
    if entry["run_id"]:
        kind = f" ({entry['run_type']})" if entry["run_type"] else ""
        return f"run {entry['run_id']}{kind}"
    if entry["event"].startswith("rollback"):
        return f"to the content of version {entry['rollback_to']}"
    if entry["event"] == "purge-condemned":
        objects = entry["deleted_objects"] or 0
        plural = "" if objects == 1 else "s"
        return f"{P.count(objects)} object{plural}, {P.count(entry['deleted_bytes'])} bytes"
    if entry["event"] == "condemned-release":
        ids = entry["released_ids"] or []
        shown = ", ".join(ids[:3]) + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
        return f"TransactionID {shown}" if len(ids) == 1 else f"TransactionIDs {shown}"
    return P.DASH


def _outcome(entry: dict) -> str:
    if entry["version_produced"]:
        return f"version {entry['version_produced']}"
    if entry["event"] == "reject":
        gate = "; ".join(entry["gate_failures"]) if entry["gate_failures"] else "passed"
        return f"not published (gate then: {gate})"
    if entry["event"] == "purge-condemned":
        return "deleted"
    if entry["event"] == "condemned-release":
        return "may be re-submitted"
    if entry["gate_passed"] is False:
        return "refused: " + "; ".join(entry["gate_failures"])
    if entry["event"].endswith("conflict"):
        return "no version (another publication won)"
    if entry["event"] in INCOMPLETE:
        return "no version (stopped before its version was written; retried or repaired later)"
    return P.DASH


def _metrics(entry: dict) -> str:
    if entry["input_rows"] is None:
        return P.DASH
    return (
        f"{P.count(entry['input_rows'])} rows, {P.count(entry['valid_rows_count'])} valid,"
        f" quarantine {P.percent(entry['quarantine_rate'])}"
    )


HEADERS = (
    P.Column("when"),
    P.Column("what"),
    P.Column("subject"),
    P.Column("result"),
    P.Column("decided by"),
    P.Column("called by", long_text=True),
    P.Column("reason"),
    P.Column("run metrics then"),
)


def _rows(entries: list[dict]) -> list[list[str]]:
    return [
        [
            P.utc(e["at"]),
            e["what"],
            _subject(e),
            _outcome(e),
            P.words(e["approvers"]),
            e["caller"] or P.DASH,
            e["reason"] or P.DASH,
            _metrics(e),
        ]
        for e in reversed(entries)  # newest first
    ]


def _window_text(since: datetime | None, until: datetime | None) -> str:
    if not since and not until:
        return "all time"
    start = since.strftime("%Y-%m-%d %H:%M UTC") if since else "the beginning"
    end = until.strftime("%Y-%m-%d %H:%M UTC") if until else "now"
    return f"from {start} to {end}"


def _counts(entries: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in entries:
        counts[e["what"]] = counts.get(e["what"], 0) + 1
    return counts


def audit_text(
    dataset: str, entries: list[dict], since: datetime | None, until: datetime | None
) -> str:
    out = [f"Audit log of {dataset}, {_window_text(since, until)}: {len(entries)} events"]
    if not entries:
        return out[0] + f"\n(no audit events for {dataset} in that window)"
    out.append("  " + P.words(f"{what} {n}" for what, n in _counts(entries).items()))
    out.append("")
    for row in _rows(entries):
        when, what, subject, result, approvers, caller, reason, metrics = row
        out.append(f"{when}  {what}: {subject} -> {result}")
        out.append(f"    decided by {approvers}; called by {caller}; reason: {reason}")
        if metrics != P.DASH:
            out.append(f"    run metrics then: {metrics}")
    return "\n".join(out)


def audit_html(
    dataset: str, entries: list[dict], since: datetime | None, until: datetime | None
) -> str:
    counts = _counts(entries)
    published = [e for e in entries if e["version_produced"]]
    body = [
        f"<h1>Audit log of {P.esc(dataset)}</h1>",
        f"<p class='sub'>{P.esc(_window_text(since, until))} · {len(entries)} events,"
        " newest first · times in UTC</p>",
        "<h2>Decisions</h2>",
        P.table(
            [P.Column("what"), P.Column("events", True)],
            [[what, P.count(n)] for what, n in counts.items()],
        ),
        P.bar_chart(
            "Events by kind",
            list(counts),
            [P.Series("events", "#0969da")],
            [[n] for n in counts.values()],
            [[P.count(n)] for n in counts.values()],
        ),
        "<h2>Every event</h2>",
        P.table(HEADERS, _rows(entries), wrap=True),
        "<h2>Versions published</h2>",
        P.table(
            [
                P.Column("version", True),
                P.Column("published"),
                P.Column("how"),
                P.Column("approved by"),
                P.Column("execution", long_text=True),
            ],
            [
                [
                    str(e["version_produced"]),
                    P.utc(e["at"]),
                    _subject(e),
                    P.words(e["approvers"]),
                    e["execution_arn"] or P.DASH,
                ]
                for e in reversed(published)
            ],
            wrap=True,
        ),
    ]
    return P.page(f"Audit log of {dataset}", "".join(body))
