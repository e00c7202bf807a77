"""Glue Catalog partitions follow what is published (Glue through moto)."""

import boto3
import pytest
from moto import mock_aws

from lakegate.config import dataset_config
from lakegate.storage import Lake
from promotion.catalog import GlueCatalog
from promotion.publisher import Promoter
from tests.aws_lake import SYMLINK_INPUT, create_published_table
from tests.fake_runs import make_run


@pytest.fixture
def glue():
    with mock_aws():
        client = boto3.client("glue", region_name="eu-west-1")
        client.create_database(DatabaseInput={"Name": "lakegate_dev"})
        create_published_table(
            client,
            "lakegate_dev",
            "transactions",
            [("TransactionID", "string")],
            "s3://lakegate-dev-silver/transactions/current/",
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


def test_promote_on_an_environment_records_the_sts_caller(glue, capsys):
    from lakegate.aws import bucket_names, environment_lake
    from lakegate_cli import cli
    from promotion import audit

    s3 = boto3.client("s3", region_name="eu-west-1")
    for name in bucket_names("dev").values():
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    lake = environment_lake("dev")
    make_run(lake, "aws-run", {"year=2024/month=03": 10})
    code = cli.main(["promote", "aws-run", "--env", "dev", "--approver", "Dana", "--reason", "x"])
    assert code == 0, capsys.readouterr().err
    (event,) = audit.events(lake["silver"], "transactions")
    assert event["caller"].startswith("arn:aws:sts::") or event["caller"].startswith(
        "arn:aws:iam::"
    )
    assert event["approver"] == "Dana"
    assert set(partitions(glue)) == {("2024", "03")}
    assert partitions(glue)[("2024", "03")]["Location"] == (
        "s3://lakegate-dev-silver/transactions/current/year=2024/month=03/"
    )


@pytest.mark.parametrize("dataset", ["../silver", "a/b", "Transactions", ""])
def test_dataset_names_that_could_escape_are_refused_by_every_command(dataset, tmp_path, capsys):
    from lakegate_cli import cli

    for command in (["runs"], ["audit"], ["review", "r1"]):
        assert cli.main([*command, "--dataset", dataset, "--lake", str(tmp_path)]) == 2
        assert "dataset" in capsys.readouterr().err
