"""The quarantine correction loop end to end: export a run's quarantined rows, correct
some, retry; rows still wrong come back with attempt_count + 1 and their history, the
third failure is condemned, fixed rows are appended by promotion, and `runs` says what
became of each run's quarantined rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from glue_jobs.job import run_ingest
from lakegate import layout
from lakegate.config import dataset_config
from lakegate.corrections import export_quarantine, file_corrections, month_of
from lakegate.errors import BadArgument, Refused, SchemaError
from lakegate.ids import Month, MonthWindow
from lakegate.storage import Lake
from promotion.publisher import Promoter
from promotion.review import list_runs, retry_statuses, runs_text
from tests.helpers import HEADER, csv_file
from tests.spark.test_job import Clock, request

MAR = Month(2024, 3)
CONFIG = dataset_config("transactions", max_quarantine_rate=1.0)
GOOD = [f"G{i},C{i},{i}.00,EUR,2024-03-0{i}T10:00:00Z" for i in range(1, 6)]
BAD = [
    "T1,C1,12.x0,EUR,2024-03-10T10:00:00Z",  # TYPE_ERROR amount
    "T2,C2,5.00,EUR,not-a-time",  # TYPE_ERROR timestamp
    "T3,C3,7.00,XXX,2024-03-11T10:00:00Z",  # CURRENCY_ERROR
    "T4,C4,1.00,EUR",  # MALFORMED_ROW (four fields)
]


def rows(lake: Lake, prefix: str) -> list[dict]:
    out = []
    for item in lake["quarantine"].list(prefix):
        if item.key.endswith(".parquet"):
            out += pq.read_table(io.BytesIO(lake["quarantine"].read_bytes(item.key))).to_pylist()
    return sorted(out, key=lambda r: r["TransactionID"] or "")


def correct(path: Path, replacements: dict[str, str]) -> Path:
    lines = path.read_text().splitlines()
    fixed = [replacements.get(line.split(",")[0], line) for line in lines]
    path.write_text("\n".join(fixed) + "\n")
    return path


def retry(spark, lake, files, run_id, clock) -> dict:
    filed = file_corrections(lake, "transactions", files, clock())
    return run_ingest(
        spark,
        lake,
        request(run_id, filed.window.first, filed.window.last, "retry", filed.keys),
        now=clock,
    )


@pytest.fixture
def first_run(spark, lake_root):
    lake = Lake.local(lake_root)
    folder = lake_root / "bronze/transactions/year=2024/month=03"
    folder.mkdir(parents=True)
    (folder / "day.csv").write_text(csv_file(*GOOD, *BAD))
    clock = Clock()
    run_ingest(spark, lake, request("r0", MAR), now=clock)
    promoter = Promoter(lake, CONFIG, lambda: "test", now=clock)
    promoter.promote("r0", "Ana", "first load")
    return lake, clock, promoter


def test_export_writes_bronze_shaped_csv_and_what_was_wrong(first_run, tmp_path):
    lake, _, _ = first_run
    (path,) = export_quarantine(lake, "transactions", "r0", tmp_path)
    assert path.name == "r0-2024-03.csv" and month_of(path) == MAR
    lines = path.read_text().splitlines()
    assert lines[0] == HEADER
    assert sorted(lines[1:]) == sorted(BAD)  # values as received; the malformed line whole
    errors = list(csv.DictReader(path.with_suffix(".errors.csv").open()))
    by_line = {int(e["line"]): e for e in errors}
    for number, line in enumerate(lines[1:], start=2):
        assert by_line[number]["TransactionID"] == ("" if line.startswith("T4") else line[:2])
    assert {e["error_type"] for e in errors} == {"TYPE_ERROR", "CURRENCY_ERROR", "MALFORMED_ROW"}
    assert all(e["attempt_count"] == "0" for e in errors)


def test_three_attempts_then_condemned_and_fixed_rows_are_published(spark, first_run, tmp_path):
    lake, clock, promoter = first_run
    (exported,) = export_quarantine(lake, "transactions", "r0", tmp_path / "1")
    correct(
        exported,
        {
            "T1": "T1,C1,12.50,EUR,2024-03-10T10:00:00Z",  # fixed
            "T3": "T3,C3,7.00,XXY,2024-03-11T10:00:00Z",  # still wrong
            "T4": "T4,C4,1.00,EUR,2024-03-12T10:00:00Z",  # the malformed line, fixed
        },
    )
    first = retry(spark, lake, [exported], "r1_RETRY", clock)
    assert (first["valid_rows_count"], first["quarantined_rows_count"]) == (2, 2)
    assert first["retried_from"] == {"r0": {"valid": 1, "quarantined": 2, "condemned": 0}}
    again = rows(lake, layout.quarantine_run_prefix("transactions", "r1_RETRY"))
    assert [(r["TransactionID"], r["attempt_count"]) for r in again] == [("T2", 1), ("T3", 1)]
    assert [h["run_id"] for h in again[1]["retry_history"]] == ["r0", "r1_RETRY"]
    promoter.promote("r1_RETRY", "Ana", "corrections")
    latest = json.loads(lake["silver"].read_bytes(layout.latest_key("transactions")))
    assert latest["partitions"]["year=2024/month=03"] == ["r0", "r1_RETRY"]  # appended

    (second,) = export_quarantine(lake, "transactions", "r1_RETRY", tmp_path / "2")
    correct(second, {"T3": "T3,C3,7.00,EUR,2024-03-11T10:00:00Z"})
    retry(spark, lake, [second], "r2_RETRY", clock)
    (third,) = export_quarantine(lake, "transactions", "r2_RETRY", tmp_path / "3")
    assert third.read_text().splitlines()[1] == BAD[1]  # T2 still as received
    last = retry(spark, lake, [third], "r3_RETRY", clock)
    assert (last["valid_rows_count"], last["condemned_rows_count"]) == (0, 1)
    (condemned,) = rows(lake, layout.condemned_run_prefix("transactions", "r3_RETRY"))
    assert condemned["TransactionID"] == "T2" and condemned["attempt_count"] == 3
    assert [h["run_id"] for h in condemned["retry_history"]] == [
        "r0",
        "r1_RETRY",
        "r2_RETRY",
        "r3_RETRY",
    ]

    statuses = retry_statuses(list_runs(promoter))
    # r0 quarantined 4: T1 and T3 fixed later, T2 condemned; the malformed T4 line had no
    # TransactionID to follow, so its fix cannot be linked and it stays pending.
    assert (statuses["r0"].fixed, statuses["r0"].condemned, statuses["r0"].pending) == (2, 1, 1)
    assert statuses["r1_RETRY"].quarantined == 0  # its quarantined rows belong to r0
    assert "fixed pend. cond." in runs_text(promoter).splitlines()[0]


def test_corrections_are_checked_before_anything_is_filed(lake, tmp_path):
    wrong = tmp_path / "x-2024-03.csv"
    wrong.write_text("TransactionID,Amount\nT1,1\n")
    good = tmp_path / "y-2024-03.csv"
    good.write_text(csv_file(GOOD[0]))
    with pytest.raises(SchemaError, match="SCHEMA_ERROR"):
        file_corrections(lake, "transactions", [good, wrong], datetime(2026, 1, 1, tzinfo=UTC))
    assert list(lake["bronze"].list("transactions/")) == []
    unnamed = tmp_path / "fixed.csv"
    unnamed.write_text(csv_file(GOOD[0]))
    with pytest.raises(BadArgument, match="name the bronze month"):
        file_corrections(lake, "transactions", [unnamed], datetime(2026, 1, 1, tzinfo=UTC))
    filed = file_corrections(
        lake, "transactions", [unnamed], datetime(2026, 1, 1, tzinfo=UTC), month=MAR
    )
    assert filed.window == MonthWindow(MAR, MAR)
    assert filed.keys == ("transactions/year=2024/month=03/retry-20260101T000000Z-fixed.csv",)


def test_export_of_a_run_without_quarantine_is_refused(first_run, tmp_path):
    lake, _, _ = first_run
    with pytest.raises(Refused, match="no quarantined rows"):
        export_quarantine(lake, "transactions", "nothing", tmp_path)
