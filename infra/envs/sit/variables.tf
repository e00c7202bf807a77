variable "name_prefix" {
  description = "Prefix of every resource name; null gives lakegate-<account id>. The deploy workflows pass the repository variable LAKEGATE_NAME_PREFIX when it is set, and the state bucket's name (<prefix>-<env>-tfstate) as -backend-config."
  type        = string
  default     = null
}

variable "code_version" {
  description = "Build the Glue job runs, e.g. 1.2.0+g1a2b3c4. The deploy workflow passes the build it uploaded (-var code_version=...)."
  type        = string
}

# Set in alerts.auto.tfvars.json beside this file (reviewed like any change): who
# receives each topic's alerts in this environment.
variable "alert_subscriptions" {
  description = "Endpoints per topic (reviewers, data-platform-p1, data-quality-p2, ...): a list of {protocol = email|https, endpoint}."
  type = map(list(object({
    protocol = string
    endpoint = string
  })))
  default = {}
}

variable "slack_channels" {
  description = "Slack channels (AWS Chatbot) by name: {team_id, channel_id, topics}."
  type = map(object({
    team_id    = string
    channel_id = string
    topics     = list(string)
  }))
  default = {}
}
