"""The environment's lake in moto as Terraform creates it (silver with Object Lock and
its retention tags), and an S3 client holding exactly the promoter's policy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import boto3
from moto import mock_aws

from lakegate.storage import Lake
from rehearsal.definitions import audit_retention, retention_tags
from rehearsal.roles import Place, role_policy


@contextmanager
def as_promoter(
    place: Place, versioned: bool = False, fill: Callable[[object], None] = lambda admin: None
) -> Iterator[tuple[object, Lake, dict]]:
    """(admin S3 client, the lake as the promoter sees it, the promoter's policy).
    `fill(admin)` puts the objects a test starts from, before any role exists."""
    with mock_aws():
        admin = boto3.client("s3", region_name=place.region)
        for role, bucket in place.buckets.items():
            admin.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": place.region},
                ObjectLockEnabledForBucket=role == "silver",
            )
            if versioned:
                admin.put_bucket_versioning(
                    Bucket=bucket, VersioningConfiguration={"Status": "Enabled"}
                )
        tags = retention_tags(audit_retention(place.env))
        admin.put_bucket_tagging(Bucket=place.buckets["silver"], Tagging={"TagSet": tags})
        fill(admin)
        iam = boto3.client("iam", region_name="us-east-1")
        iam.create_user(UserName="promoter")
        policy = role_policy("promoter", place, [place.topic_arn("alerts")])
        iam.put_user_policy(
            UserName="promoter", PolicyName="promoter", PolicyDocument=json.dumps(policy)
        )
        key = iam.create_access_key(UserName="promoter")["AccessKey"]
        client = boto3.client(
            "s3",
            region_name=place.region,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        yield admin, Lake.s3(client, place.buckets), policy


SYMLINK_INPUT = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
PARQUET_SERDE = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"


def create_published_table(
    glue, database: str, name: str, columns: list[tuple[str, str]], location: str
) -> None:
    """A published table as infra/modules/glue/tables.tf makes it: `columns` (name,
    type), partitioned by year and month, Parquet read through symlink manifests."""
    glue.create_table(
        DatabaseName=database,
        TableInput={
            "Name": name,
            "PartitionKeys": [{"Name": n, "Type": "string"} for n in ("year", "month")],
            "StorageDescriptor": {
                "Columns": [{"Name": c, "Type": t} for c, t in columns],
                "Location": location,
                "InputFormat": SYMLINK_INPUT,
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {"SerializationLibrary": PARQUET_SERDE},
            },
        },
    )
