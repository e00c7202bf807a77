output "json" {
  description = "The trust policy document (JSON)."
  value       = data.aws_iam_policy_document.this.json
}
