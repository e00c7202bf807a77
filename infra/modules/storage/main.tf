locals {
  name = "${var.name_prefix}-${var.environment}"
  # The five lake buckets; lakegate.layout.BUCKETS and lakegate.aws.bucket_names use the same roles.
  roles   = toset(["bronze", "silver", "gold", "quarantine", "artifacts"])
  buckets = { for role in local.roles : role => "${local.name}-${role}" }
  # Quarantined rows may expire; condemned rows never do (SPEC §4): they are deleted
  # only by `lakegate purge-condemned`, which records a named approval.
  retention = var.quarantine_retention_days == null ? [] : [
    for d in var.datasets : { id = "retain-${d}-quarantine", prefix = "${d}/quarantine/", days = var.quarantine_retention_days }
  ]
  # Silver and gold hold the audit log (<dataset>/_audit/): S3 Object Lock on, every
  # record created once with this retention, never deleted (the bucket policy refuses
  # anything else, to every principal). The tags tell the promoter which retention to
  # ask for; the policy holds whatever the tags say.
  write_once = toset(["silver", "gold"])
  audit_retention_tags = {
    "lakegate:audit-retention-mode" = var.audit_retention.mode
    "lakegate:audit-retention-days" = tostring(var.audit_retention.days)
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

# One customer managed key for the lake, its logs and its topics.
data "aws_iam_policy_document" "key" {
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

  statement {
    sid       = "CloudWatchLogsEncryptsLogGroups"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${data.aws_region.current.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }

  statement {
    sid       = "AlarmsAndEventsPublishToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_kms_key" "lake" {
  description             = "Lakegate ${var.environment}: lake buckets, logs and topics"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "lake" {
  name          = "alias/${local.name}-lake"
  target_key_id = aws_kms_key.lake.key_id
}

# --- S3 server access logs of the lake buckets (SSE-S3: log delivery cannot use SSE-KMS).
data "aws_iam_policy_document" "log_delivery" {
  statement {
    sid       = "S3LogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["arn:${data.aws_partition.current.partition}:s3:::${local.name}-access-logs/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${data.aws_partition.current.partition}:s3:::${local.name}-*"]
    }
  }
}

module "access_logs" {
  source = "../bucket"

  name                    = "${local.name}-access-logs"
  noncurrent_version_days = var.noncurrent_version_days
  expiration_rules        = [{ id = "expire-access-logs", prefix = "", days = var.access_log_retention_days }]
  policy_documents        = [data.aws_iam_policy_document.log_delivery.json]
  force_destroy           = var.force_destroy
  tags                    = var.tags
}

# --- The lake buckets: bronze, silver, gold, quarantine, artifacts. Object events go to
# EventBridge (bronze arrivals, _SUCCESS and _LATEST.json writes can start rules).
module "lake" {
  source   = "../bucket"
  for_each = local.buckets

  name                    = each.value
  kms_key_arn             = aws_kms_key.lake.arn
  noncurrent_version_days = var.noncurrent_version_days
  expiration_rules        = each.key == "quarantine" ? local.retention : []
  access_log_bucket       = module.access_logs.name
  access_log_prefix       = "${each.key}/"
  eventbridge             = true
  object_lock_enabled     = contains(local.write_once, each.key)
  policy_documents = contains(local.write_once, each.key) ? [templatefile("${path.module}/policies/write_once.json.tftpl", {
    bucket_arn = "arn:${data.aws_partition.current.partition}:s3:::${each.value}"
    mode       = var.audit_retention.mode
    days       = var.audit_retention.days
  })] : []
  force_destroy = var.force_destroy
  tags = merge(
    var.tags,
    { "lakegate:layer" = each.key },
    contains(local.write_once, each.key) ? local.audit_retention_tags : {},
  )
}
