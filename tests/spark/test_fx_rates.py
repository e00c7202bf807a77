"""A second bronze dataset, daily FX rates, end to end: its registry entry
(lakegate/datasets.json) is all there is of it. Ingest, review, promote, current/, the
correction loop, the condemned lock and the catalog's columns, through the same
commands as transactions."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from glue_jobs import keys as K
from glue_jobs.schemas import silver_schemas
from lakegate import datasets, layout
from lakegate.storage import Lake
from tests.cli import lakegate_here

pytestmark = pytest.mark.spark

FX = datasets.dataset("fx_rates")
HEADER = "date,base,quote,rate,source"
MARCH = "fx_rates/year=2024/month=03/rates-2024-03.csv"
APPROVE = ("--approver", "Dana Reviewer", "--reason", "FX rates checked")
LINES = [
    "2024-03-01,EUR,USD,1.08450000,ECB",  # 2 valid
    "2024-03-01,EUR,GBP,0.85,ECB",  # 3 valid
    "2024-03-01,EUR,USD,1.08450000,ECB",  # 4 EXACT_DUPLICATE of line 2 (condemned)
    "2024-03-01,EUR,USD,1.09,Other",  # 5 DUPLICATE_IN_BATCH: same key, other rate
    "2024-03-02,EUR,EUR,1,ECB",  # 6 CURRENCY_ERROR: a pair of one currency
    "2024-03-02,EUR,XYZ,1.1,ECB",  # 7 CURRENCY_ERROR: not in the allow-list
    "2024-03-02,USD,JPY,0,ECB",  # 8 TYPE_ERROR: not positive
    "2024-03-02,USD,JPY,1.123456789,ECB",  # 9 TYPE_ERROR: nine decimals
    "2024-04-01,USD,JPY,150.1,ECB",  # 10 PARTITION_MISMATCH: April in March's folder
    "2024-03-31,USD,CHF,,ECB",  # 11 NULL_VALUE_ERROR: no rate
    "2024-02-30,USD,CHF,0.9,ECB",  # 12 TYPE_ERROR: no such date
    "2024-03-05,GBP,USD,1.27, ",  # 13 NULL_VALUE_ERROR: no source
    " 2024-03-05 ,GBP,CHF, 1.1 ,ECB",  # 14 valid (trimmed)
]
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY")
# Every pair on the 6th to the 28th: enough valid rows for the gate's 5% limit.
FILLER = [
    f"2024-03-{day:02d},{base},{quote},{day}.{i:04d},ECB"
    for day in range(6, 29)
    for i, (base, quote) in enumerate((b, q) for b in CURRENCIES for q in CURRENCIES if b != q)
]


def by_line(rows: list[dict]) -> dict[int, dict]:
    return {r["source_line"]: r for r in rows}


def parquet_rows(lake: Lake, bucket: str, prefix: str, columns=None) -> list[dict]:
    rows = []
    for item in lake[bucket].list(prefix):
        if item.key.endswith(".parquet"):
            table = pq.read_table(
                io.BytesIO(lake[bucket].read_bytes(item.key)), columns=columns, use_threads=False
            )
            rows += table.to_pylist()
    return rows


def success(lake: Lake, run_id: str) -> dict:
    return json.loads(lake["silver"].read_bytes(layout.success_key("fx_rates", "v1", run_id)))


def current_rows(lake: Lake, columns=None) -> list[dict]:
    """The rows current/ serves: the files its symlink manifests name."""
    store, rows = lake["silver"], []
    base = store.uri("").rstrip("/") + "/"
    for item in store.list(layout.current_prefix("fx_rates")):
        if item.key.endswith("symlink.txt"):
            for uri in store.read_bytes(item.key).decode().split():
                assert uri.startswith(base), uri
                rows += pq.read_table(
                    io.BytesIO(store.read_bytes(uri[len(base) :])),
                    columns=columns,
                    use_threads=False,
                ).to_pylist()
    return rows


def test_the_key_is_the_same_in_spark_and_in_python(spark):
    cases = [
        ("2024-03-01", "EUR", "USD"),
        (" 2024-03-01 ", "EUR", "USD"),
        ("a|b", "c", "d"),
        ("a", "b|c", "d"),
        ("a\\", "|b", "c"),
        ("2024-03-01", "", "USD"),
        ("2024-03-01", None, "USD"),
    ]
    frame = spark.createDataFrame(cases, "date string, base string, quote string")
    found = [r.k for r in frame.select(K.Key(FX).of_received().alias("k")).collect()]
    assert found == [FX.key_value(c) for c in cases]
    assert found[2] != found[3], "values holding the separator stay apart"
    assert found[5] is None and found[6] is None


def test_fx_rates_end_to_end(spark, tmp_path):
    root = tmp_path / "lake"
    lake = Lake.local(root)
    lake["bronze"].write_bytes(MARCH, "\n".join([HEADER, *LINES, *FILLER, ""]).encode())
    where = ("--dataset", "fx_rates", "--lake", str(root))

    code, out = lakegate_here(
        "ingest", *where, "--year", "2024", "--month", "3", "--run-id", "fx-mar", "--json"
    )
    assert code == 0, out[-2000:]
    summary = json.loads(out)
    assert (summary["dataset"], summary["input_rows"]) == ("fx_rates", 13 + len(FILLER))
    assert summary["valid_rows_count"] == 3 + len(FILLER)
    assert summary["condemned_rows_count"] == 1
    assert summary["quarantined_rows_count"] == 9
    assert summary["error_type_distribution"] == {
        "CURRENCY_ERROR": 2,
        "DUPLICATE_IN_BATCH": 1,
        "EXACT_DUPLICATE": 1,
        "NULL_VALUE_ERROR": 2,
        "PARTITION_MISMATCH": 1,
        "TYPE_ERROR": 3,
    }
    assert summary["control_totals"] == {"by": "quote", "sum_of": "rate"}

    silver = parquet_rows(lake, "silver", layout.run_prefix("fx_rates", "v1", "fx-mar"))
    named = [r for r in silver if r["date"].day <= 5]
    assert sorted((str(r["date"]), r["base"], r["quote"], r["rate"]) for r in named) == [
        ("2024-03-01", "EUR", "GBP", Decimal("0.85000000")),
        ("2024-03-01", "EUR", "USD", Decimal("1.08450000")),
        ("2024-03-05", "GBP", "CHF", Decimal("1.10000000")),
    ]
    written = spark.read.parquet(
        str(root / "silver" / layout.run_prefix("fx_rates", "v1", "fx-mar"))
    )
    assert written.schema == silver_schemas(FX)["v1"]

    failed = by_line(
        parquet_rows(lake, "quarantine", layout.quarantine_run_prefix("fx_rates", "fx-mar"))
    )
    assert failed[5]["error_message"] == (
        "key (date, base, quote) '2024-03-01|EUR|USD' was already accepted from"
        f" {MARCH} line 2 with different content"
    )
    assert failed[6]["error_message"] == "quote 'EUR' is the same as base"
    assert failed[7]["error_type"] == "CURRENCY_ERROR"
    assert failed[8]["error_message"].startswith("rate '0' is not a positive decimal")
    assert failed[9]["error_type"] == "TYPE_ERROR"
    assert failed[10]["error_message"] == (
        "date '2024-04-01' is 2024-04, outside the file's month 2024-03"
    )
    assert failed[12]["error_message"] == "date '2024-02-30' is not a date (yyyy-MM-dd)"
    assert {failed[n]["error_type"] for n in (11, 13)} == {"NULL_VALUE_ERROR"}
    condemned = parquet_rows(lake, "quarantine", layout.condemned_run_prefix("fx_rates", "fx-mar"))
    assert [(r["source_line"], r["condemned_reason"]) for r in condemned] == [
        (4, "EXACT_DUPLICATE")
    ]

    code, out = lakegate_here("review", "fx-mar", *where, "--json")
    assert code == 0, out[-2000:]
    review = json.loads(out)
    assert review["summary"]["run_id"] == "fx-mar"
    assert {r["field"] for r in review["sample"]} >= {"key", "quote", "rate", "date"}

    code, out = lakegate_here("promote", "fx-mar", *where, *APPROVE)
    assert code == 0, out[-2000:]
    latest = json.loads(lake["silver"].read_bytes(layout.latest_key("fx_rates")))
    assert (latest["dataset"], latest["run_id"], latest["version"]) == ("fx_rates", "fx-mar", 1)
    current = current_rows(lake)
    assert len(current) == 3 + len(FILLER)

    # The correction loop: the export names each row by its key's columns; a retry run
    # of corrected rows appends what passes, judged against what is published.
    out_dir = tmp_path / "corrections"
    code, out = lakegate_here("quarantine", "export", "fx-mar", *where, "--out", str(out_dir))
    assert code == 0, out[-2000:]
    exported = out_dir / "fx-mar-2024-03.csv"
    notes = list(csv.reader(exported.with_suffix(".errors.csv").open(encoding="utf-8")))
    assert notes[0] == ["line", "date", "base", "quote", "error_type", "error_message",
                        "attempt_count"]  # fmt: skip
    fixed = tmp_path / "fixed-2024-03.csv"
    fixed.write_text(f"{HEADER}\n2024-03-31,USD,CHF,0.91,ECB\n", encoding="utf-8")
    code, out = lakegate_here("quarantine", "retry", str(fixed), *where, "--run-id", "fx-fix")
    assert code == 0, out[-2000:]
    retry = success(lake, "fx-fix")
    assert (retry["input_rows"], retry["valid_rows_count"]) == (1, 1)
    assert retry["retried_from"] == {"fx-mar": {"valid": 1, "quarantined": 0, "condemned": 0}}
    code, out = lakegate_here("promote", "fx-fix", *where, *APPROVE)
    assert code == 0, out[-2000:]
    current = current_rows(lake, ["date", "quote"])
    assert len(current) == 4 + len(FILLER)

    # Still wrong, and a new rate for a published key: attempt 1, and a critical
    # BUSINESS_DUPLICATE that the gate refuses.
    exported.write_text(
        "\n".join([HEADER, "2024-03-02,EUR,XYZ,1.1,ECB", "2024-03-01,EUR,USD,1.09,Other", ""]),
        encoding="utf-8",
    )
    code, out = lakegate_here("quarantine", "retry", str(exported), *where, "--run-id", "fx-again")
    assert code == 0, out[-2000:]
    again = success(lake, "fx-again")
    assert again["error_type_distribution"] == {"BUSINESS_DUPLICATE": 1, "CURRENCY_ERROR": 1}
    rows = parquet_rows(lake, "quarantine", layout.quarantine_run_prefix("fx_rates", "fx-again"))
    assert {r["error_type"]: r["attempt_count"] for r in rows} == {
        "BUSINESS_DUPLICATE": 1,
        "CURRENCY_ERROR": 1,
    }
    assert lakegate_here("promote", "fx-again", *where, *APPROVE)[0] == 3
    latest = json.loads(lake["silver"].read_bytes(layout.latest_key("fx_rates")))
    assert latest["run_id"] == "fx-fix"


def test_promoting_fx_rates_keeps_its_catalog_table_on_current(tmp_path):
    """The table Terraform makes from the registry entry (infra/modules/glue/tables.tf),
    kept by the promoter as for transactions (Glue through moto)."""
    import boto3
    from moto import mock_aws

    from lakegate.config import dataset_config
    from promotion.catalog import GlueCatalog
    from promotion.publisher import Promoter
    from tests.aws_lake import create_published_table
    from tests.fake_runs import make_run

    lake = Lake.local(tmp_path / "lake")
    with mock_aws():
        glue = boto3.client("glue", region_name="eu-west-1")
        glue.create_database(DatabaseInput={"Name": "lakegate_dev"})
        create_published_table(
            glue,
            "lakegate_dev",
            "fx_rates",
            [(c.name, c.type) for c in FX.published_columns()],
            "s3://lakegate-dev-silver/fx_rates/current/",
        )
        catalog = GlueCatalog(glue, "lakegate_dev", "fx_rates")
        promoter = Promoter(lake, dataset_config("fx_rates"), lambda: "test", catalog=catalog)
        make_run(lake, "fx-a", {"year=2024/month=03": 10, "year=2024/month=04": 5},
                 dataset="fx_rates")  # fmt: skip
        promoter.promote("fx-a", "Dana", "rates checked")
        found = glue.get_partitions(DatabaseName="lakegate_dev", TableName="fx_rates")
        locations = {tuple(p["Values"]): p["StorageDescriptor"]["Location"]
                     for p in found["Partitions"]}  # fmt: skip
    assert locations == {
        ("2024", "03"): lake["silver"].uri("fx_rates/current/year=2024/month=03/"),
        ("2024", "04"): lake["silver"].uri("fx_rates/current/year=2024/month=04/"),
    }
