variable "name_prefix" {
  description = "Prefix of every resource name; buckets are <name_prefix>-<environment>-<role>."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lower-case letters, digits or hyphens."
  }
}

variable "environment" {
  description = "Deployment environment."
  type        = string

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be dev, sit or prod."
  }
}

variable "datasets" {
  description = "Datasets whose quarantine prefixes get retention rules."
  type        = list(string)
  default     = ["transactions"]

  validation {
    condition     = alltrue([for d in var.datasets : can(regex("^[a-z][a-z0-9_]{0,62}$", d))])
    error_message = "each dataset must match ^[a-z][a-z0-9_]{0,62}$ (as lakegate validates it)."
  }
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

variable "quarantine_retention_days" {
  description = "Days quarantined rows are kept (null keeps them until purged by a reviewer)."
  type        = number
  default     = null
  nullable    = true

  validation {
    condition     = var.quarantine_retention_days == null || try(var.quarantine_retention_days >= 30, false)
    error_message = "quarantine_retention_days must be null or at least 30 (rows must outlive their retries)."
  }
}

variable "access_log_retention_days" {
  description = "Days the S3 server access logs are kept."
  type        = number
  default     = 365
}

variable "kms_deletion_window_days" {
  description = "Waiting period before the customer key is deleted after destroy (7-30)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30
    error_message = "kms_deletion_window_days must be between 7 and 30."
  }
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete non-empty buckets (never in prod)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "audit_retention" {
  description = "S3 Object Lock retention of every audit record in silver and gold: GOVERNANCE (removable only with s3:BypassGovernanceRetention, which the bucket policy denies to all) or COMPLIANCE (removable by nobody, the root user included), for days."
  type = object({
    mode = string
    days = number
  })

  validation {
    condition     = contains(["GOVERNANCE", "COMPLIANCE"], var.audit_retention.mode) && var.audit_retention.days >= 1 && floor(var.audit_retention.days) == var.audit_retention.days
    error_message = "audit_retention.mode must be GOVERNANCE or COMPLIANCE and audit_retention.days a whole number of at least 1."
  }
}
