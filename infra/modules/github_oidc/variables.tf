variable "name_prefix" {
  description = "Prefix of every resource name (e.g. lakegate)."
  type        = string
}

variable "environment" {
  description = "Environment the deployer role deploys; also the GitHub environment its workflows run in."
  type        = string

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be dev, sit or prod."
  }
}

variable "github_repository" {
  description = "owner/name of the repository allowed to assume the roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "oidc_provider_arn" {
  description = "ARN of the account's token.actions.githubusercontent.com OIDC provider (the bootstrap creates it once per account)."
  type        = string
}

variable "state_bucket_arn" {
  description = "ARN of the bucket holding this environment's Terraform state."
  type        = string
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
