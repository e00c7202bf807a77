# The alarms are data: lakegate/alerts.json holds every alarm's metric, threshold,
# period, missing-data treatment, owner, priority and runbook. lakegate.alerts reads the
# same file (tests evaluate these definitions over the datapoints a 35-day scenario
# publishes; docs/operations.md is generated from it), so what is deployed is what is
# tested.
locals {
  name     = "${var.name_prefix}-${var.environment}"
  alerts   = jsondecode(file("${path.module}/../../../lakegate/alerts.json"))
  datasets = { ingest = var.dataset, gold = var.gold_dataset }

  # Alarms that expect a daily run exist only where the schedule is on (not in dev);
  # those that watch a gold dataset only for a dataset that has one.
  alarms = {
    for name, alarm in local.alerts.alarms : name => alarm
    if(var.schedule_enabled || !try(alarm.scheduled_only, false)) && (alarm.watches != "gold" || var.gold_dataset != null)
  }
  # One metric against a threshold; several metrics summed; an anomaly band.
  single  = { for name, alarm in local.alarms : name => alarm if !can(alarm.metrics) && !can(alarm.anomaly_band) }
  summed  = { for name, alarm in local.alarms : name => alarm if can(alarm.metrics) }
  anomaly = { for name, alarm in local.alarms : name => alarm if can(alarm.anomaly_band) }

  topic = { for name, alarm in local.alarms : name => var.topic_arns["${alarm.owner}-${lower(alarm.priority)}"] }
  dimensions = {
    for name, alarm in local.alarms : name => (
      alarm.namespace == "AWS/States"
      ? { StateMachineArn = var.state_machine_arn }
      : merge({ Dataset = local.datasets[alarm.watches] }, try(alarm.dimensions, {}))
    )
  }
  # What every notification carries (lakegate.alerts.Alarm.description says the same).
  description = {
    for name, alarm in local.alarms : name => join("", [
      "${alarm.priority} ${alarm.title} (${var.environment}): ${alarm.meaning}.",
      " Owner: ${local.alerts.teams[alarm.owner].name}, respond within ${local.alerts.priorities[alarm.priority].response};",
      " escalate after ${local.alerts.priorities[alarm.priority].escalate_after} to ${local.alerts.teams[alarm.owner].escalation}.",
      " First: ${replace(alarm.first_command, "ENV", var.environment)}.",
      " Runbook: ${trimsuffix(var.runbook_base_url, "/")}/${name}.md",
    ])
  }
  insufficient_data_actions = {
    for name, alarm in local.alarms : name => (
      contains(try(alarm.notify_on, ["ALARM"]), "INSUFFICIENT_DATA") ? [local.topic[name]] : []
    )
  }
  tags = {
    for name, alarm in local.alarms : name => merge(var.tags, {
      "lakegate:priority" = alarm.priority
      "lakegate:owner"    = alarm.owner
    })
  }

  dashboard_metrics = [
    "InputRows", "ValidRows", "QuarantinedRows", "CondemnedRows", "QuarantineRate",
    "ValidationFailureRate", "DuplicateDetectionRate", "AutoCondemnationRate",
    "AvgAttemptCount", "CircuitBreakerTriggers", "MissingPartitions", "DurationSeconds",
    "RowsPerSecond", "PublishedAgeHours", "PipelineFailures", "GateFailures",
  ]
}

data "aws_region" "current" {}

resource "aws_cloudwatch_metric_alarm" "single" {
  for_each = local.single

  alarm_name                = "${local.name}-${local.datasets[each.value.watches]}-${each.key}"
  alarm_description         = local.description[each.key]
  namespace                 = each.value.namespace
  metric_name               = each.value.metric
  dimensions                = local.dimensions[each.key]
  statistic                 = each.value.statistic
  period                    = each.value.period
  evaluation_periods        = each.value.evaluation_periods
  comparison_operator       = each.value.comparison
  threshold                 = each.value.threshold
  treat_missing_data        = each.value.missing_data
  alarm_actions             = [local.topic[each.key]]
  ok_actions                = [local.topic[each.key]]
  insufficient_data_actions = local.insufficient_data_actions[each.key]
  tags                      = local.tags[each.key]
}

resource "aws_cloudwatch_metric_alarm" "summed" {
  for_each = local.summed

  alarm_name                = "${local.name}-${local.datasets[each.value.watches]}-${each.key}"
  alarm_description         = local.description[each.key]
  evaluation_periods        = each.value.evaluation_periods
  comparison_operator       = each.value.comparison
  threshold                 = each.value.threshold
  treat_missing_data        = each.value.missing_data
  alarm_actions             = [local.topic[each.key]]
  ok_actions                = [local.topic[each.key]]
  insufficient_data_actions = local.insufficient_data_actions[each.key]
  tags                      = local.tags[each.key]

  metric_query {
    id          = "total"
    expression  = join(" + ", [for index, metric in each.value.metrics : "FILL(m${index}, 0)"])
    label       = join(" + ", each.value.metrics)
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics

    content {
      id          = "m${metric_query.key}"
      return_data = false

      metric {
        namespace   = each.value.namespace
        metric_name = metric_query.value
        dimensions  = local.dimensions[each.key]
        stat        = each.value.statistic
        period      = each.value.period
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "anomaly" {
  for_each = local.anomaly

  alarm_name                = "${local.name}-${local.datasets[each.value.watches]}-${each.key}"
  alarm_description         = local.description[each.key]
  comparison_operator       = each.value.comparison
  evaluation_periods        = each.value.evaluation_periods
  threshold_metric_id       = "band"
  treat_missing_data        = each.value.missing_data
  alarm_actions             = [local.topic[each.key]]
  ok_actions                = [local.topic[each.key]]
  insufficient_data_actions = local.insufficient_data_actions[each.key]
  tags                      = local.tags[each.key]

  metric_query {
    id          = "band"
    expression  = "ANOMALY_DETECTION_BAND(m1, ${each.value.anomaly_band})"
    label       = "${each.value.metric} expected range"
    return_data = true
  }

  metric_query {
    id          = "m1"
    return_data = true

    metric {
      namespace   = each.value.namespace
      metric_name = each.value.metric
      dimensions  = local.dimensions[each.key]
      stat        = each.value.statistic
      period      = each.value.period
    }
  }
}

resource "aws_cloudwatch_dashboard" "pipeline" {
  dashboard_name = "${local.name}-${var.dataset}"
  dashboard_body = jsonencode({
    widgets = concat(
      [
        for index, metric in local.dashboard_metrics : {
          type   = "metric"
          x      = (index % 3) * 8
          y      = floor(index / 3) * 6
          width  = 8
          height = 6
          properties = {
            title   = metric
            region  = data.aws_region.current.region
            stat    = "Maximum"
            period  = 3600
            view    = "timeSeries"
            metrics = [["Lakegate", metric, "Dataset", var.dataset]]
          }
        }
      ],
      [
        {
          type   = "alarm"
          x      = 0
          y      = ceil(length(local.dashboard_metrics) / 3) * 6
          width  = 24
          height = 6
          properties = {
            title = "Lakegate ${var.environment} alarms"
            alarms = concat(
              [for alarm in aws_cloudwatch_metric_alarm.single : alarm.arn],
              [for alarm in aws_cloudwatch_metric_alarm.summed : alarm.arn],
              [for alarm in aws_cloudwatch_metric_alarm.anomaly : alarm.arn],
            )
          }
        }
      ],
    )
  })
}
