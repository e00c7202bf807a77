"""The quarantine correction loop (SPEC §4), without Spark.

export_quarantine() writes a run's quarantined rows as bronze-shaped CSV files, one per
bronze month, for a reviewer to correct; each has a companion `.errors.csv` saying what
was wrong with each line. file_corrections() files corrected CSVs into their bronze
month as new files (`retry-<stamp>-<name>.csv`, create-only), ready for a retry run: the
rows that now pass reach silver in a new, promotable run; rows still wrong go back to
quarantine with attempt_count + 1, and the third failure is condemned.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from lakegate import bronze, datasets, layout, schema_versions
from lakegate.errors import BadArgument, Refused
from lakegate.ids import Month, MonthWindow, validate_dataset, validate_run_id
from lakegate.storage import Lake

EXPORT_NAME = re.compile(r"-(?P<year>[0-9]{4})-(?P<month>[0-9]{2})\.csv$")


def error_columns(dataset: str) -> tuple[str, ...]:
    """The `.errors.csv` header: the line, the row's key columns, what was wrong."""
    key = datasets.dataset(dataset).key
    return ("line", *key, "error_type", "error_message", "attempt_count")


_NOTE_COLUMNS = ("raw_line", "error_type", "error_message", "attempt_count")


def _quarantined_rows(lake: Lake, dataset: str, run_id: str) -> dict[Month, list[dict]]:
    import pyarrow.parquet as pq

    prefix = layout.quarantine_run_prefix(dataset, run_id)
    by_month: dict[Month, list[dict]] = {}
    for item in lake["quarantine"].list(prefix):
        if not item.key.endswith(".parquet"):
            continue
        month = Month.from_partition(layout.partition_under(item.key, prefix))
        table = pq.read_table(
            io.BytesIO(lake["quarantine"].read_bytes(item.key)),
            use_threads=False,  # pyarrow's pool can abort the process at exit
        )
        wanted = [c for c in _all_columns(dataset) if c in table.column_names] + list(_NOTE_COLUMNS)
        table = table.select(wanted)
        by_month.setdefault(month, []).extend(table.to_pylist())
    return by_month


def _all_columns(dataset: str) -> tuple[str, ...]:
    return schema_versions.columns(schema_versions.newest(dataset), dataset)


def _header(rows: list[dict], dataset: str) -> tuple[str, ...]:
    """The oldest schema version whose columns hold every value the rows have."""
    every = _all_columns(dataset)
    for version in schema_versions.versions(dataset):
        names = schema_versions.columns(version, dataset)
        extra = {k for r in rows for k in every if k not in names and r.get(k) is not None}
        if not extra:
            return names
    return every


def export_quarantine(lake: Lake, dataset: str, run_id: str, out: Path) -> list[Path]:
    """Write `<out>/<run_id>-<YYYY>-<MM>.csv` (+ `.errors.csv`) per bronze month, in the
    oldest schema version that holds the rows' values."""
    validate_dataset(dataset)
    validate_run_id(run_id)
    by_month = _quarantined_rows(lake, dataset, run_id)
    if not by_month:
        raise Refused(f"run {run_id} of {dataset} has no quarantined rows to export")
    out.mkdir(parents=True, exist_ok=True)
    key = datasets.dataset(dataset).key
    written = []
    for month, rows in sorted(by_month.items()):
        data, errors = io.StringIO(), io.StringIO()
        header = _header(rows, dataset)
        data.write(",".join(header) + "\n")
        notes = csv.writer(errors, lineterminator="\n")
        notes.writerow(error_columns(dataset))
        values = csv.writer(data, lineterminator="\n")
        for line, row in enumerate(rows, start=2):
            if row["error_type"] == "MALFORMED_ROW":
                data.write(row["raw_line"] + "\n")  # as received: fix the line itself
            else:
                values.writerow(["" if row.get(c) is None else row[c] for c in header])
            notes.writerow(
                [
                    line,
                    *[row.get(c) or "" for c in key],
                    row["error_type"],
                    row["error_message"],
                    row["attempt_count"],
                ]
            )
        path = out / f"{run_id}-{month.year:04d}-{month.month:02d}.csv"
        path.write_text(data.getvalue(), encoding="utf-8")
        path.with_suffix(".errors.csv").write_text(errors.getvalue(), encoding="utf-8")
        written.append(path)
    return written


@dataclass(frozen=True)
class FiledCorrections:
    window: MonthWindow
    keys: tuple[str, ...]


def month_of(path: Path, month: Month | None = None) -> Month:
    if month is not None:
        return month
    match = EXPORT_NAME.search(path.name)
    if not match:
        raise BadArgument(
            f"{path}: name the bronze month (…-YYYY-MM.csv, as exported) or give --year/--month"
        )
    return Month.parse(match["year"], match["month"])


def file_corrections(
    lake: Lake, dataset: str, paths: list[Path], now: datetime, month: Month | None = None
) -> FiledCorrections:
    """Copy corrected CSVs into their bronze months as new files; the header is checked
    first, so a wrong file is refused before anything is written."""
    validate_dataset(dataset)
    planned = []
    for path in paths:
        if not path.is_file():
            raise BadArgument(f"{path}: no such file")
        if path.name.endswith(".errors.csv"):
            raise BadArgument(f"{path}: this is the list of errors; give the corrected data file")
        data = path.read_bytes()
        target = month_of(path, month)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", path.name)
        key = (
            f"{layout.bronze_month_prefix(dataset, target)}"
            f"retry-{now.strftime('%Y%m%dT%H%M%SZ')}-{safe}"
        )
        # Any registered version; the retry run refuses one newer than it writes.
        newest = schema_versions.newest(dataset)
        bronze.parse_header(key, data[: bronze.HEADER_PROBE_BYTES], newest, dataset)
        planned.append((key, target, data))
    for key, _, data in planned:
        lake["bronze"].write_bytes(key, data, if_none_match=True)
    months = sorted(target for _, target, _ in planned)
    return FiledCorrections(MonthWindow(months[0], months[-1]), tuple(k for k, _, _ in planned))
