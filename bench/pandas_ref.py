"""The naive reference: the same job as a first version is usually written, in pandas
and pyarrow on one process.

Each bronze file is read and split into lines, its fields picked by its header; then
the rules of docs/validation.md run as vectorised string operations over all rows,
duplicates by sorting and grouping, and pyarrow writes silver, quarantine and condemned
partitioned by year/month. The row hash is one hashlib call per row, as such a job
would compute it. Attempt history and _SUCCESS are left out (as in the DuckDB floor).
"""

from __future__ import annotations

import hashlib
import re
import time
from pathlib import Path

from glue_jobs.parsing import SOURCE_KEY_PATTERN, WELL_FORMED_LINE, WHITESPACE
from glue_jobs.rules import AMOUNT_PATTERN, TIMESTAMP_PATTERN
from lakegate.bronze import INPUT_COLUMNS
from lakegate.config import DEFAULT_CURRENCIES

# Python's re (3.11+) reads the job's possessive patterns as they are.
FIELD_RE = re.compile(r'(?:^|,)("(?:[^"]++|"")*+"|[^,"]*+)')
WELL_FORMED_RE = re.compile(WELL_FORMED_LINE)
KEY_RE = re.compile(SOURCE_KEY_PATTERN)


def _fields(line: str) -> list[str]:
    if '"' not in line:
        return line.split(",")
    return [f[1:-1].replace('""', '"') if f.startswith('"') else f for f in FIELD_RE.findall(line)]


def read_file(path: Path):
    """One bronze file -> its data lines with their fields by column name."""
    import pandas as pd

    key, year, month = KEY_RE.search(path.as_posix()).groups()
    lines = path.read_bytes().decode("utf-8", errors="replace").split("\n")
    header = [h.strip(WHITESPACE) for h in _fields(lines[0].lstrip("\ufeff").removesuffix("\r"))]
    df = pd.DataFrame({"line": lines[1:], "source_line": range(2, len(lines) + 1)})
    df["line"] = df["line"].str.removesuffix("\r")
    df = df[df["line"].str.strip(WHITESPACE) != ""].reset_index(drop=True)
    fields = df["line"].map(_fields)
    quoted = df["line"].str.contains('"', regex=False)
    broken = quoted & ~df["line"].map(lambda s: WELL_FORMED_RE.fullmatch(s) is not None)
    df["malformed"] = None
    df.loc[fields.str.len() != len(header), "malformed"] = "wrong number of fields"
    df.loc[broken, "malformed"] = "broken quoting"
    ok = df["malformed"].isna()
    for name in INPUT_COLUMNS:
        df[name] = fields.str[header.index(name)].where(ok) if name in header else None
    df["source_file"], df["year"], df["month"] = key, year, month
    return df


def classify(files: list[Path], published):
    """All rows with their error_type and outcome (first failing rule, then duplicates)."""
    import pandas as pd

    df = pd.concat([read_file(f) for f in files], ignore_index=True)
    for name in INPUT_COLUMNS:
        df["v_" + name] = df[name].str.strip(WHITESPACE)
    amount_ok = df["v_TransactionAmount"].str.fullmatch(AMOUNT_PATTERN).fillna(False)
    ts_text = df["v_TransactionTimestamp"]
    parts = ts_text.str.extract(TIMESTAMP_PATTERN)
    offset = parts[3].fillna("")
    offset = offset.mask(offset.isin(["", "Z"]), "+00:00")
    offset = offset.mask(offset.str.len() == 3, offset + ":00")
    offset = offset.mask(offset.str.len() == 5, offset.str[:3] + ":" + offset.str[3:])
    canonical = parts[0] + "T" + parts[1] + "." + parts[2].fillna("").str.ljust(6, "0") + offset
    df["event_ts"] = pd.to_datetime(
        canonical, format="%Y-%m-%dT%H:%M:%S.%f%z", utc=True, errors="coerce"
    )
    joined = df["v_" + INPUT_COLUMNS[0]].fillna("")
    for name in INPUT_COLUMNS[1:]:
        joined = joined + "\x1f" + df["v_" + name].fillna("")
    hash_input = joined.where(df["malformed"].isna(), df["line"])
    df["row_hash"] = [hashlib.sha256(s.encode()).hexdigest() for s in hash_input]

    error = pd.Series(None, index=df.index, dtype=object)

    def first(mask, kind: str) -> None:
        error[mask & error.isna()] = kind

    first(df["malformed"].notna(), "MALFORMED_ROW")
    for name in INPUT_COLUMNS:
        first(df["v_" + name].fillna("") == "", "NULL_VALUE_ERROR")
    first(~amount_ok, "TYPE_ERROR")
    first(df["event_ts"].isna(), "TYPE_ERROR")
    first(~df["v_Currency"].isin(DEFAULT_CURRENCIES), "CURRENCY_ERROR")
    ts = df["event_ts"]
    first(
        (ts.dt.year != df["year"].astype(int)) | (ts.dt.month != df["month"].astype(int)),
        "PARTITION_MISMATCH",
    )

    # Against published silver: same hash -> exact, other content -> business duplicate.
    passed = error.isna()
    pub = published.groupby("TransactionID")["row_hash"].agg(set)
    pub_hashes = df["v_TransactionID"].map(pub)
    is_pub = passed & pub_hashes.notna()
    exact_pub = is_pub & pd.Series(
        [
            h in s if isinstance(s, set) else False
            for h, s in zip(df["row_hash"], pub_hashes, strict=True)
        ],
        index=df.index,
    )
    error[exact_pub] = "EXACT_DUPLICATE"
    error[is_pub & ~exact_pub] = "BUSINESS_DUPLICATE"
    # Within the batch: the first row by (file, line) of a TransactionID is accepted.
    cand = df[passed & ~is_pub].sort_values(["source_file", "source_line"])
    rank = cand.groupby("v_TransactionID").cumcount()
    first_hash = cand.groupby("v_TransactionID")["row_hash"].transform("first")
    later = rank > 0
    error[cand.index[later & (cand["row_hash"] == first_hash)]] = "EXACT_DUPLICATE"
    error[cand.index[later & (cand["row_hash"] != first_hash)]] = "DUPLICATE_IN_BATCH"
    df["error_type"] = error
    df["outcome"] = "quarantined"
    df.loc[error.isna(), "outcome"] = "valid"
    df.loc[error == "EXACT_DUPLICATE", "outcome"] = "condemned"
    return df


def run(bronze_files: list[Path], published_files: list[Path], out: Path) -> dict:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    started = time.perf_counter()
    keys = ["TransactionID", "row_hash"]
    published = (
        pd.concat([pq.read_table(f, columns=keys).to_pandas() for f in published_files])
        if published_files
        else pd.DataFrame({k: [] for k in keys}, dtype=object)
    )
    df = classify(bronze_files, published)
    valid = df[df["outcome"] == "valid"]
    silver = pa.table(
        {
            "TransactionID": pa.array(valid["v_TransactionID"], pa.string()),
            "CustomerID": pa.array(valid["v_CustomerID"], pa.string()),
            "TransactionAmount": pa.array(valid["v_TransactionAmount"], pa.string()).cast(
                pa.decimal128(18, 2)
            ),
            "Currency": pa.array(valid["v_Currency"], pa.string()),
            "TransactionTimestamp": pa.array(valid["event_ts"]).cast(pa.timestamp("us", "UTC")),
            "source_file": pa.array(valid["source_file"], pa.string()),
            "source_line": pa.array(valid["source_line"], pa.int32()),
            "row_hash": pa.array(valid["row_hash"], pa.string()),
            "year": pa.array(valid["year"], pa.string()),
            "month": pa.array(valid["month"], pa.string()),
        }
    )
    pq.write_to_dataset(silver, out / "silver", partition_cols=["year", "month"])
    failed_columns = [
        *INPUT_COLUMNS,
        "line",
        "source_file",
        "source_line",
        "row_hash",
        "error_type",
        "year",
        "month",
    ]
    for outcome, folder in (("quarantined", "quarantine"), ("condemned", "condemned")):
        rows = df.loc[df["outcome"] == outcome, failed_columns].astype(str)
        pq.write_to_dataset(
            pa.Table.from_pandas(rows, preserve_index=False),
            out / folder,
            partition_cols=["year", "month"],
        )
    elapsed = time.perf_counter() - started
    by_outcome = df["outcome"].value_counts().to_dict()
    by_error = df["error_type"].value_counts().to_dict()
    return {
        "engine": "pandas",
        "job_s": round(elapsed, 2),
        "input_rows": len(df),
        "valid": int(by_outcome.get("valid", 0)),
        "quarantined": int(by_outcome.get("quarantined", 0)),
        "condemned": int(by_outcome.get("condemned", 0)),
        "by_error_type": {k: int(v) for k, v in sorted(by_error.items())},
        "silver_dir": str(out / "silver"),
    }
