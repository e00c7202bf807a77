"""Glue Catalog partitions follow what is published (Glue through moto)."""

import boto3
import pytest
from moto import mock_aws

from lakegate.config import dataset_config
from lakegate.storage import Lake
from promotion.catalog import GlueCatalog
from promotion.publisher import Promoter
from tests.fake_runs import make_run

SYMLINK_INPUT = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


@pytest.fixture
def glue():
    with mock_aws():
        client = boto3.client("glue", region_name="eu-west-1")
        client.create_database(DatabaseInput={"Name": "lakegate_dev"})
        client.create_table(
            DatabaseName="lakegate_dev",
            TableInput={
                "Name": "transactions",
                "PartitionKeys": [
                    {"Name": "year", "Type": "string"},
                    {"Name": "month", "Type": "string"},
                ],
                "StorageDescriptor": {
                    "Columns": [{"Name": "TransactionID", "Type": "string"}],
                    "Location": "s3://lakegate-dev-silver/transactions/current/",
                    "InputFormat": SYMLINK_INPUT,
                    "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                    "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
                },
            },
        )
        yield client


def partitions(glue):
    found = glue.get_partitions(DatabaseName="lakegate_dev", TableName="transactions")
    return {tuple(p["Values"]): p["StorageDescriptor"] for p in found["Partitions"]}


def test_promotion_and_rollback_keep_catalog_partitions_on_current(glue, tmp_path):
    lake = Lake.local(tmp_path / "lake")
    catalog = GlueCatalog(glue, "lakegate_dev", "transactions")
    p = Promoter(lake, dataset_config("transactions"), lambda: "test", catalog=catalog)
    make_run(lake, "a", {"year=2024/month=03": 10})
    make_run(lake, "b", {"year=2024/month=04": 10})
    p.promote("a", "Dana", "one")
    p.promote("b", "Dana", "two")
    found = partitions(glue)
    assert set(found) == {("2024", "03"), ("2024", "04")}
    assert found[("2024", "04")]["Location"] == lake["silver"].uri(
        "transactions/current/year=2024/month=04/"
    )
    assert found[("2024", "04")]["InputFormat"] == SYMLINK_INPUT
    p.rollback("Dana", "drop april")
    assert set(partitions(glue)) == {("2024", "03")}
