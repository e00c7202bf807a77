output "job_role_arn" {
  description = "Role of the Glue ingestion job."
  value       = aws_iam_role.job.arn
}

output "gold_job_role_arn" {
  description = "Role of the Glue gold job."
  value       = aws_iam_role.gold_job.arn
}

output "promoter_role_arn" {
  description = "Role the promote workflow and approvers assume to publish."
  value       = aws_iam_role.promoter.arn
}

output "operator_role_arn" {
  description = "Role the backfill workflow assumes to start executions."
  value       = aws_iam_role.operator.arn
}

output "persona_policy_arns" {
  description = "Managed policy ARN per persona (platform, analyst, compliance, data-quality, domain-<name>)."
  value       = { for persona, policy in aws_iam_policy.persona : persona => policy.arn }
}

output "persona_role_arns" {
  description = "Role ARN per persona that has principals in persona_principals."
  value       = { for persona, role in aws_iam_role.persona : persona => role.arn }
}
