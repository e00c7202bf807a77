"""`make demo`: generate sample bronze data and run the pipeline end to end locally."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lakegate import __version__, alerts, layout, metrics
from lakegate.errors import CircuitBreakerTripped, LakegateError, Refused
from lakegate.ids import Month, MonthWindow, new_run_id
from lakegate.storage import Lake
from lakegate_cli.cli import guarded
from lakegate_cli.report import run_summary_text
from lakegate_cli.sample import generate

MARKER = ".lakegate-demo"
MONTHS = [Month(2024, 1), Month(2024, 2), Month(2024, 3), Month(2024, 4)]
ROWS_PER_MONTH = 6000
DEMO_APPROVER = "Demo Approver"


def indent(text: str) -> str:
    return "\n".join("  " + line if line else line for line in text.rstrip().splitlines())


def fresh_demo_lake(root: Path) -> Lake:
    """Start from an empty lake; only a folder the demo made itself is ever removed."""
    if root.exists() and any(root.iterdir()):
        if not (root / MARKER).exists():
            raise LakegateError(
                f"{root} exists and was not made by the demo: give another LAKE=... or remove it"
            )
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by make demo; removed by the next make demo\n")
    return Lake.local(root)


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 70 - len(title)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lakegate-demo", description=__doc__)
    parser.add_argument("--lake", default="lake", help="demo lake folder (default ./lake)")
    args = parser.parse_args(argv)
    return guarded(lambda: run_demo(Path(args.lake), args.lake))


def run_demo(root: Path, shown_lake: str) -> int:
    lake = fresh_demo_lake(root)
    section("1. Bronze: generated sample transactions")
    expected = generate(lake["bronze"], "transactions", MONTHS, ROWS_PER_MONTH, seed=2024)
    print(
        f"  {len(expected.files)} CSV files, {expected.input_rows:,} rows for"
        f" {MONTHS[0].label}..{MONTHS[-1].label} under {lake['bronze'].uri('transactions/')}"
    )
    print(
        "  injected on purpose: "
        + ", ".join(f"{t} {n}" for t, n in sorted(expected.by_error_type.items()))
    )

    section("2. Ingest: validate, quarantine, condemn, write silver, _SUCCESS last")
    from glue_jobs.job import IngestRequest, prepare, run_ingest
    from lakegate.config import dataset_config
    from lakegate.corrections import export_quarantine, file_corrections
    from lakegate.pointer import read_latest
    from lakegate_cli.javacheck import ensure_java17
    from promotion.audit_view import audit_entries, audit_html
    from promotion.identity import local_caller
    from promotion.publisher import Promoter
    from promotion.review import review_data, review_html, review_text, runs_text

    run_id = new_run_id(datetime.now(UTC), "scheduled")
    request = IngestRequest(
        dataset_config("transactions"),
        MonthWindow(MONTHS[0], MONTHS[-1]),
        run_id,
        "scheduled",
        code_version=__version__,
    )
    files = prepare(lake, request)
    ensure_java17()
    from glue_jobs.session import local_session

    # The runs' CloudWatch metrics, kept here to show which alarms they would raise.
    recorder = alerts.Recorder()
    demo_started = datetime.now(UTC)
    started = time.monotonic()
    spark = local_session("lakegate-demo")
    print(f"  Spark {spark.version} started in {time.monotonic() - started:.1f} s")
    summary = run_ingest(spark, lake, request, files=files, cloudwatch=recorder)
    success = lake["silver"].uri(layout.success_key("transactions", "v1", run_id))
    print(run_summary_text(summary, success, []))
    matches = (summary["valid_rows_count"], dict(summary["error_type_distribution"])) == (
        expected.valid,
        dict(expected.by_error_type),
    )
    print(f"\n  counts agree with what the generator injected: {'yes' if matches else 'NO'}")
    promoter = Promoter(lake, dataset_config("transactions"), local_caller)
    section("3. Review: what the approver sees")
    data = review_data(promoter, run_id, shown_lake)
    print(indent(review_text(data)))
    page = root / f"review-{run_id}.html"
    page.write_text(review_html(data), encoding="utf-8")
    print(f"\n  review page: {page.resolve()}")

    section("4. Promote: recorded approval, then _LATEST.json by compare-and-swap")
    version = promoter.promote(run_id, DEMO_APPROVER, "make demo: sample data looks right")
    print(f"  published version {version.version}, approved by {version.approved_by}")
    print(indent(lake["silver"].read_text(layout.latest_key("transactions"))))

    section("5. Gold: month-end balances from published silver, promoted the same way")
    gold = GoldStep(spark, lake)
    gold.build_and_promote("balances of the first load")

    section("6. Backfill: a late file for March, March ingested again as a new run")
    late = f"transactions/{MONTHS[2].partition}/late-arrivals.csv"
    lake["bronze"].write_bytes(late, LATE_MARCH.encode())
    print(
        f"  a late file arrived: {lake['bronze'].uri(late)} ({LATE_MARCH.count(chr(10)) - 1} rows)"
    )
    backfill = IngestRequest(
        dataset_config("transactions"),
        MonthWindow(MONTHS[2], MONTHS[2]),
        new_run_id(datetime.now(UTC), "backfill"),
        "backfill",
        code_version=__version__,
    )
    done = run_ingest(spark, lake, backfill, cloudwatch=recorder)
    print(
        f"  backfill {backfill.run_id}: {done['input_rows']:,} rows, {done['valid_rows_count']:,}"
        f" valid, {done['quarantined_rows_count']} quarantined"
    )
    page = root / f"review-{backfill.run_id}.html"
    page.write_text(review_html(review_data(promoter, backfill.run_id, shown_lake)), "utf-8")
    print(f"  its review (March now and after, totals per currency): {page.resolve()}")
    version = promoter.promote(backfill.run_id, DEMO_APPROVER, "make demo: March with late file")
    print(f"  promoted as version {version.version}: only March moves to the new run")
    gold.build_and_promote("balances after the March backfill")

    section("7. Corrections: quarantined rows exported, fixed by a reviewer, retried")
    exported = export_quarantine(lake, "transactions", run_id, root / "corrections")
    fixed = sum(correct_like_a_reviewer(path) for path in exported)
    print(
        f"  exported {len(exported)} files to {exported[0].parent}; the reviewer fixed"
        f" {fixed} rows (currency codes, amounts written with a thousands separator) and"
        " left the others out: they stay pending"
    )
    filed = file_corrections(lake, "transactions", exported, datetime.now(UTC))
    retry = IngestRequest(
        dataset_config("transactions"),
        filed.window,
        new_run_id(datetime.now(UTC), "retry"),
        "retry",
        code_version=__version__,
        input_files=filed.keys,
    )
    done = run_ingest(spark, lake, retry, cloudwatch=recorder)
    print(
        f"  retry {retry.run_id}: {done['valid_rows_count']} rows now valid,"
        f" {done['quarantined_rows_count']} back in quarantine (attempt_count 1),"
        f" {done['condemned_rows_count']} condemned"
    )
    version = promoter.promote(retry.run_id, DEMO_APPROVER, "make demo: corrected rows")
    print(f"  promoted as version {version.version}: the fixed rows are appended")
    print(indent(runs_text(promoter)))
    gold.build_and_promote("balances with the corrected rows")

    section("8. A failed run is never published")
    halted = IngestRequest(
        dataset_config("transactions", breaker_threshold=5),
        MonthWindow(MONTHS[-1], MONTHS[-1]),
        run_id + "_FORCED_HALT",
        "scheduled",
        code_version=__version__,
    )
    try:
        run_ingest(spark, lake, halted, cloudwatch=recorder)
    except CircuitBreakerTripped as tripped:
        print(f"  ingest with a breaker threshold of 5: {tripped}")
    try:
        promoter.promote(halted.run_id, DEMO_APPROVER, "try to publish a halted run")
    except Refused as refused:
        print(f"  promote: {refused} (exit code {refused.exit_code})")
    latest = read_latest(lake["silver"], "transactions")
    published = latest.version if latest else None
    print(f"  _LATEST.json still at version {published}")

    section("9. Metrics and the alarms these runs would raise")
    metrics_and_alarms(recorder, demo_started, summary)

    section("10. Where it ended: published versions and month-end balances")
    print(indent(versions_text(promoter)))
    print()
    print(indent(versions_text(gold.promoter)))
    print()
    print(indent(balances_table(lake, "2024", 1)))

    entries = audit_entries(promoter)
    page = root / "audit-transactions.html"
    page.write_text(audit_html("transactions", entries, None, None), encoding="utf-8")
    print(f"\n  audit page ({len(entries)} decisions on transactions): {page.resolve()}")

    section("Next")
    print(f"  lakegate runs --lake {shown_lake}                 every run and what is published")
    print(f"  lakegate audit --lake {shown_lake}                who promoted what, when, why")
    print(f"  make backfill YEAR=2024 MONTH=03 LAKE={shown_lake}   re-ingest one month")
    print("  sql/month_end_balances.sql                  the analysts' quarter query (Athena)")
    return 0 if matches and published == version.version else 1


# March transactions that arrive after the scheduled run (seen by the backfill).
LATE_MARCH = (
    "TransactionID,CustomerID,TransactionAmount,Currency,TransactionTimestamp\n"
    "LATE0001,C0001,250.00,EUR,2024-03-30 09:15:00\n"
    "LATE0002,C0002,-75.40,EUR,2024-03-30 11:00:00\n"
    "LATE0003,C0003,1200.00,USD,2024-03-31 23:59:59\n"
)


def correct_like_a_reviewer(path: Path) -> int:
    """What a reviewer would fix by hand: currency codes and amounts with a thousands
    separator. The file keeps only the corrected rows: the others are left out of this
    retry and stay pending in quarantine."""
    import csv
    import io

    from lakegate.config import DEFAULT_CURRENCIES

    errors = {int(e["line"]): e for e in csv.DictReader(path.with_suffix(".errors.csv").open())}
    lines = path.read_text().splitlines()
    header = next(csv.reader([lines[0]]))
    kept = [lines[0]]
    for number in range(2, len(lines) + 1):
        error = errors[number]
        if error["error_type"] not in ("CURRENCY_ERROR", "TYPE_ERROR"):
            continue
        values = dict(zip(header, next(csv.reader([lines[number - 1]])), strict=False))
        before = dict(values)
        if error["error_type"] == "CURRENCY_ERROR":
            code = values["Currency"].strip().upper()
            values["Currency"] = code if code in DEFAULT_CURRENCIES else "EUR"
        elif "," in values["TransactionAmount"]:
            values["TransactionAmount"] = values["TransactionAmount"].replace(",", "")
        if values != before:
            out = io.StringIO()
            csv.writer(out, lineterminator="").writerow([values[c] for c in header])
            kept.append(out.getvalue())
    path.write_text("\n".join(kept) + "\n")
    return len(kept) - 1


class GoldStep:
    """Build gold from what silver publishes, then promote it as the demo approver."""

    def __init__(self, spark, lake: Lake) -> None:
        from lakegate.config import dataset_config
        from promotion.identity import local_caller
        from promotion.publisher import Promoter

        self.spark, self.lake = spark, lake
        config = dataset_config("account_balances")
        self.promoter = Promoter(lake, config, local_caller, bucket=config.bucket)

    def build_and_promote(self, reason: str) -> None:
        from glue_jobs.gold_job import GoldRequest, run_gold
        from lakegate_cli.report import gold_summary_text

        run_id = new_run_id(datetime.now(UTC), "scheduled") + "_GOLD"
        summary = run_gold(self.spark, self.lake, GoldRequest(run_id, code_version=__version__))
        print(indent(gold_summary_text(summary)))
        version = self.promoter.promote(run_id, DEMO_APPROVER, f"make demo: {reason}")
        print(f"  gold promoted as account_balances version {version.version}")


def metrics_and_alarms(recorder, started: datetime, summary: Mapping) -> None:
    """The first run's CloudWatch metrics, then every alarm lakegate/alerts.json defines
    evaluated over what the demo's runs published (the state machine's own events, such
    as gate failures, are not part of a local run)."""
    definitions = alerts.load()
    runs = sum(1 for p in recorder.points if p.metric == "InputRows" and len(p.dimensions) == 2)
    shown = (
        *("InputRows", "QuarantineRate", "ValidationFailureRate", "AvgAttemptCount"),
        *("CircuitBreakerTriggers", "MissingPartitions", "DurationSeconds", "RowsPerSecond"),
    )
    values = {d["MetricName"]: d["Value"] for d in metrics.cloudwatch_metric_data(summary)}
    print(f"  {len(recorder.points)} datapoints published by {runs} runs; the first run's:")
    print("  " + ", ".join(f"{name} {values[name]:g}" for name in shown if name in values))
    sent = alerts.evaluate_all(
        definitions,
        recorder.points,
        started,
        datetime.now(UTC) + timedelta(hours=1),
        {"ingest": "transactions", "gold": "account_balances"},
        scheduled=False,
    )
    print(f"  alarms raised ({len(sent)} of {len(definitions.alarms)} defined):")
    for notification in sent:
        print("    " + alerts.notification_text(definitions, notification))
    print("  the alert table: docs/operations.md")


def versions_text(promoter) -> str:
    """The published versions of a dataset, newest first (from the version manifests)."""
    lines = [f"{promoter.dataset}: published versions (newest first)"]
    for _, version in promoter.history():
        months = sorted(version.partitions)
        lines.append(
            f"  v{version.version:<3} {version.action:<8} {version.run_id or '-':<30}"
            f" {version.run_type or '-':<10} {months[0][5:9]}-{months[0][-2:]}.."
            f"{months[-1][5:9]}-{months[-1][-2:]}  by {version.approved_by}"
        )
    return "\n".join(lines)


def balances_table(lake: Lake, year: str, quarter: int, limit: int = 12) -> str:
    """The analysts' query (sql/month_end_balances.sql) over the published gold files."""
    import duckdb

    from lakegate.pointer import published_files, read_latest

    latest = read_latest(lake["gold"], "account_balances")
    files = [
        lake["gold"].uri(key).removeprefix("file://")
        for key in published_files(lake["gold"], latest)
    ]
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    con = duckdb.connect()
    con.execute(
        f"CREATE VIEW account_balances AS SELECT * FROM read_parquet([{listed}],"
        " hive_partitioning = true, hive_types_autocast = false)"
    )
    rows = con.execute(SQL.read_text(), [year, quarter]).fetchall()
    con.close()
    lines = [
        f"Month-end balances, {year} Q{quarter} ({len(rows):,} rows; sql/month_end_balances.sql,"
        f" first {limit}):",
        f"  {'customer':<10}{'currency':<10}{'month':<9}{'balance':>14}{'movement':>14}{'txns':>6}",
    ]
    for customer, currency, y, m, balance, movement, count in rows[:limit]:
        lines.append(
            f"  {customer:<10}{currency:<10}{y}-{m:<4}{balance:>14,.2f}{movement:>14,.2f}{count:>6}"
        )
    return "\n".join(lines)


SQL = Path(__file__).resolve().parent.parent / "sql" / "month_end_balances.sql"


if __name__ == "__main__":
    sys.exit(main())
