locals {
  name = "${var.name_prefix}-${var.environment}"

  # Every policy document is a JSON template in policies/ (tests render and evaluate them
  # with the same values; see tests/aws/test_iam_policies.py).
  policy_values = {
    name             = local.name
    partition        = data.aws_partition.current.partition
    region           = data.aws_region.current.region
    account_id       = data.aws_caller_identity.current.account_id
    bronze_arn       = var.bucket_arns["bronze"]
    silver_arn       = var.bucket_arns["silver"]
    gold_arn         = var.bucket_arns["gold"]
    quarantine_arn   = var.bucket_arns["quarantine"]
    artifacts_arn    = var.bucket_arns["artifacts"]
    kms_key_arn      = var.kms_key_arn
    glue_database    = var.glue_database
    athena_workgroup = var.athena_workgroup
  }

  personas = merge(
    {
      platform   = templatefile("${path.module}/policies/platform.json.tftpl", local.policy_values)
      analyst    = templatefile("${path.module}/policies/analyst.json.tftpl", local.policy_values)
      compliance = templatefile("${path.module}/policies/compliance.json.tftpl", local.policy_values)
      # Data-quality reviewers: read quarantined and condemned rows, file corrections.
      data-quality = templatefile("${path.module}/policies/data_quality.json.tftpl", local.policy_values)
    },
    {
      for d in var.domains : "domain-${d}" => templatefile(
        "${path.module}/policies/domain.json.tftpl", merge(local.policy_values, { domain = d })
      )
    },
  )
  persona_roles = { for persona, principals in var.persona_principals : persona => principals if length(principals) > 0 }
  github_sub    = "repo:${var.github_repository}"
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

# --- The Glue job role: reads bronze, writes run paths, quarantine and condemned; never publishes.
data "aws_iam_policy_document" "assume_glue" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["glue.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "job" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-glue-job"
  description          = "Lakegate ingestion job: writes run paths, never _LATEST.json or current/"
  assume_role_policy   = data.aws_iam_policy_document.assume_glue.json
  tags                 = var.tags
}

resource "aws_iam_role_policy" "job" {
  name   = "ingest"
  role   = aws_iam_role.job.id
  policy = templatefile("${path.module}/policies/job.json.tftpl", local.policy_values)
}

# The gold job's own role: it reads published silver and writes gold run paths only (no
# bronze, no quarantine, nothing in silver).
resource "aws_iam_role" "gold_job" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-glue-gold-job"
  description          = "Lakegate gold job: reads published silver, writes gold run paths"
  assume_role_policy   = data.aws_iam_policy_document.assume_glue.json
  tags                 = var.tags
}

resource "aws_iam_role_policy" "gold_job" {
  name   = "gold"
  role   = aws_iam_role.gold_job.id
  policy = templatefile("${path.module}/policies/gold_job.json.tftpl", local.policy_values)
}

# --- The promoter role: the only writer of _LATEST.json, current/, _versions/ and _audit/.
# Assumed by the promote workflow in the GitHub environment promote-<env> (whose required
# reviewers are the approvers), and by the principals listed in persona_principals.promoter.
module "promoter_trust" {
  source = "../github_trust"

  oidc_provider_arn = var.github_oidc_provider_arn
  subjects          = ["${local.github_sub}:environment:promote-${var.environment}"]
}

data "aws_iam_policy_document" "assume_promoter" {
  source_policy_documents = [module.promoter_trust.json]

  dynamic "statement" {
    for_each = length(lookup(var.persona_principals, "promoter", [])) > 0 ? [1] : []

    content {
      sid     = "Approvers"
      actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]

      principals {
        type        = "AWS"
        identifiers = var.persona_principals["promoter"]
      }
    }
  }
}

resource "aws_iam_role" "promoter" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-promoter"
  description          = "Lakegate promoter: publishes approved runs"
  assume_role_policy   = data.aws_iam_policy_document.assume_promoter.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "promoter" {
  name   = "promote"
  role   = aws_iam_role.promoter.id
  policy = templatefile("${path.module}/policies/promoter.json.tftpl", local.policy_values)
}

# --- The operator role: the backfill workflow (environment operate-<env>) starts executions,
# files corrections and starts the gold job (policies/operator.json.tftpl).
module "operator_trust" {
  source = "../github_trust"

  oidc_provider_arn = var.github_oidc_provider_arn
  subjects          = ["${local.github_sub}:environment:operate-${var.environment}"]
}

resource "aws_iam_role" "operator" {
  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-operator"
  description          = "Lakegate operator: starts backfill executions"
  assume_role_policy   = module.operator_trust.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "operator" {
  name   = "backfill"
  role   = aws_iam_role.operator.id
  policy = templatefile("${path.module}/policies/operator.json.tftpl", local.policy_values)
}

# --- Persona policies (attach them to SSO permission sets or groups), and optional roles.
resource "aws_iam_policy" "persona" {
  for_each = local.personas

  name        = "${local.name}-${each.key}"
  description = "Lakegate ${var.environment} persona ${each.key} (see infra/README.md, persona matrix)"
  policy      = each.value
  tags        = var.tags
}

data "aws_iam_policy_document" "assume_persona" {
  for_each = { for persona, principals in local.persona_roles : persona => principals if persona != "promoter" }

  statement {
    actions = ["sts:AssumeRole", "sts:SetSourceIdentity"]

    principals {
      type        = "AWS"
      identifiers = each.value
    }
  }
}

resource "aws_iam_role" "persona" {
  for_each = data.aws_iam_policy_document.assume_persona

  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-${each.key}"
  assume_role_policy   = each.value.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "persona" {
  for_each = aws_iam_role.persona

  role       = each.value.name
  policy_arn = aws_iam_policy.persona[each.key].arn
}
