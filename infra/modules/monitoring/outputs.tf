output "alarm_names" {
  description = "Every alarm, by its name in lakegate/alerts.json."
  value = merge(
    { for key, alarm in aws_cloudwatch_metric_alarm.single : key => alarm.alarm_name },
    { for key, alarm in aws_cloudwatch_metric_alarm.summed : key => alarm.alarm_name },
    { for key, alarm in aws_cloudwatch_metric_alarm.anomaly : key => alarm.alarm_name },
  )
}

output "dashboard_name" {
  description = "CloudWatch dashboard of the pipeline."
  value       = aws_cloudwatch_dashboard.pipeline.dashboard_name
}
