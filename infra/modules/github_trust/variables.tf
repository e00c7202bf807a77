variable "oidc_provider_arn" {
  description = "ARN of the account's token.actions.githubusercontent.com OIDC provider."
  type        = string
}

variable "subjects" {
  description = "GitHub OIDC subjects allowed, exactly (e.g. repo:owner/name:environment:prod)."
  type        = list(string)

  validation {
    condition     = length(var.subjects) > 0 && alltrue([for s in var.subjects : can(regex("^repo:[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+:[^*?]+$", s))])
    error_message = "subjects must be exact repo:<owner>/<name>:<context> values, without wildcards."
  }
}
