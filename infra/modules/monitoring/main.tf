locals {
  name = "${var.name_prefix}-${var.environment}"

  # Namespace, dimension and metric names are the ones lakegate/metrics.py emits
  # (tests/test_infra.py checks every name used here against that module).
  namespace  = "Lakegate"
  dimensions = { Dataset = var.dataset }

  # Alarms on one run-summary metric: SPEC §10 thresholds, priority decides the topic.
  threshold_alarms = {
    circuit-breaker = {
      priority    = "p1"
      metric      = "CircuitBreakerTriggers"
      statistic   = "Maximum"
      threshold   = 0
      description = "P1: the circuit breaker halted an ingestion run (see _HALTED.json)."
    }
    quarantine-rate = {
      priority    = "p2"
      metric      = "QuarantineRate"
      statistic   = "Maximum"
      threshold   = var.quarantine_rate_threshold
      description = "P2: a run quarantined more than ${var.quarantine_rate_threshold * 100}% of its rows."
    }
    validation-failures = {
      priority    = "p2"
      metric      = "QuarantinedRows"
      statistic   = "Maximum"
      threshold   = var.validation_failures_threshold
      description = "P2: a run quarantined more than ${var.validation_failures_threshold} rows (validation failures)."
    }
    avg-attempt-count = {
      priority    = "p2"
      metric      = "AvgAttemptCount"
      statistic   = "Maximum"
      threshold   = var.avg_attempt_count_threshold
      description = "P2: failed rows average more than ${var.avg_attempt_count_threshold} attempts."
    }
    auto-condemnation = {
      priority    = "p2"
      metric      = "AutoCondemnationRate"
      statistic   = "Maximum"
      threshold   = var.auto_condemnation_threshold
      description = "P2: a run condemned more than ${var.auto_condemnation_threshold * 100}% of its rows."
    }
    missing-partitions = {
      priority    = "p2"
      metric      = "MissingPartitions"
      statistic   = "Maximum"
      threshold   = 0
      description = "P2: a month of a run's window produced no silver partition."
    }
  }

  # Anomaly-detection alarms: runtime (P2, above the band) and volume (P3, either side).
  anomaly_alarms = {
    runtime-anomaly = {
      priority    = "p2"
      metric      = "DurationSeconds"
      comparison  = "GreaterThanUpperThreshold"
      description = "P2: a run took unusually long compared with recent runs."
    }
    volume-anomaly = {
      priority    = "p3"
      metric      = "InputRows"
      comparison  = "LessThanLowerOrGreaterThanUpperThreshold"
      description = "P3: a run read unusually many or few rows compared with recent runs."
    }
  }

  dashboard_metrics = [
    "InputRows", "ValidRows", "QuarantinedRows", "CondemnedRows", "QuarantineRate",
    "DuplicateDetectionRate", "AutoCondemnationRate", "AvgAttemptCount",
    "CircuitBreakerTriggers", "MissingPartitions", "DurationSeconds", "PipelineFailures",
  ]
}

data "aws_region" "current" {}

resource "aws_cloudwatch_metric_alarm" "threshold" {
  for_each = local.threshold_alarms

  alarm_name          = "${local.name}-${var.dataset}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.namespace
  metric_name         = each.value.metric
  dimensions          = local.dimensions
  statistic           = each.value.statistic
  period              = 3600
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.topic_arns[each.value.priority]]
  ok_actions          = [var.topic_arns[each.value.priority]]
  tags                = merge(var.tags, { "lakegate:priority" = each.value.priority })
}

resource "aws_cloudwatch_metric_alarm" "anomaly" {
  for_each = local.anomaly_alarms

  alarm_name          = "${local.name}-${var.dataset}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = each.value.comparison
  evaluation_periods  = 1
  threshold_metric_id = "band"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.topic_arns[each.value.priority]]
  tags                = merge(var.tags, { "lakegate:priority" = each.value.priority })

  metric_query {
    id          = "band"
    expression  = "ANOMALY_DETECTION_BAND(m1, ${var.anomaly_band_width})"
    label       = "${each.value.metric} expected range"
    return_data = true
  }

  metric_query {
    id          = "m1"
    return_data = true

    metric {
      namespace   = local.namespace
      metric_name = each.value.metric
      dimensions  = local.dimensions
      stat        = "Maximum"
      period      = 3600
    }
  }
}

# P1: any failed execution. PipelineFailures is published by the state machine's
# HandleFailure state; the AWS/States counts also catch an execution that could not
# publish it (timed out, aborted).
resource "aws_cloudwatch_metric_alarm" "job_failure" {
  alarm_name          = "${local.name}-${var.dataset}-job-failure"
  alarm_description   = "P1: an ingestion execution failed (Glue job, _SUCCESS check or gate). The alert carries run_id and execution ARN."
  comparison_operator = "GreaterThanOrEqualToThreshold"
  evaluation_periods  = 1
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.topic_arns["p1"]]
  ok_actions          = [var.topic_arns["p1"]]
  tags                = merge(var.tags, { "lakegate:priority" = "p1" })

  metric_query {
    id          = "failures"
    expression  = "MAX([reported, FILL(failed, 0) + FILL(timedout, 0) + FILL(aborted, 0)])"
    label       = "Failed executions"
    return_data = true
  }

  metric_query {
    id          = "reported"
    return_data = false

    metric {
      namespace   = local.namespace
      metric_name = "PipelineFailures"
      dimensions  = local.dimensions
      stat        = "Sum"
      period      = 300
    }
  }

  dynamic "metric_query" {
    for_each = { failed = "ExecutionsFailed", timedout = "ExecutionsTimedOut", aborted = "ExecutionsAborted" }

    content {
      id          = metric_query.key
      return_data = false

      metric {
        namespace   = "AWS/States"
        metric_name = metric_query.value
        dimensions  = { StateMachineArn = var.state_machine_arn }
        stat        = "Sum"
        period      = 300
      }
    }
  }
}

# P1: no run wrote _SUCCESS (the job publishes its summary metrics right after) in time.
resource "aws_cloudwatch_metric_alarm" "missing_success" {
  alarm_name          = "${local.name}-${var.dataset}-missing-success"
  alarm_description   = "P1: no ${var.dataset} run has written _SUCCESS for ${var.success_expected_hours} hours."
  namespace           = local.namespace
  metric_name         = "InputRows"
  dimensions          = local.dimensions
  statistic           = "SampleCount"
  period              = var.success_expected_hours * 3600
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [var.topic_arns["p1"]]
  ok_actions          = [var.topic_arns["p1"]]
  tags                = merge(var.tags, { "lakegate:priority" = "p1" })
}

# P1: freshness SLA: no ingestion execution has completed successfully in time.
resource "aws_cloudwatch_metric_alarm" "freshness" {
  alarm_name          = "${local.name}-${var.dataset}-freshness-sla"
  alarm_description   = "P1: no ${var.dataset} ingestion execution has succeeded for ${var.freshness_sla_hours} hours (freshness SLA)."
  namespace           = "AWS/States"
  metric_name         = "ExecutionsSucceeded"
  dimensions          = { StateMachineArn = var.state_machine_arn }
  statistic           = "Sum"
  period              = var.freshness_sla_hours * 3600
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [var.topic_arns["p1"]]
  ok_actions          = [var.topic_arns["p1"]]
  tags                = merge(var.tags, { "lakegate:priority" = "p1" })
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
            metrics = [[local.namespace, metric, "Dataset", var.dataset]]
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
              [for alarm in aws_cloudwatch_metric_alarm.threshold : alarm.arn],
              [for alarm in aws_cloudwatch_metric_alarm.anomaly : alarm.arn],
              [
                aws_cloudwatch_metric_alarm.job_failure.arn,
                aws_cloudwatch_metric_alarm.missing_success.arn,
                aws_cloudwatch_metric_alarm.freshness.arn,
              ],
            )
          }
        }
      ],
    )
  })
}
