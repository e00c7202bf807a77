output "state_buckets" {
  description = "Terraform state bucket per environment (named in infra/envs/<env>/versions.tf)."
  value       = { for env, bucket in module.state_bucket : env => bucket.name }
}

output "deployer_role_arns" {
  description = "Per environment: the GitHub environment variable AWS_DEPLOY_ROLE_ARN."
  value       = { for env, roles in module.github_oidc : env => roles.deployer_role_arn }
}

output "planner_role_arns" {
  description = "Per environment: the repository variable AWS_PLAN_ROLE_ARN_<ENV>."
  value       = { for env, roles in module.github_oidc : env => roles.planner_role_arn }
}

output "oidc_provider_arn" {
  description = "The account's GitHub OIDC provider."
  value       = local.oidc_provider_arn
}
