output "job_names" {
  description = "Name of each dataset's Glue ingestion job."
  value       = { for dataset, job in aws_glue_job.ingest : dataset => job.name }
}

output "job_arns" {
  description = "ARN of each dataset's Glue ingestion job."
  value       = { for dataset, job in aws_glue_job.ingest : dataset => job.arn }
}

output "database_name" {
  description = "Glue catalog database of the published tables."
  value       = aws_glue_catalog_database.lake.name
}

output "athena_workgroup" {
  description = "Athena workgroup of the analysts."
  value       = aws_athena_workgroup.analysts.name
}

output "script_locations" {
  description = "S3 URI of the script each ingestion job runs (the smoke test compares it)."
  value       = { for dataset, job in aws_glue_job.ingest : dataset => job.command[0].script_location }
}

output "gold_job_names" {
  description = "Name of the Glue gold job of each dataset with a gold dataset."
  value       = { for dataset, job in aws_glue_job.gold : dataset => job.name }
}
