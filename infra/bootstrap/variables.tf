variable "region" {
  description = "AWS region of the state buckets (the environments' backend blocks name it)."
  type        = string
  default     = "eu-west-1"
}

variable "name_prefix" {
  description = "Prefix of every resource name; null gives lakegate-<account id> (bucket names are global: the account id keeps them from colliding)."
  type        = string
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
    error_message = "name_prefix must be 2-21 lower-case letters, digits or hyphens."
  }
}

variable "environments" {
  description = "Environments deployed to this account: each gets a state bucket, a deployer and a planner role."
  type        = list(string)

  validation {
    condition     = length(var.environments) > 0 && alltrue([for e in var.environments : contains(["dev", "sit", "prod"], e)])
    error_message = "environments must be a non-empty list of dev, sit and prod."
  }
}

variable "github_repository" {
  description = "owner/name of the repository whose workflows may assume the roles."
  type        = string
}

variable "create_oidc_provider" {
  description = "Create the account's GitHub OIDC provider (false when the account already has one)."
  type        = bool
  default     = true
}
