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

variable "dataset" {
  description = "Dataset whose metrics the alarms watch (the metrics' Dataset dimension)."
  type        = string
  default     = "transactions"
}

variable "state_machine_arn" {
  description = "ARN of the ingestion state machine (AWS/States metrics)."
  type        = string
}

variable "gold_dataset" {
  description = "The gold dataset built from it (its alarms' Dataset dimension); null for a dataset without one, which gets no gold alarms."
  type        = string
  default     = null
}

variable "topic_arns" {
  description = "SNS topic ARNs by name (the orchestration module's topic_arns): one per owning team and priority of lakegate/alerts.json."
  type        = map(string)
}

variable "schedule_enabled" {
  description = "Whether the daily schedule is on: the alarms that expect a daily run (freshness) exist only then."
  type        = bool
  default     = true
}

variable "runbook_base_url" {
  description = "Where docs/runbooks is published: alarm descriptions link <url>/<alarm>.md."
  type        = string
  default     = "https://github.com/lakegate/lakegate/blob/main/docs/runbooks"
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
