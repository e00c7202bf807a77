provider "aws" {
  region = var.region

  default_tags {
    tags = { "lakegate:managed-by" = "terraform-bootstrap" }
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  environments = toset(var.environments)
  github_url   = "https://token.actions.githubusercontent.com"
  # The same default as modules/lakegate and the command line (lakegate.aws.name_prefix).
  name_prefix = coalesce(var.name_prefix, "lakegate-${data.aws_caller_identity.current.account_id}")
}

# GitHub's OIDC issuer, once per account. AWS verifies GitHub's certificate chain itself,
# so no thumbprint is configured.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = local.github_url
  client_id_list = ["sts.amazonaws.com"]
}

data "aws_iam_openid_connect_provider" "existing" {
  count = var.create_oidc_provider ? 0 : 1

  url = local.github_url
}

locals {
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.existing[0].arn
}

# --- Terraform state: one versioned, encrypted, private bucket per environment.
data "aws_iam_policy_document" "state_key" {
  #checkov:skip=CKV_AWS_109:A key policy's Resource "*" is this key only; the root statement is AWS's default delegation to IAM.
  #checkov:skip=CKV_AWS_111:A key policy's Resource "*" is this key only; the root statement is AWS's default delegation to IAM.
  #checkov:skip=CKV_AWS_356:A key policy's Resource "*" is this key only (key policies cannot name other resources).
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "state" {
  description         = "Lakegate Terraform state"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.state_key.json
}

resource "aws_kms_alias" "state" {
  name          = "alias/${local.name_prefix}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}

module "state_bucket" {
  source   = "../modules/bucket"
  for_each = local.environments

  name                    = "${local.name_prefix}-${each.key}-tfstate"
  kms_key_arn             = aws_kms_key.state.arn
  noncurrent_version_days = 365
}

# --- The roles GitHub Actions assumes, per environment.
module "github_oidc" {
  source   = "../modules/github_oidc"
  for_each = local.environments

  name_prefix       = local.name_prefix
  environment       = each.key
  github_repository = var.github_repository
  oidc_provider_arn = local.oidc_provider_arn
  state_bucket_arn  = module.state_bucket[each.key].arn
}
