# The dev environment: its settings; the wiring is modules/lakegate.
provider "aws" {
  region = "eu-west-1" # also in the backend block (versions.tf)

  default_tags {
    tags = {
      "lakegate:environment" = "dev"
      "lakegate:managed-by"  = "terraform"
    }
  }
}

module "lakegate" {
  source = "../../modules/lakegate"

  name_prefix               = var.name_prefix
  environment               = "dev"
  github_repository         = "lakegate/lakegate"
  code_version              = var.code_version
  datasets                  = ["transactions"]
  domains                   = []
  persona_principals        = {}
  subscriptions             = var.alert_subscriptions
  slack_channels            = var.slack_channels
  worker_type               = "G.1X"
  number_of_workers         = 2
  auto_scaling              = false
  schedule_enabled          = false
  quarantine_retention_days = null
  audit_retention           = { mode = "GOVERNANCE", days = 1 }
  force_destroy             = true
}
