output "bucket_names" {
  description = "Lake bucket names by role: bronze, silver, gold, quarantine, artifacts."
  value       = { for role, bucket in aws_s3_bucket.lake : role => bucket.id }
}

output "bucket_arns" {
  description = "Lake bucket ARNs by role."
  value       = { for role, bucket in aws_s3_bucket.lake : role => bucket.arn }
}

output "access_log_bucket_name" {
  description = "Bucket receiving the S3 server access logs of the lake buckets."
  value       = aws_s3_bucket.access_logs.id
}

output "kms_key_arn" {
  description = "ARN of the customer managed key encrypting the lake, its logs and topics."
  value       = aws_kms_key.lake.arn
}
