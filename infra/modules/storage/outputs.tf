output "bucket_names" {
  description = "Lake bucket names by role: bronze, silver, gold, quarantine, artifacts."
  value       = { for role, bucket in module.lake : role => bucket.name }
}

output "bucket_arns" {
  description = "Lake bucket ARNs by role."
  value       = { for role, bucket in module.lake : role => bucket.arn }
}

output "access_log_bucket_name" {
  description = "Bucket receiving the S3 server access logs of the lake buckets."
  value       = module.access_logs.name
}

output "kms_key_arn" {
  description = "ARN of the customer managed key encrypting the lake, its logs and topics."
  value       = aws_kms_key.lake.arn
}
