"""Schema evolution (SPEC §7): an additive column (Channel) written as schema_v=v2 beside
v1 runs, both read together (Channel null for v1 rows), and non-additive changes refused."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from glue_jobs.job import run_ingest
from lakegate import layout
from lakegate.config import dataset_config
from lakegate.errors import SchemaError
from lakegate.ids import Month
from lakegate.storage import Lake
from promotion.publisher import Promoter
from tests.helpers import HEADER, csv_file
from tests.spark.test_job import Clock, request

JAN, FEB = Month(2024, 1), Month(2024, 2)
V2_HEADER = "Channel,TransactionID,CustomerID,TransactionAmount,Currency,TransactionTimestamp"


def put(lake: Lake, month: Month, name: str, text: str) -> None:
    lake["bronze"].write_bytes(f"transactions/{month.partition}/{name}", text.encode())


@pytest.fixture(scope="module")
def migrated_once(spark, tmp_path_factory):
    """A v1 run of January published, then a v2 run of February (one v2 file with
    Channel, one v1 file) published beside it: built once, copied for each test."""
    root = tmp_path_factory.mktemp("migrated") / "lake"
    lake = Lake.local(root)
    clock = Clock()
    put(lake, JAN, "a.csv", csv_file("T1,C1,10.00,EUR,2024-01-05T10:00:00Z"))
    run_ingest(spark, lake, request("jan", JAN), now=clock)
    promoter = Promoter(lake, dataset_config("transactions"), lambda: "t", now=clock)
    promoter.promote("jan", "Ana", "v1")
    lines = [
        " online ,T2,C2,20.00,EUR,2024-02-05T10:00:00Z",
        "card,T3,C3,30.00,USD,2024-02-06T10:00:00Z",
        ",T4,C4,40.00,EUR,2024-02-07T10:00:00Z",
    ]
    put(lake, FEB, "new.csv", csv_file(*lines, header=V2_HEADER))
    put(lake, FEB, "old.csv", csv_file("T5,C5,50.00,EUR,2024-02-08T10:00:00Z"))
    summary = run_ingest(spark, lake, request("feb", FEB, schema_v="v2"), now=clock)
    promoter.promote("feb", "Ana", "first v2 run")
    return root, summary


@pytest.fixture
def migrated(migrated_once, tmp_path):
    root, summary = migrated_once
    shutil.copytree(root, tmp_path / "lake")
    return Lake.local(tmp_path / "lake"), summary


def published(lake: Lake) -> list[str]:
    latest = json.loads(lake["silver"].read_bytes(layout.latest_key("transactions")))
    manifest = json.loads(lake["silver"].read_bytes(latest["manifest"]))
    return [
        lake["silver"].uri(k).removeprefix("file://")
        for content in manifest["partitions"].values()
        for k in content["files"]
    ]


def test_the_v2_run_is_written_beside_v1(migrated):
    lake, summary = migrated
    assert summary["schema_v"] == "v2" and summary["valid_rows_count"] == 4
    assert lake["silver"].exists(layout.success_key("transactions", "v2", "feb"))
    assert lake["silver"].exists(layout.success_key("transactions", "v1", "jan"))
    latest = json.loads(lake["silver"].read_bytes(layout.latest_key("transactions")))
    assert latest["schema_v"] == "v2"
    assert sorted(latest["partitions"]) == ["year=2024/month=01", "year=2024/month=02"]


def test_readers_read_v1_and_v2_together_with_channel_null_for_v1_rows(migrated):
    lake, _ = migrated
    files = published(lake)
    assert any("/schema_v=v1/" in f for f in files) and any("/schema_v=v2/" in f for f in files)
    listed = ", ".join(f"'{f}'" for f in files)
    rows = duckdb.sql(
        f"SELECT TransactionID, Channel, TransactionAmount FROM read_parquet([{listed}],"
        " union_by_name = true) ORDER BY TransactionID"
    ).fetchall()
    channels = {tid: channel for tid, channel, _ in rows}
    assert channels == {"T1": None, "T2": "online", "T3": "card", "T4": None, "T5": None}


def test_spark_reads_both_versions_with_merge_schema(spark, migrated):
    lake, _ = migrated
    frame = spark.read.option("mergeSchema", "true").parquet(*published(lake))
    assert "Channel" in frame.columns
    assert frame.where("Channel IS NULL").count() == 3 and frame.count() == 5


def test_a_v1_row_sent_again_in_a_v2_file_is_an_exact_duplicate(spark, migrated):
    lake, _ = migrated
    put(
        lake,
        JAN,
        "again.csv",
        csv_file("web,T1,C1,10.00,EUR,2024-01-05T10:00:00Z", header=V2_HEADER),
    )
    key = f"transactions/{JAN.partition}/again.csv"
    retry = request("again_RETRY", JAN, run_type="retry", input_files=[key], schema_v="v2")
    summary = run_ingest(spark, lake, retry, now=Clock())
    assert summary["error_type_distribution"] == {"EXACT_DUPLICATE": 1}


def test_a_v2_header_is_refused_while_v1_is_configured(spark, lake):
    put(
        lake,
        FEB,
        "new.csv",
        csv_file("online,T2,C2,20.00,EUR,2024-02-05T10:00:00Z", header=V2_HEADER),
    )
    with pytest.raises(
        SchemaError, match=r"the header has Channel \(schema v2\), but v1 is configured"
    ):
        run_ingest(spark, lake, request("feb", FEB), now=Clock())
    assert list(lake["silver"].list("")) == []


@pytest.mark.parametrize(
    ("header", "named"),
    [
        (
            "TransactionID,CustomerID,TransactionAmount,TransactionTimestamp,Channel",
            "missing Currency",
        ),
        (
            "TransactionID,CustomerID,TransactionAmount,Ccy,TransactionTimestamp,Channel",
            "unexpected 'Ccy'",
        ),
        (HEADER + ",Channel,Region", "unexpected 'Region'"),
    ],
    ids=["dropped", "renamed", "unregistered"],
)
def test_non_additive_changes_are_refused_before_anything_is_written(spark, lake, header, named):
    put(lake, FEB, "x.csv", header + "\n")
    with pytest.raises(SchemaError, match=named):
        run_ingest(spark, lake, request("feb", FEB, schema_v="v2"), now=Clock())
    assert list(lake["silver"].list("")) == [] and list(lake["quarantine"].list("")) == []
