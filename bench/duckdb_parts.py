"""What the DuckDB floor's time is made of, and what a DuckDB job that does less costs on
the same machine: `python -m bench.duckdb_parts --work bench/data/work/10000000`
(a folder where `make bench` left files.txt and published.txt). Prints one JSON line.

The issue's orientation figure for its floor is ~7 s at 10M rows; bench.duckdb_ref takes
several times that here. These timings say how much of the difference is the machine
and how much is the work Lakegate's contract asks for and a shortcut job leaves out:
- numbered lines: the bronze files split into physical lines, each with its number
  (what every quarantined row records), counted;
- the same, plus SHA-256 of every line (every row carries a row hash);
- the floor's classification (bench.duckdb_ref.classify_sql), materialised;
- a shortcut job: DuckDB's CSV reader, the value rules, duplicates by TransactionID in
  no particular order, valid and failed rows written partitioned. It has no line
  numbers or row hashes, and its reader skips malformed lines: its input count comes
  out short, which is why it cannot be the floor of a job that loses nothing.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from bench.duckdb_ref import _lit, classify_sql
from lakegate.bronze import INPUT_COLUMNS
from lakegate.config import DEFAULT_CURRENCIES


def _numbered_lines(file_list: str) -> str:
    lines = "string_split(content, chr(10))"
    return (
        f"SELECT unnest({lines}) AS line, unnest(generate_series(1, len({lines}))) AS n"
        f" FROM read_text({file_list})"
    )


def _shortcut_sql(file_list: str) -> str:
    trimmed = {c: f"trim({c})" for c in INPUT_COLUMNS}
    nulls = " OR ".join(f"coalesce({t}, '') = ''" for t in trimmed.values())
    currencies = ", ".join(_lit(c) for c in DEFAULT_CURRENCIES)
    return f"""
WITH read AS (
    SELECT *, regexp_extract(filename, 'year=([0-9]{{4}})', 1) AS year,
              regexp_extract(filename, 'month=([0-9]{{2}})', 1) AS month
    FROM read_csv({file_list}, all_varchar = true, header = true, union_by_name = true,
                  filename = true, ignore_errors = true)
), typed AS (
    SELECT *, TRY_CAST({trimmed["TransactionAmount"]} AS DECIMAL(18, 2)) AS amount,
              TRY_CAST({trimmed["TransactionTimestamp"]} AS TIMESTAMP) AS event_ts
    FROM read
)
SELECT *, CASE
    WHEN {nulls} THEN 'NULL_VALUE_ERROR'
    WHEN amount IS NULL OR event_ts IS NULL THEN 'TYPE_ERROR'
    WHEN {trimmed["Currency"]} NOT IN ({currencies}) THEN 'CURRENCY_ERROR'
    WHEN strftime(event_ts, '%Y') <> year OR strftime(event_ts, '%m') <> month
        THEN 'PARTITION_MISMATCH'
    WHEN row_number() OVER (PARTITION BY {trimmed["TransactionID"]}) > 1
        THEN 'DUPLICATE_IN_BATCH'
END AS error_type
FROM typed
"""


def run(bronze_files: list[Path], published_files: list[Path], out: Path) -> dict:
    import duckdb

    con = duckdb.connect()
    for setting in ("threads = 2", "preserve_insertion_order = false"):
        con.execute(f"SET {setting}")
    con.execute("SET enable_progress_bar = false")
    file_list = "[" + ", ".join(_lit(str(f)) for f in bronze_files) + "]"
    published = (
        f"read_parquet([{', '.join(_lit(str(f)) for f in published_files)}])"
        if published_files
        else "(SELECT NULL::VARCHAR AS TransactionID, NULL::VARCHAR AS row_hash LIMIT 0)"
    )
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    result: dict = {}

    def timed(name: str, *statements: str) -> list:
        started = time.perf_counter()
        rows = [con.execute(s).fetchall() for s in statements][-1]
        result[name] = {"s": round(time.perf_counter() - started, 2)}
        return rows

    numbered = _numbered_lines(file_list)
    [(lines, _)] = timed("numbered_lines", f"SELECT count(*), max(n) FROM ({numbered})")
    result["numbered_lines"]["lines"] = lines
    timed("numbered_lines_sha256", f"SELECT count(*), max(sha256(line)) FROM ({numbered})")
    timed(
        "floor_classification",
        f"CREATE TEMP TABLE floor AS {classify_sql(file_list, published)}",
        "SELECT count(*) FROM floor",
    )
    counts = timed(
        "shortcut_job",
        f"CREATE TEMP TABLE shortcut AS {_shortcut_sql(file_list)}",
        "COPY (SELECT * FROM shortcut WHERE error_type IS NULL)"
        f" TO {_lit(str(out / 'silver'))} (FORMAT parquet, PARTITION_BY (year, month))",
        "COPY (SELECT * FROM shortcut WHERE error_type IS NOT NULL)"
        f" TO {_lit(str(out / 'quarantine'))} (FORMAT parquet, PARTITION_BY (year, month))",
        "SELECT count(*), count(*) FILTER (WHERE error_type IS NULL) FROM shortcut",
    )
    result["shortcut_job"]["input_rows"], result["shortcut_job"]["valid"] = counts[0]
    result["floor_classification"]["input_rows"] = con.execute(
        "SELECT count(*) FROM floor"
    ).fetchone()[0]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="holds files.txt, published.txt")
    parser.add_argument("--out", type=Path, help="default: WORK/duckdb-parts (replaced)")
    args = parser.parse_args(argv)
    files = [Path(p) for p in (args.work / "files.txt").read_text().split()]
    published = [Path(p) for p in (args.work / "published.txt").read_text().split()]
    print(json.dumps(run(files, published, args.out or args.work / "duckdb-parts")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
