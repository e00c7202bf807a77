output "bucket_names" {
  description = "Lake buckets by role (the smoke test checks each)."
  value       = module.storage.bucket_names
}

output "glue_job_names" {
  description = "Each dataset's ingestion job (the smoke test checks its script)."
  value       = module.glue.job_names
}

output "glue_script_locations" {
  description = "Script each ingestion job runs: s3://<artifacts>/glue/<code_version>/ingest_transactions.py."
  value       = module.glue.script_locations
}

output "state_machine_arns" {
  description = "Each dataset's ingestion state machine."
  value       = module.orchestration.state_machine_arns
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
  value       = { for dataset, monitoring in module.monitoring : dataset => monitoring.alarm_names }
}
