output "job_name" {
  description = "Name of the Glue ingestion job."
  value       = aws_glue_job.ingest.name
}

output "job_arn" {
  description = "ARN of the Glue ingestion job."
  value       = aws_glue_job.ingest.arn
}

output "database_name" {
  description = "Glue catalog database of the published tables."
  value       = aws_glue_catalog_database.lake.name
}

output "athena_workgroup" {
  description = "Athena workgroup of the analysts."
  value       = aws_athena_workgroup.analysts.name
}

output "script_location" {
  description = "S3 URI of the job script the job runs (the smoke test compares it)."
  value       = aws_glue_job.ingest.command[0].script_location
}

output "gold_job_name" {
  description = "Name of the Glue gold (month-end balances) job."
  value       = aws_glue_job.gold.name
}
