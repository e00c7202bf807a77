# One Lakegate environment: the five modules wired together. infra/envs/<env> calls this
# with the environment's settings, so the wiring is written once.

# GitHub's OIDC provider: created once per account by infra/bootstrap.
data "aws_iam_openid_connect_provider" "github" {
  url = "https://token.actions.githubusercontent.com"
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # One prefix for every name; the default has the account id in it, as infra/bootstrap's
  # and the command line's (lakegate.aws.name_prefix) have.
  name_prefix = coalesce(var.name_prefix, "lakegate-${data.aws_caller_identity.current.account_id}")
  # The permissions boundary infra/bootstrap creates for this environment (module
  # github_oidc); every role below carries it, and the deployer can create no other.
  permissions_boundary_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:policy/${local.name_prefix}-${var.environment}-boundary"

  # Each dataset's pipeline, from the dataset registry: the schema version its runs
  # write and its gold dataset (lakegate/datasets.json, which the job reads too).
  registry = jsondecode(file("${path.module}/../../../lakegate/datasets.json"))
  pipelines = {
    for dataset in var.datasets : dataset => {
      schema_v = lookup(var.schema_versions, dataset, local.registry.datasets[dataset].schema_v)
      gold     = try(local.registry.datasets[dataset].gold, null)
    }
  }
}

check "datasets_are_ingested_and_registered" {
  assert {
    condition     = alltrue([for d in var.datasets : try(local.registry.datasets[d].bucket, "") == "silver"])
    error_message = "Every entry of datasets must be an ingested dataset of lakegate/datasets.json (bucket silver)."
  }
}

module "storage" {
  source = "../storage"

  name_prefix               = local.name_prefix
  environment               = var.environment
  datasets                  = concat(var.datasets, var.domains)
  quarantine_retention_days = var.quarantine_retention_days
  audit_retention           = var.audit_retention
  force_destroy             = var.force_destroy
  tags                      = var.tags
}

module "iam" {
  source = "../iam"

  name_prefix              = local.name_prefix
  permissions_boundary_arn = local.permissions_boundary_arn
  environment              = var.environment
  bucket_arns              = module.storage.bucket_arns
  kms_key_arn              = module.storage.kms_key_arn
  glue_database            = module.glue.database_name
  athena_workgroup         = module.glue.athena_workgroup
  domains                  = var.domains
  github_repository        = var.github_repository
  github_oidc_provider_arn = data.aws_iam_openid_connect_provider.github.arn
  persona_principals       = var.persona_principals
  tags                     = var.tags
}

module "glue" {
  source = "../glue"

  name_prefix       = local.name_prefix
  environment       = var.environment
  pipelines         = local.pipelines
  bucket_names      = module.storage.bucket_names
  kms_key_arn       = module.storage.kms_key_arn
  job_role_arn      = module.iam.job_role_arn
  gold_job_role_arn = module.iam.gold_job_role_arn
  code_version      = var.code_version
  worker_type       = var.worker_type
  number_of_workers = var.number_of_workers
  auto_scaling      = var.auto_scaling
  tags              = var.tags
}

module "orchestration" {
  source = "../orchestration"

  name_prefix              = local.name_prefix
  permissions_boundary_arn = local.permissions_boundary_arn
  environment              = var.environment
  pipelines = {
    for dataset, pipeline in local.pipelines : dataset => {
      schema_v      = pipeline.schema_v
      glue_job_name = module.glue.job_names[dataset]
      glue_job_arn  = module.glue.job_arns[dataset]
    }
  }
  silver_bucket_name = module.storage.bucket_names["silver"]
  silver_bucket_arn  = module.storage.bucket_arns["silver"]
  kms_key_arn        = module.storage.kms_key_arn
  schedule_enabled   = var.schedule_enabled
  subscriptions      = var.subscriptions
  slack_channels     = var.slack_channels
  runbook_base_url   = local.runbook_base_url
  tags               = var.tags
}

# Each dataset's alarms and dashboard.
module "monitoring" {
  source   = "../monitoring"
  for_each = local.pipelines

  name_prefix       = local.name_prefix
  environment       = var.environment
  dataset           = each.key
  gold_dataset      = each.value.gold
  state_machine_arn = module.orchestration.state_machine_arns[each.key]
  topic_arns        = module.orchestration.topic_arns
  schedule_enabled  = var.schedule_enabled
  runbook_base_url  = local.runbook_base_url
  tags              = var.tags
}

locals {
  # Alert messages link the runbooks in the repository.
  runbook_base_url = "https://github.com/${var.github_repository}/blob/main/docs/runbooks"
}
