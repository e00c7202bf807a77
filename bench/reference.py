"""Command line of the reference engines, so the harness runs each in its own
process: `python -m bench.reference duckdb|pandas|spark --files F --published P --out DIR`,
where F and P are text files listing one path per line. Prints one JSON line."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench import output_files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("engine", choices=["duckdb", "pandas", "spark"])
    parser.add_argument("--files", type=Path, required=True)
    parser.add_argument("--published", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--event-log", type=Path, help="spark: write Spark's event log here")
    args = parser.parse_args(argv)
    files = [Path(p) for p in args.files.read_text().split()]
    published = [Path(p) for p in args.published.read_text().split()]
    if args.engine == "duckdb":
        from bench.duckdb_ref import run
    elif args.engine == "pandas":
        from bench.pandas_ref import run
    else:
        from bench.plain_spark import run
    extra = {"event_log": args.event_log} if args.event_log else {}
    result = run(files, published, args.out, **extra)
    result["silver"] = output_files(Path(result.pop("silver_dir")))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
