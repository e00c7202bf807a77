output "state_machine_arn" {
  description = "ARN of the ingestion state machine."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the ingestion state machine (lakegate backfill --env finds it by name)."
  value       = aws_sfn_state_machine.this.name
}

output "topic_arns" {
  description = "SNS topic ARNs by name: reviewers and one per owning team and priority (data-platform-p1, ...)."
  value       = { for name, topic in aws_sns_topic.this : name => topic.arn }
}
