"""The single-machine floor: Lakegate's validation and partitioned write in DuckDB SQL.

The same rules as glue_jobs.parsing and glue_jobs.rules (docs/validation.md), in the
same order, on the same bronze files: each file read once, whole; lines split and
numbered; fields by the file's header; the first failing rule; duplicates against the
published (TransactionID, row_hash) pairs and within the batch by (file, line); then
silver, quarantine and condemned rows written as Parquet partitioned by year/month,
and the outcome counts in one aggregation. What it leaves out: attempt history and
_SUCCESS (no earlier failures in the benchmark's window, so every attempt is 0).
"""

from __future__ import annotations

import time
from pathlib import Path

from glue_jobs.parsing import SOURCE_KEY_PATTERN, WHITESPACE
from glue_jobs.rules import AMOUNT_PATTERN, TIMESTAMP_PATTERN
from lakegate.bronze import INPUT_COLUMNS
from lakegate.config import DEFAULT_CURRENCIES

# RE2 (DuckDB) has no possessive quantifiers; it does not backtrack, so needs none.
QUOTED = '"(?:[^"]|"")*"'
UNQUOTED = '[^,"]*'
FIELD = f"(?:{QUOTED}|{UNQUOTED})"
WELL_FORMED = f"^{FIELD}(?:,{FIELD})*$"
FIELD_PATTERN = f"(?:^|,)({FIELD})"
# DuckDB's cast takes offsets Java refuses: past 18 hours, or 60 minutes and more.
BAD_OFFSET = (
    r"[+-](?:(?:19|[2-9][0-9])(?::?[0-9]{2})?|18:?(?:0[1-9]|[1-5][0-9])|[0-9]{2}:?[6-9][0-9])$"
)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _trim(expr: str) -> str:
    """trim() with a character set scans every value: 1.2 s per column of 10M rows,
    against 0.2 s when it runs only where the first or last character needs it."""
    space = _lit(WHITESPACE)
    ends = f"contains({space}, {expr}[1]) OR contains({space}, {expr}[-1])"
    return f"CASE WHEN {ends} THEN trim({expr}, {space}) ELSE {expr} END"


def classify_sql(file_list: str, published: str) -> str:
    """The classified rows (one per data line) as one SELECT."""
    positions = ",\n".join(f"list_position(header, {_lit(c)}) AS p_{c}" for c in INPUT_COLUMNS)
    values = ",\n".join(
        f"CASE WHEN malformed IS NULL AND p_{c} > 0 THEN fields[p_{c}] END AS {c}"
        for c in INPUT_COLUMNS
    )
    trimmed = ",\n".join(f"{_trim(c)} AS v_{c}" for c in INPUT_COLUMNS)
    received = ", ".join(f"CASE WHEN {c} <> v_{c} THEN {c} END AS r_{c}" for c in INPUT_COLUMNS)
    trimmed_values = ", ".join(f"v_{c}" for c in INPUT_COLUMNS)
    hash_input = " || chr(31) || ".join(f"coalesce(v_{c}, '')" for c in INPUT_COLUMNS)
    nulls = "\n".join(
        f"WHEN coalesce(v_{c}, '') = '' THEN 'NULL_VALUE_ERROR'" for c in INPUT_COLUMNS
    )
    currencies = ", ".join(_lit(c) for c in DEFAULT_CURRENCIES)
    return f"""
WITH files AS (
    SELECT regexp_extract(filename, {_lit(SOURCE_KEY_PATTERN)}, 1) AS source_file,
           regexp_extract(filename, {_lit(SOURCE_KEY_PATTERN)}, 2) AS year,
           regexp_extract(filename, {_lit(SOURCE_KEY_PATTERN)}, 3) AS month,
           string_split(content, chr(10)) AS lines
    FROM read_text({file_list})
), headed AS (
    SELECT *, list_transform(
        string_split(regexp_replace(lines[1], '^\ufeff|\r$', ''), ','), lambda x: {_trim("x")}
    ) AS header
    FROM files
), exploded AS (
    SELECT source_file, year, month, {positions}, len(header) AS header_size,
           unnest(lines) AS text, unnest(generate_series(1, len(lines))) AS source_line
    FROM headed
), lines AS (
    SELECT * EXCLUDE (text),
        CASE WHEN suffix(text, chr(13)) THEN left(text, length(text) - 1) ELSE text END AS line
    FROM exploded
    WHERE source_line > 1
), nonblank AS (
    SELECT * FROM lines WHERE {_trim("line")} <> ''
), split AS (
    SELECT *, CASE WHEN contains(line, '"')
        THEN list_transform(regexp_extract_all(line, {_lit(FIELD_PATTERN)}, 1),
            lambda f: CASE WHEN starts_with(f, '"')
                 THEN replace(f[2:length(f) - 1], '""', '"') ELSE f END)
        ELSE string_split(line, ',') END AS fields
    FROM nonblank
), parsed AS (
    SELECT *, CASE
        WHEN contains(line, '"') AND NOT regexp_full_match(line, {_lit(WELL_FORMED)})
            THEN 'broken quoting'
        WHEN len(fields) <> header_size THEN 'wrong number of fields'
    END AS malformed
    FROM split
), valued AS (
    SELECT source_file, source_line, year, month, line, malformed, {values}
    FROM parsed
), typed AS (
    SELECT *, {trimmed}
    FROM valued
), checked AS (
    SELECT *,
        CASE WHEN regexp_full_match(v_TransactionAmount, {_lit(AMOUNT_PATTERN)})
             THEN TRY_CAST(v_TransactionAmount AS DECIMAL(18, 2)) END AS amount,
        CASE WHEN regexp_full_match(v_TransactionTimestamp, {_lit(TIMESTAMP_PATTERN)})
              AND NOT regexp_matches(v_TransactionTimestamp, {_lit(BAD_OFFSET)})
             THEN TRY_CAST(v_TransactionTimestamp AS TIMESTAMPTZ) END AS event_ts,
        sha256(CASE WHEN malformed IS NULL THEN {hash_input} ELSE line END) AS row_hash
    FROM typed
), ruled AS (
    -- Only what the outputs need goes on to the window: the line where it is not a
    -- record, a received value only where trimming changed it.
    SELECT source_file, source_line, year, month, malformed,
        CASE WHEN malformed IS NOT NULL THEN line END AS raw_line,
        {received}, {trimmed_values}, amount, event_ts, row_hash, CASE
        WHEN malformed IS NOT NULL THEN 'MALFORMED_ROW'
        {nulls}
        WHEN amount IS NULL THEN 'TYPE_ERROR'
        WHEN event_ts IS NULL THEN 'TYPE_ERROR'
        WHEN v_Currency NOT IN ({currencies}) THEN 'CURRENCY_ERROR'
        WHEN year(utc_ts) <> year::INTEGER OR month(utc_ts) <> month::INTEGER
            THEN 'PARTITION_MISMATCH'
    END AS value_error
    FROM (SELECT *, make_timestamp(epoch_us(event_ts)) AS utc_ts FROM checked)
), pub AS (
    SELECT TransactionID AS pub_id, list(row_hash) AS pub_hashes
    FROM {published} GROUP BY TransactionID
), ranked AS (
    SELECT r.*, p.pub_hashes,
        row_number() OVER batch AS rank,
        first_value(row_hash) OVER batch AS first_hash
    FROM ruled r LEFT JOIN pub p ON r.v_TransactionID = p.pub_id
    WINDOW batch AS (
        PARTITION BY v_TransactionID, (value_error IS NULL AND p.pub_hashes IS NULL)
        ORDER BY source_file, source_line
    )
)
SELECT *, CASE
    WHEN value_error IS NOT NULL THEN value_error
    WHEN list_contains(pub_hashes, row_hash) THEN 'EXACT_DUPLICATE'
    WHEN pub_hashes IS NOT NULL THEN 'BUSINESS_DUPLICATE'
    WHEN rank = 1 THEN NULL
    WHEN row_hash = first_hash THEN 'EXACT_DUPLICATE'
    ELSE 'DUPLICATE_IN_BATCH'
END AS error_type
FROM ranked
"""


def run(bronze_files: list[Path], published_files: list[Path], out: Path) -> dict:
    import duckdb

    started = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")
    out.mkdir(parents=True, exist_ok=True)
    file_list = "[" + ", ".join(_lit(str(f)) for f in bronze_files) + "]"
    published = (
        f"read_parquet([{', '.join(_lit(str(f)) for f in published_files)}])"
        if published_files
        else "(SELECT NULL::VARCHAR AS TransactionID, NULL::VARCHAR AS row_hash LIMIT 0)"
    )
    con.execute(
        "CREATE TEMP TABLE classified AS SELECT *, CASE"
        " WHEN error_type IS NULL THEN 'valid'"
        " WHEN error_type = 'EXACT_DUPLICATE' THEN 'condemned'"
        " ELSE 'quarantined' END AS outcome"
        f" FROM ({classify_sql(file_list, published)})"
    )
    silver, quarantine, condemned = out / "silver", out / "quarantine", out / "condemned"
    con.execute(
        "COPY (SELECT v_TransactionID AS TransactionID, v_CustomerID AS CustomerID,"
        " amount AS TransactionAmount, v_Currency AS Currency,"
        " event_ts AS TransactionTimestamp, source_file, source_line, row_hash, year, month"
        " FROM classified WHERE outcome = 'valid')"
        f" TO {_lit(str(silver))} (FORMAT parquet, PARTITION_BY (year, month))"
    )
    received = ", ".join(f"coalesce(r_{c}, v_{c}) AS {c}" for c in INPUT_COLUMNS)
    for path, outcome in ((quarantine, "quarantined"), (condemned, "condemned")):
        con.execute(
            f"COPY (SELECT {received}, raw_line, source_file,"
            " source_line, row_hash, error_type, year, month"
            f" FROM classified WHERE outcome = '{outcome}')"
            f" TO {_lit(str(path))} (FORMAT parquet, PARTITION_BY (year, month))"
        )
    counts = con.execute(
        "SELECT outcome, error_type, count(*) FROM classified GROUP BY ALL"
    ).fetchall()
    elapsed = time.perf_counter() - started
    by_outcome: dict[str, int] = {}
    by_error: dict[str, int] = {}
    for outcome, error_type, n in counts:
        by_outcome[outcome] = by_outcome.get(outcome, 0) + n
        if error_type is not None:
            by_error[error_type] = by_error.get(error_type, 0) + n
    return {
        "engine": "duckdb",
        "job_s": round(elapsed, 2),
        "input_rows": sum(by_outcome.values()),
        "valid": by_outcome.get("valid", 0),
        "quarantined": by_outcome.get("quarantined", 0),
        "condemned": by_outcome.get("condemned", 0),
        "by_error_type": dict(sorted(by_error.items())),
        "silver_dir": str(silver),
    }
