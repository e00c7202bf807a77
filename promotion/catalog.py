"""Glue Data Catalog partitions for the published table (when a catalog is configured).

The table (made by Terraform) reads `current/`: Parquet through Athena symlink
manifests, one folder per partition. Its partitions therefore never need to move when
a new version is published; only added or removed months change the catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lakegate.ids import Month


@dataclass(frozen=True)
class GlueCatalog:
    client: Any  # boto3 Glue client, injected
    database: str
    table: str

    def _existing(self) -> dict[tuple[str, ...], str]:
        paginator = self.client.get_paginator("get_partitions")
        found = {}
        for page in paginator.paginate(DatabaseName=self.database, TableName=self.table):
            for partition in page["Partitions"]:
                found[tuple(partition["Values"])] = partition["StorageDescriptor"]["Location"]
        return found

    def sync(self, locations: dict[str, str]) -> dict[str, int]:
        """Make the table's partitions exactly `locations` ("year=YYYY/month=MM" -> URI)."""
        table = self.client.get_table(DatabaseName=self.database, Name=self.table)["Table"]
        template = table["StorageDescriptor"]
        wanted = {}
        for partition, uri in locations.items():
            month = Month.from_partition(partition)
            wanted[(f"{month.year:04d}", f"{month.month:02d}")] = uri
        existing = self._existing()
        create = [
            {"Values": list(values), "StorageDescriptor": {**template, "Location": uri}}
            for values, uri in sorted(wanted.items())
            if values not in existing
        ]
        move = [
            (values, uri)
            for values, uri in sorted(wanted.items())
            if values in existing and existing[values] != uri
        ]
        drop = [values for values in sorted(existing) if values not in wanted]
        for start in range(0, len(create), 100):
            self.client.batch_create_partition(
                DatabaseName=self.database,
                TableName=self.table,
                PartitionInputList=create[start : start + 100],
            )
        for values, uri in move:
            self.client.update_partition(
                DatabaseName=self.database,
                TableName=self.table,
                PartitionValueList=list(values),
                PartitionInput={
                    "Values": list(values),
                    "StorageDescriptor": {**template, "Location": uri},
                },
            )
        for start in range(0, len(drop), 25):
            self.client.batch_delete_partition(
                DatabaseName=self.database,
                TableName=self.table,
                PartitionsToDelete=[{"Values": list(v)} for v in drop[start : start + 25]],
            )
        return {"created": len(create), "moved": len(move), "dropped": len(drop)}
