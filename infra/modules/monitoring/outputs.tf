output "alarm_names" {
  description = "Every alarm of the dataset, by purpose."
  value = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.threshold : key => alarm.alarm_name },
    { for key, alarm in aws_cloudwatch_metric_alarm.anomaly : key => alarm.alarm_name },
    {
      job-failure     = aws_cloudwatch_metric_alarm.job_failure.alarm_name
      missing-success = aws_cloudwatch_metric_alarm.missing_success.alarm_name
      freshness-sla   = aws_cloudwatch_metric_alarm.freshness.alarm_name
    },
  )
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = aws_cloudwatch_dashboard.pipeline.dashboard_name
}
