# The published tables of the catalog, from the dataset registry. Only locals here:
# tests/aws/test_infra.py evaluates this file with terraform alone (no provider) and compares
# the columns with the Spark schemas the job writes (glue_jobs/schemas.py).
locals {
  # The dataset registry (lakegate/datasets.json, which the job and the promoter read
  # too): each published table's bucket, description and columns. Silver holds the
  # newest schema version's columns, then the lineage; Parquet is read by name, so files
  # of older versions give null for the columns they lack.
  registry = jsondecode(file("${path.module}/../../../lakegate/datasets.json"))
  published = {
    for name in concat(keys(var.pipelines), [for p in values(var.pipelines) : p.gold if p.gold != null]) :
    name => local.registry.datasets[name]
  }
  tables = {
    for name, d in local.published : name => {
      bucket      = d.bucket
      description = d.description
      columns = concat(
        [for c in d.columns : { name = c.name, type = c.type }],
        d.bucket == "silver" ? local.registry.lineage : [],
      )
    }
  }
}
