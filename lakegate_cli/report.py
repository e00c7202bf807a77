"""Readable text for people: the run summary the command line prints."""

from __future__ import annotations

from collections.abc import Mapping


def _pct(rate: float) -> str:
    return f"{rate * 100:.2f}%"


def run_summary_text(summary: Mapping, success_uri: str | None, next_steps: list[str]) -> str:
    total = summary["input_rows"]
    lines = [
        f"Run {summary['run_id']}  ({summary['run_type']}, dataset {summary['dataset']},"
        f" schema {summary['schema_v']}, months {summary['input_window']['from']}"
        f"..{summary['input_window']['to']})",
        f"  {len(summary['input_files'])} input files, {total:,} rows in"
        f" {summary['duration_seconds']:.1f} s",
        "",
        "  outcome        rows      share",
    ]
    for label, key in (
        ("valid", "valid_rows_count"),
        ("quarantined", "quarantined_rows_count"),
        ("condemned", "condemned_rows_count"),
    ):
        rows = summary[key]
        lines.append(f"  {label:<12} {rows:>8,}  {_pct(rows / total if total else 0):>9}")
    lines.append(f"  {'total':<12} {total:>8,}")
    if summary["error_type_distribution"]:
        lines += ["", "  error type            rows"]
        lines += [f"  {t:<20} {n:>6,}" for t, n in summary["error_type_distribution"].items()]
    lines += [
        "",
        f"  quarantine rate {_pct(summary['quarantine_rate'])}, duplicates"
        f" {_pct(summary['duplicate_detection_rate'])}, auto-condemned"
        f" {_pct(summary['auto_condemnation_rate'])}, avg attempt"
        f" {summary['avg_attempt_count']:.2f}, breaker trips {summary['circuit_breaker_triggers']}",
    ]
    if summary.get("critical_errors"):
        critical = ", ".join(f"{t} {n}" for t, n in summary["critical_errors"].items())
        lines.append(f"  CRITICAL: {critical} (blocks promotion)")
    if summary["partitions"]:
        lines += ["", "  partition              rows  files"]
        lines += [
            f"  {p['partition']:<18} {p['rows']:>8,}  {len(p['files']):>5}"
            for p in summary["partitions"]
        ]
    lines.append("")
    if success_uri:
        lines.append(f"  _SUCCESS: {success_uri}")
    lines.append(f"  quarantine: {summary['quarantine_location']}")
    if next_steps:
        lines += ["", "Next:"] + [f"  {step}" for step in next_steps]
    return "\n".join(lines)


def gold_summary_text(summary: Mapping) -> str:
    """What a gold run computed, for the terminal."""
    source = summary["source"]
    window = summary["input_window"]
    lines = [
        f"Gold run {summary['run_id']}  (month-end balances, months {window['from']}"
        f"..{window['to']})",
        f"  from {source['dataset']} version {source['version']}: {summary['input_rows']:,}"
        f" published rows in {len(summary['source_files'])} files",
        f"  {summary['valid_rows_count']:,} balance rows in {summary['duration_seconds']} s",
        "",
        f"  {'partition':<20}{'accounts':>10}{'rows':>8}",
    ]
    accounts = summary.get("accounts_by_partition", {})
    for part in summary["partitions"]:
        lines.append(
            f"  {part['partition']:<20}{accounts.get(part['partition'], 0):>10,}{part['rows']:>8,}"
        )
    return "\n".join(lines)
