output "state_machine_arns" {
  description = "ARN of each dataset's ingestion state machine."
  value       = { for dataset, machine in aws_sfn_state_machine.this : dataset => machine.arn }
}

output "state_machine_names" {
  description = "Name of each dataset's ingestion state machine (lakegate backfill --env --dataset finds it by name)."
  value       = { for dataset, machine in aws_sfn_state_machine.this : dataset => machine.name }
}

output "topic_arns" {
  description = "SNS topic ARNs by name: reviewers and one per owning team and priority (data-platform-p1, ...)."
  value       = { for name, topic in aws_sns_topic.this : name => topic.arn }
}
