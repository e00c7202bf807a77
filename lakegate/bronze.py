"""Bronze input: which files a run reads, and the file-level header check (SPEC §2, §3).

The header check reads only the first bytes of each file (a ranged GET on S3), so a
SCHEMA_ERROR fails the run before Spark reads anything and before anything is written.
"""

from __future__ import annotations

import csv
import zlib
from dataclasses import dataclass
from datetime import datetime

from lakegate import layout, schema_versions
from lakegate.errors import SchemaError
from lakegate.ids import Month, MonthWindow
from lakegate.storage import Storage

# The transactions columns of schema v1, which every version keeps: what the sample data,
# the benchmark and the tests write (a run reads its own dataset's, schema_versions).
INPUT_COLUMNS = schema_versions.REQUIRED_COLUMNS
HEADER_PROBE_BYTES = 64 * 1024
# A bronze file is read whole by one task: larger files must be split by the producer.
MAX_FILE_BYTES = 1024**3


@dataclass(frozen=True)
class BronzeFile:
    key: str
    month: Month
    size: int
    # When the file landed: a row of a file that landed after its key was condemned is
    # a re-submission (lakegate.releases).
    modified: datetime


def is_data_file(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return not name.startswith((".", "_"))


def list_window_files(storage: Storage, dataset: str, window: MonthWindow) -> list[BronzeFile]:
    """The bronze files of every month in the window, in key order.

    Marker files (names starting with '.' or '_') are skipped; any other file that is
    not *.csv or *.csv.gz fails the run rather than being ignored."""
    files = []
    for month in window.months():
        prefix = layout.bronze_month_prefix(dataset, month)
        for item in storage.list(prefix):
            if not is_data_file(item.key):
                continue
            if "/" in item.key[len(prefix) :]:
                raise SchemaError(
                    f"SCHEMA_ERROR {item.key}: nested folders are not part of the bronze layout"
                )
            if not item.key.endswith(layout.BRONZE_SUFFIXES):
                raise SchemaError(f"SCHEMA_ERROR {item.key}: not a .csv or .csv.gz file")
            if item.size > MAX_FILE_BYTES:
                raise SchemaError(
                    f"SCHEMA_ERROR {item.key}: {item.size} bytes is over the 1 GiB per-file"
                    " limit; split the file"
                )
            files.append(BronzeFile(item.key, month, item.size, item.modified))
    return sorted(files, key=lambda f: f.key)


def _first_line(key: str, head: bytes) -> str:
    if key.endswith(".gz"):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, HEADER_PROBE_BYTES)
        except zlib.error:
            raise SchemaError(f"SCHEMA_ERROR {key}: not a readable gzip file") from None
    if not head:
        raise SchemaError(f"SCHEMA_ERROR {key}: empty file, no header")
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) >= HEADER_PROBE_BYTES:
        raise SchemaError(f"SCHEMA_ERROR {key}: no header line in the first 64 KiB")
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise SchemaError(f"SCHEMA_ERROR {key}: header is not UTF-8 text") from None
    return text.removeprefix("\ufeff").rstrip("\r")


def parse_header(key: str, head: bytes, target: str, dataset: str) -> tuple[str, ...]:
    """The header's column names in file order; SchemaError unless they are the columns
    of the target schema version or of an older one (schema_versions), in any order."""
    line = _first_line(key, head)
    try:
        names = tuple(name.strip() for name in next(csv.reader([line])))
    except (csv.Error, StopIteration):
        names = ()
    if not names:
        raise SchemaError(f"SCHEMA_ERROR {key}: no header (first line: {line[:200]})")
    schema_versions.header_version(key, names, target, dataset)
    return names


def check_headers(storage: Storage, files: list[BronzeFile], target: str, dataset: str) -> None:
    for item in files:
        parse_header(item.key, storage.read_head(item.key, HEADER_PROBE_BYTES), target, dataset)
