locals {
  name    = "${var.name_prefix}-${var.environment}"
  account = data.aws_caller_identity.current.account_id
  arn     = "arn:${data.aws_partition.current.partition}"
  region  = data.aws_region.current.region
  # GitHub's OIDC subjects: a job in a GitHub environment; a pull request; a job on main
  # outside any environment (the plan step of a deployment). A pull request may plan dev
  # and sit, never prod: prod is planned from main only.
  deploy_subject = "repo:${var.github_repository}:environment:${var.environment}"
  plan_subjects = concat(
    var.environment == "prod" ? [] : ["repo:${var.github_repository}:pull_request"],
    ["repo:${var.github_repository}:ref:refs/heads/main"],
  )
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# --- Deployer: applies Terraform in this environment. Only workflow jobs running in the
# GitHub environment <env> (whose required reviewers approve each deployment) can assume it.
module "trust_deployer" {
  source = "../github_trust"

  oidc_provider_arn = var.oidc_provider_arn
  subjects          = [local.deploy_subject]
}

data "aws_iam_policy_document" "deployer" {
  #checkov:skip=CKV_AWS_356:kms:CreateKey, glue security configurations and the Describe/List calls Terraform makes are not resource-scopable; the statements that need "*" are limited to those actions or to tagged resources.
  # The state's earlier versions are read too: the rollback workflow restores one
  # (tools/state_restore.py copies it over the current state; no version is deleted).
  statement {
    sid       = "TerraformState"
    actions   = ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"]
    resources = [var.state_bucket_arn, "${var.state_bucket_arn}/*"]
  }

  # The state bucket matches the lake pattern below; the deployer reads and writes its
  # objects (state, lock file), reads their versions, and may change nothing else.
  statement {
    sid         = "TheStateBucketIsObjectsOnly"
    effect      = "Deny"
    not_actions = ["s3:ListBucket", "s3:ListBucketVersions", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"]
    resources   = [var.state_bucket_arn, "${var.state_bucket_arn}/*"]
  }

  statement {
    sid       = "LakeBuckets"
    actions   = ["s3:*"]
    resources = ["${local.arn}:s3:::${local.name}-*", "${local.arn}:s3:::${local.name}-*/*"]
  }

  statement {
    sid       = "CreateTaggedKeys"
    actions   = ["kms:CreateKey", "kms:TagResource"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:RequestTag/lakegate:environment"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "ManageThisEnvironmentsKeys"
    actions   = ["kms:*"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/lakegate:environment"
      values   = [var.environment]
    }
  }

  statement {
    sid       = "KeyAliases"
    actions   = ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"]
    resources = ["${local.arn}:kms:${local.region}:${local.account}:alias/${local.name}-*"]
  }

  statement {
    sid = "RolesAndPolicies"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
      "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy",
      "iam:ListInstanceProfilesForRole", "iam:CreatePolicy", "iam:DeletePolicy",
      "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:CreatePolicyVersion",
      "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy", "iam:PutRolePermissionsBoundary",
    ]
    resources = [
      "${local.arn}:iam::${local.account}:role/${local.name}-*",
      "${local.arn}:iam::${local.account}:policy/${local.name}-*",
    ]
  }

  # Managed policies attach only if they are this environment's own or the read-only
  # CloudWatch policy the Slack channel role uses: never AdministratorAccess.
  statement {
    sid       = "AttachOnlyTheseManagedPolicies"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["${local.arn}:iam::${local.account}:role/${local.name}-*"]

    condition {
      test     = "ArnLike"
      variable = "iam:PolicyARN"
      values = [
        "${local.arn}:iam::${local.account}:policy/${local.name}-*",
        "${local.arn}:iam::aws:policy/CloudWatchReadOnlyAccess",
      ]
    }
  }

  # The deploy roles match the role pattern above; they are bootstrap's, never changed
  # by a deployment.
  statement {
    sid       = "NeverTheDeployRoles"
    effect    = "Deny"
    actions   = ["iam:*"]
    resources = ["${local.arn}:iam::${local.account}:role/${local.name}-deployer", "${local.arn}:iam::${local.account}:role/${local.name}-planner"]
  }

  # Every role a deployment creates or changes carries the boundary, so no role it makes
  # can hold more than the boundary allows (no IAM, no STS, no change to the buckets'
  # own protections), whatever policy is put on it; the boundary itself is bootstrap's.
  statement {
    sid    = "EveryRoleCarriesTheBoundary"
    effect = "Deny"
    actions = [
      "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy",
      "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRolePolicy",
    ]
    resources = ["${local.arn}:iam::${local.account}:role/*"]

    condition {
      test     = "StringNotEquals"
      variable = "iam:PermissionsBoundary"
      values   = ["${local.arn}:iam::${local.account}:policy/${local.name}-boundary"]
    }
  }

  statement {
    sid       = "NeverTheBoundary"
    effect    = "Deny"
    actions   = ["iam:DeleteRolePermissionsBoundary", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy"]
    resources = ["${local.arn}:iam::${local.account}:role/*", "${local.arn}:iam::${local.account}:policy/${local.name}-boundary"]
  }

  statement {
    sid = "SlackChannelsThroughChatbot"
    actions = [
      "chatbot:CreateSlackChannelConfiguration", "chatbot:UpdateSlackChannelConfiguration",
      "chatbot:DeleteSlackChannelConfiguration", "chatbot:TagResource", "chatbot:UntagResource",
      "chatbot:ListTagsForResource",
    ]
    resources = ["${local.arn}:chatbot::${local.account}:chat-configuration/slack-channel/${local.name}-*"]
  }

  statement {
    sid       = "PassThisEnvironmentsRoles"
    actions   = ["iam:PassRole"]
    resources = ["${local.arn}:iam::${local.account}:role/${local.name}-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["glue.amazonaws.com", "states.amazonaws.com", "events.amazonaws.com", "chatbot.amazonaws.com"]
    }
  }

  statement {
    sid       = "ReadTheOidcProvider"
    actions   = ["iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviders"]
    resources = ["*"]
  }

  statement {
    sid     = "GlueJobAndCatalog"
    actions = ["glue:*"]
    resources = [
      "${local.arn}:glue:${local.region}:${local.account}:catalog",
      "${local.arn}:glue:${local.region}:${local.account}:database/${replace(local.name, "-", "_")}",
      "${local.arn}:glue:${local.region}:${local.account}:table/${replace(local.name, "-", "_")}/*",
      "${local.arn}:glue:${local.region}:${local.account}:job/${local.name}-*",
    ]
  }

  statement {
    sid       = "GlueSecurityConfigurations"
    actions   = ["glue:CreateSecurityConfiguration", "glue:DeleteSecurityConfiguration", "glue:GetSecurityConfiguration", "glue:GetSecurityConfigurations"]
    resources = ["*"]
  }

  statement {
    sid     = "Orchestration"
    actions = ["states:*", "events:*", "sns:*", "athena:*"]
    resources = [
      "${local.arn}:states:${local.region}:${local.account}:stateMachine:${local.name}-*",
      "${local.arn}:events:${local.region}:${local.account}:rule/${local.name}-*",
      "${local.arn}:sns:${local.region}:${local.account}:${local.name}-*",
      "${local.arn}:athena:${local.region}:${local.account}:workgroup/${local.name}-*",
    ]
  }

  statement {
    sid     = "AlarmsDashboardsAndLogs"
    actions = ["cloudwatch:*", "logs:*"]
    resources = [
      "${local.arn}:cloudwatch:${local.region}:${local.account}:alarm:${local.name}-*",
      "${local.arn}:cloudwatch::${local.account}:dashboard/${local.name}-*",
      "${local.arn}:logs:${local.region}:${local.account}:log-group:/aws/vendedlogs/states/${local.name}-*",
      "${local.arn}:logs:${local.region}:${local.account}:log-group:/aws-glue/jobs/${local.name}-*",
    ]
  }

  statement {
    sid = "DescribeCallsTerraformMakes"
    actions = [
      "cloudwatch:DescribeAlarms", "logs:DescribeLogGroups", "logs:ListTagsForResource",
      "states:ListStateMachines", "sns:ListTopics", "kms:ListAliases", "kms:ListKeys",
      "events:ListRules", "athena:ListWorkGroups", "glue:GetJobs", "glue:GetDatabases",
      "chatbot:DescribeSlackChannelConfigurations",
      # A state machine with logging: Step Functions sets up vended-log delivery as the caller.
      "logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name        = "${local.name}-boundary"
  description = "Permissions boundary of every role a ${var.environment} deployment creates"
  policy      = file("${path.module}/policies/boundary.json")
  tags        = var.tags
}

resource "aws_iam_role" "deployer" {
  name                 = "${local.name}-deployer"
  description          = "GitHub Actions deploys of ${var.github_repository} to ${var.environment}"
  assume_role_policy   = module.trust_deployer.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "deployer" {
  name   = "deploy"
  role   = aws_iam_role.deployer.id
  policy = data.aws_iam_policy_document.deployer.json
}

# --- Planner: read-only, for `terraform plan` on pull requests and before each deployment.
# It reads the configuration of this environment's resources and the state; never object
# data, log events, execution inputs or any other account data (no ReadOnlyAccess).
module "trust_planner" {
  source = "../github_trust"

  oidc_provider_arn = var.oidc_provider_arn
  subjects          = local.plan_subjects
}

data "aws_iam_policy_document" "planner" {
  #checkov:skip=CKV_AWS_356:the Describe/List/Get calls a plan's refresh makes on IAM, KMS, CloudWatch, Chatbot and tag APIs are not resource-scopable; none returns data.
  statement {
    sid       = "ReadTheState"
    actions   = ["s3:ListBucket", "s3:GetObject"]
    resources = [var.state_bucket_arn, "${var.state_bucket_arn}/*"]
  }

  # Bucket configuration only: object-level reads need object ARNs, not granted here.
  statement {
    sid       = "ReadBucketConfiguration"
    actions   = ["s3:GetBucket*", "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration", "s3:GetReplicationConfiguration", "s3:GetAccelerateConfiguration", "s3:GetIntelligentTieringConfiguration", "s3:GetInventoryConfiguration", "s3:GetAnalyticsConfiguration", "s3:GetMetricsConfiguration", "s3:ListBucket"]
    resources = ["${local.arn}:s3:::${local.name}-*"]
  }

  statement {
    sid = "ReadThisEnvironmentsResources"
    actions = [
      "glue:GetJob", "glue:GetDatabase", "glue:GetTable", "glue:GetTags",
      "states:DescribeStateMachine", "states:ListTagsForResource",
      "events:DescribeRule", "events:ListTargetsByRule", "events:ListTagsForResource",
      "sns:GetTopicAttributes", "sns:ListTagsForResource", "sns:ListSubscriptionsByTopic",
      "athena:GetWorkGroup", "athena:ListTagsForResource",
      "logs:ListTagsLogGroup",
    ]
    resources = [
      "${local.arn}:glue:${local.region}:${local.account}:catalog",
      "${local.arn}:glue:${local.region}:${local.account}:database/${replace(local.name, "-", "_")}",
      "${local.arn}:glue:${local.region}:${local.account}:table/${replace(local.name, "-", "_")}/*",
      "${local.arn}:glue:${local.region}:${local.account}:job/${local.name}-*",
      "${local.arn}:states:${local.region}:${local.account}:stateMachine:${local.name}-*",
      "${local.arn}:events:${local.region}:${local.account}:rule/${local.name}-*",
      "${local.arn}:sns:${local.region}:${local.account}:${local.name}-*",
      "${local.arn}:athena:${local.region}:${local.account}:workgroup/${local.name}-*",
      "${local.arn}:logs:${local.region}:${local.account}:log-group:*",
    ]
  }

  statement {
    sid = "DescribeCallsAPlanMakes"
    actions = [
      "iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
      "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions",
      "iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviders",
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
      "kms:ListAliases", "cloudwatch:DescribeAlarms", "cloudwatch:GetDashboard",
      "cloudwatch:ListTagsForResource", "logs:DescribeLogGroups", "logs:ListTagsForResource",
      "glue:GetSecurityConfiguration", "sns:GetSubscriptionAttributes",
      "chatbot:DescribeSlackChannelConfigurations", "chatbot:ListTagsForResource",
    ]
    resources = ["*"]
  }

  statement {
    sid           = "NoLakeData"
    effect        = "Deny"
    actions       = ["s3:GetObject", "s3:GetObjectVersion"]
    not_resources = ["${var.state_bucket_arn}/*"]
  }

  statement {
    sid       = "NoDecryptionOutsideTheState"
    effect    = "Deny"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

    condition {
      test     = "StringNotEquals"
      variable = "kms:ViaService"
      values   = ["s3.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "planner" {
  name                 = "${local.name}-planner"
  description          = "GitHub Actions terraform plan of ${var.github_repository} on pull requests (read-only)"
  assume_role_policy   = module.trust_planner.json
  max_session_duration = 3600
  tags                 = var.tags
}

resource "aws_iam_role_policy" "planner" {
  name   = "plan"
  role   = aws_iam_role.planner.id
  policy = data.aws_iam_policy_document.planner.json
}
