terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # Applied once per account by an administrator, before any workflow can run. Its state
  # starts local; infra/README.md shows how to move it into the state bucket it creates.
  backend "local" {}
}
