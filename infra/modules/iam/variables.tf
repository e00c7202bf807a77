variable "name_prefix" {
  description = "Prefix of every resource name (e.g. lakegate)."
  type        = string
}

variable "environment" {
  description = "Deployment environment."
  type        = string

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be dev, sit or prod."
  }
}

variable "bucket_arns" {
  description = "Lake bucket ARNs by role (the storage module's bucket_arns)."
  type        = map(string)

  validation {
    condition     = length(setsubtract(["bronze", "silver", "gold", "quarantine", "artifacts"], keys(var.bucket_arns))) == 0
    error_message = "bucket_arns must name bronze, silver, gold, quarantine and artifacts."
  }
}

variable "kms_key_arn" {
  description = "The lake's customer managed key."
  type        = string
}

variable "glue_database" {
  description = "Glue catalog database of the published tables (promoter partitions, analyst reads)."
  type        = string
}

variable "athena_workgroup" {
  description = "Athena workgroup analysts query in."
  type        = string
}

variable "domains" {
  description = "Domain teams; each gets a policy writing silver <domain>/ and reading gold <domain>/."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for d in var.domains : can(regex("^[a-z][a-z0-9_]{0,62}$", d))])
    error_message = "each domain must match ^[a-z][a-z0-9_]{0,62}$ (it becomes an S3 prefix)."
  }
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows promote and backfill."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's token.actions.githubusercontent.com OIDC provider."
  type        = string
}

variable "persona_principals" {
  description = "Who may assume each persona role (IAM or SSO role ARNs): keys platform, analyst, compliance, data-quality, promoter, or domain-<name>. A persona without principals gets its managed policy only."
  type        = map(list(string))
  default     = {}
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "The permissions boundary every role here carries (infra/bootstrap creates <prefix>-<env>-boundary; the deployer may create no role without it)."
  type        = string
}
