"""`lakegate`: the one command line for every verb (SPEC §11).

Errors are one line on stderr. Exit codes: 0 ok, 1 failed, 2 bad arguments,
3 refused, 4 conflict (retry).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NoReturn

from lakegate import __version__, layout
from lakegate.config import GOLD_DATASET, dataset_config
from lakegate.datasets import DATASETS, dataset
from lakegate.errors import BadArgument, LakegateError
from lakegate.ids import RUN_TYPES, Month, MonthWindow, new_run_id, validate_run_id
from lakegate.storage import Lake

EXIT_OK, EXIT_FAILED, EXIT_BAD_ARGS = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments in one line with exit code 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("lakegate").strip()
        raise BadArgument(f"{command}: {message}" if command else message)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset",
        default="transactions",
        choices=sorted(DATASETS),
        help="a dataset of lakegate/datasets.json (default transactions)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--lake",
        default=os.environ.get("LAKEGATE_LAKE", "lake"),
        help="local lake folder (default ./lake, or $LAKEGATE_LAKE)",
    )
    where.add_argument(
        "--env", choices=("dev", "sit", "prod"), help="use the AWS environment's buckets"
    )


def open_lake(args: argparse.Namespace) -> Lake:
    if getattr(args, "env", None):
        from lakegate.aws import environment_lake

        return environment_lake(args.env)
    return Lake.local(Path(args.lake))


def lake_label(args: argparse.Namespace) -> str:
    return f"--env {args.env}" if getattr(args, "env", None) else f"--lake {args.lake}"


# ingest -------------------------------------------------------------------------------
def _ingested(args: argparse.Namespace) -> str:
    """The --dataset of a command that ingests bronze: a silver dataset, not a gold one."""
    if not DATASETS[args.dataset].ingested:
        ingested = ", ".join(sorted(n for n, d in DATASETS.items() if d.ingested))
        raise BadArgument(
            f"{args.dataset} is built by lakegate gold from {DATASETS[args.dataset].source},"
            f" not ingested from bronze: --dataset takes one of {ingested} here"
        )
    return args.dataset


def _window(args: argparse.Namespace) -> MonthWindow:
    first = Month.parse(args.year, args.month)
    if (args.to_year is None) != (args.to_month is None):
        raise BadArgument("give both --to-year and --to-month, or neither")
    last = Month.parse(args.to_year, args.to_month) if args.to_year is not None else first
    return MonthWindow(first, last)


def cmd_ingest(args: argparse.Namespace) -> int:
    from lakegate_cli.javacheck import ensure_java17

    config = dataset_config(
        _ingested(args),
        breaker_threshold=args.breaker_threshold,
        max_quarantine_rate=args.max_quarantine_rate,
        lookback_months=args.lookback_months,
        schema_v=getattr(args, "schema_v", None),
    )
    window = _window(args)
    from datetime import UTC, datetime

    run_id = (
        validate_run_id(args.run_id)
        if args.run_id
        else new_run_id(datetime.now(UTC), args.run_type)
    )
    if args.env:
        raise BadArgument(
            "ingest runs locally; on AWS start the state machine (make backfill ENV=...)"
        )
    lake = open_lake(args)
    from glue_jobs.job import IngestRequest, prepare, run_ingest
    from glue_jobs.session import local_session

    request = IngestRequest(
        config=config,
        window=window,
        run_id=run_id,
        run_type=args.run_type,
        code_version=os.environ.get("LAKEGATE_CODE_VERSION", __version__),
        input_files=tuple(args.input_file or ()),
    )
    files = prepare(lake, request)
    ensure_java17()
    spark = local_session("lakegate-ingest")
    summary = run_ingest(spark, lake, request, files=files)
    if args.json:
        print(summary.to_json().decode(), end="")
        return EXIT_OK
    from lakegate_cli.report import run_summary_text

    success = lake["silver"].uri(layout.success_key(config.name, config.schema_v, run_id))
    where = lake_label(args)
    steps = [
        f"lakegate review {run_id} {where}",
        f"make promote RUN_ID={run_id} APPROVER=<your name> REASON=<why>",
    ]
    print(run_summary_text(summary, success, steps))
    return EXIT_OK


def cmd_gold(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from glue_jobs.gold_job import GoldRequest, run_gold
    from glue_jobs.session import local_session
    from lakegate_cli.javacheck import ensure_java17
    from lakegate_cli.report import gold_summary_text

    _ingested(args)
    if args.env:
        return _gold_on_aws(args)
    request = GoldRequest(
        run_id=(
            validate_run_id(args.run_id)
            if args.run_id
            else new_run_id(datetime.now(UTC), "scheduled")
        ),
        source=args.dataset,
        code_version=os.environ.get("LAKEGATE_CODE_VERSION", __version__),
    )
    lake = open_lake(args)
    ensure_java17()
    summary = run_gold(local_session("lakegate-gold"), lake, request)
    if args.json:
        print(summary.to_json().decode(), end="")
        return EXIT_OK
    where = lake_label(args)
    print(gold_summary_text(summary))
    print(
        f"Next: lakegate review {request.run_id} --dataset {GOLD_DATASET} {where}\n"
        f"      lakegate promote {request.run_id} --dataset {GOLD_DATASET} {where}"
        " --approver <your name> --reason <why>"
    )
    return EXIT_OK


def _gold_on_aws(args: argparse.Namespace) -> int:
    """Start the gold Glue job of the dataset (<prefix>-<env>-<dataset>-gold) for a new run;
    with --wait, follow it to the end."""
    import time
    from datetime import UTC, datetime

    import boto3

    from lakegate.aws import gold_job_name

    run_id = (
        validate_run_id(args.run_id) if args.run_id else new_run_id(datetime.now(UTC), "scheduled")
    )
    glue, job = boto3.client("glue"), gold_job_name(args.env, args.dataset)
    job_run = glue.start_job_run(
        JobName=job, Arguments={"--run_id": run_id, "--dataset": args.dataset}
    )["JobRunId"]
    print(
        f"Started gold run {run_id} of {args.dataset} on {args.env}: Glue job {job}, run {job_run}"
    )
    if not args.wait:
        print(f"Next: lakegate review {run_id} --dataset {GOLD_DATASET} --env {args.env}"
              "  (when the job run succeeds)")  # fmt: skip
        return EXIT_OK
    while True:
        described = glue.get_job_run(JobName=job, RunId=job_run)["JobRun"]
        if described["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING", "WAITING"):
            break
        time.sleep(args.poll_seconds)
    print(f"  state:     {described['JobRunState']}")
    if described["JobRunState"] != "SUCCEEDED":
        raise LakegateError(f"gold run {run_id} ended {described['JobRunState']}:"
                            f" {described.get('ErrorMessage', 'no error message')}")  # fmt: skip
    print(f"Next: lakegate review {run_id} --dataset {GOLD_DATASET} --env {args.env}")
    return EXIT_OK


def _ingest_locally(
    args: argparse.Namespace,
    window: MonthWindow,
    run_type: str,
    run_id: str,
    input_files: list[str] | None = None,
) -> int:
    """`lakegate ingest` for a window, as the backfill and retry commands run it locally
    (the dataset's own thresholds, a summary rather than JSON)."""
    return cmd_ingest(
        argparse.Namespace(
            **{
                **vars(args),
                "year": window.first.year,
                "month": window.first.month,
                "to_year": window.last.year,
                "to_month": window.last.month,
                "run_type": run_type,
                "run_id": run_id,
                "input_file": input_files,
                "breaker_threshold": None,
                "max_quarantine_rate": None,
                "lookback_months": None,
                "json": False,
            }
        )
    )


def cmd_quarantine_export(args: argparse.Namespace) -> int:
    from lakegate.corrections import export_quarantine

    paths = export_quarantine(open_lake(args), args.dataset, args.run_id, Path(args.out))
    for path in paths:
        print(f"  {path}  (what was wrong: {path.with_suffix('.errors.csv').name})")
    print(
        "Correct the rows in place (keep the header and the file name), then:\n"
        f"  lakegate quarantine retry {' '.join(str(p) for p in paths)} {lake_label(args)}"
    )
    return EXIT_OK


def cmd_quarantine_retry(args: argparse.Namespace) -> int:
    """File corrected CSVs in their bronze months and ingest them as a retry run."""
    from datetime import UTC, datetime

    from lakegate.corrections import file_corrections

    now = datetime.now(UTC)
    _ingested(args)
    month = Month.parse(args.year, args.month) if args.year or args.month else None
    lake = open_lake(args)
    filed = file_corrections(lake, args.dataset, [Path(f) for f in args.files], now, month)
    for key in filed.keys:
        print(f"Filed {lake['bronze'].uri(key)}")
    if not args.env:
        window = filed.window
        run_id = validate_run_id(args.run_id) if args.run_id else new_run_id(now, "retry")
        return _ingest_locally(
            args,
            window,
            "retry",
            run_id,
            input_files=list(filed.keys),
        )
    import boto3

    from lakegate.aws import console_link, find_state_machine

    sfn = boto3.client("stepfunctions")
    machine = find_state_machine(sfn, args.env, args.dataset)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for month in filed.window.months():
        keys = [
            k for k in filed.keys if k.startswith(layout.bronze_month_prefix(args.dataset, month))
        ]
        if not keys:
            continue
        run_id = f"{stamp}-{month.year:04d}{month.month:02d}_RETRY"
        execution = sfn.start_execution(
            stateMachineArn=machine,
            name=run_id,
            input=json.dumps(
                {
                    "run_type": "retry",
                    "year": f"{month.year:04d}",
                    "month": f"{month.month:02d}",
                    "input_files": ",".join(keys),
                    "dataset": args.dataset,
                }
            ),
        )["executionArn"]
        print(f"Started retry {run_id} on {args.env}: {console_link(execution)}")
    return EXIT_OK


def cmd_backfill(args: argparse.Namespace) -> int:
    """One month again as a new run: locally through the job, on AWS through the state
    machine (the execution name is the run id)."""
    from datetime import UTC, datetime

    _ingested(args)
    month = Month.parse(args.year, args.month)
    run_id = (
        validate_run_id(args.run_id) if args.run_id else new_run_id(datetime.now(UTC), "backfill")
    )
    if not args.env:
        return _ingest_locally(args, MonthWindow(month, month), "backfill", run_id)
    import time

    import boto3

    from lakegate.aws import console_link, find_state_machine

    sfn = boto3.client("stepfunctions")
    execution = sfn.start_execution(
        stateMachineArn=find_state_machine(sfn, args.env, args.dataset),
        name=run_id,
        input=json.dumps(
            {
                "run_type": "backfill",
                "year": f"{month.year:04d}",
                "month": f"{month.month:02d}",
                "dataset": args.dataset,
            }
        ),
    )["executionArn"]
    print(f"Started backfill {run_id} of {args.dataset} {month.label} on {args.env}")
    print(f"  execution: {execution}")
    print(f"  console:   {console_link(execution)}")
    if not args.wait:
        print(f"Next: lakegate review {run_id} --env {args.env}  (when the execution succeeds)")
        return EXIT_OK
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            break
        time.sleep(args.poll_seconds)
    print(f"  status:    {described['status']}")
    if described["status"] != "SUCCEEDED":
        raise LakegateError(
            f"backfill {run_id} ended {described['status']}:"
            f" {described.get('error', '')} {described.get('cause', '')}".strip()
        )
    print(f"Next: lakegate review {run_id} --env {args.env}")
    return EXIT_OK


# promotion ----------------------------------------------------------------------------
def _promoter(args: argparse.Namespace):
    from promotion.identity import local_caller
    from promotion.publisher import Promoter

    lake = open_lake(args)
    catalog = None
    if getattr(args, "env", None):
        import boto3

        from lakegate.aws import glue_database
        from promotion.catalog import GlueCatalog
        from promotion.identity import aws_caller

        def caller() -> str:
            return aws_caller(boto3.client("sts"))

        # The environment's published table `<dataset>` (Terraform makes it).
        catalog = GlueCatalog(boto3.client("glue"), glue_database(args.env), args.dataset)
    else:
        caller = local_caller
    config = dataset_config(args.dataset)
    return Promoter(lake, config, caller, bucket=config.bucket, catalog=catalog)


def _print_latest(promoter) -> None:
    print(promoter.store.read_text(layout.latest_key(promoter.dataset)), end="")


def cmd_runs(args: argparse.Namespace) -> int:
    from promotion.review import runs_text

    print(runs_text(_promoter(args)))
    return EXIT_OK


def cmd_review(args: argparse.Namespace) -> int:
    from promotion.review import review_data, review_html, review_text

    promoter = _promoter(args)
    lake_dir = None if getattr(args, "env", None) else str(args.lake)
    data = review_data(promoter, validate_run_id(args.run_id), lake_dir, args.env)
    if (
        data["summary"] is None
        and data["halt"] is None
        and not any(ref.run_id == args.run_id for ref in promoter._run_refs())
    ):
        raise BadArgument(f"run {args.run_id} does not exist for {args.dataset}")
    if args.json:
        # The run summary and the halt record are typed mappings: printed as objects.
        print(
            json.dumps(
                data, indent=2, default=lambda o: dict(o) if isinstance(o, Mapping) else str(o)
            )
        )
    else:
        print(review_text(data))
    if args.html:
        Path(args.html).write_text(review_html(data), encoding="utf-8")
        print(f"\nReview page: {Path(args.html).resolve()}")
    return EXIT_OK


def _approvals(args: argparse.Namespace):
    """The approvers an approval system recorded (--approvals), or None for --approver."""
    if args.approvals is None:
        if not args.approver:
            raise BadArgument("give --approver NAME, or --approvals FILE with --requested-by")
        return None
    if not args.requested_by or not getattr(args, "env", None):
        raise BadArgument("--approvals needs --requested-by and --env")
    from promotion.approvals import read_github

    return read_github(Path(args.approvals), f"promote-{args.env}", args.requested_by)


def cmd_promote(args: argparse.Namespace) -> int:
    promoter = _promoter(args)
    approvals = _approvals(args)
    version = promoter.promote(validate_run_id(args.run_id), args.approver, args.reason, approvals)
    print(
        f"Published {args.dataset} version {version.version}: run {args.run_id} approved by"
        f" {version.approved_by} ({version.reason})"
    )
    print(f"{layout.latest_key(args.dataset)}:")
    _print_latest(promoter)
    return EXIT_OK


def cmd_reject(args: argparse.Namespace) -> int:
    approvals = _approvals(args)
    key = _promoter(args).reject(
        validate_run_id(args.run_id), args.approver, args.reason, approvals
    )
    print(f"Rejected run {args.run_id}; recorded as {key}")
    return EXIT_OK


def cmd_rollback(args: argparse.Namespace) -> int:
    promoter = _promoter(args)
    version = promoter.rollback(args.approver, args.reason, args.to)
    print(
        f"Published {args.dataset} version {version.version}: the content of version"
        f" {version.rollback_to}, approved by {version.approved_by} ({version.reason})"
    )
    _print_latest(promoter)
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from promotion.audit_view import audit_entries, audit_html, audit_text, parse_moment

    since = parse_moment(args.since, "--since")
    until = parse_moment(args.until, "--until")
    entries = audit_entries(_promoter(args), since, until)
    if args.json:
        print(json.dumps(entries, indent=2))
    else:
        print(audit_text(args.dataset, entries, since, until))
    if args.html:
        Path(args.html).write_text(audit_html(args.dataset, entries, since, until), "utf-8")
        print(f"\nAudit page: {Path(args.html).resolve()}")
    return EXIT_OK


def cmd_sync_current(args: argparse.Namespace) -> int:
    version = _promoter(args).sync_current()
    print(f"current/ serves version {version}" if version else "nothing is published yet")
    return EXIT_OK


def cmd_purge(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from promotion.purge import past_retention, purge_condemned

    if args.list:
        past = past_retention(open_lake(args), args.dataset, datetime.now(UTC), args.older_than)
        for item in past:
            print(f"{item.modified:%Y-%m-%d}  {item.size:>12,}  {item.key}")
        print(
            f"{len(past)} condemned objects ({sum(o.size for o in past):,} bytes) written more"
            f" than {args.older_than} days ago; nothing deleted"
        )
        return EXIT_OK
    if not args.approver or not args.reason:
        raise BadArgument("purge-condemned: --approver and --reason are required (or --list)")
    promoter = _promoter(args)
    result = purge_condemned(
        promoter.lake,
        args.dataset,
        args.approver,
        args.reason,
        promoter.caller(),
        datetime.now(UTC),
        args.older_than,
    )
    print(
        f"Deleted {result['deleted']} condemned objects ({result['bytes']:,} bytes);"
        f" recorded as {result['audit_event']}"
    )
    return EXIT_OK


def cmd_condemned_list(args: argparse.Namespace) -> int:
    from promotion.release import condemned_listing

    rows = condemned_listing(open_lake(args), args.dataset)
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not rows:
        print(f"No condemned rows in {args.dataset}.")
        return EXIT_OK
    label = dataset(args.dataset).key_label
    print(f"{label:<24} {'run':<32} {'reason':<16} {'attempt':>7}  re-submission")
    for r in rows:
        state = "locked" if r["locked"] else ("released" if r["released_at"] else "judged as usual")
        print(
            f"{r['transaction_id']:<24} {r['run_id']:<32} {r['condemned_reason']:<16}"
            f" {r['attempt_count']:>7}  {state}"
        )
    locked = sorted({r["transaction_id"] for r in rows if r["locked"]})
    if locked:
        named = " ".join(shlex.quote(k) for k in locked[:3]) + (" …" if len(locked) > 3 else "")
        print(
            f"{len(locked)} key(s) locked; to allow a re-submission:\n"
            f"  lakegate condemned release {named}"
            f" --approver NAME --reason TEXT {lake_label(args)}"
        )
    return EXIT_OK


def cmd_condemned_release(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from promotion.release import release_condemned

    promoter = _promoter(args)
    key, release = release_condemned(
        promoter.lake,
        args.dataset,
        args.transaction_ids,
        args.approver,
        args.reason,
        promoter.caller(),
        datetime.now(UTC),
    )
    print(
        f"Released {len(release.transaction_ids)} condemned key(s) of {args.dataset} for"
        f" re-submission; recorded as {key}. The next run judges their rows as usual."
    )
    return EXIT_OK


def _decision(parser: argparse.ArgumentParser, approvals: bool = False) -> None:
    parser.add_argument("--approver", required=not approvals, help="the person deciding (recorded)")
    parser.add_argument("--reason", required=True, help="why (recorded)")
    if approvals:
        parser.add_argument(
            "--approvals",
            metavar="FILE",
            help="instead of --approver: GitHub's approvals of this workflow run (JSON of"
            " GET /repos/{repo}/actions/runs/{id}/approvals); the reviewers of environment"
            " promote-<env> who approved are recorded, and the requester may not be the"
            " only one",
        )
        parser.add_argument("--requested-by", help="with --approvals: who asked (recorded)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="lakegate",
        description="History-safe ingestion and promotion of transaction data.",
        epilog="Exit codes: 0 ok, 1 failed, 2 bad arguments, 3 refused, 4 conflict (retry).",
    )
    parser.add_argument("--version", action="version", version=f"lakegate {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    ingest = sub.add_parser(
        "ingest",
        help="run the ingestion job locally for a month or a range of months",
        description="Validate bronze CSVs, write silver, quarantine and condemned rows for a new"
        " run, and _SUCCESS last. Exit 0 only when _SUCCESS was written.",
    )
    _add_common(ingest)
    ingest.add_argument("--year", required=True, help="first month's year, e.g. 2024")
    ingest.add_argument("--month", required=True, help="first month, 1-12")
    ingest.add_argument("--to-year", help="last month's year (default: --year)")
    ingest.add_argument("--to-month", help="last month (default: --month)")
    ingest.add_argument("--run-id", help="run id (default: generated from the UTC time)")
    ingest.add_argument("--run-type", default="scheduled", choices=RUN_TYPES)
    ingest.add_argument(
        "--input-file",
        action="append",
        metavar="KEY",
        help="retry runs: a bronze key to read (repeatable)",
    )
    ingest.add_argument(
        "--breaker-threshold", type=int, help="override the circuit breaker threshold"
    )
    ingest.add_argument(
        "--max-quarantine-rate", type=float, help="override the gate's quarantine rate"
    )
    ingest.add_argument("--lookback-months", type=int, help="override the duplicate look-back")
    ingest.add_argument(
        "--schema-v",
        help="schema version the run writes (default: the dataset's, v1); older headers are"
        " read with the added columns null",
    )
    ingest.add_argument("--json", action="store_true", help="print the run summary as JSON")
    ingest.set_defaults(handler=cmd_ingest)

    gold_parser = sub.add_parser(
        "gold",
        help="build month-end balances from published silver",
        description="Read the version of --dataset published in silver and write month-end"
        " balances per account and currency to gold as a new run, _SUCCESS last. Locally"
        " (--lake) in this process; with --env by starting the Glue job"
        " <prefix>-<env>-<dataset>-gold.",
    )
    _add_common(gold_parser)
    gold_parser.add_argument("--run-id", help="run id (default: generated from the UTC time)")
    gold_parser.add_argument("--wait", action="store_true", help="with --env: wait for the end")
    gold_parser.add_argument("--poll-seconds", type=float, default=15.0, help=argparse.SUPPRESS)
    gold_parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    gold_parser.set_defaults(handler=cmd_gold)

    quarantine = sub.add_parser(
        "quarantine",
        help="export a run's quarantined rows for correction, and retry corrected files",
        description="The correction loop: export, correct, retry (SPEC §4).",
    )
    actions = quarantine.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    actions.required = True
    export = actions.add_parser(
        "export",
        help="write a run's quarantined rows as CSV, one file per bronze month",
        description="Write <run_id>-<YYYY>-<MM>.csv (bronze columns; malformed lines as"
        " received) and .errors.csv (what was wrong with each line) per bronze month.",
    )
    _add_common(export)
    export.add_argument("run_id", help="the run whose quarantined rows to export")
    export.add_argument("--out", default="corrections", help="folder (default ./corrections)")
    export.set_defaults(handler=cmd_quarantine_export)
    retry = actions.add_parser(
        "retry",
        help="file corrected CSVs in bronze and ingest them as a retry run",
        description="Each file goes into its bronze month (from its exported name"
        " …-YYYY-MM.csv, or --year/--month) as retry-<stamp>-<name>. Locally a retry run"
        " ingests them; with --env one execution per month is started.",
    )
    _add_common(retry)
    retry.add_argument("files", nargs="+", metavar="FILE", help="corrected CSV files")
    retry.add_argument("--year", help="bronze month's year, when the name does not say")
    retry.add_argument("--month", help="bronze month, when the name does not say")
    retry.add_argument("--run-id", help="run id (default: <UTC time>_RETRY)")
    retry.set_defaults(handler=cmd_quarantine_retry)

    backfill = sub.add_parser(
        "backfill",
        help="ingest one month again as a new _BACKFILL run",
        description="Locally (--lake): runs the job for the month and prints the summary."
        " With --env: starts the state machine with {run_type: backfill, year, month}, prints"
        " the execution ARN and console link, and with --wait follows it to the end.",
    )
    _add_common(backfill)
    backfill.add_argument("--year", required=True, help="e.g. 2024")
    backfill.add_argument("--month", required=True, help="1-12")
    backfill.add_argument("--run-id", help="run id (default: <UTC time>_BACKFILL)")
    backfill.add_argument("--wait", action="store_true", help="with --env: wait for the end")
    backfill.add_argument("--poll-seconds", type=float, default=15.0, help=argparse.SUPPRESS)
    backfill.set_defaults(handler=cmd_backfill)

    sync = sub.add_parser(
        "sync-current",
        help="re-derive current/ (and the catalog) from _LATEST.json",
        description="Repairs current/ after an interrupted publication; safe at any time.",
    )
    _add_common(sync)
    sync.set_defaults(handler=cmd_sync_current)

    runs = sub.add_parser(
        "runs",
        help="list runs with their status and what is published",
        description="Every run of the dataset (serving, promoted, ready,"
        " blocked, rejected, halted, failed/partial) with key metrics, and"
        " which runs each published partition comes from.",
    )
    _add_common(runs)
    runs.set_defaults(handler=cmd_runs)

    review = sub.add_parser(
        "review",
        help="what an approver needs before deciding on a run",
        description="Gate result check by check, metrics, errors, the change"
        " against what is published, and a sample of quarantined rows.",
    )
    review.add_argument("run_id", metavar="RUN_ID")
    _add_common(review)
    review.add_argument("--html", metavar="FILE", help="also write a self-contained review page")
    review.add_argument("--json", action="store_true", help="print the review as JSON")
    review.set_defaults(handler=cmd_review)

    promote = sub.add_parser(
        "promote",
        help="publish a run that passes the gate",
        description="Refuses (exit 3) unless the gate passes; records the"
        " approval in the audit log; publishes by compare-and-swap of"
        " _LATEST.json (exit 4 when another promotion won: run it again).",
    )
    promote.add_argument("run_id", metavar="RUN_ID")
    _add_common(promote)
    _decision(promote, approvals=True)
    promote.set_defaults(handler=cmd_promote)

    reject = sub.add_parser(
        "reject",
        help="record that a run must not be published",
        description="Records the rejection; a rejected run is refused by promote.",
    )
    reject.add_argument("run_id", metavar="RUN_ID")
    _add_common(reject)
    _decision(reject, approvals=True)
    reject.set_defaults(handler=cmd_reject)

    rollback = sub.add_parser(
        "rollback",
        help="publish an earlier version's content again",
        description="Publishes the previous version's content (or"
        " --to VERSION) as a new version; the version number only grows.",
    )
    _add_common(rollback)
    rollback.add_argument("--to", type=int, metavar="VERSION", help="version to go back to")
    _decision(rollback)
    rollback.set_defaults(handler=cmd_rollback)

    audit = sub.add_parser(
        "audit",
        help="print the audit log",
        description="Every promotion, refusal, rejection, rollback and purge,"
        " newest first, with who decided, when, why, the run and its metrics then, and"
        " the version it produced.",
    )
    _add_common(audit)
    audit.add_argument("--json", action="store_true", help="print the events as JSON")
    audit.add_argument("--html", metavar="FILE", help="also write a self-contained audit page")
    audit.add_argument(
        "--since", metavar="TIME", help="only events at or after this date or ISO-8601 time (UTC)"
    )
    audit.add_argument("--until", metavar="TIME", help="only events before this date or time")
    audit.set_defaults(handler=cmd_audit)

    purge = sub.add_parser(
        "purge-condemned",
        help="delete condemned rows, with a recorded approval",
        description="Deletes condemned data written more than"
        " --older-than days ago (default 0: all) after recording who, why and"
        " every key in the audit log; --list shows what that is, deleting nothing.",
    )
    _add_common(purge)
    purge.add_argument("--approver", help="the person deciding (recorded; required to delete)")
    purge.add_argument("--reason", help="why (recorded; required to delete)")
    purge.add_argument("--older-than", type=int, default=0, metavar="DAYS")
    purge.add_argument(
        "--list", action="store_true", help="only list what is past --older-than; delete nothing"
    )
    purge.set_defaults(handler=cmd_purge)

    condemned = sub.add_parser(
        "condemned",
        help="list condemned rows, and release them for re-submission",
        description="A key (a transactions row's TransactionID) condemned after its attempts"
        " ran out stays condemned,"
        " whatever is re-submitted for it, until it is released (SPEC §4).",
    )
    verbs = condemned.add_subparsers(dest="action", metavar="ACTION", parser_class=_Parser)
    verbs.required = True
    listing = verbs.add_parser(
        "list",
        help="every condemned row, and whether a re-submission of its id is locked",
    )
    _add_common(listing)
    listing.add_argument("--json", action="store_true", help="print the rows as JSON")
    listing.set_defaults(handler=cmd_condemned_list)
    release = verbs.add_parser(
        "release",
        help="allow condemned keys to be re-submitted, with a recorded approval",
        description="Records who approved, why and which ids in the audit log (write-once);"
        " the next run judges re-submitted rows of these ids as usual. Refused for an id"
        " that is not condemned after its attempts.",
    )
    _add_common(release)
    release.add_argument(
        "transaction_ids",
        nargs="+",
        metavar="KEY",
        help="a TransactionID; for a key of several columns, their values joined by |",
    )
    _decision(release)
    release.set_defaults(handler=cmd_condemned_release)
    return parser


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def guarded(action: Callable[[], int]) -> int:
    """Run an entry point: errors become one line on stderr and an exit code."""
    try:
        return action()
    except LakegateError as error:
        print(f"lakegate: {_one_line(error)}", file=sys.stderr)
        return error.exit_code
    except BrokenPipeError:  # output piped into e.g. `head`: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("lakegate: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # the user sees one line; LAKEGATE_DEBUG=1 shows the traceback
        if os.environ.get("LAKEGATE_DEBUG"):
            raise
        print(
            f"lakegate: failed: {type(error).__name__}: {_one_line(error)}"
            " (LAKEGATE_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return EXIT_FAILED


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")

    def run() -> int:
        args = build_parser().parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)

    return guarded(run)


if __name__ == "__main__":
    sys.exit(main())
