# The dev environment: every setting that differs between environments is in locals.
locals {
  environment               = "dev"
  region                    = "eu-west-1" # also in the backend block (versions.tf)
  github_repository         = "lakegate/lakegate"
  dataset                   = "transactions"
  domains                   = []
  persona_principals        = {}
  subscriptions             = {}
  worker_type               = "G.1X"
  number_of_workers         = 2
  schedule_enabled          = false
  quarantine_retention_days = null
  condemned_retention_days  = null
  force_destroy             = true
  tags = {
    "lakegate:environment" = "dev"
    "lakegate:managed-by"  = "terraform"
  }
}

provider "aws" {
  region = local.region

  default_tags {
    tags = local.tags
  }
}

# Created once per account by infra/bootstrap.
data "aws_iam_openid_connect_provider" "github" {
  url = "https://token.actions.githubusercontent.com"
}

module "storage" {
  source = "../../modules/storage"

  environment               = local.environment
  datasets                  = concat([local.dataset], local.domains)
  quarantine_retention_days = local.quarantine_retention_days
  condemned_retention_days  = local.condemned_retention_days
  force_destroy             = local.force_destroy
  tags                      = local.tags
}

module "iam" {
  source = "../../modules/iam"

  environment              = local.environment
  bucket_arns              = module.storage.bucket_arns
  kms_key_arn              = module.storage.kms_key_arn
  glue_database            = module.glue.database_name
  athena_workgroup         = module.glue.athena_workgroup
  domains                  = local.domains
  github_repository        = local.github_repository
  github_oidc_provider_arn = data.aws_iam_openid_connect_provider.github.arn
  persona_principals       = local.persona_principals
  tags                     = local.tags
}

module "glue" {
  source = "../../modules/glue"

  environment       = local.environment
  dataset           = local.dataset
  bucket_names      = module.storage.bucket_names
  kms_key_arn       = module.storage.kms_key_arn
  job_role_arn      = module.iam.job_role_arn
  code_version      = var.code_version
  worker_type       = local.worker_type
  number_of_workers = local.number_of_workers
  tags              = local.tags
}

module "orchestration" {
  source = "../../modules/orchestration"

  environment        = local.environment
  dataset            = local.dataset
  glue_job_name      = module.glue.job_name
  glue_job_arn       = module.glue.job_arn
  silver_bucket_name = module.storage.bucket_names["silver"]
  silver_bucket_arn  = module.storage.bucket_arns["silver"]
  kms_key_arn        = module.storage.kms_key_arn
  schedule_enabled   = local.schedule_enabled
  subscriptions      = local.subscriptions
  tags               = local.tags
}

module "monitoring" {
  source = "../../modules/monitoring"

  environment       = local.environment
  dataset           = local.dataset
  state_machine_arn = module.orchestration.state_machine_arn
  topic_arns        = module.orchestration.topic_arns
  tags              = local.tags
}
