variable "name_prefix" {
  description = "Prefix of every resource name (buckets are <name_prefix>-<environment>-<role>). Null: lakegate-<account id>, unlikely to collide with another account's global bucket names."
  type        = string
  default     = null

  validation {
    condition     = var.name_prefix == null || can(regex("^[a-z][a-z0-9-]{1,20}$", var.name_prefix))
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

variable "github_repository" {
  description = "owner/name of the repository whose workflows promote and backfill."
  type        = string
}

variable "code_version" {
  description = "Build the Glue job runs, e.g. 1.2.0+g1a2b3c4 (the deploy workflow passes the build it uploaded)."
  type        = string
}

variable "datasets" {
  description = "The ingested datasets this environment runs (lakegate/datasets.json): each gets its own pipeline (Glue jobs, state machine, schedule, alarms); the buckets, keys, catalog and personas are shared."
  type        = list(string)
  default     = ["transactions"]

  validation {
    condition     = length(var.datasets) > 0 && length(distinct(var.datasets)) == length(var.datasets) && alltrue([for d in var.datasets : can(regex("^[a-z][a-z0-9_]{0,23}$", d))])
    error_message = "datasets must list at least one dataset, each once, each matching ^[a-z][a-z0-9_]{0,23}$."
  }
}

variable "schema_versions" {
  description = "Silver schema version a dataset's runs write, where it is not the registry's schema_v (v2 after the migration in docs/schema-evolution.md)."
  type        = map(string)
  default     = {}
}

variable "domains" {
  description = "Domain teams with a silver/gold prefix of their own."
  type        = list(string)
  default     = []
}

variable "persona_principals" {
  description = "Who may assume each persona role (see the iam module)."
  type        = map(list(string))
  default     = {}
}

variable "subscriptions" {
  description = "Endpoints per topic: reviewers, or <team>-<priority> as lakegate/alerts.json routes alerts (data-platform-p1, data-quality-p2, domain-p3, ...). Protocol email or https."
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
  description = "Slack channels (AWS Chatbot) by name: Slack workspace and channel ids and the topics posted there."
  type = map(object({
    team_id    = string
    channel_id = string
    topics     = list(string)
  }))
  default = {}
}

variable "worker_type" {
  description = "Glue worker type."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.025X", "G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"], var.worker_type)
    error_message = "worker_type must be a Glue Spark worker type (G.1X, G.2X, ...)."
  }
}

variable "number_of_workers" {
  description = "Glue workers per ingestion run (one of them the driver); with auto_scaling, the most a run may use."
  type        = number
  default     = 2
}

variable "auto_scaling" {
  description = "Whether Glue scales the ingestion job's workers with its stages (--enable-auto-scaling)."
  type        = bool
  default     = false
}

variable "schedule_enabled" {
  description = "Whether the daily 02:00 UTC run is scheduled."
  type        = bool
  default     = true
}

variable "quarantine_retention_days" {
  description = "Days quarantined rows are kept (null: until purged)."
  type        = number
  default     = null
}

variable "audit_retention" {
  description = "S3 Object Lock retention of the audit records (mode GOVERNANCE or COMPLIANCE, days)."
  type = object({
    mode = string
    days = number
  })
}

variable "force_destroy" {
  description = "Allow destroying non-empty buckets (never in prod)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource (the provider's default_tags add lakegate:environment)."
  type        = map(string)
  default     = {}
}
