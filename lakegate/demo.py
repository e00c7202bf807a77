"""`make demo`: generate sample bronze data and run the pipeline end to end locally."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from lakegate import __version__, layout
from lakegate.cli import guarded
from lakegate.errors import CircuitBreakerTripped, LakegateError, Refused
from lakegate.ids import Month, MonthWindow, new_run_id
from lakegate.report import run_summary_text
from lakegate.sample import generate
from lakegate.storage import Lake

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
    from lakegate.javacheck import ensure_java17
    from lakegate.pointer import read_latest
    from promotion.identity import local_caller
    from promotion.publisher import Promoter
    from promotion.review import review_data, review_html, review_text

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

    started = time.monotonic()
    spark = local_session("lakegate-demo")
    print(f"  Spark {spark.version} started in {time.monotonic() - started:.1f} s")
    summary = run_ingest(spark, lake, request, files=files)
    success = lake["silver"].uri(layout.success_key("transactions", "v1", run_id))
    print(run_summary_text(summary, success, []))
    matches = (summary["valid_rows_count"], dict(summary["error_type_distribution"])) == (
        expected.valid,
        dict(expected.by_error_type),
    )
    print(f"\n  counts agree with what the generator injected: {'yes' if matches else 'NO'}")
    promoter = Promoter(lake, dataset_config("transactions"), local_caller)
    section("3. Review: what the approver sees")
    data = review_data(promoter, run_id)
    print(indent(review_text(data)))
    page = root / f"review-{run_id}.html"
    page.write_text(review_html(data), encoding="utf-8")
    print(f"\n  review page with charts: {page.resolve()}")

    section("4. Promote: recorded approval, then _LATEST.json by compare-and-swap")
    version = promoter.promote(run_id, DEMO_APPROVER, "make demo: sample data looks right")
    print(f"  published version {version.version}, approved by {version.approved_by}")
    print(indent(lake["silver"].read_text(layout.latest_key("transactions"))))

    section("5. A failed run is never published")
    halted = IngestRequest(
        dataset_config("transactions", breaker_threshold=5),
        MonthWindow(MONTHS[-1], MONTHS[-1]),
        run_id + "_FORCED_HALT",
        "scheduled",
        code_version=__version__,
    )
    try:
        run_ingest(spark, lake, halted)
    except CircuitBreakerTripped as tripped:
        print(f"  ingest with a breaker threshold of 5: {tripped}")
    try:
        promoter.promote(halted.run_id, DEMO_APPROVER, "try to publish a halted run")
    except Refused as refused:
        print(f"  promote: {refused} (exit code {refused.exit_code})")
    latest = read_latest(lake["silver"], "transactions")
    print(f"  _LATEST.json still at version {latest.version}")

    section("Next")
    print(f"  lakegate runs --lake {shown_lake}                 every run and what is published")
    print(f"  lakegate audit --lake {shown_lake}                who promoted what, when, why")
    print(f"  make backfill YEAR=2024 MONTH=03 LAKE={shown_lake}   re-ingest one month")
    return 0 if matches and latest.version == version.version else 1


if __name__ == "__main__":
    sys.exit(main())
