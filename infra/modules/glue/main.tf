locals {
  name     = "${var.name_prefix}-${var.environment}"
  database = replace(local.name, "-", "_") # lakegate.aws.glue_catalog: lakegate_<env>
  code     = "s3://${var.bucket_names["artifacts"]}/glue/${var.code_version}"
  # Both jobs' logs: system and Spark logs in <prefix>/error, the script's own output in
  # <prefix>/output (created here, KMS-encrypted, with a retention).
  log_group_prefix = "/aws-glue/jobs/${local.name}-jobs"
  # Arguments both jobs get: observability, temporary files, the lake, the build.
  common_arguments = {
    "--job-language"                 = "python"
    "--additional-python-modules"    = "${local.code}/lakegate-${var.code_version}-py3-none-any.whl"
    "--job-bookmark-option"          = "job-bookmark-disable"
    "--enable-metrics"               = "true"
    "--enable-observability-metrics" = "true"
    # Glue 5.x logs in real time to <prefix>/error and <prefix>/output; the Glue 4
    # arguments (--enable-continuous-cloudwatch-log, --continuous-log-logGroup) are gone.
    "--custom-logGroup-prefix" = local.log_group_prefix
    "--enable-spark-ui"        = "true"
    "--TempDir"                = "s3://${var.bucket_names["artifacts"]}/glue-temp/"
    "--bronze"                 = "s3://${var.bucket_names["bronze"]}"
    "--silver"                 = "s3://${var.bucket_names["silver"]}"
    "--gold"                   = "s3://${var.bucket_names["gold"]}"
    "--quarantine"             = "s3://${var.bucket_names["quarantine"]}"
    "--artifacts"              = "s3://${var.bucket_names["artifacts"]}"
    "--publish_metrics"        = "true"
    "--code_version"           = var.code_version
  }
}

resource "aws_glue_catalog_database" "lake" {
  name        = local.database
  description = "Lakegate ${var.environment}: published (promoted) tables"
  tags        = var.tags
}

# The published tables read current/: one Athena symlink manifest per month, pointing
# at the Parquet files of the runs _LATEST.json names. The promoter keeps their partitions.
resource "aws_glue_catalog_table" "published" {
  for_each = local.tables

  name          = each.key
  database_name = aws_glue_catalog_database.lake.name
  description   = each.value.description
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    classification = "parquet"
  }

  partition_keys {
    name = "year"
    type = "string"
  }

  partition_keys {
    name = "month"
    type = "string"
  }

  storage_descriptor {
    location      = "s3://${var.bucket_names[each.value.bucket]}/${each.key}/current/"
    input_format  = "org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"

    ser_de_info {
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    dynamic "columns" {
      for_each = each.value.columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_glue_security_configuration" "job" {
  name = "${local.name}-job"

  encryption_configuration {
    cloudwatch_encryption {
      cloudwatch_encryption_mode = "SSE-KMS"
      kms_key_arn                = var.kms_key_arn
    }

    job_bookmarks_encryption {
      job_bookmarks_encryption_mode = "CSE-KMS"
      kms_key_arn                   = var.kms_key_arn
    }

    s3_encryption {
      s3_encryption_mode = "SSE-KMS"
      kms_key_arn        = var.kms_key_arn
    }
  }
}

resource "aws_cloudwatch_log_group" "job" {
  for_each = toset(["error", "output"])

  name              = "${local.log_group_prefix}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

# Each dataset's pipeline: its ingestion job, and the gold job of one that has a gold
# dataset. Named <prefix>-<env>-<dataset>-ingest and -gold (lakegate.aws).
resource "aws_glue_job" "ingest" {
  for_each = var.pipelines

  name                   = "${local.name}-${each.key}-ingest"
  description            = "Lakegate ingestion of ${each.key} (code ${var.code_version})"
  role_arn               = var.job_role_arn
  glue_version           = var.glue_version
  worker_type            = var.worker_type
  number_of_workers      = var.number_of_workers
  timeout                = var.timeout_minutes
  max_retries            = 0 # the state machine retries transient errors; a failed run is rerun under a new run_id
  security_configuration = aws_glue_security_configuration.job.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.code}/ingest_transactions.py"
  }

  execution_property {
    max_concurrent_runs = var.max_concurrent_runs
  }

  # With auto scaling, number_of_workers is the most a run may use: a one-month run
  # validates in one task and keeps one executor (docs/performance.md, cost on Glue).
  default_arguments = merge(local.common_arguments, {
    "--spark-event-logs-path" = "s3://${var.bucket_names["artifacts"]}/spark-logs/${local.name}-${each.key}-ingest/"
    "--dataset"               = each.key
    "--run_type"              = "scheduled"
    "--schema_v"              = each.value.schema_v
    "--enable-auto-scaling"   = "${var.auto_scaling}"
  })

  tags = var.tags
}

# The gold job: the gold dataset (transactions: account_balances, month-end balances)
# from published silver, written as a gold run to be promoted. Started after a silver
# promotion; --dataset names the source.
resource "aws_glue_job" "gold" {
  for_each = { for dataset, pipeline in var.pipelines : dataset => pipeline.gold if pipeline.gold != null }

  name                   = "${local.name}-${each.key}-gold"
  description            = "Lakegate ${each.value} from ${each.key} (code ${var.code_version})"
  role_arn               = var.gold_job_role_arn
  glue_version           = var.glue_version
  worker_type            = var.gold_worker_type
  number_of_workers      = var.gold_number_of_workers
  timeout                = var.timeout_minutes
  max_retries            = 0
  security_configuration = aws_glue_security_configuration.job.name

  command {
    name            = "glueetl"
    python_version  = "3"
    script_location = "${local.code}/gold_balances.py"
  }

  execution_property {
    max_concurrent_runs = 1
  }

  default_arguments = merge(local.common_arguments, {
    "--spark-event-logs-path" = "s3://${var.bucket_names["artifacts"]}/spark-logs/${local.name}-${each.key}-gold/"
    "--dataset"               = each.key
  })

  tags = var.tags
}

# Analysts query the published tables here. Results stay in Athena's managed storage,
# encrypted with the lake key, so analysts need no S3 write access at all.
resource "aws_athena_workgroup" "analysts" {
  #checkov:skip=CKV_AWS_159:Results use Athena managed storage encrypted with the lake key (managed_query_results_configuration); result_configuration cannot be combined with it.
  name        = "${local.name}-analysts"
  description = "Lakegate ${var.environment}: analysts' read-only queries of published data"

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = 1099511627776

    managed_query_results_configuration {
      enabled = true

      encryption_configuration {
        kms_key = var.kms_key_arn
      }
    }
  }

  tags = var.tags
}
