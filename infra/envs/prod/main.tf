# The prod environment: its settings; the wiring is modules/lakegate.
provider "aws" {
  region = "eu-west-1" # also in the backend block (versions.tf)

  default_tags {
    tags = {
      "lakegate:environment" = "prod"
      "lakegate:managed-by"  = "terraform"
    }
  }
}

module "lakegate" {
  source = "../../modules/lakegate"

  name_prefix               = var.name_prefix
  environment               = "prod"
  github_repository         = "lakegate/lakegate"
  code_version              = var.code_version
  dataset                   = "transactions"
  domains                   = []
  persona_principals        = {}
  subscriptions             = var.alert_subscriptions
  slack_channels            = var.slack_channels
  worker_type               = "G.2X"
  number_of_workers         = 10
  schedule_enabled          = true
  quarantine_retention_days = 730
  audit_retention           = { mode = "COMPLIANCE", days = 2557 }
  force_destroy             = false
}
