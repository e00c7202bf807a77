variable "name" {
  description = "Bucket name."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed key for default encryption (SSE-KMS); null for SSE-S3, which S3 server access log delivery requires."
  type        = string
  default     = null
  nullable    = true
}

variable "noncurrent_version_days" {
  description = "Days a replaced or deleted object version is kept before it expires."
  type        = number
  default     = 90

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "expiration_rules" {
  description = "Current objects under a prefix expire after days (prefix \"\" for the whole bucket)."
  type = list(object({
    id     = string
    prefix = string
    days   = number
  }))
  default = []
}

variable "access_log_bucket" {
  description = "Bucket receiving this bucket's S3 server access logs (null: none, e.g. the log bucket itself)."
  type        = string
  default     = null
  nullable    = true
}

variable "access_log_prefix" {
  description = "Key prefix of this bucket's access logs in access_log_bucket."
  type        = string
  default     = ""
}

variable "eventbridge" {
  description = "Send this bucket's object events to EventBridge."
  type        = bool
  default     = false
}

variable "policy_documents" {
  description = "Further bucket policy documents (JSON) merged with the TLS-only policy."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete the bucket when it is not empty."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags of the bucket."
  type        = map(string)
  default     = {}
}

variable "object_lock_enabled" {
  description = "Enable S3 Object Lock (no default retention: writers set it per object, the bucket policy says which). Set when the bucket is created."
  type        = bool
  default     = false
}
