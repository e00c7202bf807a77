"""What approvers and reviewers read: the runs list and a run's review (text and HTML)."""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from lakegate import layout
from lakegate.catalog import halted_run_ids, read_summary, silver_runs
from lakegate.datasets import DATASETS
from lakegate.manifest import PartitionContent, Version
from lakegate.metrics import add_totals
from lakegate.storage import ObjectNotFound
from lakegate.summary import RunSummary
from promotion import audit
from promotion import present as P
from promotion.plan import Approval, partition_diff, plan_promotion
from promotion.publisher import Promoter


@dataclass(frozen=True)
class RunRow:
    run_id: str
    status: str
    summary: RunSummary | None


def list_runs(promoter: Promoter) -> list[RunRow]:
    """Every run of the dataset with its status: serving, promoted (earlier), ready,
    blocked (gate fails), rejected, halted, or failed/partial (no _SUCCESS)."""
    current = promoter.current()[1]
    serving = {r for c in (current.partitions.values() if current else []) for r in c.runs}
    promoted = {v.run_id for _, v in promoter.history() if v.action == "promote"}
    rejected = audit.subjects(promoter.store, promoter.dataset, "reject")
    halted = set(halted_run_ids(promoter.lake, promoter.dataset))
    rows = []
    config = promoter.config
    refs = silver_runs(promoter.lake, promoter.dataset, config.known_schema_versions, config.bucket)
    for run_id in sorted({r.run_id for r in refs} | halted):
        summary = promoter.summary(run_id) or halt_record(promoter, run_id)
        if run_id in serving:
            status = "serving"
        elif run_id in promoted:
            status = "promoted"
        elif run_id in rejected:
            status = "rejected"
        elif run_id in halted:
            status = "halted"
        elif summary is None:
            status = "failed/partial"
        else:
            status = "ready" if promoter.gate(run_id, summary, current).passed else "blocked"
        rows.append(RunRow(run_id, status, summary))
    rows.sort(key=lambda r: (r.summary.started_at if r.summary else "", r.run_id))
    return rows


@dataclass(frozen=True)
class RetryStatus:
    """What became of the rows a run quarantined (SPEC §4): fixed by a later run,
    condemned on a later attempt, or still pending."""

    quarantined: int
    fixed: int
    condemned: int

    @property
    def pending(self) -> int:
        return max(self.quarantined - self.fixed - self.condemned, 0)


def retry_statuses(rows: list[RunRow]) -> dict[str, RetryStatus]:
    """Per run, from the `retried_from` counts of every later run with _SUCCESS. A row
    quarantined again by a retry stays pending for the run that first quarantined it."""
    later: dict[str, dict[str, int]] = {}
    for row in rows:
        if row.status in ("halted", "failed/partial"):
            continue
        for origin, outcomes in (row.summary.retried_from if row.summary else {}).items():
            totals = later.setdefault(origin, {"valid": 0, "quarantined": 0, "condemned": 0})
            for outcome, count in outcomes.items():
                totals[outcome] += count
    statuses = {}
    for row in rows:
        summary: Mapping = row.summary or {}
        retried = (summary.get("retried_from") or {}).values()
        first_time = summary.get("quarantined_rows_count", 0) - sum(
            o.get("quarantined", 0) for o in retried
        )
        totals = later.get(row.run_id, {})
        fixed = min(totals.get("valid", 0), first_time)
        condemned = min(totals.get("condemned", 0), first_time - fixed)
        statuses[row.run_id] = RetryStatus(first_time, fixed, condemned)
    return statuses


def runs_text(promoter: Promoter) -> str:
    rows = list_runs(promoter)
    statuses = retry_statuses(rows)
    current = promoter.current()[1]
    lines = [
        f"{'run_id':<34} {'status':<15} {'type':<10} {'window':<17} {'rows':>9} "
        f"{'valid':>9} {'quar.':>6} {'cond.':>6} {'q-rate':>7}  quarantined later:"
        f" {'fixed':>5} {'pend.':>5} {'cond.':>5}"
    ]
    for row in rows:
        s: Mapping = row.summary or {}
        window = s.get("input_window")
        retry = statuses[row.run_id]
        lines.append(
            f"{row.run_id:<34} {row.status:<15} {s.get('run_type', '-'):<10} "
            f"{(window['from'] + '..' + window['to']) if window else '-':<17} "
            f"{s.get('input_rows', 0):>9,} {s.get('valid_rows_count', 0):>9,} "
            f"{s.get('quarantined_rows_count', 0):>6,} {s.get('condemned_rows_count', 0):>6,} "
            f"{s.get('quarantine_rate', 0) * 100:>6.2f}%  {'':>18} {retry.fixed:>5,}"
            f" {retry.pending:>5,} {retry.condemned:>5,}"
        )
    if not rows:
        lines.append("(no runs)")
    lines.append("")
    if current is None:
        lines.append(f"Published: nothing yet for {promoter.dataset}.")
    else:
        lines.append(
            f"Published: version {current.version} ({current.action} by"
            f" {current.approved_by}, {current.published_at})"
        )
        for partition, content in sorted(current.partitions.items()):
            lines.append(f"  {partition}  {content.rows:>9,} rows  from {', '.join(content.runs)}")
    return "\n".join(lines)


def halt_record(promoter: Promoter, run_id: str) -> RunSummary | None:
    """A halted run's record (its metrics and what tripped), or None."""
    try:
        return read_summary(
            promoter.lake, layout.halted_key(promoter.dataset, run_id), bucket="quarantine"
        )
    except ObjectNotFound:
        return None


# The review of one run ------------------------------------------------------------------
SAMPLE_COLUMNS = ("source_file", "source_line", "error_type", "error_message", "attempt_count")
SAMPLE_PER_CLASS = 3
RECENT_RUNS = 12
# The column names a failed row's message can start with (every dataset's, every schema
# version's), and `key` (a duplicate of a key of several columns).
MESSAGE_FIELDS = frozenset(
    {"key", *(c.name for d in DATASETS.values() if d.ingested for c in d.columns)}
)


def error_field(error_type: str, message: str | None) -> str:
    """The field a failure is about: every rule's message starts with it; a malformed
    line has no fields."""
    first = (message or "").split(" ", 1)[0]
    if first in MESSAGE_FIELDS:
        return first
    return "whole line" if error_type == "MALFORMED_ROW" else "–"


def failed_row_sample(
    promoter: Promoter, run_id: str, distribution: dict[str, int], per_class: int = SAMPLE_PER_CLASS
) -> list[dict]:
    """Up to `per_class` failed rows of each error class (quarantined, then condemned),
    in file and line order; stops reading once every class has its rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    wanted = {t: min(n, per_class) for t, n in distribution.items()}
    found: dict[str, list[dict]] = {t: [] for t in wanted}
    store = promoter.lake["quarantine"]
    for outcome, prefix in (
        ("quarantined", layout.quarantine_run_prefix(promoter.dataset, run_id)),
        ("condemned", layout.condemned_run_prefix(promoter.dataset, run_id)),
    ):
        for item in store.list(prefix):
            if all(len(found[t]) >= n for t, n in wanted.items()):
                break
            if not item.key.endswith(".parquet"):
                continue
            # ParquetFile, not read_table: read_table's dataset layer starts pyarrow's IO
            # thread pool even with use_threads=False, and a pool alive at interpreter
            # exit can abort the process ("terminate called without an active exception").
            table = pq.ParquetFile(pa.BufferReader(store.read_bytes(item.key))).read(
                columns=list(SAMPLE_COLUMNS), use_threads=False
            )
            for row in table.to_pylist():
                rows = found.setdefault(row["error_type"], [])
                if len(rows) < wanted.get(row["error_type"], per_class):
                    rows.append(
                        {
                            "error_type": row["error_type"],
                            "outcome": outcome,
                            "source_file": row["source_file"],
                            "source_line": row["source_line"],
                            "field": error_field(row["error_type"], row["error_message"]),
                            "message": row["error_message"],
                            "attempt_count": row["attempt_count"],
                        }
                    )
    order = {t: i for i, t in enumerate(distribution)}
    sample = [r for rows in found.values() for r in rows]
    return sorted(
        sample,
        key=lambda r: (order.get(r["error_type"], len(order)), r["source_file"], r["source_line"]),
    )


class _Summaries:
    """Runs' _SUCCESS documents, each read once."""

    def __init__(self, promoter: Promoter, known: dict[str, RunSummary]) -> None:
        self.promoter = promoter
        self.cache: dict[str, RunSummary | None] = dict(known)

    def __call__(self, run_id: str) -> RunSummary | None:
        if run_id not in self.cache:
            self.cache[run_id] = self.promoter.summary(run_id)
        return self.cache[run_id]


def _partition_totals(
    content: PartitionContent | None, partition: str, summaries: _Summaries
) -> list[dict] | None:
    """The control totals of what a partition serves: the sum over the runs whose files
    it lists. None when a run recorded none (it ran before control totals existed)."""
    if content is None:
        return []
    lists = []
    for run_id in content.runs:
        summary: Mapping = summaries(run_id) or {}
        entry: dict = next(
            (p for p in summary.get("partitions", []) if p["partition"] == partition), {}
        )
        if "totals" not in entry:
            return None
        lists.append(entry["totals"])
    return add_totals(*lists)


def partition_changes(before: Version | None, after: Version, summaries: _Summaries) -> list[dict]:
    """Each partition the promotion changes: rows now and after, and per value of the
    control column (currency) the rows and the sum of amounts now and after."""
    changes = []
    for d in partition_diff(before, after):
        if d["change"] == "unchanged":
            continue
        partition = d["partition"]
        now = _partition_totals(
            before.partitions.get(partition) if before else None, partition, summaries
        )
        later = _partition_totals(after.partitions.get(partition), partition, summaries)
        totals = None
        if now is not None and later is not None:
            old, new = {t["key"]: t for t in now}, {t["key"]: t for t in later}
            totals = []
            for key in sorted(set(old) | set(new)):
                a = old.get(key, {"rows": 0, "sum": "0"})
                b = new.get(key, {"rows": 0, "sum": "0"})
                totals.append(
                    {
                        "key": key,
                        "rows_now": a["rows"],
                        "rows_after": b["rows"],
                        "sum_now": str(Decimal(a["sum"])),
                        "sum_after": str(Decimal(b["sum"])),
                        "sum_change": str(Decimal(b["sum"]) - Decimal(a["sum"])),
                    }
                )
        changes.append({**d, "totals": totals})
    return changes


def decision_commands(run_id: str, dataset: str, lake_dir: str | None, env: str | None) -> dict:
    """The promote and reject commands to copy, for a local lake and for an environment."""
    decision = '--approver "Your Name" --reason "Why"'
    places = {
        "local": f"--lake {shlex.quote(lake_dir or './lake')}",
        "aws": f"--env {env or 'dev'}",
    }
    return {
        place: {
            verb: f"lakegate {verb} {run_id} --dataset {dataset} {where} {decision}"
            for verb in ("promote", "reject")
        }
        for place, where in places.items()
    }


def review_data(
    promoter: Promoter, run_id: str, lake_dir: str | None = None, env: str | None = None
) -> dict:
    """Everything the review shows, as plain JSON-ready values."""
    summary = promoter.summary(run_id)
    latest, current = promoter.current()
    gate = promoter.gate(run_id, summary, current)
    changes: list[dict] = []
    if summary is not None:
        pending = Approval("(pending)", "(pending)", "(pending)", "")
        after = plan_promotion(current, latest.manifest if latest else None, summary, pending, {})
        changes = partition_changes(current, after, _Summaries(promoter, {run_id: summary}))
    halt = halt_record(promoter, run_id)
    shown: Mapping = summary or halt or {}
    recent = [
        {
            "run_id": r.run_id,
            "status": r.status,
            "run_type": r.summary.get("run_type"),
            "ended_at": r.summary.get("ended_at"),
            "input_rows": r.summary.get("input_rows"),
            "quarantine_rate": r.summary.get("quarantine_rate"),
        }
        for r in list_runs(promoter)
        if r.summary
    ][-RECENT_RUNS:]
    distribution = shown.get("error_type_distribution") or {}
    return {
        "run_id": run_id,
        "dataset": promoter.dataset,
        "summary": summary,
        "halt": halt,
        "gate": gate.to_dict(),
        "published_version": current.version if current else None,
        "commands": decision_commands(run_id, promoter.dataset, lake_dir, env),
        "changes": changes,
        "control_totals": shown.get("control_totals"),
        "sample": failed_row_sample(promoter, run_id, distribution) if distribution else [],
        "recent": recent,
        "max_quarantine_rate": promoter.config.max_quarantine_rate,
    }


# What the text and the page show, in one order -------------------------------------------
def _verdict(data: dict) -> tuple[bool, str, list[str]]:
    gate = data["gate"]
    if gate["passed"]:
        return True, "Ready to promote: every gate check passes", []
    failed = [c["detail"] for c in gate["checks"] if not c["passed"]]
    return False, f"Not promotable: {len(failed)} gate check(s) fail", failed


def _rows_table(s: dict) -> tuple[list[P.Column], list[list[str]]]:
    cols = [P.Column("rows"), P.Column("count", True), P.Column("share of input", True)]
    total = s.get("input_rows")
    if "source" in s:  # a gold run: derived rows, not validated input
        source = s["source"]
        return cols, [
            [f"source rows ({source['dataset']} version {source['version']})", P.count(total), ""],
            ["balance rows written", P.count(s.get("valid_rows_count")), ""],
        ]
    return cols, [
        ["input rows", P.count(total), P.share(total, total)],
        ["valid", P.count(s.get("valid_rows_count")), P.share(s.get("valid_rows_count"), total)],
        [
            "quarantined",
            P.count(s.get("quarantined_rows_count")),
            P.share(s.get("quarantined_rows_count"), total),
        ],
        [
            "condemned",
            P.count(s.get("condemned_rows_count")),
            P.share(s.get("condemned_rows_count"), total),
        ],
    ]


def _change_caption(data: dict) -> str:
    totals = data.get("control_totals") or {}
    return (
        f"Rows and the sum of {totals.get('sum_of', 'amounts')} per"
        f" {totals.get('by', 'value')} in each partition this run changes; 'all' is the"
        " partition's total."
    )


def _change_table(data: dict) -> tuple[list[P.Column], list[list[str]]]:
    by = (data.get("control_totals") or {}).get("by", "value")
    cols = [
        P.Column("partition"),
        P.Column("change"),
        P.Column(by),
        P.Column("rows now", True),
        P.Column("rows after", True),
        P.Column("sum now", True),
        P.Column("sum after", True),
        P.Column("difference", True),
    ]
    rows = []
    for c in data["changes"]:
        if c["totals"] is None:
            rows.append(_change_row(c, "(all)", c, "not recorded", "not recorded", P.DASH))
            continue
        for t in c["totals"] or [{"key": P.DASH, "rows_now": 0, "rows_after": 0}]:
            sums = (t.get("sum_now"), t.get("sum_after"), t.get("sum_change"))
            shown = (P.amount(sums[0]), P.amount(sums[1]), P.amount(sums[2], signed=True))
            rows.append(_change_row(c, t["key"], t, *shown))
        change = P.signed_count(c["rows_after"] - c["rows_now"]) + " rows"
        rows.append(_change_row(c, "all", c, "", "", change))
    return cols, rows


def _change_row(change: dict, key: str, counts: dict, *sums: str) -> list[str]:
    """One row of the change table: partition, change, key, rows now and after, sums."""
    label = change["partition"].replace("year=", "").replace("/month=", "-")
    now, after = P.count(counts["rows_now"]), P.count(counts["rows_after"])
    return [label, change["change"], key, now, after, *sums]


def _error_table(data: dict, s: dict) -> tuple[list[P.Column], list[list[str]]]:
    cols = [P.Column("error class"), P.Column("rows", True), P.Column("share of input", True)]
    critical = s.get("critical_errors") or {}
    rows = [
        [
            t + (" (critical: blocks promotion)" if t in critical else ""),
            P.count(n),
            P.share(n, s.get("input_rows")),
        ]
        for t, n in (s.get("error_type_distribution") or {}).items()
    ]
    return cols, rows


SAMPLE_HEADERS = (
    P.Column("error class"),
    P.Column("file", long_text=True),
    P.Column("line", True),
    P.Column("field"),
    P.Column("message", long_text=True),
    P.Column("attempt", True),
)


def _sample_rows(data: dict) -> list[list[str]]:
    return [
        [
            r["error_type"] + (" (condemned)" if r["outcome"] == "condemned" else ""),
            r["source_file"],
            str(r["source_line"]),  # a line number, not a quantity: no separator
            r["field"],
            r["message"] or P.DASH,
            P.count(r["attempt_count"]),
        ]
        for r in data["sample"]
    ]


RECENT_HEADERS = (
    P.Column("run"),
    P.Column("type"),
    P.Column("status"),
    P.Column("ended"),
    P.Column("input rows", True),
    P.Column("quarantine rate", True),
)


def _recent_rows(data: dict) -> list[list[str]]:
    return [
        [
            r["run_id"] + (" (this run)" if r["run_id"] == data["run_id"] else ""),
            r["run_type"] or P.DASH,
            r["status"],
            P.utc(r["ended_at"]),
            P.count(r["input_rows"]),
            P.percent(r["quarantine_rate"]),
        ]
        for r in data["recent"]
    ]


def _details(data: dict, s: dict) -> list[tuple[str, str]]:
    version = data["published_version"]
    details = [
        ("run type", s.get("run_type") or P.DASH),
        ("months read", P.window(s.get("input_window"))),
        ("files read", P.count(len(s.get("input_files") or [])) if s else P.DASH),
        ("started", P.utc(s.get("started_at"))),
        ("ended", P.utc(s.get("ended_at"))),
        ("duration", P.seconds(s.get("duration_seconds"))),
        ("code version", s.get("code_version") or P.DASH),
        ("execution", s.get("execution_arn") or "none (not run by Step Functions)"),
        ("published version now", str(version) if version else "nothing published yet"),
    ]
    if "source" not in s and s:
        details += [
            ("duplicates found", P.percent(s.get("duplicate_detection_rate"))),
            ("auto-condemned", P.percent(s.get("auto_condemnation_rate"))),
            ("average attempt of the rows processed", f"{s.get('avg_attempt_count') or 0:.2f}"),
        ]
    if data["halt"]:
        tripped = data["halt"].get("halted", {}).get("tripped", {})
        details.append(
            ("halted by the circuit breaker", P.words(f"{t} {n:,}" for t, n in tripped.items()))
        )
    return details


def review_text(data: dict) -> str:
    """The review as text: the same sections, in the same order, as the page."""
    s = data["summary"] or data["halt"] or {}
    ok, headline, because = _verdict(data)
    out = [f"Review of run {data['run_id']} (dataset {data['dataset']})", "", headline.upper()]
    out += [f"  - {reason}" for reason in because]
    out += ["", "Decide (replace the name and the reason):"]
    for place, label in (("local", "local lake"), ("aws", "AWS")):
        for verb, command in data["commands"][place].items():
            if verb == "promote" and not ok:
                continue
            out.append(f"  {label}, {verb}: {command}")
    out += ["", "Gate:"]
    out += [
        f"  [{'pass' if c['passed'] else 'FAIL'}] {c['name']:<16} {c['detail']}"
        for c in data["gate"]["checks"]
    ]
    out.append(f"  => {'PROMOTABLE' if ok else 'NOT PROMOTABLE'}")
    if s:
        cols, rows = _rows_table(s)
        out += ["", "Rows:"] + ["  " + line for line in P.text_table(cols, rows)]
    if data["changes"]:
        version = data["published_version"]
        cols, rows = _change_table(data)
        out += ["", f"Change against published version {version or '(none)'}:"]
        out += ["  " + _change_caption(data)]
        out += ["  " + line for line in P.text_table(cols, rows)]
    if s.get("error_type_distribution"):
        cols, rows = _error_table(data, s)
        out += ["", "Errors:"] + ["  " + line for line in P.text_table(cols, rows)]
    if data["sample"]:
        out += ["", f"Failed rows, up to {SAMPLE_PER_CLASS} of each error class:"]
        out += [
            f"  {r[0]}  {r[1]}:{r[2]}  {r[3]}: {r[4]} (attempt {r[5]})" for r in _sample_rows(data)
        ]
    if data["recent"]:
        out += ["", f"Recent runs (gate limit {P.percent(data['max_quarantine_rate'])}):"]
        out += ["  " + line for line in P.text_table(RECENT_HEADERS, _recent_rows(data))]
    out += ["", "Run:"] + [f"  {k}: {v}" for k, v in _details(data, s)]
    return "\n".join(out)


PALETTE = {"now": "#8c959f", "after": "#0969da", "errors": "#bc4c00", "rate": "#8250df"}


def review_html(data: dict) -> str:
    """The review as a self-contained page: the decision first, then the evidence."""
    s = data["summary"] or data["halt"] or {}
    ok, headline, because = _verdict(data)
    esc = P.esc
    body = [
        f"<h1>Review of run {esc(data['run_id'])}</h1>",
        f"<p class='sub'>dataset {esc(data['dataset'])} · {esc(s.get('run_type') or 'unknown')}"
        f" run · months {esc(P.window(s.get('input_window')))}</p>",
        f"<div class='verdict {'ok' if ok else 'no'}' role='status'><strong>{esc(headline)}"
        "</strong>" + "".join(f"<span>{esc(reason)}</span><br>" for reason in because) + "</div>",
        "<h2>Decide</h2><p>Copy a command, then put your name and your reason in it."
        " Both are recorded in the audit log with your identity.</p>",
    ]
    for place, label in (("local", "On a local lake"), ("aws", "On AWS")):
        commands = data["commands"][place]
        shown = [commands["reject"]] if not ok else [commands["promote"], commands["reject"]]
        body.append(f"<p>{label}:</p><pre>{esc(chr(10).join(shown))}</pre>")
    body.append("<h2>Gate</h2>")
    body.append(
        P.table(
            ["result", "check", "detail"],
            [
                ["pass" if c["passed"] else "FAIL", c["name"], c["detail"]]
                for c in data["gate"]["checks"]
            ],
            row_classes=["pass" if c["passed"] else "fail" for c in data["gate"]["checks"]],
        )
    )
    if s:
        cols, rows = _rows_table(s)
        body += ["<h2>Rows</h2>", P.table(cols, rows)]
    if data["changes"]:
        version = data["published_version"]
        cols, rows = _change_table(data)
        body += [
            f"<h2>Change against published version {esc(version or '(none)')}</h2>",
            P.table(cols, rows, caption=_change_caption(data), wrap=True),
            _partition_chart(data),
        ]
    if s.get("error_type_distribution"):
        cols, rows = _error_table(data, s)
        dist = s["error_type_distribution"]
        body += [
            "<h2>Errors</h2>",
            P.table(cols, rows),
            P.bar_chart(
                "Failed rows by error class",
                list(dist),
                [P.Series("rows", PALETTE["errors"])],
                [[n] for n in dist.values()],
                [[P.count(n)] for n in dist.values()],
            ),
        ]
    if data["sample"]:
        body += [
            f"<h2>Failed rows, up to {SAMPLE_PER_CLASS} of each error class</h2>",
            P.table(SAMPLE_HEADERS, _sample_rows(data), wrap=True),
        ]
    if data["recent"]:
        limit = data["max_quarantine_rate"]
        body += [
            "<h2>Recent runs</h2>",
            P.table(RECENT_HEADERS, _recent_rows(data), wrap=True),
            P.bar_chart(
                "Quarantine rate of recent runs",
                [r["run_id"] for r in data["recent"]],
                [P.Series("quarantine rate", PALETTE["rate"])],
                [[r["quarantine_rate"] or 0] for r in data["recent"]],
                [[P.percent(r["quarantine_rate"])] for r in data["recent"]],
                limit=(limit, f"dashed line: the gate's limit, {P.percent(limit)}"),
            ),
        ]
    body += ["<h2>Run</h2>", P.facts(_details(data, s))]
    return P.page(f"Review of run {data['run_id']} ({data['dataset']})", "".join(body))


def _partition_chart(data: dict) -> str:
    """Rows per changed partition, now and after, side by side."""
    labels = [c["partition"].replace("year=", "").replace("/month=", "-") for c in data["changes"]]
    return P.bar_chart(
        "Rows per partition, now and after promotion",
        labels,
        [P.Series("now", PALETTE["now"]), P.Series("after", PALETTE["after"])],
        [[c["rows_now"], c["rows_after"]] for c in data["changes"]],
        [[P.count(c["rows_now"]), P.count(c["rows_after"])] for c in data["changes"]],
    )
