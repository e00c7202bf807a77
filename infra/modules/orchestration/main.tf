locals {
  name = "${var.name_prefix}-${var.environment}"

  # Alerts are routed to one topic per owning team and priority (lakegate/alerts.json,
  # the file the monitoring module and lakegate.alerts read too); reviewers get their own.
  alerts       = jsondecode(file("${path.module}/../../../lakegate/alerts.json"))
  alert_topics = { for name, alarm in local.alerts.alarms : name => "${alarm.owner}-${lower(alarm.priority)}" }
  topics       = setunion(["reviewers"], values(local.alert_topics))

  subscriptions = flatten([
    for topic, endpoints in var.subscriptions : [
      for endpoint in endpoints : { topic = topic, protocol = endpoint.protocol, endpoint = endpoint.endpoint }
    ]
  ])
}

resource "aws_sns_topic" "this" {
  for_each = local.topics

  name              = "${local.name}-${each.key}"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

# E-mail and HTTPS endpoints (an incident tool's SNS integration). Both confirm the
# subscription before SNS delivers to them.
resource "aws_sns_topic_subscription" "this" {
  for_each = { for s in local.subscriptions : "${s.topic}:${s.protocol}:${s.endpoint}" => s }

  topic_arn = try(aws_sns_topic.this[each.value.topic].arn, null)
  protocol  = each.value.protocol
  endpoint  = each.value.endpoint

  lifecycle {
    precondition {
      condition     = contains(local.topics, each.value.topic)
      error_message = "subscriptions: ${each.value.topic} is not a topic; topics are reviewers and <team>-<priority> as lakegate/alerts.json routes them."
    }
  }
}

# Slack: AWS Chatbot posts each topic's messages (alarm notifications rendered by
# Chatbot, the state machine's messages as text) to a channel. The Slack workspace is
# authorised once per account in the Chatbot console; its channels are configured here.
data "aws_iam_policy_document" "assume_chatbot" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["chatbot.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "chatbot" {
  count = length(var.slack_channels) > 0 ? 1 : 0

  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-chatbot"
  assume_role_policy   = data.aws_iam_policy_document.assume_chatbot.json
  tags                 = var.tags
}

resource "aws_iam_role_policy_attachment" "chatbot" {
  count = length(var.slack_channels) > 0 ? 1 : 0

  role       = aws_iam_role.chatbot[0].name
  policy_arn = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"
}

resource "aws_chatbot_slack_channel_configuration" "this" {
  for_each = var.slack_channels

  configuration_name = "${local.name}-${each.key}"
  iam_role_arn       = aws_iam_role.chatbot[0].arn
  slack_team_id      = each.value.team_id
  slack_channel_id   = each.value.channel_id
  sns_topic_arns     = [for topic in each.value.topics : aws_sns_topic.this[topic].arn]
  # Chatbot may only read CloudWatch from the channel, whatever its role allows.
  guardrail_policy_arns = ["arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"]
  logging_level         = "ERROR"
  tags                  = var.tags
}

# Each dataset's pipeline: its state machine (with role and log group) and schedule,
# named <prefix>-<env>-<dataset>-ingest (lakegate.aws.state_machine_name).
resource "aws_cloudwatch_log_group" "this" {
  for_each = var.pipelines

  name              = "/aws/vendedlogs/states/${local.name}-${each.key}-ingest"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "assume_states" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    # Only this account's state machines may assume it (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# The state machine's grant (policies/state_machine.json.tftpl). It reads _SUCCESS
# before it exists: S3 answers a missing key with 404 NoSuchKey (which the ValidateOutput
# retry waits on) only to a caller that may list the bucket; to any other it answers 403
# AccessDenied, and the run would fail at once. The ListBucket grant has no s3:prefix
# condition: that key is not part of a GetObject request, so S3 could not match it.
locals {
  state_machine_policy = { for dataset, pipeline in var.pipelines : dataset => templatefile("${path.module}/policies/state_machine.json.tftpl", {
    glue_job_arn      = pipeline.glue_job_arn
    silver_bucket_arn = var.silver_bucket_arn
    dataset           = dataset
    kms_key_arn       = var.kms_key_arn
    topic_arns        = jsonencode([for topic in aws_sns_topic.this : topic.arn])
  }) }
}

resource "aws_iam_role" "state_machine" {
  for_each = var.pipelines

  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-${each.key}-states"
  assume_role_policy   = data.aws_iam_policy_document.assume_states.json
  tags                 = var.tags
}

resource "aws_iam_role_policy" "state_machine" {
  for_each = var.pipelines

  name   = "run-ingestion"
  role   = aws_iam_role.state_machine[each.key].id
  policy = local.state_machine_policy[each.key]
}

resource "aws_sfn_state_machine" "this" {
  for_each = var.pipelines

  name     = "${local.name}-${each.key}-ingest"
  role_arn = aws_iam_role.state_machine[each.key].arn
  definition = templatefile("${path.module}/../../../state_machine/ingest.asl.json", {
    dataset                        = each.key
    environment                    = var.environment
    glue_job_name                  = each.value.glue_job_name
    glue_retry_interval_seconds    = var.glue_retry_interval_seconds
    success_retry_interval_seconds = var.success_retry_interval_seconds
    max_quarantine_rate            = var.max_quarantine_rate
    schema_v                       = each.value.schema_v
    silver_bucket                  = var.silver_bucket_name
    reviewers_topic_arn            = aws_sns_topic.this["reviewers"].arn
    job_failure_topic_arn          = aws_sns_topic.this[local.alert_topics["job-failure"]].arn
    job_failure_owner              = local.alerts.teams[local.alerts.alarms["job-failure"].owner].name
    gate_failure_topic_arn         = aws_sns_topic.this[local.alert_topics["gate-failure"]].arn
    gate_failure_owner             = local.alerts.teams[local.alerts.alarms["gate-failure"].owner].name
    runbook_base_url               = trimsuffix(var.runbook_base_url, "/")
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.this[each.key].arn}:*"
    include_execution_data = true
    level                  = "ERROR"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags
}

# The daily scheduled run. EventBridge names the execution; that name is the run_id.
resource "aws_cloudwatch_event_rule" "schedule" {
  for_each = var.pipelines

  name                = "${local.name}-${each.key}-schedule"
  description         = "Daily Lakegate ingestion of ${each.key}"
  schedule_expression = var.schedule_expression
  state               = var.schedule_enabled ? "ENABLED" : "DISABLED"
  tags                = var.tags
}

data "aws_iam_policy_document" "assume_events" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    # Only this account's rules may assume it (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "schedule" {
  for_each = var.pipelines

  permissions_boundary = var.permissions_boundary_arn
  name                 = "${local.name}-${each.key}-schedule"
  assume_role_policy   = data.aws_iam_policy_document.assume_events.json
  tags                 = var.tags
}

resource "aws_iam_role_policy" "schedule" {
  for_each = var.pipelines

  name   = "start-ingestion"
  role   = aws_iam_role.schedule[each.key].id
  policy = templatefile("${path.module}/policies/schedule.json.tftpl", { state_machine_arn = aws_sfn_state_machine.this[each.key].arn })
}

resource "aws_cloudwatch_event_target" "schedule" {
  for_each = var.pipelines

  rule     = aws_cloudwatch_event_rule.schedule[each.key].name
  arn      = aws_sfn_state_machine.this[each.key].arn
  role_arn = aws_iam_role.schedule[each.key].arn
  input    = file("${path.module}/../../../state_machine/scheduled_input.json")
}

# An alert topic nobody receives is an alert that reaches nobody: warn at every plan.
check "every_alert_topic_reaches_someone" {
  assert {
    condition = alltrue([
      for topic in values(local.alert_topics) :
      length(lookup(var.subscriptions, topic, [])) > 0 || anytrue([for c in values(var.slack_channels) : contains(c.topics, topic)])
    ])
    error_message = "No subscriber for: ${join(", ", sort(distinct([for topic in values(local.alert_topics) : topic if length(lookup(var.subscriptions, topic, [])) == 0 && !anytrue([for c in values(var.slack_channels) : contains(c.topics, topic)])])))}. Set alert_subscriptions or slack_channels in infra/envs/${var.environment}/alerts.auto.tfvars.json."
  }
}
