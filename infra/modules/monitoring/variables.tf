variable "name_prefix" {
  description = "Prefix of every resource name (e.g. lakegate)."
  type        = string
  default     = "lakegate"
}

variable "environment" {
  description = "Deployment environment."
  type        = string

  validation {
    condition     = contains(["dev", "sit", "prod"], var.environment)
    error_message = "environment must be dev, sit or prod."
  }
}

variable "dataset" {
  description = "Dataset whose metrics the alarms watch (the metrics' Dataset dimension)."
  type        = string
  default     = "transactions"
}

variable "state_machine_arn" {
  description = "ARN of the ingestion state machine (AWS/States metrics)."
  type        = string
}

variable "topic_arns" {
  description = "SNS topic ARNs by priority: p1, p2, p3 (the orchestration module's topic_arns)."
  type        = map(string)

  validation {
    condition     = length(setsubtract(["p1", "p2", "p3"], keys(var.topic_arns))) == 0
    error_message = "topic_arns must name p1, p2 and p3."
  }
}

variable "success_expected_hours" {
  description = "P1 when no run has written _SUCCESS for this many hours (daily schedule plus slack; at most 24)."
  type        = number
  default     = 24

  validation {
    condition     = var.success_expected_hours >= 1 && var.success_expected_hours <= 24
    error_message = "success_expected_hours must be between 1 and 24."
  }
}

variable "freshness_sla_hours" {
  description = "P1 when no ingestion execution has succeeded for this many hours (at most 24)."
  type        = number
  default     = 24

  validation {
    condition     = var.freshness_sla_hours >= 1 && var.freshness_sla_hours <= 24
    error_message = "freshness_sla_hours must be between 1 and 24."
  }
}

variable "quarantine_rate_threshold" {
  description = "P2 when a run's quarantine rate exceeds this fraction (SPEC: 1%)."
  type        = number
  default     = 0.01
}

variable "validation_failures_threshold" {
  description = "P2 when a run quarantines more rows than this."
  type        = number
  default     = 0
}

variable "avg_attempt_count_threshold" {
  description = "P2 when the average attempt_count of a run's failed rows exceeds this."
  type        = number
  default     = 1.5
}

variable "auto_condemnation_threshold" {
  description = "P2 when a run condemns more than this fraction of its rows (SPEC: 0.5%)."
  type        = number
  default     = 0.005
}

variable "anomaly_band_width" {
  description = "Standard deviations of the anomaly-detection band (runtime and volume)."
  type        = number
  default     = 2
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
