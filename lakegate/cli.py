"""`lakegate`: the one command line for every verb (SPEC §11).

Errors are one line on stderr. Exit codes: 0 ok, 1 failed, 2 bad arguments,
3 refused, 4 conflict (retry).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from lakegate import __version__, layout
from lakegate.config import dataset_config
from lakegate.errors import BadArgument, LakegateError
from lakegate.ids import Month, MonthWindow, new_run_id, validate_run_id
from lakegate.storage import Lake

EXIT_OK, EXIT_FAILED, EXIT_BAD_ARGS = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments in one line with exit code 2."""

    def error(self, message: str) -> None:
        raise BadArgument(f"{self.prog}: {message}")


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", default="transactions", help="dataset name (default transactions)"
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
def _window(args: argparse.Namespace) -> MonthWindow:
    first = Month.parse(args.year, args.month)
    if (args.to_year is None) != (args.to_month is None):
        raise BadArgument("give both --to-year and --to-month, or neither")
    last = Month.parse(args.to_year, args.to_month) if args.to_year is not None else first
    return MonthWindow(first, last)


def cmd_ingest(args: argparse.Namespace) -> int:
    from lakegate.javacheck import ensure_java17

    config = dataset_config(
        args.dataset,
        breaker_threshold=args.breaker_threshold,
        max_quarantine_rate=args.max_quarantine_rate,
        lookback_months=args.lookback_months,
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
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    from lakegate.report import run_summary_text

    success = lake["silver"].uri(layout.success_key(config.name, config.schema_v, run_id))
    where = lake_label(args)
    steps = [
        f"lakegate review {run_id} {where}",
        f"make promote RUN_ID={run_id} APPROVER=<your name> REASON=<why>",
    ]
    print(run_summary_text(summary, success, steps))
    return EXIT_OK


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
    ingest.add_argument(
        "--run-type", default="scheduled", choices=("scheduled", "backfill", "retry")
    )
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
    ingest.add_argument("--json", action="store_true", help="print the run summary as JSON")
    ingest.set_defaults(handler=cmd_ingest)
    return parser


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)
    except LakegateError as error:
        print(f"lakegate: {_one_line(error)}", file=sys.stderr)
        return error.exit_code
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


if __name__ == "__main__":
    sys.exit(main())
