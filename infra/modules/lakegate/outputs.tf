output "bucket_names" {
  description = "Lake buckets by role (the smoke test checks each)."
  value       = module.storage.bucket_names
}

output "glue_job_name" {
  description = "The ingestion job (the smoke test checks its script)."
  value       = module.glue.job_name
}

output "glue_script_location" {
  description = "Script the job runs: s3://<artifacts>/glue/<code_version>/ingest_transactions.py."
  value       = module.glue.script_location
}

output "state_machine_arn" {
  description = "The ingestion state machine."
  value       = module.orchestration.state_machine_arn
}

output "promoter_role_arn" {
  description = "Role of the promote workflow (GitHub environment promote-<env>)."
  value       = module.iam.promoter_role_arn
}

output "operator_role_arn" {
  description = "Role of the backfill workflow (GitHub environment operate-<env>)."
  value       = module.iam.operator_role_arn
}

output "alarm_names" {
  description = "The pipeline's alarms."
  value       = module.monitoring.alarm_names
}
