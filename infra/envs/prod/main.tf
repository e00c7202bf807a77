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

# Workers sized from the measured cost model (docs/performance.md, cost on Glue;
# decision 0019): a month validates in one task per 128 MB of bronze, so a run scales
# out by month and by split, not by row. 7 G.1X workers (one the driver) give 24
# executor cores, one per month of a 24-month backfill; auto scaling keeps a one-month
# run on 2 of them.
module "lakegate" {
  source = "../../modules/lakegate"

  name_prefix               = var.name_prefix
  environment               = "prod"
  github_repository         = "lakegate/lakegate"
  code_version              = var.code_version
  datasets                  = ["transactions"]
  domains                   = []
  persona_principals        = {}
  subscriptions             = var.alert_subscriptions
  slack_channels            = var.slack_channels
  worker_type               = "G.1X"
  number_of_workers         = 7
  auto_scaling              = true
  schedule_enabled          = true
  quarantine_retention_days = 730
  audit_retention           = { mode = "COMPLIANCE", days = 2557 }
  force_destroy             = false
}
