"""`make rehearse`: the AWS path end to end on this machine (docs/rehearsal.md)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from lakegate_cli.javacheck import ensure_java17
from rehearsal.account import Account
from rehearsal.jars import JarError
from rehearsal.roles import Place
from rehearsal.story import RehearsalError, Story


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rehearsal", description=__doc__)
    parser.add_argument("--work", type=Path, help="folder for job logs and corrections")
    parser.add_argument("--facts", type=Path, help="write what the story measured as JSON")
    args = parser.parse_args(argv)
    ensure_java17()
    work = args.work or Path(tempfile.mkdtemp(prefix="lakegate-rehearsal-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        account = Account(Place(), work).start()
    except JarError as error:
        print(f"rehearsal: {error}", file=sys.stderr)
        return 1
    try:
        facts = Story(account, out=lambda line: print(line, flush=True), work=work).tell()
    except RehearsalError as error:
        print(f"rehearsal: FAILED: {error}", file=sys.stderr)
        print(f"rehearsal: job logs in {work / 'glue-runs'}", file=sys.stderr)
        return 1
    finally:
        account.stop()
    if args.facts:
        args.facts.write_text(json.dumps(facts, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
