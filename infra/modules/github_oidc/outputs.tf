output "deployer_role_arn" {
  description = "Set as the GitHub environment variable AWS_DEPLOY_ROLE_ARN of <env>."
  value       = aws_iam_role.deployer.arn
}

output "planner_role_arn" {
  description = "Set as the repository variable AWS_PLAN_ROLE_ARN_<ENV> (pull-request plans)."
  value       = aws_iam_role.planner.arn
}

output "boundary_arn" {
  description = "The permissions boundary every role of this environment's deployments carries."
  value       = aws_iam_policy.boundary.arn
}
