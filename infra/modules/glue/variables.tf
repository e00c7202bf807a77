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
  description = "The environment's ingested datasets (lakegate/datasets.json): per dataset the silver schema version its job writes and its gold dataset, if any. Each gets an ingestion job, and one with a gold dataset a gold job."
  type = map(object({
    schema_v = string
    gold     = optional(string)
  }))

  validation {
    condition     = length(var.pipelines) > 0 && alltrue([for d in keys(var.pipelines) : can(regex("^[a-z][a-z0-9_]{0,23}$", d))])
    error_message = "pipelines must name at least one dataset, each matching ^[a-z][a-z0-9_]{0,23}$ (role names stay within 64 characters)."
  }
}

variable "bucket_names" {
  description = "Lake bucket names by role (the storage module's bucket_names)."
  type        = map(string)

  validation {
    condition     = length(setsubtract(["bronze", "silver", "gold", "quarantine", "artifacts"], keys(var.bucket_names))) == 0
    error_message = "bucket_names must name bronze, silver, gold, quarantine and artifacts."
  }
}

variable "kms_key_arn" {
  description = "The lake's customer managed key (job output, logs, Athena results)."
  type        = string
}

variable "job_role_arn" {
  description = "Role the Glue ingestion job runs as (the iam module's job_role_arn)."
  type        = string
}

variable "gold_job_role_arn" {
  description = "Role the Glue gold job runs as (the iam module's gold_job_role_arn)."
  type        = string
}

variable "code_version" {
  description = "Deployed build, e.g. 1.2.0+g1a2b3c4: the job runs s3://<artifacts>/glue/<code_version>/ (uploaded by the deploy workflow)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+(\\+g[0-9a-f]{7,40})?$", var.code_version))
    error_message = "code_version must look like 1.2.0 or 1.2.0+g<git sha>."
  }
}

variable "glue_version" {
  description = "AWS Glue version (5.1: Spark 3.5.6, Python 3.11, Java 17)."
  type        = string
  default     = "5.1"
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
  description = "Glue workers per ingestion run (2 or more, one of them the driver); with auto_scaling, the most a run may use."
  type        = number
  default     = 2

  validation {
    condition     = var.number_of_workers >= 2
    error_message = "number_of_workers must be at least 2."
  }
}

variable "auto_scaling" {
  description = "Whether Glue adds and removes ingestion workers as the run's stages need them (--enable-auto-scaling; billed for the workers used). docs/performance.md, cost on Glue."
  type        = bool
  default     = false
}

variable "gold_worker_type" {
  description = "Glue worker type of the gold job."
  type        = string
  default     = "G.1X"

  validation {
    condition     = contains(["G.1X", "G.2X", "G.4X", "G.8X", "G.12X", "G.16X", "R.1X", "R.2X", "R.4X", "R.8X"], var.gold_worker_type)
    error_message = "gold_worker_type must be a Glue Spark batch worker type (G.1X, G.2X, ...)."
  }
}

variable "gold_number_of_workers" {
  description = "Glue workers per gold run (2 or more, one of them the driver)."
  type        = number
  default     = 2

  validation {
    condition     = var.gold_number_of_workers >= 2
    error_message = "gold_number_of_workers must be at least 2."
  }
}

variable "timeout_minutes" {
  description = "A run is stopped (and fails) after this many minutes."
  type        = number
  default     = 120
}

variable "max_concurrent_runs" {
  description = "Runs of the job at once; more are refused and retried by the state machine."
  type        = number
  default     = 3
}

variable "log_retention_days" {
  description = "Retention of the job's continuous logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
