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

variable "pipelines" {
  description = "Per ingested dataset: the silver schema version whose _SUCCESS its state machine checks, and the Glue ingestion job it runs (name and ARN, for its role). Each gets a state machine, its role and log group, and a schedule."
  type = map(object({
    schema_v      = string
    glue_job_name = string
    glue_job_arn  = string
  }))
}

variable "silver_bucket_name" {
  description = "Silver bucket holding the runs' _SUCCESS."
  type        = string
}

variable "silver_bucket_arn" {
  description = "ARN of the silver bucket."
  type        = string
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for the buckets, topics and logs."
  type        = string
}

variable "max_quarantine_rate" {
  description = "Quarantine rate above which a run fails the gate (0-1)."
  type        = number
  default     = 0.05

  validation {
    condition     = var.max_quarantine_rate >= 0 && var.max_quarantine_rate <= 1
    error_message = "max_quarantine_rate must be between 0 and 1."
  }
}

variable "glue_retry_interval_seconds" {
  description = "First wait before retrying a transient Glue error (doubles each retry)."
  type        = number
  default     = 60
}

variable "success_retry_interval_seconds" {
  description = "First wait before reading _SUCCESS again when it is not visible yet."
  type        = number
  default     = 5
}

variable "schedule_expression" {
  description = "When the scheduled run starts (EventBridge, UTC)."
  type        = string
  default     = "cron(0 2 * * ? *)"
}

variable "schedule_enabled" {
  description = "Whether the daily schedule is on."
  type        = bool
  default     = true
}

variable "subscriptions" {
  description = "Endpoints per topic: reviewers, or <team>-<priority> as lakegate/alerts.json routes alerts (e.g. data-platform-p1). Protocol email or https."
  type = map(list(object({
    protocol = string
    endpoint = string
  })))
  default = {}

  validation {
    condition     = alltrue([for endpoints in values(var.subscriptions) : alltrue([for e in endpoints : contains(["email", "https"], e.protocol)])])
    error_message = "subscriptions: protocol must be email or https."
  }
}

variable "slack_channels" {
  description = "Slack channels (AWS Chatbot) by name: the workspace and channel ids and the topics posted there."
  type = map(object({
    team_id    = string
    channel_id = string
    topics     = list(string)
  }))
  default = {}
}

variable "runbook_base_url" {
  description = "Where docs/runbooks is published: alert messages link <url>/<alarm>.md."
  type        = string
  default     = "https://github.com/lakegate/lakegate/blob/main/docs/runbooks"
}

variable "log_retention_days" {
  description = "Retention of the state machine's execution logs."
  type        = number
  default     = 365
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
