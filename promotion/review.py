"""What approvers and reviewers read: the runs list and a run's review (text and HTML)."""

from __future__ import annotations

import html
import io
import json
from dataclasses import dataclass

from lakegate import layout
from lakegate.catalog import halted_run_ids, silver_runs
from lakegate.metrics import KEY_METRICS
from lakegate.storage import ObjectNotFound
from promotion import audit
from promotion.plan import Approval, partition_diff, plan_promotion
from promotion.publisher import Promoter

RATES = ("duplicate_detection_rate", "auto_condemnation_rate", "avg_attempt_count")
SAMPLE_COLUMNS = (
    "source_file",
    "source_line",
    "error_type",
    "error_message",
    "TransactionID",
    "TransactionAmount",
    "Currency",
    "TransactionTimestamp",
    "attempt_count",
)


@dataclass(frozen=True)
class RunRow:
    run_id: str
    status: str
    summary: dict | None


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
    rows.sort(key=lambda r: ((r.summary or {}).get("started_at", ""), r.run_id))
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
        for origin, outcomes in ((row.summary or {}).get("retried_from") or {}).items():
            totals = later.setdefault(origin, {"valid": 0, "quarantined": 0, "condemned": 0})
            for outcome, count in outcomes.items():
                totals[outcome] += count
    statuses = {}
    for row in rows:
        summary = row.summary or {}
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
        s = row.summary or {}
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


def halt_record(promoter: Promoter, run_id: str) -> dict | None:
    """A halted run's record (its metrics and what tripped), or None."""
    try:
        return json.loads(
            promoter.lake["quarantine"].read_bytes(layout.halted_key(promoter.dataset, run_id))
        )
    except ObjectNotFound:
        return None


def quarantine_sample(promoter: Promoter, run_id: str, limit: int = 10) -> list[dict]:
    import pyarrow.parquet as pq

    prefix = layout.quarantine_run_prefix(promoter.dataset, run_id)
    rows: list[dict] = []
    for item in promoter.lake["quarantine"].list(prefix):
        if not item.key.endswith(".parquet") or len(rows) >= limit:
            continue
        # Single-threaded: a sample needs no thread pool, and pyarrow's pool can abort
        # the process at interpreter exit.
        table = pq.read_table(
            io.BytesIO(promoter.lake["quarantine"].read_bytes(item.key)),
            columns=list(SAMPLE_COLUMNS),
            use_threads=False,
        )
        rows.extend(table.slice(0, limit - len(rows)).to_pylist())
    return rows


def review_data(promoter: Promoter, run_id: str) -> dict:
    summary = promoter.summary(run_id)
    latest, current = promoter.current()
    gate = promoter.gate(run_id, summary, current)
    diff = []
    if summary is not None:
        pending = Approval("(pending)", "(pending)", "(pending)", "")
        after = plan_promotion(current, latest.manifest if latest else None, summary, pending, {})
        diff = [d for d in partition_diff(current, after) if d["change"] != "unchanged"]
    halt = halt_record(promoter, run_id)
    recent = [
        {"run_id": r.run_id, "quarantine_rate": r.summary["quarantine_rate"]}
        for r in list_runs(promoter)
        if r.summary
    ][-12:]
    return {
        "run_id": run_id,
        "dataset": promoter.dataset,
        "summary": summary,
        "halt": halt,
        "gate": gate.to_dict(),
        "published_version": current.version if current else None,
        "diff": diff,
        "sample": quarantine_sample(promoter, run_id) if (summary or halt) else [],
        "recent": recent,
        "max_quarantine_rate": promoter.config.max_quarantine_rate,
    }


def review_text(data: dict) -> str:
    s = data["summary"] or data["halt"]
    out = [f"Review of run {data['run_id']} (dataset {data['dataset']})", "", "Gate:"]
    for check in data["gate"]["checks"]:
        out.append(
            f"  [{'pass' if check['passed'] else 'FAIL'}] {check['name']:<16} {check['detail']}"
        )
    out.append(f"  => {'PROMOTABLE' if data['gate']['passed'] else 'NOT PROMOTABLE'}")
    if s:
        if "source" in s:  # a gold run: derived rows, not validated input
            counts = (
                f"  {s['valid_rows_count']:,} balance rows from {s['input_rows']:,} rows of"
                f" {s['source']['dataset']} version {s['source']['version']}"
            )
        else:
            counts = (
                f"  {s['input_rows']:,} input rows = {s['valid_rows_count']:,} valid +"
                f" {s['quarantined_rows_count']:,} quarantined + {s['condemned_rows_count']:,}"
                " condemned"
            )
        out += [
            "",
            "Metrics:",
            counts,
            f"  quarantine rate {s['quarantine_rate'] * 100:.2f}%, duplicates"
            f" {s['duplicate_detection_rate'] * 100:.2f}%, auto-condemned"
            f" {s['auto_condemnation_rate'] * 100:.2f}%, avg attempt"
            f" {s['avg_attempt_count']:.2f}",
            f"  {s['run_type']} run over {s['input_window']['from']}..{s['input_window']['to']},"
            f" code {s['code_version']}, ended {s['ended_at']}",
        ]
        if s["error_type_distribution"]:
            out += ["", "Errors:"] + [
                f"  {t:<20} {n:>7,}" for t, n in s["error_type_distribution"].items()
            ]
    if data["diff"]:
        current = data["published_version"]
        out += [
            "",
            f"Change against published version {current or '(none)'}:",
            f"  {'partition':<20} {'rows now':>10} {'rows after':>11}  change",
        ]
        out += [
            f"  {d['partition']:<20} {d['rows_now']:>10,} {d['rows_after']:>11,}  {d['change']}"
            for d in data["diff"]
        ]
    if data["sample"]:
        out += ["", f"Quarantined rows (first {len(data['sample'])}):"]
        out += [
            f"  {r['source_file']}:{r['source_line']}  {r['error_type']}: {r['error_message']}"
            for r in data["sample"]
        ]
    return "\n".join(out)


# HTML ---------------------------------------------------------------------------------
def _bars(items: list[tuple[str, float]], unit: str, color: str, limit: float | None = None) -> str:
    """A horizontal bar chart as inline SVG."""
    if not items:
        return "<p class='none'>nothing to show</p>"
    top = max([v for _, v in items] + ([limit] if limit else []) + [1e-9])
    row_h, label_w, bar_w = 24, 210, 380
    height = row_h * len(items) + 10
    parts = [f"<svg role='img' width='{label_w + bar_w + 110}' height='{height}'>"]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row_h
        width = max(1.0, bar_w * value / top)
        parts.append(
            f"<text x='{label_w - 8}' y='{y + 16}' text-anchor='end'>{html.escape(label)}</text>"
        )
        parts.append(
            f"<rect x='{label_w}' y='{y + 3}' width='{width:.1f}' height='{row_h - 8}'"
            f" fill='{color}'/>"
        )
        parts.append(
            f"<text x='{label_w + width + 6:.1f}' y='{y + 16}'>"
            f"{html.escape(unit.format(value))}</text>"
        )
    if limit:
        x = label_w + bar_w * limit / top
        parts.append(
            f"<line x1='{x:.1f}' x2='{x:.1f}' y1='0' y2='{height}' stroke='#b00'"
            " stroke-dasharray='4 3'/>"
        )
    parts.append("</svg>")
    return "".join(parts)


def review_html(data: dict) -> str:
    s = data["summary"] or data["halt"] or {}
    esc = html.escape
    checks = "".join(
        f"<tr class='{'pass' if c['passed'] else 'fail'}'><td>{'pass' if c['passed'] else 'FAIL'}"
        f"</td><td>{esc(c['name'])}</td><td>{esc(c['detail'])}</td></tr>"
        for c in data["gate"]["checks"]
    )
    errors = _bars(list((s.get("error_type_distribution") or {}).items()), "{:,.0f}", "#d9822b")
    partitions = _bars(
        [(f"{d['partition']} now", d["rows_now"]) for d in data["diff"]]
        + [(f"{d['partition']} after", d["rows_after"]) for d in data["diff"]],
        "{:,.0f}",
        "#2b7bd9",
    )
    rates = _bars(
        [(r["run_id"], r["quarantine_rate"] * 100) for r in data["recent"]],
        "{:.2f}%",
        "#6a4bc4",
        limit=data["max_quarantine_rate"] * 100,
    )
    sample = "".join(
        "<tr>" + "".join(f"<td>{esc(str(r.get(c, '')))}</td>" for c in SAMPLE_COLUMNS) + "</tr>"
        for r in data["sample"]
    )
    verdict = "PROMOTABLE" if data["gate"]["passed"] else "NOT PROMOTABLE"

    def shown(value) -> str:
        if isinstance(value, dict) and set(value) == {"from", "to"}:
            return f"{value['from']}..{value['to']}"
        return "-" if value is None else str(value)

    metrics = "".join(
        f"<tr><td>{esc(k)}</td><td>{esc(shown(s.get(k)))}</td></tr>"
        for k in (*KEY_METRICS, *RATES)
        if k in s
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Lakegate review {esc(data["run_id"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; background: #fff; }}
h1 {{ font-size: 1.5em; }} h2 {{ font-size: 1.15em; margin-top: 1.6em; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #ccc; padding: 3px 8px; }}
tr.fail td {{ background: #fde2e2; }} tr.pass td:first-child {{ color: #17803d; }}
.verdict {{ font-weight: bold; padding: 4px 10px; display: inline-block;
  background: {"#dff3e4" if data["gate"]["passed"] else "#fde2e2"}; }}
svg text {{ font-size: 12px; }} .none {{ color: #777; }}
</style></head><body>
<h1>Review of run {esc(data["run_id"])} &mdash; {esc(data["dataset"])}</h1>
<p class="verdict">{verdict}</p>
<p>Published version now: {esc(str(data["published_version"] or "none"))}</p>
<h2>Gate</h2><table><tr><th>result</th><th>check</th><th>detail</th></tr>{checks}</table>
<h2>Metrics</h2><table>{metrics}</table>
<h2>Error distribution</h2>{errors}
<h2>Rows per partition, now and after promotion</h2>{partitions}
<h2>Quarantine rate of recent runs (dashed line: gate limit)</h2>{rates}
<h2>Quarantined rows (sample)</h2>
<table><tr>{"".join(f"<th>{c}</th>" for c in SAMPLE_COLUMNS)}</tr>{sample}</table>
</body></html>
"""
